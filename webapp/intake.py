"""Ingest, then update the index: the one place that runs both, for the CLI and for uploads.

Files are read in worker processes (`ingest.runner`), every record is committed to the store as soon as
it arrives, and the index follows in atomic batches. The store is the source of truth: on start the
index is reconciled with it, so a run killed at any moment loses nothing that was committed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from index.analysis import jieba_tokenizer, seed_block_cuts
from index.precut import precut_record
from index.writer import DocumentIndex
from ingest.jsonl import is_jsonl, read_jsonl
from ingest.pipeline import sha256_file
from ingest.record import DocumentRecord
from ingest.runner import FileOutcome, run_files
from ingest.settings import Settings
from ingest.store import RecordStore

INGESTIBLE_SUFFIXES = (".pdf",)
UPLOAD_SOURCE_PREFIX = "upload:"
# Source key of a record imported from JSON Lines: "jsonl:<file>:<line>".
JSONL_SOURCE_PREFIX = "jsonl:"
# Record fields that say where a record came from, not what it holds (ignored when deciding "unchanged").
_PROVENANCE_FIELDS = ("source_path", "size")


@dataclass
class IngestSummary:
    """Counts of one ingest run, and the reason for every failure."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0
    ocr_pages: int = 0
    worker_seconds: float = 0.0
    ocr_worker_seconds: float = 0.0
    seconds: float = 0.0
    reread: int = 0  # scanned records read again with the batch's text-layer names (`_reread_scans`)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def ocr_pages_per_second(self) -> float:
        """OCR pages per second of wall time, all workers together.

        The wall time counted is the run's share that went to files with OCR pages (their part of the
        workers' busy time); a run of scans only is simply OCR pages over the run's seconds.
        """
        if not self.seconds:
            return 0.0
        share = self.ocr_worker_seconds / self.worker_seconds if self.worker_seconds else 1.0
        wall = self.seconds * min(1.0, share)
        return self.ocr_pages / wall if wall else 0.0

    def line(self) -> str:
        text = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"failed {len(self.failed)}"
        )
        if self.removed:
            text += f", removed {self.removed}"
        text += f"; {self.pages} pages in {self.seconds:.1f} s ({self.pages_per_second:.1f} pages/s)"
        if self.ocr_pages:
            text += f"; OCR {self.ocr_pages} pages ({self.ocr_pages_per_second:.2f} pages/s)"
        if self.reread:
            text += f"; {self.reread} scanned re-read with this batch's names"
        return text


@dataclass
class UploadOutcome:
    doc_id: str | None
    status: str  # "added", "unchanged" or "failed"
    error: str | None = None


class PathError(ValueError):
    """A path given on the command line does not exist or holds nothing to ingest."""


def discover_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders (recursively) into the PDF files to ingest, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INGESTIBLE_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise PathError(f"no such file or folder: {raw}")
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


@contextmanager
def open_library(settings: Settings) -> Iterator[tuple[RecordStore, DocumentIndex]]:
    """The store and index under `storage.index_dir`, with the index caught up with the store."""
    root = Path(settings["storage"]["index_dir"])
    store = RecordStore(root)
    try:
        index = DocumentIndex(root, settings)
        index.reconcile(store)
        yield store, index
    finally:
        store.close()


