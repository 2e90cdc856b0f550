"""Web safety: stored XSS escaped everywhere, PDF download by id only, security headers, tokens, uploads."""

from __future__ import annotations

import io
import re

import pytest

from tests.web_library import XSS_LINK, XSS_TITLE

ADMIN = "adm-7f3a9c2e-token"
READER = "read-51b2e8d4-token"


def csrf_of(client) -> str:
    """The CSRF token the login form carries for this client's session."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert match is not None
    return match[1]


def no_live_markup(html: str) -> None:
    """Neither the script nor the img payload survives as markup, and no link points at javascript:."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.I)
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")


def test_hostile_document_is_escaped_on_every_page(library_client, web_library) -> None:
    doc_id = web_library.xss_id
    pages = {
        "search": library_client.get("/", query_string={"q": "alert"}),
        "search by title": library_client.get("/", query_string={"q": "网络安全"}),
        "document": library_client.get(f"/documents/{doc_id}", query_string={"q": "alert"}),
        "embed": library_client.get("/embed", query_string={"q": "alert"}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        no_live_markup(html)
        assert "&lt;script&gt;" in html, f"{name}: the payload should be shown, as text"
    document = pages["document"].get_data(as_text=True)
    assert "关于&lt;script&gt;alert(1)&lt;/script&gt;问题的答复" in document
    assert XSS_LINK.split(":")[0] + ":<mark>alert</mark>" in document  # shown as words, marked, no link


def test_hostile_document_json_and_snippets(library_client, web_library) -> None:
    body = library_client.get("/api/search", query_string={"q": "alert"}).get_json()
    hit = next(h for h in body["results"] if h["id"] == web_library.xss_id)
    assert hit["title"] == XSS_TITLE  # JSON carries the raw title; consumers must escape (the widget does)
    snippet = hit["snippet"]
    assert "<script" not in snippet and "<img" not in snippet
    assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) <= {"mark"}  # only <mark> tags
    assert "&lt;script&gt;" in snippet or "&lt;img" in snippet
    response = library_client.get(f"/api/documents/{web_library.xss_id}")
    assert response.mimetype == "application/json"
    assert "nosniff" == response.headers["X-Content-Type-Options"]


def test_query_is_escaped_when_echoed(library_client) -> None:
    payload = '"><script>alert(9)</script>'
    for url in ("/", "/embed"):
        html = library_client.get(url, query_string={"q": payload}).get_data(as_text=True)
        assert "<script>alert(9)" not in html
        assert "&lt;script&gt;alert(9)" in html


@pytest.mark.parametrize(
    "path",
    [
        "/documents/../../../etc/passwd.pdf",
        "/documents/..%2f..%2f..%2fetc%2fpasswd.pdf",
        "/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf",
        "/documents//etc/passwd.pdf",
        "/documents/%2Fetc%2Fpasswd.pdf",
        "/documents/originals%2F..%2Frecords.sqlite3.pdf",
        "/documents/records.sqlite3.pdf",
        "/documents/" + "A" * 64 + ".pdf",
        "/documents/" + "0" * 63 + ".pdf",
        "/documents/" + "0" * 64 + "%00.pdf",
        "/static/../../index/records.sqlite3",
        "/static/%2e%2e/%2e%2e/webapp/app.py",
    ],
)
def test_pdf_download_only_by_document_id(library_client, path) -> None:
    response = library_client.get(path)
    assert response.status_code in (404, 308)
    assert response.mimetype != "application/pdf"
    assert b"SQLite format" not in response.data and b"root:" not in response.data
    assert b"create_app" not in response.data


def test_pdf_download_and_inline(library_client, web_library) -> None:
    record = web_library.any_with("title")
    response = library_client.get(f"/documents/{record.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == web_library.files[record.id].read_bytes()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert record.filename in response.headers["Content-Disposition"]
    response.close()
    inline = library_client.get(f"/documents/{record.id}.pdf?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    inline.close()
    missing = library_client.get("/documents/" + "1" * 64 + ".pdf")
    assert missing.status_code == 404


def test_security_headers_on_every_response(library_client, web_library) -> None:
    paths = ["/", "/?q=答复", f"/documents/{web_library.xss_id}", "/api/search", "/healthz", "/widget-demo"]
    for path in [*paths, "/login", "/static/style.css", "/widget.js", "/nope"]:
        response = library_client.get(path)
        response.close()
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    page = library_client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in page and "object-src 'none'" in page


def test_no_inline_script_in_pages(library_client, web_library) -> None:
    for path in (
        "/",
        "/?q=就业",
        f"/documents/{web_library.xss_id}",
        "/widget-demo",
        "/embed?q=答复",
        "/login",
    ):
        html = library_client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{path}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html.replace("onerror=alert", "")), path


def test_embed_may_be_framed_by_configured_origins_only(make_app, web_library) -> None:
    portal = "https://portal.intranet.example"
    app = make_app(web_library.index_dir, frame_ancestors=[portal], rate_limit_per_minute=0)
    client = app.test_client()
    embed = client.get("/embed?q=答复")
    assert "X-Frame-Options" not in embed.headers
    assert f"frame-ancestors 'self' {portal}" in embed.headers["Content-Security-Policy"]
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    default = make_app(web_library.index_dir).test_client().get("/embed")
    assert "frame-ancestors 'self'" in default.headers["Content-Security-Policy"]
    assert portal not in default.headers["Content-Security-Policy"]


def test_admin_is_disabled_without_a_token(client) -> None:
    response = client.get("/admin")
    assert response.status_code == 403
    assert "GONGWEN_WEB_ADMIN_TOKEN" in response.get_data(as_text=True)
    upload = client.post("/api/documents", data={"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")})
    assert upload.status_code == 403 and upload.get_json()["error"]["code"] == "admin_disabled"
    # No token, however empty or guessed, opens it.
    for guess in ("", " ", "admin", "null"):
        response = client.get("/admin", headers={"Authorization": f"Bearer {guess}"})
        assert response.status_code == 403


def test_admin_token_by_header_and_by_login_form(make_app) -> None:
    client = make_app(admin_token=ADMIN).test_client()
    assert client.get("/admin").status_code == 302  # to the login form
    assert client.get("/admin", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/admin", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200

    login_page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    bad = client.post("/login", data={"token": "nope", "csrf_token": csrf, "next": "/admin"})
    assert bad.status_code == 401 and "令牌不正确" in bad.get_data(as_text=True)
    no_csrf = client.post("/login", data={"token": ADMIN, "next": "/admin"})
    assert no_csrf.status_code == 400
    good = client.post("/login", data={"token": ADMIN, "csrf_token": csrf, "next": "/admin"})
    assert good.status_code == 302 and good.headers["Location"].endswith("/admin")
    cookie = good.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ADMIN not in cookie  # the session holds a fingerprint, never the token
    assert client.get("/admin").status_code == 200


def test_login_never_redirects_off_site(make_app) -> None:
    client = make_app(admin_token=ADMIN).test_client()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        csrf = csrf_of(client)
        response = client.post("/login", data={"token": ADMIN, "csrf_token": csrf, "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] in ("/", "http://localhost/")


def test_session_dies_when_the_token_changes(make_app, tmp_path) -> None:
    index_dir = tmp_path / "shared-index"
    first = make_app(index_dir, admin_token=ADMIN).test_client()
    csrf = csrf_of(first)
    first.post("/login", data={"token": ADMIN, "csrf_token": csrf})
    cookie = first.get_cookie("gongwen_session")
    second = make_app(index_dir, admin_token="a-new-token-after-rotation").test_client()
    second.set_cookie("gongwen_session", cookie.value)
    assert second.get("/admin").status_code == 302


def test_upload_requires_admin_token_and_a_pdf(make_app) -> None:
    client = make_app(admin_token=ADMIN).test_client()
    pdf = (io.BytesIO(b"%PDF-1.4 not really"), "a.pdf")
    assert client.post("/api/documents", data={"file": pdf}).status_code == 401
    wrong = client.post("/api/documents", data={"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                        headers={"Authorization": f"Bearer {READER}"})  # fmt: skip
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {ADMIN}"}
    not_pdf = client.post(
        "/api/documents", data={"file": (io.BytesIO(b"MZ\x90\x00 exe"), "a.pdf")}, headers=auth
    )
    assert not_pdf.status_code == 415 and "not a PDF" in not_pdf.get_json()["error"]["message"]
    wrong_name = client.post(
        "/api/documents", data={"file": (io.BytesIO(b"%PDF-1.4"), "a.exe")}, headers=auth
    )
    assert wrong_name.status_code == 415
    missing = client.post("/api/documents", data={}, headers=auth)
    assert missing.status_code == 400 and missing.get_json()["error"]["param"] == "file"


def test_admin_form_upload_needs_csrf_token(make_app) -> None:
    client = make_app(admin_token=ADMIN).test_client()
    csrf = csrf_of(client)
    client.post("/login", data={"token": ADMIN, "csrf_token": csrf})
    forged = client.post("/admin/upload", data={"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")})
    assert forged.status_code == 400


def test_read_token_protects_the_whole_site(make_app, web_library) -> None:
    client = make_app(web_library.index_dir, read_token=READER, admin_token=ADMIN).test_client()
    assert client.get("/api/search").status_code == 401
    assert client.get("/api/search").get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"/documents/{web_library.xss_id}.pdf").status_code == 302
    assert client.get("/").status_code == 302 and "/login" in client.get("/").headers["Location"]
    assert client.get("/healthz").status_code == 200  # monitoring needs no token
    assert client.get("/api/search", headers={"Authorization": "Bearer wrong"}).status_code == 401
    for token in (READER, ADMIN):
        assert client.get("/api/search", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # the read token is not an admin token
    assert client.get("/admin", headers={"Authorization": f"Bearer {READER}"}).status_code == 401
    csrf = csrf_of(client)
    client.post("/login", data={"token": READER, "csrf_token": csrf})
    assert client.get("/").status_code == 200


def test_secret_key_is_generated_per_index_and_kept(make_app, tmp_path) -> None:
    first = make_app(tmp_path / "a")
    again = make_app(tmp_path / "a")
    other = make_app(tmp_path / "b")
    assert first.secret_key == again.secret_key
    assert first.secret_key != other.secret_key
    assert len(first.secret_key) >= 32
    key_file = tmp_path / "a" / "web_secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
