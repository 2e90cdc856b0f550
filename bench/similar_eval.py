"""Measures "find similar": topic P@5 on the shared corpus and latency on any index, next to plain OR.

    .venv/bin/python bench/similar_eval.py                    # P@5 on ../shared/corpus (truth records)
    .venv/bin/python bench/similar_eval.py --grid             # also the parameter grid the defaults come from
    .venv/bin/python bench/similar_eval.py --time INDEX_DIR   # p50/p95 of a 2,000-character text on an index

Each document's `body` is pasted as the text; a position of the top 5 (itself excluded) counts when the
hit shares one of its `topics`. The baseline is what the issue measured: one OR of every jieba word of the
text, each once, scored by Whoosh's default BM25F, no stop words, no weights.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from whoosh import query as Q  # noqa: E402
from whoosh.scoring import BM25F  # noqa: E402
from whoosh.searching import Searcher  # noqa: E402

from bench.truth_records import CORPUS, truth_records  # noqa: E402
from index.analysis import cut  # noqa: E402
from index.normalize import fold  # noqa: E402
from index.search import SearchEngine  # noqa: E402
from index.similar import NotEnoughWords, SimilarQueryBuilder  # noqa: E402
from index.writer import DocumentIndex  # noqa: E402
from ingest.settings import Settings, load_settings  # noqa: E402
from ingest.store import RecordStore  # noqa: E402

TOP = 5
_WORDLIKE = re.compile(r"[^\W_]")


def corpus_settings(index_dir: Path) -> Settings:
    """Shipped defaults (environment ignored) on `index_dir`."""
    return load_settings(environ={}).with_overrides({("storage", "index_dir"): str(index_dir)})


def build_truth_index(index_dir: Path, corpus: Path = CORPUS) -> tuple[Settings, list[dict]]:
    """Store and index the corpus's truth records (what a perfect extraction gives); returns the truths."""
    settings = corpus_settings(index_dir)
    pairs = truth_records(corpus)
    with RecordStore(index_dir) as store:
        for _truth, record in pairs:
            store.put(record)
        DocumentIndex(index_dir, settings).rebuild(store)
    truths = []
    for truth, record in pairs:
        truths.append({**truth, "id": record.id})
    return settings, truths


# --- rankers: text → ids, best first ----------------------------------------------------------------


def similar_ranker(engine: SearchEngine) -> Callable[[str, int], list[str]]:
    def rank(text: str, limit: int) -> list[str]:
        try:
            return [hit.id for hit in engine.similar_text(text, limit).hits]
        except NotEnoughWords:
            return []

    return rank


def plain_or_query(text: str, userdict: str | None) -> Q.Query:
    words = dict.fromkeys(w.strip() for w, _s, _e in cut(fold(text), userdict) if _WORDLIKE.search(w))
    return Q.Or([Q.Term("content", w) for w in words if w])


def plain_or_ranker(engine: SearchEngine) -> Callable[[str, int], list[str]]:
    """The issue's baseline: OR of all the text's words, each once, default BM25F, no filtering."""
    userdict = engine.settings.get("index", "userdict")

    def rank(text: str, limit: int) -> list[str]:
        snap = engine._current()
        try:
            searcher = Searcher(snap.searcher.reader(), weighting=BM25F(), closereader=False)
            results = searcher.search(plain_or_query(text, userdict), limit=limit)
            return [hit["id"] for hit in results]
        finally:
            engine._release(snap)

    return rank


# --- topic P@5 ---------------------------------------------------------------------------------------


def topic_precision(truths: list[dict], rank: Callable[[str, int], list[str]], top: int = TOP) -> float:
    """Mean share of the top `top` results (the document itself excluded) sharing one of its topics."""
    topics = {t["id"]: set(t.get("topics") or []) for t in truths}
    total = 0.0
    for truth in truths:
        ids = [i for i in rank(truth["body"], top + 1) if i != truth["id"]][:top]
        total += sum(1 for i in ids if topics[i] & topics[truth["id"]]) / top
    return total / len(truths)


def ceiling(truths: list[dict], top: int = TOP) -> float:
    """The best topic P@5 possible: a topic with fewer than six documents cannot fill five places."""
    total = 0.0
    for truth in truths:
        mine = set(truth.get("topics") or [])
        others = sum(1 for t in truths if t["id"] != truth["id"] and mine & set(t.get("topics") or []))
        total += min(others, top) / top
    return total / len(truths)


# One axis at a time around the shipped defaults (terms 10, tf_power 1, boost_power 2, b 0.5, k1 1.2).
GRID = {
    "terms": [5, 8, 10, 15, 20, 30],
    "tf_power": [0.0, 0.5, 1.0],
    "boost_power": [0.0, 1.0, 2.0, 3.0],
    "bm25_b": [0.3, 0.5, 0.75],
    "bm25_k1": [0.8, 1.2, 2.0],
    "title_boost": [0.0, 1.0],
    "max_df": [0.3, 0.5, 1.0],
}


