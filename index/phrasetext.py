"""Exact phrase checks against each document's folded title and body held in memory, so a bigram phrase
is verified with one C substring search per candidate instead of Whoosh's position matching.

A document's text becomes its *unit runs* (what the bigram field indexes: CJK runs and Latin/digit runs,
punctuation dropped) joined by `|`. A bigram phrase over those runs matches exactly where the query's
runs, joined the same way, are a substring: the first run may start inside a document run and the last
may end inside one, as the query form of `bigram_units` allows, and middle runs are whole.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from whoosh.reading import IndexReader

from index.analysis import RUNS
from index.normalize import CJK_CLASS, fold
from index.postings import leaves

SEP = "|"
_CJK_ONLY = re.compile(rf"^[{CJK_CLASS}]+$")
# The stored fields whose folded runs are kept, by the bigram field they stand for.
TEXT_FIELDS = {"title_bg": "title", "content_bg": "text", "meta_bg": "meta", "issuer_bg": "issuers"}
# Fields an older index may not have stored: their documents get None (checked through positions).
OPTIONAL = frozenset({"meta_bg"})


def unit_runs(folded: str) -> str:
    """`|run|run|…|` of a folded text."""
    return SEP + SEP.join(m.group(0) for m in RUNS.finditer(folded)) + SEP


def needle(folded_query: str, closed_end: bool = False) -> str | None:
    """What a document's runs must contain for the query's bigram phrase to match (None for a lone
    character, which is a prefix query). A Latin/digit edge run must be a whole document unit, so it gets
    its separator; `closed_end` asks the same of a Chinese last run (a phrase cut before digits).
    """
    runs = [m.group(0) for m in RUNS.finditer(folded_query)]
    if not runs or (len(runs) == 1 and len(runs[0]) < 2 and _CJK_ONLY.match(runs[0])):
        return None
    start = "" if _CJK_ONLY.match(runs[0]) else SEP
    end = SEP if closed_end or not _CJK_ONLY.match(runs[-1]) else ""
    return start + SEP.join(runs) + end


@dataclass
class _SegmentTexts:
    runs: dict[str, list[str | None]]


class PhraseTexts:
    """Unit runs of the title and body of every document of a reader, reusing unchanged segments."""

    def __init__(self, t2s: bool) -> None:
        self.t2s = t2s
        self._segments: dict[str, _SegmentTexts] = {}
        self._lock = threading.Lock()

    def table(self, reader: IndexReader) -> dict[str, list[str | None]]:
        """`{bigram field: [runs of document n]}` for the reader's global document numbers (None: this
        document's text was not stored, check it another way)."""
        out: dict[str, list[str | None]] = {name: [] for name in TEXT_FIELDS}
        seen: set[str] = set()
        for leaf, _offset in leaves(reader):
            segment = leaf.segment()
            key = f"{segment.segment_id()}" if segment is not None else f"anon-{id(leaf)}"
            seen.add(key)
            with self._lock:
                values = self._segments.get(key)
            if values is None:
                values = self._read(leaf)
                with self._lock:
                    self._segments[key] = values
            for name in TEXT_FIELDS:
                out[name].extend(values.runs[name])
        with self._lock:
            for key in set(self._segments) - seen:
                del self._segments[key]
        return out

    def _read(self, leaf: IndexReader) -> _SegmentTexts:
        runs: dict[str, list[str | None]] = {name: [] for name in TEXT_FIELDS}
        t2s = self.t2s
        for docnum in range(leaf.doc_count_all()):
            deleted = leaf.is_deleted(docnum)
            stored = leaf.stored_fields(docnum) if not deleted else {}
            for name, source in TEXT_FIELDS.items():
                value = stored.get(source)
                if value is None and name in OPTIONAL and not deleted:
                    runs[name].append(None)
                    continue
                if isinstance(value, list):
                    value = "\n".join(value)  # issuers, indexed one per line
                runs[name].append(unit_runs(fold(value or "", t2s)))
        return _SegmentTexts(runs)
