"""Search while ingesting: `gongwen serve` answers every request while `gongwen ingest` adds and replaces.

A few threads hammer `/api/search` and fetch every hit from `/api/documents/<id>`; no request may fail,
no hit may point at a document that is gone while the index still lists it, and the server must see the
new documents without a restart.
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from ingest.pipeline import sha256_file
from ingest.store import RecordStore
from tests.processes import copy_files, get_json, gongwen_env, run_gongwen, serving, text_corpus_files

QUERIES = ["", "答复", "工作", "建议", "关于", "提案", "通知", "发展", "景川市", "意见", "服务", "2025"]
THREADS = 3
REPLACED = 3


class Hammer:
    """Threads searching and fetching hits until stopped; they count requests and collect failures."""

    def __init__(self, base: str, vanished_ok: set[str]) -> None:
        self.base = base
        self.vanished_ok = vanished_ok  # ids the ingest replaces: they may go, but never half-way
        self.requests = 0
        self.failures: list[str] = []
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(THREADS)]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _get(self, path: str, params: dict[str, object] | None = None) -> tuple[int, dict]:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            status, body = get_json(url)
        except OSError as exc:
            status, body = 0, {"error": repr(exc)}
        with self._lock:
            self.requests += 1
        return status, body

    def _fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            q = QUERIES[n % len(QUERIES)]
            n += 1
            status, body = self._get("/api/search", {"q": q, "per_page": 20})
            if status != 200:
                self._fail(f"search {q!r}: {status} {body}")
                continue
            for hit in body["results"]:
                with self._lock:
                    self.seen.add(hit["id"])
                doc_status, doc = self._get(f"/api/documents/{hit['id']}")
                if doc_status == 200:
                    if doc["id"] != hit["id"]:
                        self._fail(f"document {hit['id'][:12]} answered as {doc['id'][:12]}")
                    continue
                replaced = hit["id"] in self.vanished_ok
                listed = self._still_listed(hit["id"])
                if doc_status == 404 and replaced and not listed:
                    continue  # replaced between the search and the fetch: gone from both, fine
                kind = "a replaced document" if replaced else "not replaced"
                self._fail(
                    f"hit {hit['id'][:12]} of {q!r}: document answered {doc_status}"
                    f" ({kind}, {'still' if listed else 'no longer'} listed)"
                )

    def _still_listed(self, doc_id: str) -> bool:
        status, body = self._get("/api/search", {"q": "", "per_page": 100})
        return status != 200 or doc_id in {h["id"] for h in body["results"]}


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_search_keeps_answering_while_ingest_adds_and_replaces(tmp_path: Path) -> None:
    first, later = text_corpus_files(10), text_corpus_files(10, 10)
    replacements = text_corpus_files(REPLACED, 20)
    folder = tmp_path / "in"
    copy_files(first, folder)
    index_dir = tmp_path / "index"
    env = gongwen_env(index_dir, index_batch_size=2, ingest_workers=1)
    assert run_gongwen(["ingest", "--quiet", str(folder)], env).returncode == 0
    with RecordStore(index_dir) as store:
        before = set(store.revisions())
    assert len(before) == 10

    with serving(index_dir, tmp_path / "serve.log") as base:
        status, body = get_json(f"{base}/api/search?q=&per_page=100")
        assert status == 200 and {h["id"] for h in body["results"]} == before
        replaced_paths = sorted(folder.iterdir())[:REPLACED]
        old_ids = {sha256_file(p) for p in replaced_paths}
        with Hammer(base, vanished_ok=old_ids) as hammer:
            time.sleep(1.0)
            copy_files(later, folder)
            for target, source in zip(replaced_paths, replacements, strict=True):
                shutil.copyfile(source, target)  # same path, new content: the old document is replaced
            result = run_gongwen(["ingest", "--quiet", str(folder)], env)
            time.sleep(1.0)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "added 10, updated 3" in result.stdout
        with RecordStore(index_dir) as store:
            after = set(store.revisions())
        assert len(after) == 20 and not (after & old_ids)
        status, body = get_json(f"{base}/api/search?q=&per_page=100")
        assert status == 200
        assert {h["id"] for h in body["results"]} == after, "the server did not pick up the new commits"
    print(
        f"\nsearch while ingesting: {hammer.requests} requests, {len(hammer.failures)} failed, "
        f"{len(hammer.seen - before)} new documents seen during the ingest"
    )
    assert not hammer.failures, hammer.failures[:10]
    assert hammer.requests > 50
    assert hammer.seen - before, "no new document showed up while the ingest was running"
