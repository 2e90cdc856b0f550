"""Per-segment values reused across snapshots: a segment never changes once written (only its deletions
do), so a refresh after a small commit derives values for the new segment only."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from whoosh.reading import IndexReader

from index.postings import leaves

V = TypeVar("V")


class SegmentCache(Generic[V]):
    """Values derived from each segment of the readers it is shown, dropped when a segment disappears."""

    def __init__(self) -> None:
        self._values: dict[str, V] = {}
        self._lock = threading.Lock()

    def per_segment(
        self, reader: IndexReader, derive: Callable[[IndexReader], V]
    ) -> list[tuple[IndexReader, int, V]]:
        """`(segment reader, first global docnum, value)` for every segment of `reader`, in order."""
        out: list[tuple[IndexReader, int, V]] = []
        seen: set[str] = set()
        for leaf, offset in leaves(reader):
            segment = leaf.segment()
            key = f"{segment.segment_id()}" if segment is not None else f"anon-{id(leaf)}"
            seen.add(key)
            with self._lock:
                value = self._values.get(key)
            if value is None:
                value = derive(leaf)
                with self._lock:
                    self._values[key] = value
            out.append((leaf, offset, value))
        with self._lock:
            for key in set(self._values) - seen:
                del self._values[key]
        return out


def remove_orphan_files(folder: Path, prefix: str, segments: set[str]) -> None:
    """Delete the side files `<prefix><segment>.*` of segments merged away (a process still reading one
    keeps its open file; a read-only folder keeps them all)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name[len(prefix) :].split(".", 1)[0] not in segments:
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def segment_ids(parts: Sequence[tuple[IndexReader, int, object]]) -> set[str]:
    """The segment ids of `SegmentCache.per_segment`'s answer."""
    segments = (leaf.segment() for leaf, _offset, _value in parts)
    return {segment.segment_id() for segment in segments if segment is not None}
