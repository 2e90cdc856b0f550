"""The search page `/` and its JSON twin `/search.json` (same parameters, same data)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify, render_template, request

from index.results import FACET_FIELDS, QueryError, SearchRequest, SearchResult
from webapp.params import search_request_from_args
from webapp.resources import get_engine, web_setting
from webapp.serialize import search_payload

bp = Blueprint("search", __name__)


def parse_search_args(highlight: bool = True) -> SearchRequest:
    return search_request_from_args(
        request.args, int(web_setting("per_page", 10)), int(web_setting("max_per_page", 100)), highlight
    )


def run_search() -> SearchResult:
    return get_engine().search(parse_search_args())


def page_window(page: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and `width` around the current one; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - width), min(pages, page + width) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


def empty_state(search: SearchRequest) -> dict[str, Any]:
    """What to offer when nothing matched: suggestions and how many results each filter is hiding."""
    engine = get_engine()
    active = {name: getattr(search, name) for name in FACET_FIELDS if getattr(search, name)}
    unfiltered_total = None
    if active:
        bare = replace(search, page=1, per_page=1, highlight=False, **{name: None for name in active})
        unfiltered_total = engine.search(bare).total
    suggestions: list[str] = []
    if search.q:
        suggestions = [s for s in engine.suggest(search.q[:8], 6) if s != search.q]
    return {"active": active, "unfiltered_total": unfiltered_total, "suggestions": suggestions}


@bp.get("/")
def index() -> Any:
    search: SearchRequest | None = None
    result: SearchResult | None = None
    error: QueryError | None = None
    try:
        search = parse_search_args()
        result = get_engine().search(search)
    except QueryError as exc:
        error = exc
    context: dict[str, Any] = {
        "search": search,
        "result": result,
        "error": error,
        "q": request.args.get("q", ""),
    }
    if result is not None and search is not None:
        pages = max(1, math.ceil(result.total / search.per_page))
        context.update(pages=pages, window=page_window(search.page, pages))
        if result.total == 0:
            context["empty"] = empty_state(search)
    body = render_template("search.html", **context)
    return body, (400 if error else 200)


@bp.get("/search.json")
def index_json() -> Any:
    return jsonify(search_payload(run_search()))
