"""Exact phrase checks against each document's folded title, body, metadata and issuers, so a bigram phrase
is verified with one C substring search per candidate instead of Whoosh's position matching.

A document's text becomes its *unit runs* (what the bigram field indexes: CJK runs and Latin/digit runs,
punctuation dropped) joined by `|`. A bigram phrase over those runs matches exactly where the query's
runs, joined the same way, are a substring: the first run may start inside a document run and the last
may end inside one, as the query form of `bigram_units` allows, and middle runs are whole.

The runs are UTF-8 (self-synchronising, so a byte search finds only whole characters) and live outside
the Python heap: in a side file per segment beside the segment (`gongwen-runs-<segment>.bin`, derived from
the stored fields at the first open, never needed to rebuild anything), read with `os.pread` for the
candidates only, except the fields that fit in `[index] phrase_text_memory_mb`, read into memory whole.
A reader that cannot write the folder keeps the same bytes in memory instead. The file also keeps each
document's folded clean text, so a snippet need not fold its document again.
"""

from __future__ import annotations

import bisect
import io
import json
import os
import re
import shutil
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from whoosh.reading import IndexReader

from index.analysis import RUNS
from index.normalize import CJK_CLASS, fold
from index.segcache import SegmentCache, remove_orphan_files, segment_ids

SEP = "|"
_CJK_ONLY = re.compile(rf"^[{CJK_CLASS}]+$")
# The stored fields whose folded runs are kept, by the bigram field they stand for.
TEXT_FIELDS = {"title_bg": "title", "content_bg": "text", "meta_bg": "meta", "issuer_bg": "issuers"}
# The folded clean text as a whole (for snippets: matches are found in it without folding it again).
FOLDED_TEXT = "folded:text"
# What a side file holds per document, in order.
PARTS = (*TEXT_FIELDS, FOLDED_TEXT)
# Fields an older index may not have stored: their documents get None (checked through positions).
OPTIONAL = frozenset({"meta_bg"})
# What a document whose OPTIONAL field was not stored holds (runs never contain a NUL).
_UNSTORED = b"\x00"
_MAGIC = b"GWRUNS4\n"
# Candidates checked between two looks at the clock.
_CHECK_EVERY = 256
SIDE_FILE = "gongwen-runs-{segment}.bin"  # never matches Whoosh's MAIN_<id>.<ext>, so commits keep it


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


