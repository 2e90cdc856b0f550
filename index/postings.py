"""Bulk postings of one index snapshot: term → `{docnum: term frequency}` read block by block, and BM25
length norms per field, so query execution is set algebra in C instead of Whoosh's per-posting matchers.

A posting dict doubles as the term's document set (`dict.keys()` supports `&`, `|`, `-`). Dicts are kept
in a bounded LRU per snapshot (a new commit gives a new snapshot, so nothing is ever stale).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import byte_to_length

Postings = dict[int, int]
_EMPTY: Postings = {}
# A length byte → the field length it encodes (byte 0, or no byte, is length 0 as `doc_field_length` has it).
_LENGTH_OF_BYTE = [byte_to_length(b) if b else 0 for b in range(256)]


def leaves(reader: IndexReader) -> list[tuple[IndexReader, int]]:
    """The segment readers of `reader` with the offset of their first global document number."""
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())


def field_lengths(leaf: IndexReader, fieldname: str) -> list[int]:
    """Every document's length of `fieldname` in one segment: one slice of its length column, not a
    column lookup per document (120k Python calls on the first query of a 20k snapshot)."""
    count = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    try:
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # type: ignore[union-attr]
        if column is None:
            return [0] * count
        raw = column._dbfile.get(column._basepos, min(column._count, count))
    except AttributeError:  # another codec: ask document by document
        length = leaf.doc_field_length
        return [length(n, fieldname, 0) or 0 for n in range(count)]
    lengths = [_LENGTH_OF_BYTE[b] for b in raw]
    lengths.extend([0] * (count - len(lengths)))
    return lengths


def _read_all(matcher: object) -> tuple[list[int], list[int]]:
    """Every (docnum, weight) of a leaf matcher, whole blocks at a time where the codec allows it."""
    ids: list[int] = []
    weights: list[int] = []
    if isinstance(matcher, W3LeafMatcher):
        # One unpickle per block of postings instead of three method calls per posting.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(map(int, matcher._weights))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return ids, weights
    while matcher.is_active():  # inlined short posting lists (ListMatcher)
        ids.append(matcher.id())
        weights.append(int(matcher.weight()))
        matcher.next()
    return ids, weights


class SnapshotPostings:
    """Posting dicts and length norms over every segment of one reader, in global document numbers."""

    def __init__(self, reader: IndexReader, max_entries: int, k1: float = 1.2, b: float = 0.75) -> None:
        self.reader = reader
        self.leaves = leaves(reader)
        self.doc_count = max(1, reader.doc_count())
        self.max_entries = max_entries
        self.k1 = k1
        self.b = b
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._entries = 0
        self._norms: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def get(self, fieldname: str, text: str) -> Postings:
        """`{docnum: frequency}` of a term (deleted documents left out)."""
        key = (fieldname, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        out: Postings = {}
        for leaf, offset in self.leaves:
            try:
                matcher = leaf.postings(fieldname, text)
            except TermNotFound:
                continue
            deleted = None
            if isinstance(matcher, FilterMatcher):
                deleted = matcher._ids
                matcher = matcher.child
            ids, weights = _read_all(matcher)
            if offset:
                ids = [i + offset for i in ids]
                if deleted:
                    deleted = {i + offset for i in deleted}
            part = dict(zip(ids, weights, strict=True))
            if deleted:
                for docnum in deleted.intersection(part):
                    del part[docnum]
            out.update(part)
        if not out:
            out = _EMPTY
        with self._lock:
            self._cache[key] = out
            self._entries += len(out)
            while self._entries > self.max_entries and len(self._cache) > 1:
                _key, dropped = self._cache.popitem(last=False)
                self._entries -= len(dropped)
        return out

    def peek(self, fieldname: str, text: str) -> Postings | None:
        """The term's posting dict if it is already in memory (free to use), else None."""
        with self._lock:
            return self._cache.get((fieldname, text))

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Documents holding the term (deleted ones included), from the term index without its postings."""
        found = self.peek(fieldname, text)
        if found is not None:
            return len(found)
        try:
            return self.reader.doc_frequency(fieldname, text)
        except TermNotFound:
            return 0

    def expand_prefix(self, fieldname: str, prefix: str) -> Iterable[str]:
        for raw in self.reader.expand_prefix(fieldname, prefix):
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw

    def idf(self, doc_frequency: int) -> float:
        """Whoosh's BM25 idf: log(N / (df + 1)) + 1."""
        return math.log(self.doc_count / (doc_frequency + 1)) + 1.0

    def norms(self, fieldname: str) -> list[float]:
        """Per document `k1 * ((1 - b) + b * length / average length)` of a field (BM25's denominator)."""
        found = self._norms.get(fieldname)
        if found is not None:
            return found
        total = self.reader.field_length(fieldname)
        average = total / self.doc_count if total else 1.0
        k1, b = self.k1, self.b
        norms: list[float] = []
        for leaf, _offset in self.leaves:
            norms.extend(k1 * ((1 - b) + b * length / average) for length in field_lengths(leaf, fieldname))
        self._norms[fieldname] = norms
        return norms
