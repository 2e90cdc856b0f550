"""Ranking quality on the corpus's judged queries (records from truth.jsonl, so OCR is not in play)."""

from __future__ import annotations

import json

import pytest

from bench.relevance import evaluate, gongwen_engine
from bench.truth_records import CORPUS, file_id, truth_records
from ingest.settings import load_settings


@pytest.mark.parametrize("corpus_set", ["docs", "real"])
def test_success_and_ndcg_on_the_judged_queries(tmp_path, corpus_set):
    corpus = CORPUS if corpus_set == "docs" else CORPUS / "real"
    pairs = truth_records(corpus)
    records = [record for _truth, record in pairs]
    ids = {truth["file"]: file_id(corpus, truth["file"]) for truth, _record in pairs}
    with (corpus / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle if line.strip()]
    settings = load_settings(environ={}).with_overrides({("storage", "index_dir"): str(tmp_path / "index")})
    figures = evaluate(gongwen_engine(records, tmp_path, settings), queries, ids, records, substrings=[])
    assert figures.queries >= 60
    assert figures.success_at_10 >= 0.98
    assert figures.ndcg_at_10 >= 0.90
