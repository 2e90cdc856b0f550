"""Embedding search in other intranet pages: `/widget.js` (shadow-DOM widget), `/embed` (iframe), a demo."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, current_app, render_template, request, send_from_directory

from index.results import QueryError, SearchRequest, SearchResult
from webapp.resources import get_engine
from webapp.views.search import parse_search_args

bp = Blueprint("widget", __name__)


@bp.get("/widget.js")
def widget_js() -> Any:
    response = send_from_directory(current_app.static_folder or "static", "widget.js", max_age=300)
    response.mimetype = "text/javascript"
    return response


@bp.get("/embed")
def embed() -> Any:
    """A minimal server-rendered search for an iframe: box, results, pages; filters kept from the URL.

    Without a query it lists the newest documents matching the filters, a ready-made "latest" box.
    """
    result: SearchResult | None = None
    error: QueryError | None = None
    search: SearchRequest | None = None
    try:
        search = parse_search_args()
        result = get_engine().search(search)
    except QueryError as exc:
        error = exc
    pages = max(1, math.ceil(result.total / search.per_page)) if result is not None and search else 1
    body = render_template(
        "embed.html", search=search, result=result, error=error, pages=pages, q=request.args.get("q", "")
    )
    return body, (400 if error else 200)


@bp.get("/widget-demo")
def demo() -> Any:
    facets = get_engine().search(SearchRequest(per_page=1, highlight=False)).facets
    issuers = [f.value for f in facets.get("issuer", [])]
    issuer = request.args.get("issuer") or (issuers[0] if issuers else "")
    return render_template("widget_demo.html", issuer=issuer, issuers=issuers)
