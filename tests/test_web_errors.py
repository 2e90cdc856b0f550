"""Failures never show a traceback: JSON paths answer `{"error": …}`, pages a Chinese error page."""

from __future__ import annotations


def test_unexpected_exception_is_a_json_500_on_api_paths(make_app, caplog) -> None:
    app = make_app()

    def explode() -> str:
        raise RuntimeError("secret internal detail /srv/gongwen/records.sqlite3")

    app.add_url_rule("/api/explode", "explode_api", explode)
    app.add_url_rule("/explode", "explode_page", explode)
    client = app.test_client()

    api = client.get("/api/explode")
    assert api.status_code == 500 and api.mimetype == "application/json"
    assert api.get_json()["error"]["code"] == "internal_error"
    assert "secret internal detail" not in api.get_data(as_text=True)
    assert "Traceback" not in api.get_data(as_text=True)

    page = client.get("/explode")
    assert page.status_code == 500 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "服务器内部错误" in html and "Traceback" not in html and "secret internal detail" not in html
    assert "secret internal detail" in caplog.text  # the log keeps what the client must not see
