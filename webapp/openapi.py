"""The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json` and validated in tests."""

from __future__ import annotations

from typing import Any

from index.results import FACET_FIELDS, SORTS
from webapp.params import MAX_PAGE, YEAR_PATTERN
from webapp.resources import web_setting

API_VERSION = "1.0.0"

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


def _param(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


FILTER_PARAMETERS = [
    _param(
        "issuer", "发文机关: matches any issuer of a joint document", {"type": "string", "maxLength": 200}
    ),
    _param("year", "year `2024` or range `2020..2023`", {"type": "string", "pattern": YEAR_PATTERN}),
    _param(
        "category",
        "reply category: `A` matches A, A1, A2…; `A1` only A1",
        {"type": "string", "maxLength": 20},
    ),
    _param("doc_type", "文种: 答复, 函, 通知, 意见, 批复, 报告…", {"type": "string", "maxLength": 20}),
]


def _search_parameters(max_per_page: int) -> list[dict[str, Any]]:
    return [
        _param(
            "q", "query words; empty lists every document matching the filters, newest first",
            {"type": "string"},
        ),
        *FILTER_PARAMETERS,
        _param("sort", "relevance (default) or date (newest first)", {"type": "string", "enum": list(SORTS)}),
        _param("page", "1-based page number", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        _param("per_page", "results per page", {"type": "integer", "minimum": 1, "maximum": max_per_page}),
    ]


FACET_COUNT = {
    "type": "object",
    "required": ["value", "count"],
    "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
}

HIT = {
    "type": "object",
    "required": [
        "id",
        "title",
        "doc_number",
        "issuer",
        "issuers",
        "date",
        "year",
        "category",
        "doc_type",
        "filename",
        "snippet",
        "score",
        "url",
        "pdf_url",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "title": NULLABLE_STRING,
        "doc_number": NULLABLE_STRING,
        "issuer": NULLABLE_STRING,
        "issuers": {"type": "array", "items": {"type": "string"}},
        "date": NULLABLE_STRING,
        "year": NULLABLE_INT,
        "category": NULLABLE_STRING,
        "doc_type": NULLABLE_STRING,
        "filename": {"type": "string"},
        "snippet": {"type": "string", "description": "HTML: escaped text, matches wrapped in <mark>"},
        "score": {"type": ["number", "null"]},
        "url": {"type": "string", "format": "uri"},
        "pdf_url": {"type": "string", "format": "uri"},
    },
}

FACETS = {
    "type": "object",
    "properties": {
        name: {"type": "array", "items": {"$ref": "#/components/schemas/FacetCount"}} for name in FACET_FIELDS
    },
}

SEARCH_RESULT = {
    "type": "object",
    "required": ["query", "total", "page", "per_page", "took_ms", "results", "facets"],
    "properties": {
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "took_ms": {"type": "number", "minimum": 0},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"$ref": "#/components/schemas/Facets"},
    },
}

SIMILAR_HIT = {
    "allOf": [
        {"$ref": "#/components/schemas/Hit"},
        {"type": "object", "required": ["shared_terms"], "properties": {
            "shared_terms": {"type": "array", "items": {"type": "string"},
                             "description": "key terms of the text found in this document"}}},
    ]
}

SIMILAR_RESULT = {
    "allOf": [
        {"$ref": "#/components/schemas/SearchResult"},
        {"type": "object", "required": ["terms"], "properties": {
            "terms": {"type": "array", "items": {"type": "string"},
                      "description": "the text's key terms, heaviest first"},
            "text_chars": {"type": "integer", "minimum": 0},
            "results": {"type": "array", "items": SIMILAR_HIT},
        }},
    ]
}

def _similar_request(max_limit: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "description": "the new proposal's text, any length"},
            "limit": {"type": "integer", "minimum": 1, "maximum": max_limit},
            "issuer": {"type": "string"},
            "year": {"type": ["string", "integer"], "description": "2024 or 2020..2023"},
            "category": {"type": "string"},
            "doc_type": {"type": "string"},
        },
    }


PAGE = {
    "type": "object",
    "required": ["number", "text", "method"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "text": {"type": "string"},
        "method": {"type": "string", "enum": ["text", "ocr", "none"]},
        "confidence": {"type": ["number", "null"]},
    },
}

