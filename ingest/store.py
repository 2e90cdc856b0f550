"""The record store: an embedded SQLite database of extraction results plus copies of the originals.

Everything gongwen knows about a document lives here, keyed by the SHA-256 of its bytes; the Whoosh
index is derived from it and can always be rebuilt from it (`gongwen reindex`) without reading PDFs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.record import DocumentRecord

TEMP_PREFIX = ".tmp-"
# A copy in progress is seconds old (files are at most [ingest] max_file_mb); a temporary file this old
# was left by a process killed mid-copy and is removed when a store is opened.
STALE_TEMP_AGE_S = 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    revision INTEGER NOT NULL,
    ingested_at REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_by_id ON sources(id);
CREATE TABLE IF NOT EXISTS failures (
    path TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ocr_cache (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    confidence REAL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SourceEntry:
    """Where a stored document was ingested from, and the file's size and mtime then."""

    path: str
    id: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str
    failed_at: float


class RecordStore:
    """SQLite store of `DocumentRecord`s and original files under one folder.

    Every write is its own transaction, so a process killed at any moment leaves each document either
    fully stored or absent. WAL mode lets the web server read while an ingest writes.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.originals_dir = self.root / "originals"
        self.originals_dir.mkdir(exist_ok=True)
        self.db_path = self.root / "records.sqlite3"
        self._conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._remove_stale_temporaries()

    def _remove_stale_temporaries(self) -> None:
        cutoff = time.time() - STALE_TEMP_AGE_S
        for leftover in self.originals_dir.glob(TEMP_PREFIX + "*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
            except OSError:  # gone already, or a read-only store: harmless either way
                pass

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # --- documents -------------------------------------------------------------------------------

    def put(self, record: DocumentRecord, original: str | os.PathLike[str] | None = None) -> int:
        """Store (or replace) a record and a copy of its original; returns the new revision number."""
        if original is not None:
            self._copy_original(Path(original), record.id)
        with self._transaction() as conn:
            revision = self._next_revision(conn)
            conn.execute(
                "INSERT OR REPLACE INTO documents (id, filename, revision, ingested_at, record)"
                " VALUES (?, ?, ?, ?, ?)",
                (record.id, record.filename, revision, time.time(), record.to_json()),
            )
            if record.source_path:
                conn.execute("DELETE FROM failures WHERE path = ?", (record.source_path,))
        return revision

    def _next_revision(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        revision = int(row[0]) + 1 if row else 1
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('revision', ?)", (str(revision),))
        return revision

    def _copy_original(self, source: Path, doc_id: str) -> None:
        target = self.original_path(doc_id)
        if target.exists():
            return
        # Copy to a temporary name first so a crash never leaves a half-written original.
        fd, tmp = tempfile.mkstemp(dir=self.originals_dir, prefix=TEMP_PREFIX)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def original_path(self, doc_id: str) -> Path:
        if not is_document_id(doc_id):
            raise ValueError(f"not a document id: {doc_id!r}")
        return self.originals_dir / f"{doc_id}.pdf"

    def get(self, doc_id: str) -> DocumentRecord | None:
        row = self._conn.execute("SELECT record FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return DocumentRecord.from_json(row[0]) if row else None

    def has(self, doc_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

    def revisions(self) -> dict[str, int]:
        """`{id: revision}` of every stored document (what the index is synchronised against)."""
        return dict(self._conn.execute("SELECT id, revision FROM documents"))

    def iter_records(self, ids: list[str] | None = None) -> Iterator[tuple[DocumentRecord, int]]:
        """Yield `(record, revision)` for all documents, or for the given ids."""
        if ids is None:
            rows = self._conn.execute("SELECT record, revision FROM documents ORDER BY id").fetchall()
            for text, revision in rows:
                yield DocumentRecord.from_json(text), revision
            return
        for doc_id in ids:
            row = self._conn.execute(
                "SELECT record, revision FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            if row:
                yield DocumentRecord.from_json(row[0]), row[1]

    def count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def delete(self, doc_id: str) -> None:
        """Forget a document, its source entries and its original."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            conn.execute("DELETE FROM sources WHERE id = ?", (doc_id,))
        path = self.original_path(doc_id)
        if path.exists():
            path.unlink()

    # --- sources: which file on disk produced which document ---------------------------------------

    def source(self, path: str) -> SourceEntry | None:
        row = self._conn.execute(
            "SELECT path, id, size, mtime_ns FROM sources WHERE path = ?", (path,)
        ).fetchone()
        return SourceEntry(*row) if row else None

    def sources(self) -> list[SourceEntry]:
        return [
            SourceEntry(*row) for row in self._conn.execute("SELECT path, id, size, mtime_ns FROM sources")
        ]

    def set_source(self, path: str, doc_id: str, size: int, mtime_ns: int) -> str | None:
        """Record that `path` now holds `doc_id`; returns the id it held before if that differs."""
        with self._transaction() as conn:
            row = conn.execute("SELECT id FROM sources WHERE path = ?", (path,)).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO sources (path, id, size, mtime_ns) VALUES (?, ?, ?, ?)",
                (path, doc_id, size, mtime_ns),
            )
        previous = row[0] if row else None
        return previous if previous != doc_id else None

    def remove_source(self, path: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sources WHERE path = ?", (path,))

    def is_referenced(self, doc_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM sources WHERE id = ?", (doc_id,)).fetchone() is not None

    def unreferenced_ids(self) -> list[str]:
        """Documents no source points at any more (replaced or pruned, left by a run that was killed)."""
        rows = self._conn.execute("SELECT id FROM documents WHERE id NOT IN (SELECT id FROM sources)")
        return [row[0] for row in rows]

    # --- failures ---------------------------------------------------------------------------------

    def record_failure(self, path: str, reason: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO failures (path, reason, failed_at) VALUES (?, ?, ?)",
                (path, reason, time.time()),
            )

    def clear_failure(self, path: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM failures WHERE path = ?", (path,))

    def failures(self) -> list[Failure]:
        rows = self._conn.execute("SELECT path, reason, failed_at FROM failures ORDER BY failed_at DESC")
        return [Failure(*row) for row in rows]

    # --- OCR cache --------------------------------------------------------------------------------

    def cached_ocr(self, key: str) -> tuple[str, float | None] | None:
        row = self._conn.execute("SELECT text, confidence FROM ocr_cache WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def cache_ocr(self, key: str, text: str, confidence: float | None) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO ocr_cache (key, text, confidence) VALUES (?, ?, ?)",
                (key, text, confidence),
            )


def is_document_id(value: str) -> bool:
    """A document id is exactly 64 lowercase hex digits (a SHA-256); nothing else reaches the disk."""
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
