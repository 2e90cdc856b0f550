"""Bulk reads of a snapshot equal Whoosh's per-document answers: field lengths (BM25 norms)."""

from __future__ import annotations

from bench.truth_records import CORPUS, truth_records
from index.postings import field_lengths, leaves
from index.writer import DocumentIndex, open_index
from ingest.settings import load_settings
from ingest.store import RecordStore

FIELDS = ["title", "title_bg", "content", "content_bg", "meta", "meta_bg", "issuer_bg", "no_such_field"]


def test_field_lengths_equal_doc_field_length_over_segments_with_deletions(tmp_path):
    settings = load_settings(environ={}).with_overrides({("storage", "index_dir"): str(tmp_path / "index")})
    pairs = truth_records(CORPUS)[:24]
    with RecordStore(tmp_path / "store") as store:
        for _truth, record in pairs[:16]:
            store.put(record)
        index = DocumentIndex(tmp_path / "index", settings)
        index.reconcile(store)
        for _truth, record in pairs[16:]:
            store.put(record)
        store.delete(pairs[0][1].id)
        index.reconcile(store)  # a second segment, and a deletion in the first
        index.close()
    ix = open_index(tmp_path / "index", settings)
    with ix.reader() as reader:
        segments = leaves(reader)
        assert len(segments) >= 2
        for leaf, _offset in segments:
            for name in FIELDS:
                expected = [leaf.doc_field_length(n, name, 0) or 0 for n in range(leaf.doc_count_all())]
                assert field_lengths(leaf, name) == expected
                assert name == "no_such_field" or any(expected)
    ix.close()


def test_a_search_engine_without_mmap_finds_the_same(tmp_path):
    from index.results import SearchRequest
    from index.search import SearchEngine

    settings = load_settings(environ={}).with_overrides({("storage", "index_dir"): str(tmp_path / "index")})
    with RecordStore(tmp_path / "store") as store:
        for _truth, record in truth_records(CORPUS)[:20]:
            store.put(record)
        DocumentIndex(tmp_path / "index", settings).reconcile(store)
    answers = []
    for mapped in (True, False):
        engine = SearchEngine(tmp_path / "index", settings.with_overrides({("index", "mmap"): mapped}))
        try:
            result = engine.search(SearchRequest(q="答复 工作", per_page=20))
            answers.append([(hit.id, hit.score, hit.snippet) for hit in result.hits])
        finally:
            engine.close()
    assert answers[0] and answers[0] == answers[1]
