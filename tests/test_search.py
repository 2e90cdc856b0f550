"""The search core on a real index built from the corpus truth: recall, filters, facets, snippets, writes."""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.relevance import draw_substrings
from bench.truth_records import CORPUS, truth_records
from index.locking import IndexLockedError, writer_lock
from index.results import QueryError, SearchRequest
from index.search import SearchEngine
from index.writer import LOCK_NAME, DocumentIndex, whoosh_folder
from ingest.record import DocumentRecord
from ingest.settings import load_settings
from ingest.store import RecordStore


def make_settings(index_dir: Path, **index_overrides):
    overrides = {("storage", "index_dir"): str(index_dir)}
    overrides.update({("index", key): value for key, value in index_overrides.items()})
    return load_settings(environ={}).with_overrides(overrides)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The 120 documents of the main set, as records from truth.jsonl, stored and indexed once."""
    work = tmp_path_factory.mktemp("search-corpus")
    settings = make_settings(work / "index")
    store = RecordStore(work / "store")
    pairs = truth_records(CORPUS)
    for _truth, record in pairs:
        store.put(record)
    DocumentIndex(work / "index", settings).reconcile(store)
    engine = SearchEngine(work / "index", settings)
    yield engine, pairs
    engine.close()
    store.close()


def all_ids(engine: SearchEngine, **params) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        result = engine.search(SearchRequest(page=page, per_page=100, highlight=False, **params))
        ids += [hit.id for hit in result.hits]
        if len(ids) >= result.total or not result.hits:
            return ids
        page += 1


# --- recall ---------------------------------------------------------------------------------------


def test_quoted_substrings_find_exactly_the_documents_that_contain_them(corpus):
    engine, pairs = corpus
    records = [record for _t, record in pairs]
    searchable = {r.id: f"{r.title}\n{r.text}" for r in records}
    substrings = draw_substrings(records, 320, seed=20240)
    assert len(set(substrings)) > 250
    for text in substrings:
        want = {doc for doc, body in searchable.items() if text in body}
        got = set(all_ids(engine, q=f'"{text}"'))
        assert want, text
        assert got == want, text


def test_unquoted_words_are_found_whatever_jieba_makes_of_them(corpus):
    engine, pairs = corpus
    # 居环 cuts across jieba's words 人居|环境; 人居环境 is one word in the user dictionary.
    for word in ("居环", "境整", "人居环境", "整治"):
        want = {r.id for _t, r in pairs if word in r.text}
        assert want and set(all_ids(engine, q=word)) == want, word


def test_single_character_query_finds_every_document_with_it(corpus):
    engine, pairs = corpus
    for char in ("瓷", "湾"):
        want = {r.id for _t, r in pairs if char in f"{r.title}\n{r.text}"}
        assert want and set(all_ids(engine, q=char)) == want, char


def test_multi_word_query_is_and_first(corpus):
    engine, pairs = corpus
    result = engine.search(SearchRequest(q="物业管理 老旧小区改造", per_page=100))
    both = {r.id for _t, r in pairs if "物业管理" in r.text and "老旧小区改造" in r.text}
    either = {r.id for _t, r in pairs if "物业管理" in r.text or "老旧小区改造" in r.text}
    assert result.exact_total == len(both) >= 5
    assert {hit.id for hit in result.hits[: len(both)]} == both
    # fewer than index.relax_below documents hold both words: those holding one follow, never others
    assert both < {hit.id for hit in result.hits} <= either
    assert result.total == len(result.hits)


def test_or_not_and_fields(corpus):
    engine, pairs = corpus
    a = {r.id for _t, r in pairs if "智慧停车" in r.text}
    b = {r.id for _t, r in pairs if "黑臭水体" in r.text}
    assert set(all_ids(engine, q='"智慧停车" OR "黑臭水体"')) == a | b
    c = {r.id for _t, r in pairs if "城市大脑" in r.text}
    assert set(all_ids(engine, q='"智慧停车" NOT "城市大脑"')) == a - c
    assert set(all_ids(engine, q='"智慧停车" -"城市大脑"')) == a - c
    titled = {r.id for _t, r in pairs if "答复" in (r.title or "")}
    assert set(all_ids(engine, q="title:答复")) == titled
    in_2022 = {r.id for t, r in pairs if t["year"] == 2022}
    assert set(all_ids(engine, q="year:2022")) == in_2022
    span = {r.id for t, r in pairs if 2020 <= t["year"] <= 2023}
    assert set(all_ids(engine, q="year:2020..2023")) == span
    finance = {r.id for t, r in pairs if any("财政局" in i for i in t["issuers"])}
    assert set(all_ids(engine, q="issuer:财政局")) == finance


@pytest.mark.parametrize("variant", ["{p}〔{y}〕{n}号", "{p}[{y}]{n}号", "{p}({y}){n}号", "{p}（{y}）{n}号",
                                     "{p}［{y}］{n}号", "doc_number:{p}〔{y}〕{n}号"])
def test_pasted_doc_number_ranks_its_document_first(corpus, variant):
    engine, pairs = corpus
    checked = 0
    for truth, record in pairs:
        match = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", truth.get("doc_number_canonical") or "")
        if not match:
            continue
        query = variant.format(p=match[1], y=match[2], n=match[3])
        hits = engine.search(SearchRequest(q=query)).hits
        assert hits and hits[0].id == record.id, query
        checked += 1
        if checked == 8:
            break
    assert checked == 8


def test_synonyms_expand_queries(tmp_path):
    settings = make_settings(tmp_path / "index")
    store = RecordStore(tmp_path / "store")
    texts = {
        "a" * 64: "市发展和改革委员会关于物价的通知",
        "b" * 64: "市人力资源和社会保障局关于就业的通知",
        "c" * 64: "中国人民政治协商会议景川市委员会提案",
        "d" * 64: "臺灣同胞投資發展",
    }
    for doc_id, text in texts.items():
        store.put(DocumentRecord(id=doc_id, filename=f"{doc_id[0]}.pdf", title=text, text=text))
    DocumentIndex(tmp_path / "index", settings).reconcile(store)
    engine = SearchEngine(tmp_path / "index", settings)
    assert [h.id for h in engine.search(SearchRequest(q="发改委")).hits] == ["a" * 64]
    assert [h.id for h in engine.search(SearchRequest(q="人社局")).hits] == ["b" * 64]
    assert [h.id for h in engine.search(SearchRequest(q="政协 提案")).hits] == ["c" * 64]
    # traditional and simplified find each other
    assert [h.id for h in engine.search(SearchRequest(q="台湾 发展")).hits][:1] == ["d" * 64]
    assert engine.search(SearchRequest(q="台湾 发展")).exact_total == 1
    assert [h.id for h in engine.search(SearchRequest(q='"投資發展"')).hits] == ["d" * 64]
    engine.close()


# --- filters and facets ---------------------------------------------------------------------------


def expected_facets(truths: list[dict]) -> dict[str, dict[str, int]]:
    issuer: Counter = Counter()
    for t in truths:
        issuer.update(set(t["issuers"]))
    return {
        "issuer": dict(issuer),
        "year": dict(Counter(str(t["year"]) for t in truths)),
        "category": dict(Counter(t["category"][0] for t in truths if t.get("category"))),
        "doc_type": dict(Counter(t["doc_type"] for t in truths if t.get("doc_type"))),
    }


def facet_dict(result) -> dict[str, dict[str, int]]:
    return {name: {f.value: f.count for f in values} for name, values in result.facets.items()}


FILTER_CASES = [
    {},
    {"issuer": "景川市财政局"},
    {"year": "2022"},
    {"year": "2020..2023"},
    {"category": "A"},
    {"category": "A1"},
    {"doc_type": "答复"},
    {"issuer": "景川市人民政府办公室", "category": "B"},
    {"year": "2024", "doc_type": "通知"},
]


def _keep(truth: dict, filters: dict) -> bool:
    if "issuer" in filters and filters["issuer"] not in truth["issuers"]:
        return False
    if "year" in filters:
        first, _, last = filters["year"].partition("..")
        if not int(first) <= truth["year"] <= int(last or first):
            return False
    if "category" in filters:
        code = truth.get("category") or ""
        wanted = filters["category"]
        if (code[:1] if len(wanted) == 1 else code) != wanted:
            return False
    return "doc_type" not in filters or truth.get("doc_type") == filters["doc_type"]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: json.dumps(f, ensure_ascii=False))
@pytest.mark.parametrize("q", ["", '"办理"', "老旧小区改造"])
def test_facet_counts_equal_the_truth(corpus, filters, q):
    engine, pairs = corpus
    truths = [t for t, r in pairs if _keep(t, filters) and (not q or q.strip('"') in r.text)]
    result = engine.search(SearchRequest(q=q, **filters))
    assert result.total == len(truths)
    assert facet_dict(result) == expected_facets(truths)
    facets_only = engine.facets(SearchRequest(q=q, **filters))
    assert {name: {f.value: f.count for f in v} for name, v in facets_only.items()} == expected_facets(truths)


def test_empty_query_lists_newest_first_and_pages(corpus):
    engine, pairs = corpus
    dates = sorted((t["date"] for t, _r in pairs), reverse=True)
    first = engine.search(SearchRequest(per_page=50))
    second = engine.search(SearchRequest(per_page=50, page=2))
    assert first.total == len(pairs)
    assert [h.date for h in first.hits + second.hits] == dates[:100]
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    by_date = engine.search(SearchRequest(q="老旧小区改造", sort="date", per_page=20)).hits
    assert [h.date for h in by_date] == sorted((h.date for h in by_date), reverse=True)


# --- snippets -------------------------------------------------------------------------------------


def test_snippets_are_escaped_html_with_marks_from_the_clean_text(tmp_path):
    settings = make_settings(tmp_path / "index")
    store = RecordStore(tmp_path / "store")
    middle = "关于<script>alert(1)</script>的人居环境整治工作。后记。"
    body = "前言。" + "其他内容，" * 40 + middle + "结尾，" * 40
    store.put(DocumentRecord(id="e" * 64, filename="e.pdf", title="测试", text=body))
    DocumentIndex(tmp_path / "index", settings).reconcile(store)
    engine = SearchEngine(tmp_path / "index", settings)
    snippet = engine.search(SearchRequest(q="人居环境整治")).hits[0].snippet
    assert "<mark>人居环境整治</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    plain = re.sub(r"</?mark>", "", snippet).replace("&lt;", "<").replace("&gt;", ">").strip("…")
    assert plain.strip("… ") in body.replace("\n", " ")
    assert len(plain) <= 2 * 130
    engine.close()


# --- bad parameters and hostile queries -------------------------------------------------------------


@pytest.mark.parametrize(
    "request_args, param",
    [
        ({"q": "字" * 300}, "q"),
        ({"year": "20x4"}, "year"),
        ({"year": "2020..2023..2024"}, "year"),
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 10_000}, "per_page"),
        ({"sort": "random"}, "sort"),
        ({"q": "year:abc"}, "q"),
    ],
)
def test_bad_parameters_raise_query_error(corpus, request_args, param):
    engine, _pairs = corpus
    with pytest.raises(QueryError) as caught:
        engine.search(SearchRequest(**request_args))
    assert caught.value.param == param


HOSTILE = [
    "*", "?", "*?*", "a*", "字*", "*字", '"', '"""', "((((", "))", "AND", "OR OR NOT", "NOT", "-", "+",
    "title:", ":", "year:", "issuer:*", "[2020 TO", "^2", "~", "字~2", "\\", "'", "景教字〔", "〔2024〕",
    "<script>", "%00", "\x00", "　", "🙂", "ｗｏｒｄ*", "*" * 200, "?" * 200, "(a OR " * 40,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_quickly_or_raise_query_error(corpus, q):
    engine, _pairs = corpus
    started = time.perf_counter()
    try:
        result = engine.search(SearchRequest(q=q))
    except QueryError:
        return
    assert result.total >= 0
    assert time.perf_counter() - started < 5


