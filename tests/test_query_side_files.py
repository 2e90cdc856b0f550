"""The query side's derived files beside the index (phrase texts, decoded postings) and its shortcuts
(rarest-unit phrases, deferred bonus phrases, cached sub-queries) give the same answers as the plain
in-memory path, on a real index of the corpus truth; a reader that cannot write the folder still works."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.relevance import draw_substrings
from bench.truth_records import CORPUS, truth_records
from index.phrasetext import SIDE_FILE
from index.postingstore import STORE_FILE
from index.results import SearchRequest
from index.search import SearchEngine
from index.writer import DocumentIndex, whoosh_folder
from ingest.store import RecordStore
from tests.test_search import make_settings  # shipped settings on a folder, with [index] overrides

# Plain in-memory path: no side files, no stored postings, no sub-query cache, every result scored.
PLAIN = {"phrase_text_files": False, "posting_store_min_docs": 0, "result_cache_entries": 0}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("side-files")
    store = RecordStore(work / "store")
    pairs = truth_records(CORPUS)
    for _truth, record in pairs:
        store.put(record)
    DocumentIndex(work / "index", make_settings(work / "index")).reconcile(store)
    store.close()
    return work / "index", pairs


def _queries(pairs) -> list[SearchRequest]:
    quoted = [f'"{s}"' for s in draw_substrings([record for _t, record in pairs], 40, seed=11)]
    words = ["办理情况", "政协委员", "建议", "乡村振兴 产业", "养老服务", "农业农村局", "2023年", "工作"]
    requests = [SearchRequest(q=q, per_page=20) for q in quoted + words]
    requests += [SearchRequest(q=q, per_page=20, category="A") for q in words[:4]]
    return requests


def _answers(engine: SearchEngine, requests: list[SearchRequest]) -> list[tuple]:
    out = []
    for request in requests:
        result = engine.search(request)
        out.append((request.q, result.total, [(h.id, h.score, h.snippet) for h in result.hits],
                    {k: [(f.value, f.count) for f in v] for k, v in result.facets.items()}))
    return out


def _side_files(folder: Path) -> list[str]:
    prefixes = (SIDE_FILE.split("{segment}")[0], STORE_FILE.split("{segment}")[0])
    return sorted(name for name in os.listdir(folder) if name.startswith(prefixes))


def test_side_files_are_derived_once_and_answer_as_the_memory_path(built):
    index_dir, pairs = built
    requests = _queries(pairs)
    plain = SearchEngine(index_dir, make_settings(index_dir, **PLAIN))
    expected = _answers(plain, requests)
    plain.close()
    folder = whoosh_folder(index_dir).resolve()
    assert _side_files(folder) == []  # the memory path writes nothing

    # A small minimum makes the corpus's common terms go through the posting store.
    settings = make_settings(index_dir, posting_store_min_docs=20)
    first = SearchEngine(index_dir, settings)
    assert _answers(first, requests) == expected
    first.close()
    files = _side_files(folder)
    assert any(name.startswith("gongwen-runs-") for name in files)
    assert any(name.startswith("gongwen-postings-") for name in files)
    runs = next(folder / name for name in files if name.startswith("gongwen-runs-"))
    written = runs.stat().st_mtime_ns

    second = SearchEngine(index_dir, settings)  # reads both files back instead of deriving them
    assert _answers(second, requests) == expected
    assert _answers(second, requests) == expected  # the second time from the sub-query cache
    second.close()
    assert runs.stat().st_mtime_ns == written


def test_every_text_read_per_candidate_gives_the_same_answers(built):
    index_dir, pairs = built
    requests = _queries(pairs)
    expected = _answers(SearchEngine(index_dir, make_settings(index_dir, **PLAIN)), requests)
    # No field held in memory and tiny read chunks: every check goes through pread, chunk by chunk.
    settings = make_settings(index_dir, phrase_text_memory_mb=0, phrase_read_chunk_kb=1)
    engine = SearchEngine(index_dir, settings)
    assert _answers(engine, requests) == expected
    engine.close()


def test_a_bonus_phrase_over_a_large_set_is_checked_only_where_scored(built):
    index_dir, _pairs = built
    # With a pool of 5, "办理情况" (cut by jieba into pieces, its intact phrase a scoring bonus) matches far
    # more documents than are scored: the bonus is checked on the pool only, the matches stay the same.
    exact = SearchEngine(index_dir, make_settings(index_dir, **PLAIN))
    deferred = SearchEngine(index_dir, make_settings(index_dir, score_all_below=5, result_cache_entries=0))
    for q in ["办理情况", "政协委员 建议", "养老服务"]:
        want = exact.search(SearchRequest(q=q, per_page=100, highlight=False))
        got = deferred.search(SearchRequest(q=q, per_page=5, highlight=False))
        assert got.total == want.total > 5
        assert got.facets == want.facets
        assert {h.id for h in got.hits} <= {h.id for h in want.hits}
    # A one-word query has no bonus phrase: its phrase occurrences, counted for the scored pool only,
    # give every scored document the score the exact path gives it.
    for q in ["办理情况", "人民政府", "委员会"]:
        want = {h.id: h.score for h in exact.search(SearchRequest(q=q, per_page=100, highlight=False)).hits}
        got = deferred.search(SearchRequest(q=q, per_page=5, highlight=False))
        assert got.hits and all(h.score == want[h.id] for h in got.hits)
    exact.close()
    deferred.close()


def test_a_reader_that_cannot_write_the_folder_keeps_the_texts_in_memory(built, tmp_path):
    index_dir, pairs = built
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    folder = whoosh_folder(copy).resolve()
    for name in _side_files(folder):
        os.unlink(folder / name)
    # Root ignores permission bits; the immutable attribute refuses every new file, even root's.
    locked = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    assert locked.returncode == 0, f"chattr +i is needed for this test: {locked.stderr}"
    try:
        with pytest.raises(OSError):
            (folder / "probe").touch()
        requests = _queries(pairs)
        settings = make_settings(copy, posting_store_min_docs=20)
        engine = SearchEngine(copy, settings)
        got = _answers(engine, requests)
        engine.close()
        assert _side_files(folder) == []
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    plain = SearchEngine(index_dir, make_settings(index_dir, **PLAIN))
    assert got == _answers(plain, requests)
    plain.close()
