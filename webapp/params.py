"""Query-string parameters → `index.results.SearchRequest`, with a `QueryError` naming any bad one.

The HTML page, its JSON twin, the API and the embed all read parameters here, so they accept exactly
the same things.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from index.results import FACET_FIELDS, SORTS, QueryError, SearchRequest

FILTER_PARAMS = FACET_FIELDS  # issuer, year, category, doc_type
MAX_PAGE = 10_000
# A year or an inclusive range of years; the OpenAPI description publishes this same pattern.
YEAR_PATTERN = r"^(19|20)[0-9]{2}(\.\.(19|20)[0-9]{2})?$"
_YEAR = re.compile(YEAR_PATTERN)


def parse_int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise QueryError(name, f"must be a whole number from {low} to {high}, not {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise QueryError(name, f"must be from {low} to {high}, not {value}")
    return value


def filters_from_args(args: Mapping[str, str]) -> dict[str, str | None]:
    filters: dict[str, str | None] = {}
    for name in FILTER_PARAMS:
        value = (args.get(name) or "").strip()
        filters[name] = value or None
    year = filters.get("year")
    if year is not None and not _YEAR.match(year):
        raise QueryError("year", f"must be a year like 2024 or a range like 2020..2023, not {year[:40]!r}")
    return filters


def search_request_from_args(
    args: Mapping[str, str], default_per_page: int, max_per_page: int, highlight: bool = True
) -> SearchRequest:
    """Build the request; unknown parameters are ignored, malformed known ones raise `QueryError`."""
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise QueryError("sort", f"must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    per_page = parse_int(args, "per_page", default_per_page, 1, max_per_page)
    # Past the last result a page is simply empty; the cap only keeps the number sane.
    page = parse_int(args, "page", 1, 1, MAX_PAGE)
    return SearchRequest(
        q=(args.get("q") or "").strip(),
        sort=sort,
        page=page,
        per_page=per_page,
        highlight=highlight,
        **filters_from_args(args),
    )
