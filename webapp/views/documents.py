"""A document's page `/documents/<id>`, its JSON twin `.json` and its original PDF `.pdf`.

The id is matched by the `docid` converter (64 hex digits) and the file is found by the store from the
id alone, so no part of a URL is ever used as a path.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, send_file

from index.results import Hit, QueryError, SearchRequest
from ingest.record import DocumentRecord
from ingest.store import is_document_id
from webapp.highlight import highlight_text
from webapp.resources import get_engine, get_store, web_setting
from webapp.serialize import document_payload

bp = Blueprint("documents", __name__)

UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


def load_record(doc_id: str) -> DocumentRecord:
    if not is_document_id(doc_id):
        abort(404)
    record = get_store().get(doc_id)
    if record is None:
        abort(404, description=f"no document with id {doc_id}")
    return record


def query_terms(q: str) -> list[str]:
    """The words the engine matched for `q` (analysed the same way as at search time)."""
    if not q.strip():
        return []
    try:
        return list(get_engine().search(SearchRequest(q=q, per_page=1, highlight=False)).terms)
    except QueryError:
        return []


def similar_hits(doc_id: str, limit: int) -> list[Hit]:
    try:
        return list(get_engine().similar(doc_id, limit, SearchRequest()).hits)
    except QueryError:
        return []


def download_name(record: DocumentRecord) -> str:
    name = UNSAFE_FILENAME.sub("_", record.filename.rsplit("/", 1)[-1]).strip() or f"{record.id}.pdf"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


@bp.get("/documents/<docid:doc_id>")
def show(doc_id: str) -> Any:
    record = load_record(doc_id)
    q = request.args.get("q", "")[:256]
    terms = query_terms(q)
    pages = [
        {
            "number": page.number,
            "method": page.method,
            "confidence": page.confidence,
            "html": highlight_text(page.text, terms),
        }
        for page in record.pages
    ]
    if not pages and record.text:
        pages = [
            {"number": 1, "method": "text", "confidence": None, "html": highlight_text(record.text, terms)}
        ]
    marks = sum(str(p["html"]).count("<mark>") for p in pages)
    similar = similar_hits(doc_id, int(web_setting("similar_limit", 5)))
    return render_template(
        "document.html", record=record, pages=pages, q=q, terms=terms, marks=marks, similar=similar
    )


@bp.get("/documents/<docid:doc_id>.json")
def show_json(doc_id: str) -> Any:
    return jsonify(document_payload(load_record(doc_id)))


@bp.get("/documents/<docid:doc_id>.pdf")
def original(doc_id: str) -> Any:
    """The original PDF: a download by default, `?inline=1` to open it in the browser's viewer."""
    record = load_record(doc_id)
    path = get_store().original_path(doc_id)
    if not path.is_file():
        abort(404, description="the original file of this document is not kept")
    inline = request.args.get("inline") in {"1", "true", "yes"}
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=not inline,
        download_name=download_name(record),
        conditional=True,
        max_age=3600,
    )
    return response
