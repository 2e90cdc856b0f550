"""The shapes `index/` answers in: a search request, hits, facet counts and a page of results.

`webapp/` turns these into JSON (`to_dict`) and HTML; the field names are the public JSON API's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

FACET_FIELDS = ("issuer", "year", "category", "doc_type")
SORTS = ("relevance", "date")


class QueryError(ValueError):
    """A request parameter is unusable; `param` names it (e.g. "q", "year", "per_page")."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass
class SearchRequest:
    q: str = ""
    issuer: str | None = None  # matches any of a joint document's issuers
    year: str | None = None  # "2024" or a range "2020..2023"
    category: str | None = None  # "A" matches A, A1, A2 …; "A1" only A1
    doc_type: str | None = None
    sort: str = "relevance"  # or "date" (newest first); an empty q always sorts by date
    page: int = 1
    per_page: int = 10
    highlight: bool = True


@dataclass
class Hit:
    id: str
    title: str | None
    doc_number: str | None
    issuer: str | None
    issuers: list[str]
    date: str | None
    year: int | None
    category: str | None
    doc_type: str | None
    filename: str
    snippet: str  # HTML: escaped text with matches in <mark>
    score: float | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FacetCount:
    value: str
    count: int


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)  # the words matched, for highlighting elsewhere
    # Documents holding every word of a plain multi-word query; when fewer than `index.relax_below`,
    # `total` also counts documents holding only some of the words, which are ranked after them.
    exact_total: int | None = None
    timed_out: bool = False  # the query hit `index.query_time_limit_s`; results are partial

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": self.took_ms,
            "results": [hit.to_dict() for hit in self.hits],
            "facets": {
                name: [{"value": f.value, "count": f.count} for f in values]
                for name, values in self.facets.items()
            },
        }
