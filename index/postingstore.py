"""Decoded long posting lists kept beside their segment, so a common term is decoded from Whoosh's blocks
(an unpickle per 128 postings) once per segment, not once per process and snapshot.

Each segment gets a small SQLite file (`gongwen-postings-<segment>.sqlite3`) holding the segment-local
document numbers and frequencies of its terms with many postings, as raw arrays. It is a derived cache:
written lazily by whichever reader decodes a term first, never needed to rebuild anything, ignored (and
left alone) when the folder is not writable or the file cannot be read.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from pathlib import Path

STORE_FILE = "gongwen-postings-{segment}.sqlite3"  # never matches Whoosh's MAIN_<id>.<ext>
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS postings (field TEXT NOT NULL, term TEXT NOT NULL, ids BLOB NOT NULL, "
    "freq_type TEXT NOT NULL, freqs BLOB NOT NULL, PRIMARY KEY (field, term)) WITHOUT ROWID"
)

_SELECT = "SELECT ids, freq_type, freqs FROM postings WHERE field = ? AND term = ?"


class SegmentPostingStore:
    """`load`/`save` of one segment's decoded postings; every failure turns the store off, quietly."""

    def __init__(self, path: Path | None, min_docs: int) -> None:
        self.min_docs = min_docs
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is None:
            return
        try:
            db = sqlite3.connect(path, timeout=1.0, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a lost write only means decoding that term again
            db.execute(_SCHEMA)
        except sqlite3.Error:
            return
        self._db = db

    def load(self, fieldname: str, text: str) -> tuple[array, array] | None:
        """The stored (ids, frequencies) of a term, or None when it was never stored."""
        if self._db is None:
            return None
        try:
            with self._lock:
                row = self._db.execute(_SELECT, (fieldname, text)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        ids, freqs = array("I"), array(row[1])
        ids.frombytes(row[0])
        freqs.frombytes(row[2])
        return ids, freqs

    def save(self, fieldname: str, text: str, ids: list[int], freqs: list[int]) -> None:
        if self._db is None or len(ids) < self.min_docs:
            return
        freq_type = "H" if max(freqs, default=0) < 1 << 16 else "I"
        try:
            blob_ids = array("I", ids).tobytes()
            blob_freqs = array(freq_type, freqs).tobytes()
            with self._lock:
                self._db.execute(
                    "INSERT OR IGNORE INTO postings VALUES (?, ?, ?, ?, ?)",
                    (fieldname, text, blob_ids, freq_type, blob_freqs),
                )
        except OverflowError:
            return
        except sqlite3.Error as exc:
            if "locked" not in str(exc):
                self.close()  # a read-only folder or a full disk: decode as before, without trying again

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error:
                    pass
                self._db = None

    def __del__(self) -> None:
        self.close()
