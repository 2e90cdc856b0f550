"""Template helpers that build links from the current query string (facet clicks, chips, sort, pages)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request

from webapp import auth
from webapp.labels import load_labels

# Parameters that survive from one search page to the next; anything else in the URL is dropped.
KEPT = ("q", "issuer", "year", "category", "doc_type", "sort", "per_page")


def query_with(base: str | None = None, **changes: Any) -> str:
    """The current URL's search parameters with `changes` applied (None removes); page resets unless set."""
    params = {k: request.args.get(k) for k in (*KEPT, "page")}
    if "page" not in changes:
        params["page"] = None
    params.update(changes)
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    if clean.get("sort") == "relevance":
        del clean["sort"]
    if clean.get("page") == "1":
        del clean["page"]
    path = request.path if base is None else base
    return f"{path}?{urlencode(clean)}" if clean else path


def format_timestamp(value: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["timestamp"] = format_timestamp
    app.jinja_env.globals.update(
        query_with=query_with,
        csrf_token=auth.csrf_token,
        labels=load_labels(),
    )