DOCUMENT = {
    "type": "object",
    "required": ["id", "filename", "sha256", "pages", "ocr_pages", "text", "url", "pdf_url"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "filename": {"type": "string"},
        "sha256": {"type": "string"},
        "size": {"type": "integer"},
        "page_count": {"type": "integer"},
        "pages": {"type": "array", "items": {"$ref": "#/components/schemas/Page"}},
        "text": {"type": "string"},
        "body": {"type": "string"},
        "doc_number": NULLABLE_STRING,
        "category": NULLABLE_STRING,
        "title": NULLABLE_STRING,
        "addressee": NULLABLE_STRING,
        "issuer": NULLABLE_STRING,
        "issuers": {"type": "array", "items": {"type": "string"}},
        "date": NULLABLE_STRING,
        "year": NULLABLE_INT,
        "doc_type": NULLABLE_STRING,
        "proposal_number": NULLABLE_STRING,
        "session": NULLABLE_STRING,
        "proposer": NULLABLE_STRING,
        "cc": {"type": "array", "items": {"type": "string"}},
        "attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                },
            },
        },
        "contact": {
            "type": ["object", "null"],
            "properties": {"name": NULLABLE_STRING, "phone": NULLABLE_STRING},
        },
        "ocr_pages": {"type": "array", "items": {"type": "integer"}},
        "ocr_confidence": {"type": ["number", "null"]},
        "unreadable_pages": {"type": "array", "items": {"type": "integer"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "producer": NULLABLE_STRING,
        "version": {"type": "integer"},
        "url": {"type": "string", "format": "uri"},
        "pdf_url": {"type": "string", "format": "uri"},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["bad_parameter", "not_found", "rate_limited"]},
                "message": {"type": "string"},
                "param": {"type": "string", "description": "the parameter at fault (400 only)"},
            },
        }
    },
}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "a parameter is unusable (named in error.param)",
        401: "a token is required",
        403: "forbidden or disabled",
        404: "no such document",
        413: "upload too large",
        415: "not a PDF",
        422: "the file could not be ingested",
        429: "rate limit exceeded",
    }
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses if s in words}


ERROR_RESPONSES = {
    f"E{status}": _json("Error", text)
    for status, text in {
        400: "bad parameter",
        401: "token required",
        403: "forbidden",
        404: "not found",
        413: "too large",
        415: "unsupported media type",
        422: "ingest failed",
        429: "rate limited",
    }.items()
}

DOC_ID = {
    "name": "doc_id",
    "in": "path",
    "required": True,
    "description": "SHA-256 of the original file",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}


