"""The HTML pages: search with facets, chips, sort, paging and empty state; the document page; JSON twins."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote_plus

from tests.web_library import XSS_TITLE


def links(html: str) -> list[str]:
    """Every href of the page, entity- and percent-decoded (the test client re-encodes them)."""
    return [unquote_plus(unescape(h)) for h in re.findall(r'href="([^"]+)"', html)]


def test_search_page_lists_results_with_metadata(library_client, web_library) -> None:
    record = web_library.any_with("doc_number")
    response = library_client.get("/", query_string={"q": record.doc_number})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert f"/documents/{record.id}?q=" in html
    assert record.doc_number in html and record.issuer in html
    assert re.search(r'class="total">\d+</strong> 条结果', html)
    assert "毫秒" in html  # query time shown
    for label in ("发文机关", "年份", "分类", "文种"):
        assert f"<h2>{label}</h2>" in html


def test_search_page_advertises_its_json_twin(library_client) -> None:
    html = library_client.get("/", query_string={"q": "答复", "year": "2023"}).get_data(as_text=True)
    match = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert match is not None
    twin = unescape(match[1])
    assert twin.startswith("/search.json?") and "q=" in twin and "year=2023" in twin
    body = library_client.get(twin).get_json()
    api = library_client.get("/api/search", query_string={"q": "答复", "year": "2023"}).get_json()
    assert body["total"] == api["total"] and [h["id"] for h in body["results"]] == [
        h["id"] for h in api["results"]
    ]


def test_facet_click_filters_and_chip_removes(library_client, web_library) -> None:
    record = web_library.any_with("issuer")
    html = library_client.get("/", query_string={"q": ""}).get_data(as_text=True)
    facet_link = next(h for h in links(html) if f"issuer={record.issuer}" in h)
    filtered = library_client.get(facet_link).get_data(as_text=True)
    assert 'class="chips"' in filtered and f"发文机关：{record.issuer}" in filtered
    total = int(re.search(r'class="total">(\d+)<', filtered)[1])
    everything = int(re.search(r'class="total">(\d+)<', html)[1])
    assert 0 < total < everything
    chip = re.search(r'<a class="chip" href="([^"]+)"', filtered)[1]
    assert "issuer=" not in unescape(chip)
    assert (
        int(re.search(r'class="total">(\d+)<', library_client.get(unescape(chip)).get_data(as_text=True))[1])
        == everything
    )


def test_sort_and_pagination_links(library_client) -> None:
    html = library_client.get("/", query_string={"q": "", "per_page": 5}).get_data(as_text=True)
    hrefs = links(html)
    assert any("sort=date" in h for h in hrefs)
    next_page = next(h for h in hrefs if "page=2" in h)
    assert "per_page=5" in next_page
    page2 = library_client.get(next_page).get_data(as_text=True)
    assert '<span class="current" aria-current="page">2</span>' in page2
    assert 'rel="prev"' in page2


def test_empty_state_keeps_query_and_offers_ways_out(library_client, web_library) -> None:
    record = web_library.any_with("issuer")
    html = library_client.get("/", query_string={"q": "就业", "issuer": "景川市不存在的局"}).get_data(
        as_text=True
    )
    assert "没有找到与“就业”相关的公文" in html
    assert 'value="就业"' in html  # the query stays in the box, as typed
    assert "去掉“发文机关：景川市不存在的局”" in html
    assert re.search(r"去掉全部条件后有 \d+ 条结果", html)
    typo = library_client.get("/", query_string={"q": record.issuer[:4] + "zzq"}).get_data(as_text=True)
    assert "没有找到" in typo


def test_bad_parameter_on_the_page_is_a_friendly_400(library_client) -> None:
    response = library_client.get("/", query_string={"q": "答复", "page": "-3"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "参数 <code>page</code> 有误" in html and "Traceback" not in html


def test_document_page(library_client, web_library) -> None:
    record = web_library.any_with("doc_number")
    word = next(w for w in ("答复", "工作", "我局", "情况") if w in record.text)
    response = library_client.get(f"/documents/{record.id}", query_string={"q": word})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<link rel="alternate" type="application/json" href="/documents/{record.id}.json">' in html
    assert '<th scope="row">发文字号</th>' in html and record.doc_number in html
    assert f"<mark>{word}</mark>" in html
    assert len(re.findall(r'class="page-marker"', html)) == len(record.pages)
    assert f'href="/documents/{record.id}.pdf"' in html
    assert f'href="/documents/{record.id}.pdf?inline=1"' in html
    assert "相似公文" in html
    similar_ids = re.findall(r'<ol class="hits hits-compact">(.*?)</ol>', html, re.S)
    assert similar_ids and "/documents/" in similar_ids[0]


def test_document_page_without_query_has_no_marks(library_client, web_library) -> None:
    record = web_library.any_with("title")
    html = library_client.get(f"/documents/{record.id}").get_data(as_text=True)
    assert "<mark>" not in html.split('id="text-h"')[1].split("相似公文")[0]


def test_unknown_document_page_is_a_chinese_404(library_client) -> None:
    response = library_client.get("/documents/" + "e" * 64)
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_widget_demo_and_embed(library_client, web_library) -> None:
    demo = library_client.get("/widget-demo").get_data(as_text=True)
    assert re.search(r'<script src="/widget.js" data-gongwen-filter-issuer="[^"]+"></script>', demo)
    assert '<iframe class="embed-frame" src="/embed' in demo
    widget = library_client.get("/widget.js")
    assert widget.status_code == 200 and widget.mimetype == "text/javascript"
    assert b"attachShadow" in widget.data
    widget.close()
    embed = library_client.get("/embed", query_string={"q": "网络安全"}).get_data(as_text=True)
    assert XSS_TITLE not in embed and "&lt;script&gt;" in embed
    assert 'target="_blank"' in embed


def test_an_empty_index_says_how_to_add_documents(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "索引中还没有公文" in html and "gongwen ingest" in html
    assert client.get("/api/search").get_json()["total"] == 0
