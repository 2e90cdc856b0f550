"""The query time limit: a search past `query_time_limit_s` stops evaluating and reports a partial result."""

from __future__ import annotations

import pytest

from bench.truth_records import CORPUS, truth_records
from index.results import SearchRequest
from index.search import SearchEngine
from index.writer import DocumentIndex
from ingest.settings import load_settings
from ingest.store import RecordStore


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """30 corpus documents, stored and indexed once."""
    work = tmp_path_factory.mktemp("time-limit")
    settings = load_settings(environ={}).with_overrides({("storage", "index_dir"): str(work / "index")})
    with RecordStore(work / "store") as store:
        for _truth, record in truth_records(CORPUS)[:30]:
            store.put(record)
        DocumentIndex(work / "index", settings).reconcile(store)
    return work / "index", settings


def engine_with_limit(library, seconds: float) -> SearchEngine:
    index_dir, settings = library
    return SearchEngine(index_dir, settings.with_overrides({("index", "query_time_limit_s"): seconds}))


def test_a_search_within_the_limit_is_complete(library):
    engine = engine_with_limit(library, 5.0)
    try:
        result = engine.search(SearchRequest(q="答复 工作"))
        assert result.total > 0
        assert result.timed_out is False
    finally:
        engine.close()


@pytest.mark.parametrize("q", ["答复 工作", '"办理情况"', "答*", "政协 OR 人大 OR 教育"])
def test_a_search_past_the_limit_is_cut_off_and_says_so(library, q):
    engine = engine_with_limit(library, 1e-9)
    try:
        result = engine.search(SearchRequest(q=q))
        assert result.timed_out is True
        assert result.exact_total == 0  # nothing was evaluated after the deadline
    finally:
        engine.close()
