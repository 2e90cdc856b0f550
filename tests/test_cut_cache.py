"""The block-cached jieba cut gives exactly jieba's own `tokenize` output, offsets included."""

from __future__ import annotations

import pytest

from bench.truth_records import CORPUS, truth_records
from index import analysis
from index.normalize import fold
from index.schema import record_content
from ingest.settings import load_settings


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [fold(record_content(record)) for _truth, record in truth_records(CORPUS)[:40]]


@pytest.fixture(scope="module")
def userdict() -> str:
    return load_settings(environ={})["index"]["userdict"]


def jieba_reference(text: str, userdict: str) -> list[tuple[str, int, int]]:
    return list(analysis.jieba_tokenizer(userdict).tokenize(text, mode="default", HMM=True))


def test_cached_cut_equals_jieba_on_corpus_texts(texts, userdict):
    analysis._block_cache.clear()
    for _round in range(2):  # a cold cache, then a warm one
        for text in texts:
            assert analysis.cut(text, userdict) == jieba_reference(text, userdict)


def test_cached_cut_equals_jieba_when_the_cache_overflows(texts, userdict, monkeypatch):
    monkeypatch.setattr(analysis, "BLOCK_CACHE_ENTRIES", 8)
    analysis._block_cache.clear()
    for text in texts[:10]:
        assert analysis.cut(text, userdict) == jieba_reference(text, userdict)
    assert len(analysis._block_cache[userdict]) <= 8


MIXED = ["", "  ", "2024年，景川市。\r\n政协 A1-3 第12号", "（一）加快建设；（二）完善"]


@pytest.mark.parametrize("text", MIXED)
def test_cached_cut_equals_jieba_on_mixed_text(text, userdict):
    assert analysis.cut(text * 30, userdict) == jieba_reference(text * 30, userdict)