def openapi_spec(server_url: str = "", max_per_page: int | None = None) -> dict[str, Any]:
    """The API description; `server_url` is the absolute base the spec is served from.

    `max_per_page` (default: the app's `[web] max_per_page`) bounds `per_page` and `limit`, as the
    handlers do.
    """
    if max_per_page is None:
        max_per_page = int(web_setting("max_per_page", 100))
    search_parameters = _search_parameters(max_per_page)
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "gongwen 公文检索 API",
            "version": API_VERSION,
            "description": "Full-text search over Chinese government documents. Errors always have the "
            'shape {"error": {"code", "message"}}.',
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search documents",
                    "parameters": search_parameters,
                    "responses": {
                        "200": _json("SearchResult", "a page of results with facet counts"),
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/search.json": {
                "get": {
                    "operationId": "searchPageJson",
                    "summary": "JSON twin of the search page (same as /api/search)",
                    "parameters": search_parameters,
                    "responses": {
                        "200": _json("SearchResult", "a page of results"),
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/documents": {
                "post": {
                    "operationId": "uploadDocument",
                    "summary": "Add a PDF through the ingest pipeline (admin token)",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {"type": "string", "contentMediaType": "application/pdf"}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("UploadResult", "already in the index"),
                        "201": _json("UploadResult", "added"),
                        **_errors(400, 401, 403, 413, 415, 422, 429),
                    },
                }
            },
            "/api/documents/{doc_id}": {
                "get": {
                    "operationId": "getDocument",
                    "summary": "One document: metadata, pages and clean text",
                    "parameters": [DOC_ID],
                    "responses": {"200": _json("Document", "the document"), **_errors(401, 404, 429)},
                }
            },
            "/documents/{doc_id}.json": {
                "get": {
                    "operationId": "getDocumentPageJson",
                    "summary": "JSON twin of the document page",
                    "parameters": [DOC_ID],
                    "responses": {"200": _json("Document", "the document"), **_errors(401, 404, 429)},
                }
            },
            "/api/documents/{doc_id}/similar": {
                "get": {
                    "operationId": "similarDocuments",
                    "summary": "Documents similar to this one",
                    "parameters": [
                        DOC_ID,
                        _param("limit", "how many",
                               {"type": "integer", "minimum": 1, "maximum": max_per_page}),
                        *FILTER_PARAMETERS,
                    ],
                    "responses": {
                        "200": _json("SimilarResult", "similar documents, best first"),
                        **_errors(400, 401, 404, 429),
                    },
                }
            },
            "/api/similar": {
                "post": {
                    "operationId": "similarToText",
                    "summary": "Past documents most like a pasted text or an uploaded PDF (not stored)",
                    "description": "The text's distinctive words (stop words and boilerplate removed) are "
                    "weighted by TF-IDF into one OR query; texts of any length up to [index] "
                    "similar_max_chars work. A text of boilerplate only is a 400 naming `text`.",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SimilarRequest"}},
                        "multipart/form-data": {"schema": {
                            "type": "object",
                            "properties": {
                                "file": {"type": "string", "contentMediaType": "application/pdf"},
                                "text": {"type": "string"},
                                "limit": {"type": "integer", "minimum": 1, "maximum": max_per_page},
                                **{name: {"type": "string"} for name in FACET_FIELDS},
                            },
                        }},
                    }},
                    "responses": {
                        "200": _json("SimilarResult", "similar documents, best first, with the key terms"),
                        **_errors(400, 401, 413, 415, 422, 429),
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Completions for a query prefix",
                    "parameters": [
                        _param("q", "prefix", {"type": "string", "maxLength": 64}),
                        _param("limit", "how many", {"type": "integer", "minimum": 1, "maximum": 50}),
                    ],
                    "responses": {
                        "200": _json("Suggestions", "completions, most useful first"),
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/facets": {
                "get": {
                    "operationId": "facets",
                    "summary": "Facet counts for a query and filters",
                    "parameters": [
                        p for p in search_parameters if p["name"] not in {"page", "per_page", "sort"}
                    ],
                    "responses": {
                        "200": _json("FacetsResult", "counts per facet value"),
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and index size",
                    "responses": {"200": _json("Health", "the server is up")},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Hit": HIT,
                "FacetCount": FACET_COUNT,
                "Facets": FACETS,
                "SearchResult": SEARCH_RESULT,
                "SimilarResult": SIMILAR_RESULT,
                "SimilarRequest": _similar_request(max_per_page),
                "Page": PAGE,
                "Document": DOCUMENT,
                "Error": ERROR,
                "Suggestions": {
                    "type": "object",
                    "required": ["query", "suggestions"],
                    "properties": {
                        "query": {"type": "string"},
                        "suggestions": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "FacetsResult": {
                    "type": "object",
                    "required": ["query", "facets"],
                    "properties": {
                        "query": {"type": "string"},
                        "filters": {"type": "object", "additionalProperties": NULLABLE_STRING},
                        "facets": {"$ref": "#/components/schemas/Facets"},
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "documents"],
                    "properties": {
                        "status": {"type": "string", "const": "ok"},
                        "documents": {"type": "integer"},
                        "index": {"type": "object"},
                        "took_ms": {"type": "number"},
                    },
                },
                "UploadResult": {
                    "type": "object",
                    "required": ["id", "status", "url"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "string", "enum": ["added", "unchanged"]},
                        "url": {"type": "string", "format": "uri"},
                    },
                },
            },
            "responses": ERROR_RESPONSES,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "[web] read_token for reading (when set), admin_token for uploads",
                }
            },
        },
    }
    if server_url:
        spec["servers"] = [{"url": server_url}]
    return spec
