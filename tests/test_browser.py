"""Real headless Chromium (Debian's, through Playwright) against the app served by waitress.

Types a Chinese query, clicks a facet, opens a document, downloads its PDF, and uses the widget from a
page on another origin; saves screenshots of the pages it sees (to a temporary folder, or to
`GONGWEN_SCREENSHOT_DIR`: `make screenshots` refreshes the README's under docs/screenshots/).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_library import make_settings
from webapp import create_app
from webapp.resources import close_app
from webapp.server import background_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
# A test run leaves the repository as it found it; `make screenshots` writes the README's pictures.
SCREENSHOTS = Path(os.environ.get("GONGWEN_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="gongwen-shots-"))
QUERY = "就业"

HOST_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>另一个内网系统</title>
<style>
  * {{ color: rgb(255, 0, 0) !important; font-size: 40px; }}
  mark {{ background: rgb(0, 255, 0); }}
</style></head>
<body>
<h1>提案办理系统</h1>
<p class="gw-title" id="host-text">宿主页面自己的文字</p>
<div id="slot"><script src="{app}/widget.js" data-gongwen-per-page="5"></script></div>
<div id="filtered"><script src="{app}/widget.js" data-gongwen-filter-issuer="{issuer}"></script></div>
</body></html>
"""


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; the browser tests must run in CI")
        pytest.skip(f"{CHROMIUM} not installed")


