"""Hostile queries: property tests over the search parameters and the query syntax.

Whatever a client sends — unbalanced quotes, lone operators, huge numbers, control characters, 100 KB
queries, wildcards over common prefixes — the answer is a 2xx or a 4xx in the one error shape, never a
5xx, and within a bounded time. Runs on the session's real library (about 20 corpus documents).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.web_library import make_settings

# A request may take the engine's time limit (5 s) plus rendering; anything slower is a hang.
MAX_SECONDS = 8.0
CASES = {"count": 0}

SYNTAX = ['"', "'", "(", ")", "*", "?", "~", "^", ":", "-", "+", "!", "\\", "/", "[", "]", "{", "}",
          "AND", "OR", "NOT", "TO", "&&", "||", " ", "　", "“", "”", "《", "》", "〔", "〕"]  # fmt: skip
WORDS = ["答复", "工作", "关于", "建议", "提案", "景川", "教育", "发展", "市", "办", "2025", "号", "政协"]
CONTROL = [chr(c) for c in [*range(0, 32), 127, 0x85, 0x2028, 0x200B, 0xFEFF, 0xD7FF, 0xFFFD]]
HUGE_NUMBERS = ["0", "-1", "1e9", "99999999999999999999", "9" * 400, "1.5", "NaN", "inf", "0x10", "２", "١"]

query_piece = st.one_of(
    st.sampled_from(SYNTAX),
    st.sampled_from(WORDS),
    st.sampled_from(CONTROL),
    st.sampled_from(WORDS).map(lambda w: w[:1] + "*"),
    st.sampled_from(WORDS).map(lambda w: w + "?"),
    st.text(max_size=8),
)
queries = st.lists(query_piece, max_size=24).map("".join)
numbers = st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers().map(str), st.text(max_size=12))
free_text = st.one_of(st.text(max_size=40), st.sampled_from(CONTROL + SYNTAX + WORDS))


@pytest.fixture(scope="module")
def api(web_library):
    """A test client on the session library, rate limit off (the fuzzer is one very busy client)."""
    from webapp import create_app
    from webapp.resources import close_app

    app = create_app(make_settings(web_library.index_dir, rate_limit_per_minute=0), {"TESTING": True})
    with app.test_client() as client:
        yield client
    close_app(app)


def check(response, started: float) -> None:
    CASES["count"] += 1
    elapsed = time.monotonic() - started
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s"
    if response.mimetype == "application/json" and response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(q=queries)
@example(q='"未闭合的引号')
@example(q="AND")
@example(q="OR OR NOT")
@example(q="(((((")
@example(q="*")
@example(q="?")
@example(q="*:*")
@example(q="答*")
@example(q="工?")
@example(q="市* 办* 号* 关* 建*")
@example(q="x" * 100_000)
@example(q="答复 " * 20_000)
@example(q="\x00\x01\x1f\x7f")
@example(q="title:")
@example(q="date:[2025 TO")
@example(q="\ud7ff\ufffd\u200b")
def test_search_query_syntax_never_fails(api, q: str) -> None:
    for url in ("/api/search", "/api/facets", "/"):
        started = time.monotonic()
        check(api.get(url, query_string={"q": q}), started)


@FUZZ
@given(
    page=numbers,
    per_page=numbers,
    year=numbers,
    sort=free_text,
    issuer=free_text,
    category=free_text,
    doc_type=free_text,
    highlight=free_text,
)
@example(page="99999999999999999999", per_page="1", year="2025", sort="date", issuer="", category="",
         doc_type="", highlight="")  # fmt: skip
@example(page="1", per_page="100", year="1900..2100", sort="relevance", issuer="景川市", category="A",
         doc_type="函", highlight="0")  # fmt: skip
@example(page="1", per_page="1", year="2025..2020..2019", sort="relevance", issuer="\x00", category="*",
         doc_type="?", highlight="1")  # fmt: skip
def test_search_parameters_never_fail(api, **params: str) -> None:
    started = time.monotonic()
    check(api.get("/api/search", query_string={"q": "答复", **params}), started)


@FUZZ
@given(q=queries, limit=numbers)
def test_suggest_and_similar_never_fail(api, web_library, q: str, limit: str) -> None:
    started = time.monotonic()
    check(api.get("/api/suggest", query_string={"q": q, "limit": limit}), started)
    started = time.monotonic()
    check(api.get(f"/api/documents/{web_library.xss_id}/similar", query_string={"limit": limit}), started)


def test_fuzz_case_count() -> None:
    """Reports how many requests the property tests above made (they run first, in file order)."""
    print(f"\nhostile queries: {CASES['count']} requests, none 5xx, each under {MAX_SECONDS:g} s")
    assert CASES["count"] >= 300
