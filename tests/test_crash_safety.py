"""Crash safety: `gongwen ingest` killed with -9 (workers too) at random moments loses nothing committed.

After each kill the index must open, every document the store holds must be searchable once the index is
reconciled, and nothing may be indexed twice; a final rerun completes the rest. Whoosh write locks left
by a dead process are cleared, a live writer's lock is respected.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import pytest

from index.locking import IndexLockedError
from index.results import SearchRequest
from index.search import SearchEngine
from index.writer import DocumentIndex, open_index
from ingest.pipeline import read_document, sha256_file
from ingest.store import RecordStore
from tests.processes import (
    PYTHON,
    ROOT,
    copy_files,
    gongwen_env,
    kill_group,
    run_gongwen,
    start_gongwen,
    text_corpus_files,
)
from tests.web_library import make_settings

SEED = int(os.environ.get("GONGWEN_CRASH_SEED", "20260108"))
KILLS = int(os.environ.get("GONGWEN_CRASH_KILLS", "6"))
CORPUS_SIZE = 30


def check_library(index_dir: Path) -> set[str]:
    """The invariants after a crash; returns the ids of committed documents.

    A document is committed once a source (its file) points at it: a record stored a moment before the
    kill, without its source, is an orphan the next ingest sweeps away and reads again.
    """
    settings = make_settings(index_dir)
    if (index_dir / "whoosh").exists():
        ix = open_index(index_dir, settings, create=False)  # opens: no corrupt segment, no missing TOC
        with ix.searcher() as searcher:
            live = [searcher.stored_fields(n)["id"] for n in searcher.reader().all_doc_ids()]
        ix.close()
        assert len(live) == len(set(live)), "a document is in the index twice"
    with RecordStore(index_dir) as store:
        DocumentIndex(index_dir, settings).reconcile(store)  # what every ingest and serve start does
        stored = set(store.revisions())
        titles = {r.id: r.title for r, _rev in store.iter_records() if r.title}
        for entry in store.sources():
            assert entry.id in stored, f"{entry.path} points at a document the store does not hold"
    engine = SearchEngine(index_dir, settings)
    try:
        listing = engine.search(SearchRequest(q="", per_page=100))
        ids = [hit.id for hit in listing.hits]
        assert len(ids) == len(set(ids)), "duplicate hits"
        assert set(ids) == stored, "the index and the store disagree after reconcile"
        for doc_id, title in titles.items():
            hits = engine.search(SearchRequest(q=title, per_page=100)).hits
            assert doc_id in {h.id for h in hits}, f"{doc_id[:12]} is not found by its title {title!r}"
    finally:
        engine.close()
    with RecordStore(index_dir) as store:
        return stored - set(store.unreferenced_ids())


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_minus_9_during_ingest_loses_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    files = copy_files(text_corpus_files(CORPUS_SIZE), folder)
    expected = {sha256_file(f) for f in files}
    index_dir = tmp_path / "index"
    # Small batches so that kills land inside index commits as well as inside extraction.
    env = gongwen_env(index_dir, index_batch_size=3, ingest_workers=2)
    log = tmp_path / "ingest.log"
    rng = random.Random(SEED)
    # How long an uninterrupted ingest of these files takes here, so the kills land inside the run on a fast
    # machine and a slow one alike: each one at a random moment within the work that is still left.
    started = time.monotonic()
    timing_env = gongwen_env(tmp_path / "timing", ingest_workers=2)
    timing = run_gongwen(["ingest", "--quiet", str(folder)], timing_env)
    assert timing.returncode == 0, timing.stdout + timing.stderr
    full_run_s = time.monotonic() - started
    committed: set[str] = set()
    kills = 0
    for _ in range(KILLS):
        process = start_gongwen(["ingest", "--quiet", str(folder)], env, log)
        remaining = 1 - len(committed) / len(expected)
        delay = rng.uniform(0.15, 0.6) * full_run_s * max(remaining, 0.2)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill_group(process)
            kills += 1
        else:
            assert process.returncode == 0, log.read_text()[-3000:]
        now = check_library(index_dir)
        lost = committed - now
        assert not lost, f"{len(lost)} committed documents lost after kill {kills}"
        assert now <= expected
        committed = now
    final = run_gongwen(["ingest", "--quiet", str(folder)], env)
    assert final.returncode == 0, final.stdout + final.stderr
    stored = check_library(index_dir)
    assert stored == expected
    again = run_gongwen(["ingest", "--quiet", str(folder)], env)
    assert again.returncode == 0
    assert f"added 0, updated 0, unchanged {CORPUS_SIZE}, failed 0" in again.stdout
    assert kills >= KILLS // 2, f"only {kills} kills landed before the ingest finished"
    print(
        f"\ncrash safety: {kills} kills survived, {len(committed)} documents committed before the last"
        f" one, 0 lost, {len(stored)} after the rerun"
    )


# --- write locks ------------------------------------------------------------------------------------

HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from index.writer import DocumentIndex, LOCK_NAME
from index.locking import writer_lock
from tests.web_library import make_settings
from pathlib import Path
index_dir = Path({index_dir!r})
ix = DocumentIndex(index_dir, make_settings(index_dir))._index()
mode = {mode!r}
if mode == "ours":
    lock = writer_lock(index_dir / LOCK_NAME, 5)
    lock.__enter__()
writer = ix.writer()
writer.delete_by_term("id", "0" * 64)
print("holding", flush=True)
line = sys.stdin.readline()
if line.strip() == "commit":
    writer.commit()
    print("committed", flush=True)
"""