# --- writing --------------------------------------------------------------------------------------


def _small_store(tmp_path: Path, count: int = 6) -> tuple[RecordStore, list[DocumentRecord]]:
    store = RecordStore(tmp_path / "store")
    rng = random.Random(3)
    records = []
    for n in range(count):
        doc_id = f"{n:064x}"
        text = f"第{n}号文件 " + "".join(rng.choice("政协提案答复通知意见批复报告") for _ in range(40))
        record = DocumentRecord(id=doc_id, filename=f"{n}.pdf", title=f"标题{n}", text=text, year=2020 + n)
        store.put(record)
        records.append(record)
    return store, records


def test_apply_reconcile_rebuild_and_searcher_refresh(tmp_path):
    settings = make_settings(tmp_path / "index")
    store, records = _small_store(tmp_path)
    index = DocumentIndex(tmp_path / "index", settings)
    assert index.reconcile(store) == (6, 0)
    assert index.reconcile(store) == (0, 0)
    engine = SearchEngine(tmp_path / "index", settings)
    assert engine.search(SearchRequest()).total == 6

    store.delete(records[0].id)
    records[1].title = "新标题"
    store.put(records[1])
    assert index.reconcile(store) == (1, 1)
    result = engine.search(SearchRequest())  # the engine sees the commit without being told
    assert result.total == 5
    assert engine.search(SearchRequest(q="新标题")).hits[0].id == records[1].id

    index.apply(store, [records[2].id], [records[3].id])
    assert engine.search(SearchRequest()).total == 4
    assert index.reconcile(store) == (1, 0)  # records[3] is still stored: reconcile brings it back

    before = whoosh_folder(tmp_path / "index").resolve()
    assert index.rebuild(store) == 5
    after = whoosh_folder(tmp_path / "index").resolve()
    assert before != after and whoosh_folder(tmp_path / "index").is_symlink()
    assert engine.search(SearchRequest()).total == 5
    assert engine.stats()["documents"] == 5
    assert index.reconcile(store) == (0, 0)
    engine.close()


