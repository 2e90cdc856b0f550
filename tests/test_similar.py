"""Find similar (issue 9): API with text and with a PDF, the page, the CLI, JSON Lines import, boilerplate.

The library is real: corpus truth records of four topics in a store and a Whoosh index on disk, read by
the real app; the PDF upload goes through the real ingest pipeline.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from whoosh.searching import Searcher

from bench.truth_records import CORPUS, truth_records
from index.search import SearchEngine
from index.similar import run_similar
from index.writer import DocumentIndex
from ingest.jsonl import canonical_json, record_id
from ingest.record import DocumentRecord
from ingest.store import RecordStore
from tests.web_library import make_settings
from webapp import create_app
from webapp.cli import main as gongwen
from webapp.intake import ingest_paths

TOPICS = ("老旧小区改造", "义务教育", "食品安全", "公共交通")
BOILERPLATE = (
    "贵会提出的提案收悉。我局高度重视，组织专人进行了认真研究，现将办理情况答复如下：感谢您对我们工作的"
    "关心和支持，欢迎继续提出宝贵意见。特此函复。"
)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Truth records of four topics, stored and indexed; `truths` maps id → truth (with its PDF path)."""
    index_dir = tmp_path_factory.mktemp("similar") / "index"
    settings = make_settings(index_dir, rate_limit_per_minute=0)
    truths = {}
    with RecordStore(index_dir) as store:
        for truth, record in truth_records():
            if set(truth["topics"]) & set(TOPICS):
                store.put(record)
                truths[record.id] = truth
        DocumentIndex(index_dir, settings).rebuild(store)
    return {"index_dir": index_dir, "settings": settings, "truths": truths}


@pytest.fixture
def client(library: dict) -> Iterator:
    app = create_app(library["settings"], {"TESTING": True})
    with app.test_client() as test_client:
        yield test_client


def _pick(library: dict, topic: str, kind: str = "text") -> tuple[str, dict]:
    return next((i, t) for i, t in library["truths"].items() if t["topics"] == [topic] and t["kind"] == kind)


def _shares_topic(library: dict, doc_id: str, topic: str) -> bool:
    return topic in library["truths"][doc_id]["topics"]


# --- POST /api/similar with text ---------------------------------------------------------------------


def test_pasted_body_finds_its_own_topic(client, library: dict) -> None:
    doc_id, truth = _pick(library, "老旧小区改造")
    response = client.post("/api/similar", json={"text": truth["body"], "limit": 6})
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["results"][0]["id"] == doc_id  # the document itself is the most similar text
    others = [hit for hit in payload["results"] if hit["id"] != doc_id][:5]
    assert len(others) == 5
    assert sum(_shares_topic(library, hit["id"], "老旧小区改造") for hit in others) >= 4
    # the same shape as /api/search, plus the key terms
    search_keys = set(client.get("/api/search", query_string={"q": "电梯"}).get_json())
    assert search_keys <= set(payload)
    assert payload["terms"] and payload["text_chars"] == len(truth["body"])
    assert payload["total"] >= len(payload["results"])
    assert set(payload["facets"]) == {"issuer", "year", "category", "doc_type"}
    first = payload["results"][0]
    assert first["shared_terms"] and set(first["shared_terms"]) <= set(payload["terms"])
    assert "<mark>" in first["snippet"]
    assert first["url"].endswith(f"/documents/{doc_id}")


def test_filters_apply(client, library: dict) -> None:
    _doc_id, truth = _pick(library, "义务教育")
    year = truth["year"]
    payload = client.post("/api/similar", json={"text": truth["body"], "year": year}).get_json()
    assert payload["results"]
    assert all(hit["year"] == year for hit in payload["results"])
    assert [f["value"] for f in payload["facets"]["year"]] == [str(year)]


