"""Relevance of gongwen's search next to two anchors, on the same documents and queries, in one run.

The anchors are plain Whoosh with its StandardAnalyzer (what Paperless-ngx used) and Whoosh with
`jieba.analyse.ChineseAnalyzer` (the textbook Chinese recipe). For each corpus set (`docs/`, `real/`) it
prints success@10, nDCG@10 and MRR over `queries.jsonl` (with its filters), and the recall of quoted
substring queries drawn at random from titles and bodies. Records come from `truth.jsonl`, so OCR is not
being measured here.

    .venv/bin/python bench/relevance.py [--substrings 300] [--seed 7] [--set docs --set real]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.truth_records import CORPUS, file_id, truth_records  # noqa: E402
from index.results import SearchRequest  # noqa: E402
from index.search import SearchEngine  # noqa: E402
from index.writer import DocumentIndex  # noqa: E402
from ingest.record import DocumentRecord  # noqa: E402
from ingest.settings import Settings, load_settings  # noqa: E402
from ingest.store import RecordStore  # noqa: E402

CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")

# An engine answers (query string, filters, everything?) with ranked document ids and the number of matches;
# with everything=True the ids are all the matches (for recall), else the first 100.
Engine = Callable[[str, dict, bool], tuple[list[str], int]]


@dataclass
class Figures:
    success_at_10: float
    ndcg_at_10: float
    mrr: float
    substring_recall: float
    queries: int
    substrings: int

    def row(self, name: str) -> str:
        return (
            f"{name:<28} {self.success_at_10:>10.3f} {self.ndcg_at_10:>9.3f} {self.mrr:>7.3f}"
            f" {self.substring_recall:>17.3f}"
        )


# --- gongwen ----------------------------------------------------------------------------------------


def gongwen_engine(records: list[DocumentRecord], workdir: Path, settings: Settings) -> Engine:
    store = RecordStore(workdir / "store")
    for record in records:
        store.put(record)
    DocumentIndex(workdir / "index", settings).reconcile(store)
    engine = SearchEngine(workdir / "index", settings)

    def run(query: str, filters: dict, everything: bool = False) -> tuple[list[str], int]:
        ids: list[str] = []
        page = 1
        while True:
            request = SearchRequest(
                q=query,
                issuer=filters.get("issuer"),
                year=str(filters["year"]) if filters.get("year") else None,
                category=filters.get("category"),
                page=page,
                per_page=100,
                highlight=False,
            )
            result = engine.search(request)
            ids += [hit.id for hit in result.hits]
            if not everything or len(ids) >= result.total or not result.hits:
                return ids, result.total
            page += 1

    return run


# --- anchors: plain Whoosh --------------------------------------------------------------------------


def whoosh_engine(records: list[DocumentRecord], workdir: Path, analyzer: object) -> Engine:
    from whoosh import index as whoosh_index
    from whoosh import query as Q
    from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
    from whoosh.qparser import MultifieldParser

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer),
        content=TEXT(analyzer=analyzer),
        issuers=KEYWORD(commas=True, scorable=False),
        year=NUMERIC(int),
        category=ID(),
    )
    workdir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(workdir), schema)
    with ix.writer() as writer:
        for record in records:
            fields = {
                "id": record.id,
                "title": record.title or "",
                "content": record.text,
                "issuers": ",".join(record.issuers),
            }
            if record.year:
                fields["year"] = record.year
            if record.category:
                fields["category"] = record.category
            writer.add_document(**fields)
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "content"], schema)

    def run(query: str, filters: dict, everything: bool = False) -> tuple[list[str], int]:
        parts = []
        if filters.get("issuer"):
            parts.append(Q.Term("issuers", filters["issuer"]))
        if filters.get("year"):
            parts.append(Q.NumericRange("year", int(filters["year"]), int(filters["year"])))
        if filters.get("category"):
            parts.append(Q.Prefix("category", filters["category"]))
        restrict = Q.And(parts) if parts else None
        try:
            parsed = parser.parse(query)
            results = searcher.search(parsed, limit=None if everything else 100, filter=restrict)
        except Exception:  # an anchor that cannot parse a query simply finds nothing
            return [], 0
        return [hit["id"] for hit in results], len(results)

    return run


# --- measures ---------------------------------------------------------------------------------------


def ndcg_at_10(ranked: list[str], grades: dict[str, int]) -> float:
    gains = [(2 ** grades.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:10])]
    ideal = sorted(grades.values(), reverse=True)[:10]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return sum(gains) / best if best else 0.0


def draw_substrings(records: list[DocumentRecord], count: int, seed: int) -> list[str]:
    """Random 2–6 character runs of Chinese from titles and bodies (seeded, so every engine gets the same)."""
    rng = random.Random(seed)
    sources = [text for r in records for text in (r.title or "", r.body) if text]
    found: list[str] = []
    while len(found) < count:
        runs = CJK_RUN.findall(rng.choice(sources))
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.randint(2, min(6, len(run)))
        start = rng.randint(0, len(run) - size)
        found.append(run[start : start + size])
    return found


def evaluate(engine: Engine, queries: list[dict], ids: dict[str, str], records: list[DocumentRecord],
             substrings: list[str]) -> Figures:
    success = ndcg = mrr = 0.0
    for item in queries:
        grades = {ids[f]: g for f, g in item["relevant"].items() if f in ids}
        ranked, _total = engine(item["query"], item.get("filters") or {}, False)
        top = ranked[:10]
        success += any(grades.get(doc) == 2 for doc in top)
        ndcg += ndcg_at_10(ranked, grades)
        first = next((i for i, doc in enumerate(ranked) if grades.get(doc, 0) > 0), None)
        mrr += 1 / (first + 1) if first is not None else 0.0
    found = expected = 0
    searchable = {r.id: f"{r.title or ''}\n{r.text}" for r in records}
    for text in substrings:
        want = {doc for doc, body in searchable.items() if text in body}
        ranked, _total = engine(f'"{text}"', {}, True)
        expected += len(want)
        found += len(want & set(ranked))
    n = len(queries) or 1
    return Figures(success / n, ndcg / n, mrr / n, found / expected if expected else 1.0, len(queries),
                   len(substrings))


def run_set(
    name: str, corpus: Path, settings: Settings, substring_count: int, seed: int
) -> dict[str, Figures]:
    pairs = truth_records(corpus)
    records = [record for _truth, record in pairs]
    ids = {truth["file"]: file_id(corpus, truth["file"]) for truth, _record in pairs}
    with (corpus / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle if line.strip()]
    substrings = draw_substrings(records, substring_count, seed)
    from jieba.analyse import ChineseAnalyzer
    from whoosh.analysis import StandardAnalyzer

    out: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp:
        work = Path(tmp)
        engines = {
            "gongwen": lambda: gongwen_engine(records, work / "gongwen", settings),
            "whoosh StandardAnalyzer": lambda: whoosh_engine(records, work / "standard", StandardAnalyzer()),
            "whoosh + jieba Chinese": lambda: whoosh_engine(records, work / "jieba", ChineseAnalyzer()),
        }
        for label, make in engines.items():
            out[label] = evaluate(make(), queries, ids, records, substrings)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substrings", type=int, default=300, help="quoted substring queries per set")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--set", action="append", choices=["docs", "real"], help="corpus sets (default both)")
    args = parser.parse_args(argv)
    settings = load_settings()
    sets = {"docs": CORPUS, "real": CORPUS / "real"}
    started = time.perf_counter()
    for name in args.set or ["docs", "real"]:
        figures = run_set(name, sets[name], settings, args.substrings, args.seed)
        first = next(iter(figures.values()))
        print(f"\n{name}: {first.queries} queries, {first.substrings} quoted substrings")
        print(f"{'engine':<28} {'success@10':>10} {'nDCG@10':>9} {'MRR':>7} {'substring recall':>17}")
        for label, result in figures.items():
            print(result.row(label))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