def test_a_lock_left_by_a_dead_writer_is_cleared(tmp_path):
    settings = make_settings(tmp_path / "index", lock_timeout_s=2.0)
    store, _records = _small_store(tmp_path)
    index = DocumentIndex(tmp_path / "index", settings)
    index.reconcile(store)
    folder = whoosh_folder(tmp_path / "index").resolve()

    def die_while_writing(path: str) -> None:
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(path)
        writer = ix.writer()
        writer.add_document(id="x" * 64)
        (Path(path) / "leftover.tmp").mkdir()
        import os

        os._exit(1)  # no cleanup, like a killed process

    child = multiprocessing.get_context("fork").Process(target=die_while_writing, args=(str(folder),))
    child.start()
    child.join(30)
    assert list(folder.glob("*WRITELOCK")) and (folder / "leftover.tmp").exists()
    store.put(DocumentRecord(id="f" * 64, filename="f.pdf", title="新文件", text="新文件内容"))
    assert index.reconcile(store) == (1, 0)
    assert not (folder / "leftover.tmp").exists()


def _hold_lock(path: str, ready, release) -> None:
    with writer_lock(Path(path), 60):
        ready.set()
        release.wait(30)


def test_a_live_writer_is_waited_for_then_reported(tmp_path):
    settings = make_settings(tmp_path / "index", lock_timeout_s=0.5)
    store, _records = _small_store(tmp_path)
    index = DocumentIndex(tmp_path / "index", settings)
    index.reconcile(store)
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(tmp_path / "index" / LOCK_NAME), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        store.put(DocumentRecord(id="f" * 64, filename="f.pdf", title="新文件", text="新文件内容"))
        started = time.monotonic()
        with pytest.raises(IndexLockedError, match=f"pid {holder.pid}"):
            index.reconcile(store)
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join(30)
    assert index.reconcile(store) == (1, 0)


