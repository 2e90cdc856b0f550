"""Find similar ("how did we answer this before?"): `POST /api/similar` and the `/similar` page.

A pasted text (JSON or form field `text`) or a PDF (multipart field `file`, read by the ingest pipeline
in a worker process and never stored) goes to `SearchEngine.similar_text`; the answer is the
`/api/search` shape plus the text's key terms (`terms`) and, per hit, the key terms it shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from werkzeug.datastructures import FileStorage

from index.results import QueryError, SearchRequest
from ingest.pipeline import sha256_file
from ingest.runner import run_files
from webapp.errors import ApiError
from webapp.params import FILTER_PARAMS, parse_int
from webapp.resources import get_engine, settings, web_setting
from webapp.serialize import search_payload
from webapp.uploads import MAGIC_WINDOW, PDF_MAGIC, clean_filename, spooled_upload

bp = Blueprint("similar", __name__)

NO_TEXT = "send the text to compare as 'text' (JSON or form field) or a PDF as multipart field 'file'"


@dataclass
class SimilarAsk:
    """What to compare and where to look: the text, how many results, the filters."""

    text: str
    limit: int
    filters: SearchRequest
    source: str  # "text", or the uploaded file's name


def _limits() -> tuple[int, int]:
    return int(web_setting("similar_limit", 10)), int(web_setting("max_per_page", 100))


def _json_ask(body: Any) -> SimilarAsk:
    if not isinstance(body, dict):
        raise QueryError("body", "the JSON body must be an object such as {\"text\": \"…\", \"limit\": 10}")
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise QueryError("text", "text must be a string")
    default, high = _limits()
    limit = body.get("limit", default)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= high:
        raise QueryError("limit", f"limit must be a whole number from 1 to {high}")
    filters: dict[str, str | None] = {}
    for name in FILTER_PARAMS:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and name == "year":
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise QueryError(name, f"{name} must be a string")
        filters[name] = (value or "").strip() or None
    return SimilarAsk(text or "", limit, SearchRequest(**filters), "text")


def _form_ask() -> SimilarAsk:
    form = request.form
    default, high = _limits()
    limit = parse_int(form, "limit", default, 1, high)
    filters = {name: (form.get(name) or "").strip() or None for name in FILTER_PARAMS}
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        name = clean_filename(upload.filename)
        return SimilarAsk(read_pdf_text(upload), limit, SearchRequest(**filters), name)
    return SimilarAsk(form.get("text") or "", limit, SearchRequest(**filters), "text")


def read_ask() -> SimilarAsk:
    ask = _json_ask(request.get_json(silent=True)) if request.is_json else _form_ask()
    if not ask.text.strip():
        raise QueryError("text", NO_TEXT)
    return ask


def read_pdf_text(upload: FileStorage) -> str:
    """The title and main text of an uploaded PDF, read like an ingested file (limits included), not kept."""
    name = clean_filename(upload.filename)
    head = upload.stream.read(MAGIC_WINDOW)
    if PDF_MAGIC not in head:
        raise ApiError(415, f"{name}: not a PDF (no %PDF header)", "unsupported_media_type", "file")
    with spooled_upload(upload, head, ".similar-") as path:
        outcome = next(iter(run_files([(path, sha256_file(path))], settings(), workers=1)))
    record = outcome.record
    if record is None:
        raise ApiError(422, f"{name}: the PDF could not be read: {outcome.error}", "ingest_failed", "file")
    return "\n".join(part for part in (record.title or "", record.body or record.text) if part)


def similar_payload(ask: SimilarAsk) -> dict[str, Any]:
    result = get_engine().similar_text(ask.text, ask.limit, ask.filters)
    payload = search_payload(result)
    payload["terms"] = list(result.terms)
    payload["text_chars"] = len(ask.text)
    return payload


@bp.post("/api/similar")
def api_similar() -> Any:
    return jsonify(similar_payload(read_ask()))


@bp.route("/similar", methods=["GET", "POST"])
def page() -> Any:
    """The 找相似 page: the box again, and below it the past documents most like the text."""
    context: dict[str, Any] = {"text": "", "payload": None, "error": None, "source": None}
    status = 200
    if request.method == "POST":
        context["text"] = request.form.get("text", "")
        try:
            ask = read_ask()
            context["payload"] = similar_payload(ask)
            context["source"] = ask.source
        except QueryError as exc:
            context["error"] = exc.message
            status = 400
        except ApiError as exc:
            context["error"] = exc.description
            status = exc.code or 400
    return render_template("similar.html", **context), status
