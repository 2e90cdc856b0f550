"""The JSON API contract: shapes pinned field by field, one error shape, CORS, and OpenAPI 3.1 validity."""

from __future__ import annotations

import io
import json

import pytest
from openapi_spec_validator import validate

HIT_FIELDS = [
    "id", "title", "doc_number", "issuer", "issuers", "date", "year", "category", "doc_type",
    "filename", "snippet", "score", "url", "pdf_url",
]  # fmt: skip
SEARCH_FIELDS = ["query", "total", "page", "per_page", "took_ms", "results", "facets"]
FACET_NAMES = {"issuer", "year", "category", "doc_type"}
DOCUMENT_FIELDS = {
    "doc_number", "category", "title", "addressee", "issuer", "issuers", "date", "year", "doc_type",
    "proposal_number", "session", "proposer", "cc", "attachments", "contact",
    "filename", "sha256", "pages", "ocr_pages", "text", "url", "pdf_url",
}  # fmt: skip


def assert_error(response, status: int, code: str | None = None, param: str | None = None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    if param:
        assert body["error"]["param"] == param
        assert param in body["error"]["message"]
    return body


def test_search_shape_is_pinned(library_client, web_library) -> None:
    response = library_client.get("/api/search", query_string={"q": "答复", "per_page": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == SEARCH_FIELDS
    assert body["query"] == "答复" and body["page"] == 1 and body["per_page"] == 3
    assert body["total"] >= 3 and len(body["results"]) == 3
    assert isinstance(body["took_ms"], (int, float)) and body["took_ms"] >= 0
    for hit in body["results"]:
        assert list(hit) == HIT_FIELDS
        assert hit["id"] in web_library.records
        assert hit["url"] == f"http://localhost/documents/{hit['id']}"
        assert hit["pdf_url"] == f"http://localhost/documents/{hit['id']}.pdf"
        assert isinstance(hit["issuers"], list)
    assert set(body["facets"]) == FACET_NAMES
    for values in body["facets"].values():
        for entry in values:
            assert set(entry) == {"value", "count"} and entry["count"] > 0


def test_empty_query_lists_everything_newest_first(library_client, web_library) -> None:
    body = library_client.get("/api/search", query_string={"per_page": 100}).get_json()
    assert body["total"] == len(web_library.records)
    dates = [hit["date"] for hit in body["results"] if hit["date"]]
    assert dates == sorted(dates, reverse=True)


def test_filters_narrow_and_facets_count(library_client, web_library) -> None:
    record = web_library.any_with("issuer")
    everything = library_client.get("/api/search").get_json()
    issuer_counts = {f["value"]: f["count"] for f in everything["facets"]["issuer"]}
    assert record.issuer in issuer_counts
    body = library_client.get(
        "/api/search", query_string={"issuer": record.issuer, "per_page": 100}
    ).get_json()
    assert body["total"] == issuer_counts[record.issuer] < everything["total"]
    assert all(record.issuer in hit["issuers"] for hit in body["results"])
    year = str(record.year)
    by_year = library_client.get("/api/search", query_string={"year": year, "per_page": 100}).get_json()
    assert by_year["total"] >= 1 and all(str(hit["year"]) == year for hit in by_year["results"])


def test_a_page_past_the_end_is_empty_not_an_error(library_client, web_library) -> None:
    body = library_client.get("/api/search", query_string={"per_page": 100, "page": 500}).get_json()
    assert body["results"] == [] and body["total"] == len(web_library.records) and body["page"] == 500


def test_paging_is_consistent(library_client) -> None:
    first = library_client.get("/api/search", query_string={"per_page": 5, "page": 1}).get_json()
    second = library_client.get("/api/search", query_string={"per_page": 5, "page": 2}).get_json()
    assert second["page"] == 2
    assert not {h["id"] for h in first["results"]} & {h["id"] for h in second["results"]}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"per_page": "1000"}, "per_page"),
        ({"per_page": "-1"}, "per_page"),
        ({"sort": "random"}, "sort"),
        ({"year": "二〇二四"}, "year"),
        ({"year": "2020..20"}, "year"),
        ({"q": "税" * 5000}, "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(library_client, params, param) -> None:
    assert_error(library_client.get("/api/search", query_string=params), 400, "bad_parameter", param)
    assert_error(library_client.get("/search.json", query_string=params), 400, "bad_parameter", param)


def test_document_shape(library_client, web_library) -> None:
    record = web_library.any_with("title")
    response = library_client.get(f"/api/documents/{record.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert DOCUMENT_FIELDS <= set(body)
    assert "source_path" not in body  # where it sat on the ingesting machine is nobody's business
    assert body["id"] == record.id and body["sha256"] == record.id
    assert body["title"] == record.title and body["text"] == record.text
    assert [p["number"] for p in body["pages"]] == [p.number for p in record.pages]
    assert body["pdf_url"].endswith(f"/documents/{record.id}.pdf")
    twin = library_client.get(f"/documents/{record.id}.json").get_json()
    assert twin == body


def test_unknown_document_and_route_are_json_404(library_client) -> None:
    assert_error(library_client.get("/api/documents/" + "0" * 64), 404, "not_found")
    assert_error(library_client.get("/api/documents/not-an-id"), 404, "not_found")
    assert_error(library_client.get("/api/nothing/here"), 404, "not_found")
    assert_error(library_client.get("/documents/" + "f" * 64 + ".json"), 404, "not_found")


def test_wrong_method_is_json_405(library_client) -> None:
    body = assert_error(library_client.delete("/api/search"), 405, "method_not_allowed")
    assert "DELETE" in body["error"]["message"]
    assert_error(library_client.post("/api/search"), 405)


def test_similar_suggest_facets_health(library_client, web_library) -> None:
    record = web_library.any_with("title")
    similar = library_client.get(f"/api/documents/{record.id}/similar", query_string={"limit": 3}).get_json()
    assert list(similar)[: len(SEARCH_FIELDS)] == SEARCH_FIELDS  # issue 9 may add the shared "terms"
    assert 0 < len(similar["results"]) <= 3
    assert record.id not in {h["id"] for h in similar["results"]}
    assert all(set(HIT_FIELDS) <= set(h) for h in similar["results"])

    prefix = record.issuer[:5]
    suggest = library_client.get("/api/suggest", query_string={"q": prefix, "limit": 50}).get_json()
    assert suggest["query"] == prefix and record.issuer in suggest["suggestions"]
    assert library_client.get("/api/suggest").get_json() == {"query": "", "suggestions": []}

    facets = library_client.get("/api/facets", query_string={"doc_type": record.doc_type}).get_json()
    assert set(facets["facets"]) == FACET_NAMES
    assert facets["facets"]["doc_type"][0]["value"] == record.doc_type

    health = library_client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["documents"] == len(web_library.records)
    assert "folder" not in json.dumps(health)


def test_openapi_is_valid_3_1_and_lists_every_endpoint(library_client) -> None:
    spec = library_client.get("/api/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    paths = set(spec["paths"])
    assert {
        "/api/search", "/api/documents/{doc_id}", "/api/documents/{doc_id}/similar", "/api/suggest",
        "/api/facets", "/healthz", "/api/openapi.json", "/search.json", "/documents/{doc_id}.json",
    } <= paths  # fmt: skip
    hit = spec["components"]["schemas"]["Hit"]
    assert hit["required"] == HIT_FIELDS


def test_responses_match_the_openapi_schemas(library_client, web_library) -> None:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = library_client.get("/api/openapi.json").get_json()
    registry = Registry().with_resource("urn:gongwen", Resource.from_contents(spec, DRAFT202012))

    def check(name: str, payload: dict) -> None:
        schema = {"$ref": f"urn:gongwen#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(payload)

    record = web_library.any_with("title")
    check("SearchResult", library_client.get("/api/search?q=工作").get_json())
    check("Document", library_client.get(f"/api/documents/{record.id}").get_json())
    check("Suggestions", library_client.get("/api/suggest?q=景").get_json())
    check("FacetsResult", library_client.get("/api/facets").get_json())
    check("Health", library_client.get("/healthz").get_json())
    check("Error", library_client.get("/api/search?page=0").get_json())


def test_rate_limit_is_429_with_retry_after(make_app) -> None:
    app = make_app(rate_limit_per_minute=3)
    client = app.test_client()
    statuses = [client.get("/api/suggest").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = client.get("/api/suggest")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    other = client.get("/api/suggest", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # the budget is per client address


def test_upload_too_large_is_413(make_app) -> None:
    app = make_app(admin_token="s3cret-admin")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = app.test_client().post(
        "/api/documents",
        data={"file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 4096), "big.pdf")},
        headers={"Authorization": "Bearer s3cret-admin"},
    )
    assert_error(response, 413, "too_large")


def test_cors_only_for_configured_origins(make_app) -> None:
    allowed = "http://portal.intranet.example"
    app = make_app(cors_origins=[allowed])
    client = app.test_client()
    ok = client.get("/api/suggest", headers={"Origin": allowed})
    assert ok.headers["Access-Control-Allow-Origin"] == allowed
    assert "Origin" in ok.headers.get("Vary", "")
    other = client.get("/api/suggest", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/search",
        headers={"Origin": allowed, "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_no_cors_by_default(client) -> None:
    response = client.get("/api/suggest", headers={"Origin": "http://portal.intranet.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_openapi_bounds_per_page_by_the_configured_maximum(web_library) -> None:
    from tests.web_library import make_settings
    from webapp import create_app
    from webapp.resources import close_app

    app = create_app(
        make_settings(web_library.index_dir, rate_limit_per_minute=0, max_per_page=20), {"TESTING": True}
    )
    try:
        client = app.test_client()
        spec = client.get("/api/openapi.json").get_json()
        validate(spec)
        parameters = spec["paths"]["/api/search"]["get"]["parameters"]
        per_page = next(p for p in parameters if p["name"] == "per_page")
        assert per_page["schema"]["maximum"] == 20
        assert spec["components"]["schemas"]["SimilarRequest"]["properties"]["limit"]["maximum"] == 20
        assert client.get("/api/search?q=&per_page=20").status_code == 200
        refused = client.get("/api/search?q=&per_page=21")
        assert refused.status_code == 400 and "per_page" in refused.get_json()["error"]["message"]
    finally:
        close_app(app)