class _IndexBatch:
    """Collects changed ids and commits them to the index in atomic batches."""

    def __init__(
        self, store: RecordStore, index: DocumentIndex, size: int, max_seconds: float = 10.0
    ) -> None:
        self.store, self.index, self.size, self.max_seconds = store, index, max(1, size), max_seconds
        self.upserts: list[str] = []
        self.deletes: list[str] = []
        self.last = time.monotonic()

    def add(self, doc_id: str) -> None:
        self.upserts.append(doc_id)
        self._maybe_flush()

    def delete(self, doc_id: str) -> None:
        self.deletes.append(doc_id)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if (
            len(self.upserts) + len(self.deletes) >= self.size
            or time.monotonic() - self.last > self.max_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if self.upserts or self.deletes:
            upserts = set(self.upserts)
            deletes = [
                d for d in dict.fromkeys(self.deletes) if d not in upserts and not self.store.is_referenced(d)
            ]
            self.index.apply(self.store, self.upserts, deletes)
            # Records go only once the index no longer lists them, so that a search never returns a hit
            # whose document is already gone; a run killed in between leaves orphans for the next sweep.
            for doc_id in deletes:
                self.store.delete(doc_id)
        self.upserts, self.deletes = [], []
        self.last = time.monotonic()


def ingest_paths(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    workers: int | None = None,
    prune: bool = False,
    show_progress: bool = True,
) -> IngestSummary:
    """Ingest files and folders into the store and index; never raises for a bad file."""
    started = time.monotonic()
    files = discover_files(paths)
    summary = IngestSummary()
    with open_library(settings) as (store, index):
        batch = _IndexBatch(store, index, int(settings["index"]["batch_size"]))
        for doc_id in store.unreferenced_ids():
            batch.delete(doc_id)
        jobs: list[tuple[Path, str]] = []
        previous_ids: dict[Path, str | None] = {}
        for path in [f for f in files if is_jsonl(f)]:
            _import_jsonl(store, batch, path, settings, summary)
        for path in [f for f in files if not is_jsonl(f)]:
            status, doc_id = _classify(store, path)
            if status == "unchanged":
                summary.unchanged += 1
            elif status == "known":
                replaced = _point_source(store, path, doc_id)
                summary.unchanged += 1 if replaced is None else 0
                if replaced is not None:
                    summary.updated += 1
                    _forget_if_orphan(store, batch, replaced)
            else:
                entry = store.source(str(path))
                previous_ids[path] = entry.id if entry else None
                jobs.append((path, doc_id))

        bar = tqdm(total=len(jobs), unit="file", disable=not show_progress or not jobs, dynamic_ncols=True)
        page_counter = {"pages": 0}

        def on_page(_path: Path, _event: str, _n: int) -> None:
            page_counter["pages"] += 1
            bar.set_postfix(pages=page_counter["pages"], refresh=False)

        if jobs:
            # Loaded before the workers fork, so they share it: they cut each record's words while the
            # parent, which indexes serially, only looks the cuts up.
            jieba_tokenizer(settings.get("index", "userdict"))
        prepare = partial(precut_record, settings=settings)
        scans: list[tuple[Path, str]] = []
        text_layers = 0
        try:
            for outcome in run_files(jobs, settings, workers=workers, on_progress=on_page, prepare=prepare):
                _seed_cuts(outcome)
                _store_outcome(store, batch, outcome, previous_ids.get(outcome.path), summary)
                if outcome.record is not None and outcome.record.ocr_pages:
                    scans.append((outcome.path, outcome.record.id))
                elif outcome.record is not None:
                    text_layers += 1
                bar.update(1)
        finally:
            bar.close()
            batch.flush()
        if scans and text_layers:
            summary.reread = _reread_scans(store, batch, scans, settings, workers, prepare)
            batch.flush()
        if prune:
            summary.removed = _prune(store, batch)
            batch.flush()
    summary.seconds = time.monotonic() - started
    return summary


def _reread_scans(
    store: RecordStore, batch: _IndexBatch, scans: list[tuple[Path, str]], settings: Settings,
    workers: int | None, prepare: partial,
) -> int:
    """Read this batch's scanned files again now that its text-layer documents are in the store.

    OCR repairs an issuer's name and 发文字号 prefix from the names the store's text layers sign
    (`ingest.lexicon`); a scan read before its office's text PDFs misses them. The OCR itself
    comes from the cache, so a second reading costs the text extraction and the rules only.
    Returns how many records changed.
    """
    changed = 0
    for outcome in run_files(scans, settings, workers=workers, prepare=prepare):
        record = outcome.record
        stored = store.get(record.id) if record is not None else None
        if record is None or stored is None or _same_content(stored, record):
            continue
        _seed_cuts(outcome)
        record.source_path = stored.source_path
        store.put(record)
        batch.add(record.id)
        changed += 1
    return changed


def _seed_cuts(outcome: FileOutcome) -> None:
    extra = outcome.extra
    if isinstance(extra, dict) and extra.get("blocks"):
        seed_block_cuts(extra.get("userdict"), extra["blocks"])


def _classify(store: RecordStore, path: Path) -> tuple[str, str]:
    """ "unchanged" (same size and mtime as last time), "known" (content already stored) or "new"."""
    stat = path.stat()
    entry = store.source(str(path))
    if entry and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns and store.has(entry.id):
        return "unchanged", entry.id
    doc_id = sha256_file(path)
    if store.has(doc_id):
        if entry and entry.id == doc_id:
            store.set_source(str(path), doc_id, stat.st_size, stat.st_mtime_ns)
            return "unchanged", doc_id
        return "known", doc_id
    return "new", doc_id


def _point_source(store: RecordStore, path: Path, doc_id: str) -> str | None:
    stat = path.stat()
    return store.set_source(str(path), doc_id, stat.st_size, stat.st_mtime_ns)


def _forget_if_orphan(store: RecordStore, batch: _IndexBatch, doc_id: str) -> None:
    if not store.is_referenced(doc_id):
        batch.delete(doc_id)  # out of the index first, then out of the store (`_IndexBatch.flush`)


def _store_outcome(
    store: RecordStore, batch: _IndexBatch, outcome: FileOutcome, previous: str | None, summary: IngestSummary
) -> None:
    path = outcome.path
    summary.worker_seconds += outcome.seconds
    if outcome.record is None:
        reason = outcome.error or "unknown error"
        summary.failed.append((str(path), reason))
        store.record_failure(str(path), reason)
        return
    record = outcome.record
    store.put(record, original=path)
    replaced = _point_source(store, path, record.id)
    batch.add(record.id)
    summary.pages += record.page_count
    if record.ocr_pages:
        summary.ocr_pages += len(record.ocr_pages)
        summary.ocr_worker_seconds += outcome.seconds
    if previous is None:
        summary.added += 1
    else:
        summary.updated += 1
    if replaced is not None:
        _forget_if_orphan(store, batch, replaced)


def _import_jsonl(
    store: RecordStore, batch: _IndexBatch, path: Path, settings: Settings, summary: IngestSummary
) -> None:
    """Store every record of a JSON Lines file (ids as `ingest.jsonl` says); a bad line fails alone."""
    for line in read_jsonl(path, settings):
        if line.record is None:
            reason = line.error or "unusable line"
            summary.failed.append((line.where, reason))
            store.record_failure(line.where, reason)
            continue
        record = line.record
        existing = store.get(record.id)
        key = f"{JSONL_SOURCE_PREFIX}{line.where}"
        if existing is not None and _same_content(existing, record):
            replaced = store.set_source(key, record.id, record.size, 0)
            store.clear_failure(line.where)
            summary.unchanged += 1
        else:
            store.put(record)
            replaced = store.set_source(key, record.id, record.size, 0)
            batch.add(record.id)
            if existing is None and replaced is None:
                summary.added += 1
            else:
                summary.updated += 1
        if replaced is not None:
            _forget_if_orphan(store, batch, replaced)


def _same_content(a: DocumentRecord, b: DocumentRecord) -> bool:
    first, second = a.to_dict(), b.to_dict()
    for name in _PROVENANCE_FIELDS:
        first.pop(name, None)
        second.pop(name, None)
    return first == second


def _source_exists(key: str) -> bool:
    if key.startswith(UPLOAD_SOURCE_PREFIX):
        return True
    if key.startswith(JSONL_SOURCE_PREFIX):
        return Path(key[len(JSONL_SOURCE_PREFIX) :].rsplit(":", 1)[0]).exists()
    return Path(key).exists()


def _prune(store: RecordStore, batch: _IndexBatch) -> int:
    removed = 0
    for entry in store.sources():
        if _source_exists(entry.path):
            continue
        store.remove_source(entry.path)
        if not store.is_referenced(entry.id):
            batch.delete(entry.id)
            removed += 1
    return removed


def ingest_upload(path: Path, original_name: str, settings: Settings) -> UploadOutcome:
    """Ingest one uploaded file through the same pipeline; the upload is kept as the original."""
    with open_library(settings) as (store, index):
        doc_id = sha256_file(path)
        if store.has(doc_id):
            return UploadOutcome(doc_id, "unchanged")
        batch = _IndexBatch(store, index, 1)
        outcome = next(iter(run_files([(path, doc_id)], settings, workers=1)))
        if outcome.record is None:
            reason = outcome.error or "unknown error"
            store.record_failure(f"{UPLOAD_SOURCE_PREFIX}{original_name}", reason)
            return UploadOutcome(None, "failed", reason)
        record = outcome.record
        record.filename = original_name
        record.source_path = f"{UPLOAD_SOURCE_PREFIX}{original_name}"
        store.put(record, original=path)
        store.set_source(f"{UPLOAD_SOURCE_PREFIX}{doc_id}", doc_id, record.size, 0)
        batch.add(doc_id)
        batch.flush()
        return UploadOutcome(doc_id, "added")


def reindex(settings: Settings, show_progress: bool = True) -> int:
    """Rebuild the index from the store (no PDF is read); returns the number of documents indexed."""
    root = Path(settings["storage"]["index_dir"])
    with RecordStore(root) as store:
        DocumentIndex(root, settings).rebuild(store)
        return store.count()
