"""Per-document facet values held in memory, for filters, facet counts and date sorting without scoring.

Values come from the index's sortable columns, read once per segment (segments never change once written,
only their deletions do), so a refresh after a small commit reads only the new segment. Counting a result
set is then a `Counter` over list lookups, which stays in C: a few milliseconds for 100k matches.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh.reading import IndexReader

from index.results import FacetCount
from index.schema import MULTI_SEP, category_class
from index.segcache import SegmentCache


@dataclass
class _SegmentValues:
    issuer: list[str]
    extra_issuers: dict[int, tuple[str, ...]]  # local docnum → issuers after the first (joint documents)
    year: list[int | None]
    category: list[str]
    doc_type: list[str]
    date: list[str]


def _read_segment(reader: IndexReader) -> _SegmentValues:
    count = reader.doc_count_all()

    def column(name: str) -> list:
        if count == 0 or not reader.has_column(name):
            return [None] * count
        return list(reader.column_reader(name))

    issuers_joined = column("issuer_list")
    issuer: list[str] = []
    extra: dict[int, tuple[str, ...]] = {}
    for docnum, joined in enumerate(issuers_joined):
        values = [v for v in (joined or "").split(MULTI_SEP) if v]
        issuer.append(values[0] if values else "")
        if len(values) > 1:
            extra[docnum] = tuple(dict.fromkeys(values[1:]))
    years = [y or None for y in column("year")]
    return _SegmentValues(
        issuer=issuer,
        extra_issuers=extra,
        year=years,
        category=[c or "" for c in column("category")],
        doc_type=[d or "" for d in column("doc_type")],
        date=[d or "" for d in column("date")],
    )


@dataclass
class FacetTable:
    """Facet values of every document number of one reader (deleted documents included, never counted)."""

    issuer: list[str] = field(default_factory=list)
    extra_issuers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    year: list[int | None] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    category_class: list[str] = field(default_factory=list)
    doc_type: list[str] = field(default_factory=list)
    date: list[str] = field(default_factory=list)
    live: frozenset[int] = frozenset()
    _filter_cache: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- filters ------------------------------------------------------------------------------------

    def docs_with(self, facet: str, value: str) -> frozenset[int]:
        """Live document numbers whose `facet` equals `value` (issuer: any of the joint issuers)."""
        key = (facet, value)
        cached = self._filter_cache.get(key)
        if cached is not None:
            return cached
        if facet == "issuer":
            found = {n for n, v in enumerate(self.issuer) if v == value}
            found.update(n for n, others in self.extra_issuers.items() if value in others)
        elif facet == "category":
            values = self.category_class if len(value) == 1 else self.category
            found = {n for n, v in enumerate(values) if v == value}
        elif facet == "doc_type":
            found = {n for n, v in enumerate(self.doc_type) if v == value}
        else:
            raise KeyError(facet)
        result = frozenset(found) & self.live
        with self._lock:
            if len(self._filter_cache) > 256:
                self._filter_cache.clear()
            self._filter_cache[key] = result
        return result

    def docs_in_years(self, first: int, last: int) -> frozenset[int]:
        key = ("year", f"{first}..{last}")
        cached = self._filter_cache.get(key)
        if cached is not None:
            return cached
        result = frozenset(n for n, y in enumerate(self.year) if y is not None and first <= y <= last)
        result &= self.live
        with self._lock:
            self._filter_cache[key] = result
        return result

    # --- counting -----------------------------------------------------------------------------------

    def count(self, docs: Iterable[int], limit: int = 100) -> dict[str, list[FacetCount]]:
        """Facet counts over a result set (a collection of live document numbers)."""
        docs = docs if isinstance(docs, (list, tuple)) else list(docs)
        issuer = Counter(map(self.issuer.__getitem__, docs))
        if self.extra_issuers:
            matched = docs if isinstance(docs, (set, frozenset)) else set(docs)
            for n in matched.intersection(self.extra_issuers):
                issuer.update(self.extra_issuers[n])
        years = Counter(map(self.year.__getitem__, docs))
        classes = Counter(map(self.category_class.__getitem__, docs))
        doc_types = Counter(map(self.doc_type.__getitem__, docs))
        return {
            "issuer": _by_count(issuer, limit),
            "year": sorted(
                (FacetCount(str(y), c) for y, c in years.items() if y is not None),
                key=lambda f: f.value,
                reverse=True,
            )[:limit],
            "category": sorted((FacetCount(v, c) for v, c in classes.items() if v), key=lambda f: f.value)[
                :limit
            ],
            "doc_type": _by_count(doc_types, limit),
        }

    def newest_first(self, docs: Iterable[int]) -> list[int]:
        date = self.date
        return sorted(docs, key=lambda n: (date[n], -n), reverse=True)


def _by_count(counter: Counter, limit: int) -> list[FacetCount]:
    items = [(v, c) for v, c in counter.items() if v]
    items.sort(key=lambda item: (-item[1], item[0]))
    return [FacetCount(v, c) for v, c in items[:limit]]


class FacetCache:
    """Builds `FacetTable`s for readers, reusing the values of segments it has already read."""

    def __init__(self) -> None:
        self._segments: SegmentCache[_SegmentValues] = SegmentCache()

    def table(self, reader: IndexReader) -> FacetTable:
        table = FacetTable()
        for _leaf, offset, values in self._segments.per_segment(reader, _read_segment):
            table.issuer.extend(values.issuer)
            table.extra_issuers.update({offset + n: v for n, v in values.extra_issuers.items()})
            table.year.extend(values.year)
            table.category.extend(values.category)
            table.doc_type.extend(values.doc_type)
            table.date.extend(values.date)
        table.category_class = [category_class(c) or "" for c in table.category]
        table.live = frozenset(reader.all_doc_ids())
        return table