def grid_search(engine: SearchEngine, truths: list[dict], grid: dict = GRID) -> list[tuple[float, dict]]:
    """Topic P@5 for each option set, one axis at a time around the defaults (not the full product)."""
    base = engine.similar_builder.options
    rows = []
    for name, values in grid.items():
        for value in values:
            options = replace(base, **{name: value})
            engine.similar_builder = SimilarQueryBuilder(engine.settings, options)
            rows.append((topic_precision(truths, similar_ranker(engine)), {name: value}))
    engine.similar_builder = SimilarQueryBuilder(engine.settings, base)
    return rows


def pair_search(
    engine: SearchEngine, truths: list[dict], axes: tuple[str, str], grid: dict = GRID
) -> list[tuple[float, dict]]:
    base = engine.similar_builder.options
    rows = []
    for a, b in itertools.product(grid[axes[0]], grid[axes[1]]):
        options = replace(base, **{axes[0]: a, axes[1]: b})
        engine.similar_builder = SimilarQueryBuilder(engine.settings, options)
        rows.append((topic_precision(truths, similar_ranker(engine)), {axes[0]: a, axes[1]: b}))
    engine.similar_builder = SimilarQueryBuilder(engine.settings, base)
    return rows


# --- latency -----------------------------------------------------------------------------------------


def sample_texts(count: int, chars: int = 2000, corpus: Path = CORPUS, seed: int = 9) -> list[str]:
    """`count` texts of `chars` characters made by joining corpus bodies (from a random start)."""
    bodies = [truth["body"] for truth, _record in truth_records(corpus)]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        rng.shuffle(bodies)
        joined = "\n".join(bodies)
        start = rng.randrange(0, max(1, len(joined) - chars))
        texts.append(joined[start : start + chars])
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _timed(rank: Callable[[str, int], object], texts: Iterable[str], limit: int) -> list[float]:
    out = []
    for text in texts:
        started = time.perf_counter()
        rank(text, limit)
        out.append((time.perf_counter() - started) * 1000)
    return out


def time_similar(
    index_dir: str | Path,
    texts: list[str] | None = None,
    limit: int = 10,
    settings: Settings | None = None,
    baseline_texts: int = 5,
) -> dict[str, object]:
    """p50/p95/max in ms of `similar_text` and of the plain-OR baseline on the index under `index_dir`.

    One warm-up text first (opens the index, loads jieba), then every text once per path. The figures
    cover the whole call: tokenising, term selection, ranking, facets and snippets. The baseline gets
    only `baseline_texts` texts: at 20k documents one plain OR of ~300 words takes about 35 s.
    """
    index_dir = Path(index_dir)
    settings = settings or corpus_settings(index_dir)
    texts = texts or sample_texts(50)
    engine = SearchEngine(index_dir, settings)
    try:
        documents = engine.stats()["documents"]
        similar, baseline = similar_ranker(engine), plain_or_ranker(engine)
        similar(texts[0], limit)
        if baseline_texts:
            baseline(texts[0], limit)
        report: dict[str, object] = {"index_dir": str(index_dir), "documents": documents, "texts": len(texts),
                                     "chars": round(statistics.mean(len(t) for t in texts))}
        paths = (("similar", similar, texts), ("plain_or", baseline, texts[:baseline_texts]))
        for name, rank, subset in paths:
            if not subset:
                continue
            ms = _timed(rank, subset, limit)
            report[name] = {"p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
                            "max_ms": round(max(ms), 1)}
        return report
    finally:
        engine.close()


# --- command line ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", action="store_true", help="also print topic P@5 over the parameter grid")
    parser.add_argument("--time", metavar="INDEX_DIR", help="time a 2,000-character text on this index")
    parser.add_argument("--texts", type=int, default=50, help="texts to time (default 50)")
    parser.add_argument("--baseline-texts", type=int, default=5,
                        help="texts for the plain-OR baseline (default 5; 0 skips it: ~35 s each at 20k)")
    args = parser.parse_args(argv)
    if args.time:
        report = time_similar(args.time, sample_texts(args.texts), baseline_texts=args.baseline_texts)
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    with tempfile.TemporaryDirectory(prefix="similar-eval-") as work:
        settings, truths = build_truth_index(Path(work) / "index")
        engine = SearchEngine(Path(work) / "index", settings)
        try:
            report = {
                "documents": len(truths),
                "options": asdict(engine.similar_builder.options),
                "similar_p_at_5": round(topic_precision(truths, similar_ranker(engine)), 3),
                "plain_or_p_at_5": round(topic_precision(truths, plain_or_ranker(engine)), 3),
                "ceiling_p_at_5": round(ceiling(truths), 3),
            }
            print(json.dumps(report, ensure_ascii=False, indent=2))
            if args.grid:
                for score, options in grid_search(engine, truths):
                    print(f"{score:.3f}  {options}")
        finally:
            engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