def _hold_lock(index_dir: Path, mode: str) -> subprocess.Popen[str]:
    """A child that holds the index's write lock(s) until told to commit (or until it is killed)."""
    code = HOLDER.format(root=str(ROOT), index_dir=str(index_dir), mode=mode)
    child = subprocess.Popen(
        [str(PYTHON), "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "holding"
    return child


@pytest.fixture
def small_index(tmp_path: Path):
    """Two documents through the real pipeline, stored and indexed; a third stored but not yet indexed."""
    index_dir = tmp_path / "index"
    settings = make_settings(index_dir).with_overrides({("index", "lock_timeout_s"): 1.5})
    store = RecordStore(index_dir)
    records = [read_document(path, settings) for path in text_corpus_files(3)]
    for record in records:
        store.put(record)
    DocumentIndex(index_dir, settings).apply(store, [r.id for r in records[:2]], [])
    yield index_dir, settings, store, records
    store.close()


def _indexed_ids(index_dir: Path, settings) -> set[str]:
    return set(DocumentIndex(index_dir, settings).indexed_revisions())


@pytest.mark.parametrize("mode", ["ours", "whoosh"])
def test_lock_of_a_killed_writer_is_cleared(small_index, mode: str) -> None:
    index_dir, settings, store, records = small_index
    holder = _hold_lock(index_dir, mode)
    folder = (index_dir / "whoosh").resolve()
    assert list(folder.glob("*WRITELOCK")) and not all(_lock_is_free(x) for x in folder.glob("*WRITELOCK"))
    kill_group(holder)
    started = time.monotonic()
    DocumentIndex(index_dir, settings).apply(store, [records[2].id], [])
    assert time.monotonic() - started < 1.0, "waited for a lock whose owner is dead"
    assert all(_lock_is_free(lock) for lock in folder.glob("*WRITELOCK"))
    assert not list(folder.glob("*.tmp"))
    assert _indexed_ids(index_dir, settings) == {r.id for r in records}


def _lock_is_free(path: Path) -> bool:
    import fcntl

    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("mode", ["ours", "whoosh"])
def test_lock_of_a_live_writer_is_respected(small_index, mode: str) -> None:
    index_dir, settings, store, records = small_index
    holder = _hold_lock(index_dir, mode)
    try:
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as caught:
            DocumentIndex(index_dir, settings).apply(store, [records[2].id], [])
        assert 1.4 < time.monotonic() - started < 10
        if mode == "ours":
            assert str(holder.pid) in str(caught.value)
        assert not all(_lock_is_free(x) for x in (index_dir / "whoosh").glob("*WRITELOCK"))
        # The live writer was not robbed: it still commits, and afterwards we get our turn.
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("commit\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "committed"
        holder.wait(timeout=30)
        assert holder.returncode == 0
    finally:
        kill_group(holder)
    DocumentIndex(index_dir, settings).apply(store, [records[2].id], [])
    assert _indexed_ids(index_dir, settings) == {r.id for r in records}


def test_ingest_cli_reports_a_busy_index_plainly(small_index, tmp_path: Path) -> None:
    index_dir, _settings, _store, _records = small_index
    folder = copy_files(text_corpus_files(1, offset=5), tmp_path / "more")[0].parent
    holder = _hold_lock(index_dir, "ours")
    try:
        env = gongwen_env(index_dir, index_lock_timeout_s=1)
        result = run_gongwen(["ingest", "--quiet", str(folder)], env, timeout=120)
    finally:
        kill_group(holder)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "being written by another process" in result.stderr