def test_similar_and_suggest(corpus):
    engine, pairs = corpus
    truth, record = next((t, r) for t, r in pairs if "老旧小区改造" in r.text)
    similar = engine.similar(record.id, limit=5)
    assert similar.hits and record.id not in {h.id for h in similar.hits}
    assert any("老旧小区" in h.snippet or "小区" in (h.title or "") for h in similar.hits)
    suggestions = engine.suggest("景川市财")
    assert "景川市财政局" in suggestions
    assert any(s.startswith("高校") for s in engine.suggest("高校"))
    assert engine.suggest("") == []


def test_pdf_to_pipeline_to_store_to_index_to_search(tmp_path):
    """Real text-layer PDFs through ingest.pipeline, stored, indexed and found (scans need OCR: left out)."""
    from bench.truth_records import load_truth
    from ingest.pipeline import read_document

    settings = make_settings(tmp_path / "index")
    truths = [t for t in load_truth() if t["kind"] == "text"][:6]
    store = RecordStore(tmp_path / "store")
    ids = []
    for truth in truths:
        record = read_document(CORPUS / truth["file"], settings)
        store.put(record, original=CORPUS / truth["file"])
        ids.append(record.id)
    DocumentIndex(tmp_path / "index", settings).apply(store, ids, [])
    engine = SearchEngine(tmp_path / "index", settings)
    assert engine.search(SearchRequest()).total == len(truths)
    for truth, doc_id in zip(truths, ids, strict=True):
        sentence = re.findall(r"[\u4e00-\u9fff]{6,}", truth["body"])[2][:6]
        found = all_ids(engine, q=f'"{sentence}"')
        assert doc_id in found, sentence
        if truth["doc_number"]:
            assert engine.search(SearchRequest(q=truth["doc_number"])).hits[0].id == doc_id
        hit = engine.search(SearchRequest(q=f'"{truth["title"]}"')).hits[0]
        assert hit.id == doc_id and "<mark>" in hit.snippet
    assert facet_dict(engine.search(SearchRequest())) == expected_facets(truths)
    engine.close()
