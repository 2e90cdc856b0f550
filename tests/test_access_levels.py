"""Access levels beyond `test_web_security.py`: no token ships in the config, tokens are compared in
constant time, and the paths left open for the login page cannot be bent into a way around the read token.
"""

from __future__ import annotations

import hmac

import pytest

from ingest.settings import load_settings

ADMIN = "adm-constant-time-7d1c"
READER = "read-constant-time-93ab"


def test_no_token_is_shipped_in_the_config() -> None:
    web = load_settings(environ={})["web"]
    assert web["admin_token"] == "" and web["read_token"] == ""


def test_tokens_are_compared_with_compare_digest(make_app, monkeypatch) -> None:
    """Every check of a presented token goes through `hmac.compare_digest` (constant time), never `==`."""
    seen: list[tuple[bytes | str, bytes | str]] = []
    real = hmac.compare_digest

    def spying(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr("webapp.auth.hmac.compare_digest", spying)
    client = make_app(admin_token=ADMIN, read_token=READER).test_client()
    guesses = ["x", ADMIN[:-1], ADMIN + "x", READER.upper(), "é" * 3]
    for guess in guesses:
        seen.clear()
        response = client.get("/admin", headers={"Authorization": f"Bearer {guess}"})
        assert response.status_code in (302, 401)  # to the login form, or refused
        assert any(guess.encode() in (a, b) or guess in (a, b) for a, b in seen), guess
    seen.clear()
    assert client.get("/admin", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    assert seen, "the admin token was accepted without compare_digest"
    seen.clear()
    assert client.get("/api/search", headers={"Authorization": f"Bearer {READER}"}).status_code == 200
    assert seen, "the read token was accepted without compare_digest"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../api/search",
        "/static/%2e%2e/api/search",
        "/static/..%2fapi%2fsearch",
        "/login/../api/search",
        "/login%2f..%2fapi%2fsearch",
        "/healthz/../api/search",
        "/widget.js/../embed",
        "/loginx",
        "/static//api/search",
        "/api/search/",
        "/API/search",
        "/search.json",
        "/embed",
        "/widget-demo",
        "/similar",
        "/api/facets",
        "/api/suggest?q=答",
        "/api/openapi.json",
    ],
)
def test_read_token_has_no_way_around(make_app, web_library, path: str) -> None:
    client = make_app(web_library.index_dir, read_token=READER, rate_limit_per_minute=0).test_client()
    response = client.get(path)
    assert response.status_code in (302, 308, 401, 404), (path, response.status_code)
    if response.status_code == 308:  # slashes merged: the target must be guarded too
        response = client.get(response.headers["Location"])
        assert response.status_code in (302, 401, 404), (path, response.status_code)
    body = response.get_data(as_text=True)
    assert '"results"' not in body and '"suggestions"' not in body and '"facets"' not in body
    for record in web_library.records.values():
        if record.title:
            assert record.title not in body, f"{path} shows a document title without the read token"


def test_read_token_guards_every_document_route(make_app, web_library) -> None:
    client = make_app(web_library.index_dir, read_token=READER, rate_limit_per_minute=0).test_client()
    record = web_library.any_with("title")
    doc_id = record.id
    for path in (f"/documents/{doc_id}", f"/documents/{doc_id}.json", f"/documents/{doc_id}.pdf",
                 f"/api/documents/{doc_id}", f"/api/documents/{doc_id}/similar"):  # fmt: skip
        response = client.get(path)
        assert response.status_code in (302, 401), path
        assert response.mimetype != "application/pdf"
        body = response.get_data(as_text=True)
        assert record.title not in body and record.text[:40] not in body, path
        allowed = client.get(path, headers={"Authorization": f"Bearer {READER}"})
        allowed.close()  # a PDF is streamed from its file
        assert allowed.status_code == 200, path
    similar = client.post("/api/similar", json={"text": "关于推进陶瓷产业发展的建议答复"})
    assert similar.status_code == 401
