"""Bulk postings of one index snapshot: term → `{docnum: term frequency}` read block by block, and BM25
length norms per field, so query execution is set algebra in C instead of Whoosh's per-posting matchers.

A posting dict doubles as the term's document set (`dict.keys()` supports `&`, `|`, `-`). Dicts are kept
in a bounded LRU per snapshot (a new commit gives a new snapshot, so nothing is ever stale).
"""

from __future__ import annotations

import io
import itertools
import math
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import byte_to_length

from index.postingstore import SegmentPostingStore

Postings = dict[int, int]
_INT = struct.Struct("!i")  # a block's signed length, negative for the last block
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
    return _per_length(leaf, fieldname, _LENGTH_OF_BYTE)


def _per_length(leaf: IndexReader, fieldname: str, by_byte: list) -> list:
    """`by_byte[length byte]` of every document of a segment (its value for length 0 where none)."""
    count = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    try:
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # type: ignore[union-attr]
        if column is None:
            return [by_byte[0]] * count
        raw = column._dbfile.get(column._basepos, min(column._count, count))
    except AttributeError:  # another codec: ask document by document
        length = leaf.doc_field_length
        lookup = {_LENGTH_OF_BYTE[b]: by_byte[b] for b in range(256)}
        return [lookup.get(length(n, fieldname, 0) or 0, by_byte[0]) for n in range(count)]
    values = list(map(by_byte.__getitem__, raw))
    values.extend([by_byte[0]] * (count - len(values)))
    return values


def _read_extent(matcher: W3LeafMatcher) -> tuple[list[int], list[int]]:
    """Every (docnum, weight) of a Whoosh 3 posting list from one read of its whole extent.

    The blocks are parsed from the buffer (length, pickled info, zlib'd pickled data) as
    `W3LeafMatcher._goto`/`_read_data` would, without a file seek and three small reads per block, and
    the ids are un-delta'd with `itertools.accumulate`.
    """
    extent = matcher._length
    if isinstance(extent, tuple):  # whoosh3 3.54 keeps the unpacked struct tuple
        extent = extent[0]
    raw = matcher._postfile.get(matcher._startoffset, extent)
    stream = io.BytesIO(raw)
    position = len(WHOOSH3_HEADER_MAGIC)
    ids: list[int] = []
    weights: list[int] = []
    byteids = matcher._byteids
    while True:
        (length,) = _INT.unpack_from(raw, position)
        stream.seek(position + _INT.size)
        count, _maxid, _maxweight, compression, _mn, _mx = pickle.load(stream)
        end = position + _INT.size + abs(length)
        data = raw[stream.tell() : end]
        block_ids, block_weights, _values = pickle.loads(zlib.decompress(data) if compression else data)
        ids.extend(block_ids if byteids else itertools.accumulate(block_ids))
        if block_weights is None:
            weights.extend([1] * count)
        elif isinstance(block_weights, float):
            weights.extend([int(block_weights)] * count)
        else:
            weights.extend(map(int, block_weights))
        if length < 0:
            return ids, weights
        position = end


def _read_all(matcher: object) -> tuple[list[int], list[int]]:
    """Every (docnum, weight) of a leaf matcher, whole blocks at a time where the codec allows it."""
    ids: list[int] = []
    weights: list[int] = []
    if isinstance(matcher, W3LeafMatcher) and getattr(matcher, "_length", None):
        return _read_extent(matcher)
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


def _deleted_docs(leaf: IndexReader) -> set[int] | None:
    """A segment's deleted document numbers (None when it has none)."""
    if not leaf.has_deletions():
        return None
    return set(range(leaf.doc_count_all())).difference(leaf.all_doc_ids())


class SnapshotPostings:
    """Posting dicts and length norms over every segment of one reader, in global document numbers."""

    def __init__(
        self, reader: IndexReader, max_entries: int, k1: float = 1.2, b: float = 0.75,
        stores: list[SegmentPostingStore | None] | None = None, max_result_entries: int = 0,
    ) -> None:
        self.reader = reader
        self.leaves = leaves(reader)
        self.stores = stores if stores is not None else [None] * len(self.leaves)
        self._deleted = [_deleted_docs(leaf) for leaf, _offset in self.leaves]
        self.doc_count = max(1, reader.doc_count())
        self.max_entries = max_entries
        self.k1 = k1
        self.b = b
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._entries = 0
        self._norms: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        # Results of sub-queries (a word's fields OR-ed), by the executor's key: documents held, bounded.
        self.max_result_entries = max_result_entries
        self._results: OrderedDict[object, tuple[int, object]] = OrderedDict()
        self._result_entries = 0

    def recall(self, key: object) -> object | None:
        """A sub-query result `remember`ed on this snapshot, or None."""
        with self._lock:
            found = self._results.get(key)
            if found is None:
                return None
            self._results.move_to_end(key)
            return found[1]

    def remember(self, key: object, value: object, size: int) -> None:
        if size > self.max_result_entries:
            return
        with self._lock:
            if key in self._results:
                return
            self._results[key] = (size, value)
            self._result_entries += size
            while self._result_entries > self.max_result_entries and self._results:
                _key, (dropped, _value) = self._results.popitem(last=False)
                self._result_entries -= dropped

    def get(self, fieldname: str, text: str) -> Postings:
        """`{docnum: frequency}` of a term (deleted documents left out)."""
        key = (fieldname, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        out: Postings = {}
        for (leaf, offset), store, deleted in zip(self.leaves, self.stores, self._deleted, strict=True):
            ids, weights = self._segment_postings(leaf, store, fieldname, text)
            if not ids:
                continue
            part = dict(zip(ids, weights, strict=True))
            if deleted:
                for docnum in deleted.intersection(part):
                    del part[docnum]
            if offset:
                part = {docnum + offset: tf for docnum, tf in part.items()}
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

    @staticmethod
    def _segment_postings(
        leaf: IndexReader, store: SegmentPostingStore | None, fieldname: str, text: str
    ) -> tuple[Sequence[int], Sequence[int]]:
        """Segment-local (ids, frequencies) of a term, deleted documents included."""
        stored = store is not None and leaf.doc_frequency(fieldname, text) >= store.min_docs
        if stored:
            found = store.load(fieldname, text)  # type: ignore[union-attr]
            if found is not None:
                return found
        try:
            matcher = leaf.postings(fieldname, text)
        except TermNotFound:
            return (), ()
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child  # deletions are applied by the caller, the same for stored postings
        ids, weights = _read_all(matcher)
        if stored:
            store.save(fieldname, text, ids, weights)  # type: ignore[union-attr]
        return ids, weights

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
        # A length is one of 256 byte-encoded values: one norm per byte value, then a lookup per document.
        by_byte = [k1 * ((1 - b) + b * length / average) for length in _LENGTH_OF_BYTE]
        norms: list[float] = []
        for leaf, _offset in self.leaves:
            norms.extend(_per_length(leaf, fieldname, by_byte))
        self._norms[fieldname] = norms
        return norms
