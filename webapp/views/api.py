"""The JSON API under `/api/` plus `/healthz`: the stable contract described by `/api/openapi.json`."""

from __future__ import annotations

import time
from dataclasses import asdict, is_dataclass
from typing import Any

from flask import Blueprint, jsonify, request, url_for

from index.results import QueryError
from webapp import auth
from webapp.errors import ApiError
from webapp.openapi import openapi_spec
from webapp.params import filters_from_args, parse_int
from webapp.resources import get_engine, get_store, web_setting
from webapp.serialize import document_payload, search_payload
from webapp.uploads import UploadRefused, ingest_uploaded_file
from webapp.views.documents import load_record
from webapp.views.search import parse_search_args, run_search

bp = Blueprint("api", __name__)


def _facets_payload(facets: Any) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [asdict(f) if is_dataclass(f) else dict(f) for f in values]  # type: ignore[arg-type]
        for name, values in dict(facets).items()
    }


@bp.get("/api/search")
def search() -> Any:
    return jsonify(search_payload(run_search()))


@bp.get("/api/documents/<docid:doc_id>")
def document(doc_id: str) -> Any:
    return jsonify(document_payload(load_record(doc_id)))


@bp.get("/api/documents/<docid:doc_id>/similar")
def similar(doc_id: str) -> Any:
    load_record(doc_id)
    limit = parse_int(
        request.args, "limit", int(web_setting("similar_limit", 5)), 1, int(web_setting("max_per_page", 100))
    )
    search = parse_search_args()
    search.q = ""
    search.per_page = limit
    return jsonify(search_payload(get_engine().similar(doc_id, limit, search)))


@bp.get("/api/suggest")
def suggest() -> Any:
    q = (request.args.get("q") or "").strip()
    limit = parse_int(request.args, "limit", int(web_setting("suggest_limit", 8)), 1, 50)
    if len(q) > 64:
        raise QueryError("q", "a suggestion prefix is at most 64 characters")
    suggestions = get_engine().suggest(q, limit) if q else []
    return jsonify({"query": q, "suggestions": list(suggestions)})


@bp.get("/api/facets")
def facets() -> Any:
    search = parse_search_args(highlight=False)
    return jsonify(
        {
            "query": search.q,
            "filters": filters_from_args(request.args),
            "facets": _facets_payload(get_engine().facets(search)),
        }
    )


@bp.post("/api/documents")
def upload() -> Any:
    """Add a PDF (multipart field `file`) through the ingest pipeline; needs the admin token."""
    if not auth.admin_enabled():
        raise ApiError(403, "uploads are disabled: no admin token is configured", "admin_disabled")
    if not auth.has_level(auth.ADMIN):
        raise ApiError(
            401,
            "the admin token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": 'Bearer realm="gongwen"'},
        )
    file = request.files.get("file")
    if file is None:
        raise ApiError(400, "send the PDF as multipart form field 'file'", "bad_parameter", "file")
    try:
        outcome = ingest_uploaded_file(file)
    except UploadRefused as exc:
        raise ApiError(exc.status, exc.message, exc.code, "file") from exc
    if outcome.status == "failed":
        raise ApiError(422, f"the file could not be ingested: {outcome.error}", "ingest_failed", "file")
    status = 201 if outcome.status == "added" else 200
    payload = {
        "id": outcome.doc_id,
        "status": outcome.status,
        "url": url_for("documents.show", doc_id=outcome.doc_id, _external=True),
    }
    return jsonify(payload), status


# Index statistics safe to show anyone who can reach the server (no file-system paths).
PUBLIC_STATS = ("documents", "index_bytes", "last_commit", "generation")


def _public_stats(stats: Any) -> dict[str, Any]:
    values = asdict(stats) if is_dataclass(stats) else dict(stats)  # type: ignore[arg-type]
    return {k: v for k, v in values.items() if k in PUBLIC_STATS}


@bp.get("/healthz")
def healthz() -> Any:
    started = time.perf_counter()
    documents = get_store().count()
    stats = get_engine().stats()
    return jsonify(
        {
            "status": "ok",
            "documents": documents,
            "index": _public_stats(stats),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    )


@bp.get("/api/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_spec(request.host_url.rstrip("/")))