class SegmentRuns:
    """The unit runs of one segment's documents, field by field, each field's documents in order.

    `offsets[field]` holds n + 1 positions (document i is `[offsets[i], offsets[i + 1])`) in the side file
    read through `fd`, or in `data` when the runs are kept in memory.
    """

    def __init__(self, offsets: dict[str, array], fd: int | None = None, data: bytes = b"") -> None:
        self.offsets = offsets
        self.resident: dict[str, bytes] = {}  # fields of the side file read into memory whole
        self.fd = fd
        self.data = data

    def find(
        self, fieldname: str, docs: list[int], target: bytes, chunk_bytes: int, stop: Callable[[], bool],
        counting: bool = True,
    ) -> tuple[dict[int, int], list[int]]:
        """`({docnum: occurrences of target}, [docnums not stored])` for sorted local `docs` (without
        `counting`, each found document gets 1 and `count` tells the occurrences later).

        Neighbouring candidates are read with one `pread` of up to `chunk_bytes` (or found in the field's
        resident bytes) and searched with `bytes.find` (C fast search), each match mapped to its document
        (one read for many candidates, one search per run of consecutive candidates, none over the documents
        between them). No match crosses two documents: each document's runs begin and end with the separator,
        and a needle never holds two separators in a row.
        """
        bounds = self.offsets[fieldname]
        found: dict[int, int] = {}
        unstored: list[int] = []
        gap = max(4096, chunk_bytes // 128)  # bytes of unwanted documents worth reading through
        i, total = 0, len(docs)
        while i < total:
            if i and stop():
                break
            start = bounds[docs[i]]
            j = i + 1
            while (j < total and bounds[docs[j] + 1] - start <= chunk_bytes
                   and bounds[docs[j]] - bounds[docs[j - 1] + 1] <= gap):
                j += 1
            end = bounds[docs[j - 1] + 1]
            held = self.resident.get(fieldname)
            if held is not None:
                buf, base = held, bounds[0]
            elif self.fd is not None:
                buf, base = os.pread(self.fd, end - start, start), start
            else:
                buf, base = self.data, 0
            k = i
            while k < j:
                # A run of consecutive candidates is searched as one stretch; the gaps are never scanned.
                m = k
                while m + 1 < j and docs[m + 1] == docs[m] + 1:
                    m += 1
                first, last = docs[k], docs[m] + 1
                hi = bounds[last] - base
                pos = buf.find(target, bounds[first] - base, hi)
                single = last - first == 1
                while pos >= 0:
                    d = first if single else bisect.bisect_right(bounds, pos + base, first, last) - 1
                    doc_end = bounds[d + 1] - base
                    found[d] = buf.count(target, pos, doc_end) if counting else 1
                    pos = buf.find(target, doc_end, hi)
                k = m + 1
            if fieldname in OPTIONAL:
                unstored.extend(d for d in docs[i:j] if bounds[d + 1] - bounds[d] == 1
                                and buf[bounds[d] - base] == 0)
            i = j
        return found, unstored

    def count(self, fieldname: str, docs: Iterable[int], target: bytes) -> dict[int, int]:
        """Occurrences of `target` in each of the local `docs`."""
        bounds = self.offsets[fieldname]
        held = self.resident.get(fieldname)
        out: dict[int, int] = {}
        for d in docs:
            start, end = bounds[d], bounds[d + 1]
            if held is not None:
                out[d] = held.count(target, start - bounds[0], end - bounds[0])
            elif self.fd is not None:
                out[d] = os.pread(self.fd, end - start, start).count(target)
            else:
                out[d] = self.data.count(target, start, end)
        return out

    def size(self, name: str) -> int:
        bounds = self.offsets[name]
        return bounds[-1] - bounds[0]

    def hold(self, name: str, keep: bool) -> None:
        """Read a field of the side file into memory whole (`keep`), or let it go back to `pread`."""
        if self.fd is None or keep == (name in self.resident):
            return
        if keep:
            bounds = self.offsets[name]
            self.resident[name] = os.pread(self.fd, bounds[-1] - bounds[0], bounds[0])
        else:
            del self.resident[name]

    def read(self, name: str, docnum: int) -> bytes:
        """One document's bytes of `name`."""
        bounds = self.offsets[name]
        start, end = bounds[docnum], bounds[docnum + 1]
        if self.fd is not None:
            return os.pread(self.fd, end - start, start)
        return self.data[start:end]

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def __del__(self) -> None:
        self.close()


class FieldRuns:
    """One bigram field's runs over a reader's global document numbers (segments side by side)."""

    def __init__(self, fieldname: str, parts: list[tuple[int, int, SegmentRuns]], chunk_bytes: int) -> None:
        self.fieldname = fieldname
        self.parts = parts  # (first global docnum, doc count, segment runs)
        self.chunk_bytes = chunk_bytes
        self._starts = [offset for offset, _count, _runs in parts]

    def find(
        self, docs: Iterable[int], target: str, stop: Callable[[], bool], counting: bool = True
    ) -> tuple[dict[int, int], set[int]]:
        """`({docnum: occurrences}, unstored docnums)` of the documents whose runs hold `target` (without
        `counting`, 1 for each: `count` gives the occurrences of the documents that need them)."""
        ordered = sorted(docs)
        found: dict[int, int] = {}
        unstored: set[int] = set()
        encoded = target.encode("utf-8")
        for offset, count, runs in self.parts:
            lo = bisect.bisect_left(ordered, offset)
            hi = bisect.bisect_left(ordered, offset + count)
            if lo == hi:
                continue
            local = [d - offset for d in ordered[lo:hi]]
            hits, missing = runs.find(self.fieldname, local, encoded, self.chunk_bytes, stop, counting)
            found.update({d + offset: n for d, n in hits.items()})
            unstored.update(d + offset for d in missing)
        return found, unstored

    def count(self, docs: Iterable[int], target: str) -> dict[int, int]:
        """`{docnum: occurrences of target}` for documents known to hold it."""
        encoded = target.encode("utf-8")
        out: dict[int, int] = {}
        for d in docs:
            part = bisect.bisect_right(self._starts, d) - 1
            offset, _count, runs = self.parts[part]
            out[d] = runs.count(self.fieldname, [d - offset], encoded)[d - offset]
        return out

    def text(self, docnum: int) -> str | None:
        """One document's whole value (the folded clean text for `FOLDED_TEXT`)."""
        part = bisect.bisect_right(self._starts, docnum) - 1
        if part < 0:
            return None
        offset, count, runs = self.parts[part]
        if docnum >= offset + count:
            return None
        return runs.read(self.fieldname, docnum - offset).decode("utf-8")


def _derive(leaf: IndexReader, t2s: bool, spools: dict[str, IO[bytes]]) -> dict[str, array]:
    """Every document's runs of a segment written field by field into `spools`; their offsets per field."""
    count = leaf.doc_count_all()
    offsets = {name: array("q", [0]) for name in PARTS}

    def put(name: str, encoded: bytes) -> None:
        spools[name].write(encoded)
        offsets[name].append(offsets[name][-1] + len(encoded))

    for docnum in range(count):
        deleted = leaf.is_deleted(docnum)
        stored = leaf.stored_fields(docnum) if not deleted else {}
        for name, source in TEXT_FIELDS.items():
            value = stored.get(source)
            if value is None and name in OPTIONAL and not deleted:
                put(name, _UNSTORED)
                continue
            if isinstance(value, list):
                value = "\n".join(value)  # issuers, indexed one per line
            folded = fold(value or "", t2s)
            put(name, unit_runs(folded).encode("utf-8"))
            if source == "text":
                put(FOLDED_TEXT, folded.encode("utf-8"))
    return offsets


def _assemble(
    out: IO[bytes], spools: dict[str, IO[bytes]], offsets: dict[str, array], header: dict
) -> dict[str, array]:
    """Magic, each field's runs, the offset arrays, a JSON header and its position; the absolute offsets."""
    out.write(_MAGIC)
    absolute: dict[str, array] = {}
    for name in PARTS:
        base = out.tell()
        spools[name].seek(0)
        shutil.copyfileobj(spools[name], out)
        absolute[name] = array("q", (base + o for o in offsets[name]))
    header = dict(header, fields={})
    for name, values in absolute.items():
        header["fields"][name] = [out.tell(), len(values)]
        out.write(values.tobytes())
    where = out.tell()
    out.write(json.dumps(header).encode("utf-8"))
    out.write(where.to_bytes(8, "little"))
    return absolute


def _write(path: Path, leaf: IndexReader, t2s: bool, header: dict) -> None:
    """Derive the side file into a temp file beside it, then rename it into place."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        spools = {name: tempfile.TemporaryFile(dir=path.parent) for name in PARTS}
        try:
            offsets = _derive(leaf, t2s, spools)
            with temp.open("wb") as handle:
                _assemble(handle, spools, offsets, header)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            for spool in spools.values():
                spool.close()
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _in_memory(leaf: IndexReader, t2s: bool, header: dict) -> SegmentRuns:
    spools: dict[str, IO[bytes]] = {name: io.BytesIO() for name in PARTS}
    offsets = _derive(leaf, t2s, spools)
    out = io.BytesIO()
    absolute = _assemble(out, spools, offsets, header)
    return SegmentRuns(absolute, data=out.getvalue())


def _open(path: Path, header: dict) -> SegmentRuns | None:
    """The side file's runs if it exists and was derived the same way, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if size < len(_MAGIC) + 8 or os.pread(fd, len(_MAGIC), 0) != _MAGIC:
            raise ValueError("not a runs file")
        where = int.from_bytes(os.pread(fd, 8, size - 8), "little")
        found = json.loads(os.pread(fd, size - 8 - where, where))
        if any(found.get(k) != v for k, v in header.items()):
            raise ValueError("derived differently")
        offsets: dict[str, array] = {}
        for name in PARTS:
            start, length = found["fields"][name]
            values = array("q")
            values.frombytes(os.pread(fd, length * values.itemsize, start))
            offsets[name] = values
        return SegmentRuns(offsets, fd=fd)
    except (ValueError, KeyError, TypeError, OSError):
        os.close(fd)
        return None


class PhraseTexts:
    """Unit runs of every document of a reader, one side file (or buffer) per segment, reused while the
    segment lives."""

    def __init__(
        self, t2s: bool, use_files: bool = True, chunk_bytes: int = 1 << 20, memory_bytes: int = 0
    ) -> None:
        self.t2s = t2s
        self.use_files = use_files
        self.chunk_bytes = chunk_bytes
        self.memory_bytes = memory_bytes
        self._segments: SegmentCache[SegmentRuns] = SegmentCache()

    def table(self, reader: IndexReader, folder: Path | None = None) -> dict[str, FieldRuns]:
        """`{bigram field: runs by global document number}` (a document's runs are None when its text
        was not stored: check it another way), and the folded clean texts under `FOLDED_TEXT`."""
        parts = self._segments.per_segment(reader, lambda leaf: self._load(leaf, folder))
        if folder is not None and self.use_files:
            remove_orphan_files(folder, SIDE_FILE.split("{segment}")[0], segment_ids(parts))
        # Smallest fields first, oldest segments first, into memory while the budget lasts.
        used = 0
        for _leaf, _offset, runs in parts:
            for name in sorted(TEXT_FIELDS, key=runs.size):
                keep = used + runs.size(name) <= self.memory_bytes
                used += runs.size(name) if keep else 0
                runs.hold(name, keep)
        return {
            name: FieldRuns(
                name, [(offset, leaf.doc_count_all(), runs) for leaf, offset, runs in parts], self.chunk_bytes
            )
            for name in PARTS
        }

    def _load(self, leaf: IndexReader, folder: Path | None) -> SegmentRuns:
        segment = leaf.segment()
        header = {"version": 4, "docs": leaf.doc_count_all(), "t2s": self.t2s,
                  "segment": segment.segment_id() if segment is not None else None}
        path = folder / SIDE_FILE.format(segment=header["segment"]) if folder and segment else None
        if path is not None and self.use_files:
            found = _open(path, header)
            if found is not None:
                return found
            try:
                _write(path, leaf, self.t2s, header)
            except OSError:
                pass  # a reader without write permission: keep the runs in memory
            else:
                found = _open(path, header)
                if found is not None:
                    return found
        return _in_memory(leaf, self.t2s, header)