def test_long_text_works_without_the_query_length_cap(client, library: dict) -> None:
    _doc_id, truth = _pick(library, "食品安全")
    text = "\n".join([truth["body"]] * (12_000 // len(truth["body"]) + 1))
    assert len(text) > 10_000
    response = client.post("/api/similar", json={"text": text, "limit": 5})
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert sum(_shares_topic(library, hit["id"], "食品安全") for hit in payload["results"]) >= 4


def test_boilerplate_only_text_is_a_clear_400(client) -> None:
    response = client.post("/api/similar", json={"text": BOILERPLATE})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == "text"
    assert "not enough distinctive words" in error["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "text"),
        ({"text": 5}, "text"),
        ({"text": "电梯", "limit": 0}, "limit"),
        ({"text": "电梯", "limit": "many"}, "limit"),
        (["text"], "body"),
        ({"text": "x", "year": "soon"}, "year"),
    ],
)
def test_bad_requests_name_the_parameter(client, body: object, param: str) -> None:
    response = client.post("/api/similar", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == param


# --- POST /api/similar with a PDF ----------------------------------------------------------------------


def test_pdf_upload_is_read_by_the_pipeline_and_not_stored(client, library: dict) -> None:
    doc_id, truth = _pick(library, "公共交通")
    pdf = CORPUS / truth["file"]
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == doc_id
    with RecordStore(library["index_dir"]) as store:
        before = store.count()
    response = client.post(
        "/api/similar",
        data={"file": (io.BytesIO(pdf.read_bytes()), "new-proposal.pdf"), "limit": "5"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert payload["results"][0]["id"] == doc_id  # its own text, extracted from the PDF, is closest
    assert sum(_shares_topic(library, hit["id"], "公共交通") for hit in payload["results"]) >= 4
    with RecordStore(library["index_dir"]) as store:
        assert store.count() == before
    assert not list((library["index_dir"] / "uploads").glob(".similar-*"))


def test_upload_that_is_not_a_pdf_is_415(client) -> None:
    response = client.post(
        "/api/similar", data={"file": (io.BytesIO(b"just text"), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["param"] == "file"


# --- the stored-document path, the page, the contract ------------------------------------------------


def test_document_similar_uses_the_same_ranking(client, library: dict) -> None:
    doc_id, _truth = _pick(library, "义务教育")
    payload = client.get(f"/api/documents/{doc_id}/similar", query_string={"limit": 5}).get_json()
    ids = [hit["id"] for hit in payload["results"]]
    assert doc_id not in ids and len(ids) == 5
    assert sum(_shares_topic(library, i, "义务教育") for i in ids) >= 4
    assert payload["terms"] and all("shared_terms" in hit for hit in payload["results"])


def test_engine_similar_text_directly(library: dict) -> None:
    engine = SearchEngine(library["index_dir"], library["settings"])
    try:
        result = engine.similar_text("老旧小区加装电梯，雨污分流，管网改造，小区停车位不足", 3)
        assert result.hits and _shares_topic(library, result.hits[0].id, "老旧小区改造")
        assert "电梯" in result.terms
    finally:
        engine.close()


def test_posting_dict_scores_are_whoosh_bm25f(library: dict) -> None:
    """The fast path ranks, scores and counts exactly as Whoosh's BM25F over the same OR query."""
    engine = SearchEngine(library["index_dir"], library["settings"])
    _doc_id, truth = _pick(library, "公共交通")
    snap = engine._current()
    try:
        result = run_similar(engine, snap, truth["body"], 8, None)
        similar = engine.similar_builder.build(truth["body"], snap.searcher.reader())
        reader = snap.searcher.reader()
        searcher = Searcher(reader, weighting=engine.similar_builder.weighting(), closereader=False)
        expected = searcher.search(similar.query, limit=8)
        assert [hit.id for hit in result.hits] == [hit["id"] for hit in expected]
        assert [hit.score for hit in result.hits] == pytest.approx([hit.score for hit in expected], abs=1e-4)
        assert result.total == len(list(snap.searcher.docs_for_query(similar.query)))
    finally:
        engine._release(snap)
        engine.close()


def test_a_reply_is_matched_on_its_matter_not_its_feedback_form(library: dict) -> None:
    """The enclosed 征询意见表 (□满意 □基本满意 □不满意, 提案人签名 …) is the same in every reply."""
    doc_id, truth = next(
        (i, t) for i, t in library["truths"].items()
        if any(isinstance(a, dict) and "满意" in a.get("text", "") for a in t.get("attachments") or [])
    )
    engine = SearchEngine(library["index_dir"], library["settings"])
    try:
        result = engine.similar(doc_id, 5)
    finally:
        engine.close()
    form_words = {"满意", "基本", "征询意见表", "征求意见表", "提案人", "代表人", "签名", "承办单位"}
    assert result.terms and not form_words & set(result.terms)
    topic = truth["topics"][0]
    assert sum(_shares_topic(library, hit.id, topic) for hit in result.hits) >= 4


def test_scores_survive_deleted_and_textless_documents(library: dict, tmp_path: Path) -> None:
    """A deleted document keeps its number; a scan read without OCR has no content length: both are fine."""
    index_dir = tmp_path / "index"
    settings = make_settings(index_dir)
    picked = [(i, t) for i, t in library["truths"].items() if "食品安全" in t["topics"]][:4]
    scan = DocumentRecord(id="0" * 64, filename="scan.pdf", title="扫描件")
    with RecordStore(library["index_dir"]) as source, RecordStore(index_dir) as store:
        for doc_id, _truth in picked:
            store.put(source.get(doc_id))
        store.put(scan)
        index = DocumentIndex(index_dir, settings)
        index.rebuild(store)
        store.delete(picked[0][0])
        index.apply(store, [], [picked[0][0]])
        index.close()
    engine = SearchEngine(index_dir, settings)
    try:
        result = engine.similar_text(picked[1][1]["body"], 5)
    finally:
        engine.close()
    ids = [hit.id for hit in result.hits]
    assert ids[0] == picked[1][0] and picked[0][0] not in ids and scan.id not in ids
    assert result.total == len(ids) <= len(picked) - 1


def test_search_page_has_the_box_and_the_page_shows_shared_terms(client, library: dict) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'action="/similar"' in page and 'name="file"' in page and "找相似" in page
    _doc_id, truth = _pick(library, "食品安全")
    response = client.post("/similar", data={"text": truth["body"]}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "共同关键词" in html and "比对所用关键词" in html
    refused = client.post("/similar", data={"text": BOILERPLATE}, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "not enough distinctive words" in refused.get_data(as_text=True)


def test_openapi_describes_similar(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    validate(spec)
    post = spec["paths"]["/api/similar"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(post["requestBody"]["content"])
    assert "SimilarResult" in json.dumps(post["responses"]["200"])


# --- the CLI ---------------------------------------------------------------------------------------------


def test_cli_prints_what_the_api_returns(client, library: dict, tmp_path: Path, capsys) -> None:
    _doc_id, truth = _pick(library, "公共交通")
    text_file = tmp_path / "proposal.txt"
    text_file.write_text(truth["body"], encoding="utf-8")
    index = str(library["index_dir"])
    assert gongwen(["similar", str(text_file), "--index", index, "--limit", "4", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    api = client.post("/api/similar", json={"text": truth["body"], "limit": 4}).get_json()
    for payload in (printed, api):
        payload.pop("took_ms")
    assert printed == api
    assert gongwen(["similar", str(text_file), "--index", index]) == 0
    human = capsys.readouterr().out
    assert "共同关键词" in human and api["results"][0]["title"] in human


def test_cli_reads_stdin_and_pdfs_and_refuses_boilerplate(library: dict, monkeypatch, capsys) -> None:
    index = str(library["index_dir"])
    doc_id, truth = _pick(library, "老旧小区改造")
    assert gongwen(["similar", str(CORPUS / truth["file"]), "--index", index, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["id"] == doc_id
    monkeypatch.setattr("sys.stdin", io.StringIO(BOILERPLATE))
    assert gongwen(["similar", "-", "--index", index]) == 2
    assert "not enough distinctive words" in capsys.readouterr().err


# --- JSON Lines import -------------------------------------------------------------------------------


def _write_lines(path: Path, lines: list[object]) -> None:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
        encoding="utf-8",
    )


def test_jsonl_import(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    legacy = {
        "id": "2019-B-017",
        "title": "关于加快老旧小区加装电梯的建议的答复",
        "issuer": "景川市住房和城乡建设局",
        "date": "2019-06-01",
        "category": "b1",
        "doc_number": "景建函[2019]17号",
        "text": "老旧小区加装电梯工作稳步推进，全市已完成加装电梯120部，财政补贴每部20万元。",
    }
    anonymous = {
        "text": "普惠性幼儿园覆盖率达到百分之八十五，新建公办幼儿园十所。",
        "issuers": "景川市教育局、景川市财政局",
    }
    exported = {"id": "A" * 64, "text": "新开通定制公交线路八条。", "title": "公交线网优化的通知"}
    records = tmp_path / "old-system.jsonl"
    _write_lines(records, [legacy, anonymous, "{not json", {"text": "x", "colour": "red"}, "",
                           {"text": "   "}, {"text": "y", "date": "2019-13-01"}, exported])
    summary = ingest_paths([records], settings, show_progress=False)
    assert (summary.added, summary.unchanged, len(summary.failed)) == (3, 0, 4)
    failed = dict(summary.failed)
    assert set(failed) == {f"{records}:{n}" for n in (3, 4, 6, 7)}
    assert "colour" in failed[f"{records}:4"] and "date" in failed[f"{records}:7"]

    legacy_id = hashlib.sha256(b"2019-B-017").hexdigest()
    anonymous_id = hashlib.sha256(canonical_json(anonymous).encode()).hexdigest()
    assert record_id(legacy) == legacy_id and record_id(exported) == "a" * 64
    with RecordStore(tmp_path / "index") as store:
        stored = store.get(legacy_id)
        assert stored is not None and store.has(anonymous_id) and store.has("a" * 64)
        assert stored.doc_number == "景建函〔2019〕17号" and stored.year == 2019 and stored.category == "B1"
        assert stored.doc_type == "答复" and stored.issuers == ["景川市住房和城乡建设局"]
        assert store.get(anonymous_id).issuer == "景川市教育局"
        assert {f.path for f in store.failures()} == set(failed)

    engine = SearchEngine(tmp_path / "index", settings)
    try:
        from index.results import SearchRequest

        hits = engine.search(SearchRequest(q="加装电梯")).hits
        assert [h.id for h in hits] == [legacy_id]
    finally:
        engine.close()

    # the same file again: nothing changes; a corrected legacy record replaces its old version
    again = ingest_paths([records], settings, show_progress=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    legacy["text"] = "老旧小区加装电梯已完成150部。"
    _write_lines(records, [legacy, anonymous, exported])
    changed = ingest_paths([records], settings, show_progress=False)
    assert (changed.added, changed.updated, changed.unchanged, changed.failed) == (0, 1, 2, [])
    with RecordStore(tmp_path / "index") as store:
        assert store.get(legacy_id).text == "老旧小区加装电梯已完成150部。"
        assert store.count() == 3

    # the file gone: --prune forgets its records
    records.unlink()
    pruned = ingest_paths([], settings, prune=True, show_progress=False)
    assert pruned.removed == 3
