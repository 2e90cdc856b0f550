"""Search results and records → the public JSON shapes (the API contract written down once).

`/api/search` is `SearchResult.to_dict()` with an absolute `url` and `pdf_url` per hit, so a widget on
another origin can link back; `/api/documents/<id>` is the stored record minus server-side paths.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from index.results import Hit, SearchResult
from ingest.record import DocumentRecord

# Server-side details a client has no business seeing (where the file sat on the ingesting machine).
PRIVATE_RECORD_FIELDS = ("source_path",)


def document_urls(doc_id: str) -> dict[str, str]:
    return {
        "url": url_for("documents.show", doc_id=doc_id, _external=True),
        "pdf_url": url_for("documents.original", doc_id=doc_id, _external=True),
    }


def hit_payload(hit: Hit) -> dict[str, Any]:
    return {**hit.to_dict(), **document_urls(hit.id)}


def search_payload(result: SearchResult) -> dict[str, Any]:
    payload = result.to_dict()
    payload["results"] = [hit_payload(hit) for hit in result.hits]
    return payload


def document_payload(record: DocumentRecord) -> dict[str, Any]:
    payload = record.to_dict()
    for name in PRIVATE_RECORD_FIELDS:
        payload.pop(name, None)
    payload["page_count"] = record.page_count
    payload.update(document_urls(record.id))
    return payload