@pytest.fixture(scope="module")
def other_origin() -> Iterator[tuple[http.server.ThreadingHTTPServer, dict]]:
    """A second tiny web server (another origin) whose page embeds the widget."""
    state: dict = {"app": "", "issuer": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = HOST_PAGE.format(app=state["app"], issuer=state["issuer"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def live(web_library, other_origin) -> Iterator[dict]:
    chromium_or_skip()
    server, state = other_origin
    host_origin = f"http://localhost:{server.server_address[1]}"
    settings = make_settings(web_library.index_dir, cors_origins=[host_origin], rate_limit_per_minute=0)
    app = create_app(settings)
    with background_server(app) as base:
        state["app"] = base
        state["issuer"] = web_library.any_with("issuer").issuer
        yield {"base": base, "host": f"{host_origin}/host.html", "app": app}
    close_app(app)


@pytest.fixture(scope="module")
def browser(live) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.problems = []  # console errors, CSP violations, page errors, dialogs (an XSS would open one)
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    context.close()


def test_search_facet_document_download(page, live, web_library) -> None:
    base = live["base"]
    page.goto(base + "/")
    page.fill("#q", QUERY)
    page.press("#q", "Enter")
    page.wait_for_selector(".hit")
    assert page.locator(".results .summary").inner_text().startswith(f"“{QUERY}”")
    hits = page.locator(".hits .hit").count()
    assert hits >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)

    # Click a facet value under 发文机关; a removable chip appears and the count matches the facet's.
    facet = page.locator(".facet").filter(has_text="发文机关").locator(".facet-link").first
    expected = int(facet.locator(".count").inner_text())
    issuer = facet.locator(".facet-value").inner_text()
    facet.click()
    page.wait_for_selector(".chip")
    assert f"发文机关：{issuer}" in page.locator(".chips").inner_text()
    assert int(page.locator(".total").inner_text()) == expected
    assert page.locator(".hit").count() == min(expected, 10)

    # Open the first document: highlighted query, page markers, metadata table.
    page.locator(".hit-title a").first.click()
    page.wait_for_selector(".doc-header h1")
    assert page.locator(".page-marker").count() >= 1
    assert page.locator(".fulltext mark").count() >= 1
    assert page.locator(".meta-table th").filter(has_text=re.compile("^发文机关$")).count() == 1
    page.screenshot(path=str(SCREENSHOTS / "document.png"), full_page=True)
    doc_id = page.url.split("/documents/")[1].split("?")[0]

    with page.expect_download() as download_info:
        page.click("text=下载原件 PDF")
    download = download_info.value
    assert download.suggested_filename == web_library.records[doc_id].filename
    assert Path(download.path()).read_bytes() == web_library.files[doc_id].read_bytes()
    assert page.problems == []


def test_search_works_without_javascript(browser, live) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live["base"] + "/")
    page.fill("#q", QUERY)
    page.click("button[type=submit]")
    page.wait_for_selector(".hit")
    assert page.locator(".hit").count() >= 1
    context.close()


def test_widget_on_another_origin(page, live, web_library) -> None:
    page.goto(live["host"])
    widget_input = page.locator("#slot .gongwen-widget .gw-input")  # Playwright pierces open shadow roots
    widget_input.wait_for()
    widget_input.fill(QUERY)
    page.locator("#slot .gw-button").click()
    page.locator("#slot .gw-hit").first.wait_for()
    first_link = page.locator("#slot .gw-title").first
    assert first_link.get_attribute("href").startswith(live["base"] + "/documents/")
    assert page.locator("#slot .gw-snippet mark").count() >= 1

    # No CSS leakage either way: the host's rules do not reach into the widget, nor the widget's out.
    style = "e => [getComputedStyle(e).color, getComputedStyle(e).fontSize]"
    assert first_link.evaluate(style) != ["rgb(255, 0, 0)", "40px"]
    assert page.locator("#host-text").evaluate(style) == ["rgb(255, 0, 0)", "40px"]
    widget_mark = page.locator("#slot .gw-snippet mark").first
    assert widget_mark.evaluate("e => getComputedStyle(e).backgroundColor") != "rgb(0, 255, 0)"

    # The hostile document shows its title as text, runs nothing.
    widget_input.fill("alert")
    page.locator("#slot .gw-button").click()
    title = page.locator("#slot .gw-title").filter(has_text="<script>")
    title.first.wait_for()
    assert "<script>alert(1)</script>" in title.first.inner_text()
    assert page.locator(".gongwen-widget script").count() == 0
    assert page.locator(".gongwen-widget img").count() == 0

    # The second widget's data-gongwen-filter-issuer keeps its results to that issuer.
    issuer = web_library.any_with("issuer").issuer
    page.locator("#filtered .gw-button").click()
    page.locator("#filtered .gw-hit").first.wait_for()
    metas = page.locator("#filtered .gw-meta").all_inner_texts()
    expected = sum(1 for r in web_library.records.values() if issuer in (r.issuers or [r.issuer]))
    assert len(metas) == min(expected, 5) and all(issuer in meta for meta in metas)
    assert page.problems == []


def test_widget_demo_page(page, live) -> None:
    page.goto(live["base"] + "/widget-demo")
    page.locator("#script-demo .gw-input").fill("")  # empty: the newest documents of the demo's issuer
    page.locator("#script-demo .gw-button").click()
    page.locator("#script-demo .gw-hit").first.wait_for()
    frame = page.frame_locator("iframe.embed-frame")
    frame.locator(".hit").first.wait_for()  # the newest documents of the issuer, before any query
    page.screenshot(path=str(SCREENSHOTS / "widget-demo.png"), full_page=True)
    assert page.problems == []


def test_screenshots_are_saved() -> None:
    for name in ("search.png", "document.png", "widget-demo.png"):
        path = SCREENSHOTS / name
        assert path.is_file() and path.stat().st_size > 10_000, name
    assert shutil.which("chromium") or Path(CHROMIUM).exists()


def test_widget_with_read_token_on_a_protected_site(browser, web_library, other_origin) -> None:
    """With `read_token` set the API refuses the widget until its tag carries data-gongwen-token."""
    server, _state = other_origin
    host_origin = f"http://localhost:{server.server_address[1]}"
    token = "widget-read-token-5e1f"
    settings = make_settings(
        web_library.index_dir, cors_origins=[host_origin], read_token=token, rate_limit_per_minute=0
    )
    app = create_app(settings)
    try:
        with background_server(app) as base:
            page = browser.new_page()
            tags = (
                f'<div id="open"><script src="{base}/widget.js"></script></div>'
                f'<div id="tok"><script src="{base}/widget.js" data-gongwen-token="{token}"></script></div>'
            )
            page.goto(host_origin + "/blank")
            page.set_content(f"<!doctype html><meta charset=utf-8><body>{tags}</body>")
            page.locator("#open .gw-input").fill(QUERY)
            page.locator("#open .gw-button").click()
            page.locator("#open .gw-status").filter(has_text="检索失败").wait_for()
            page.locator("#tok .gw-input").fill(QUERY)
            page.locator("#tok .gw-button").click()
            page.locator("#tok .gw-hit").first.wait_for()
            page.close()
    finally:
        close_app(app)
