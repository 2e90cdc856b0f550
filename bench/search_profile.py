"""`SearchEngine.search` latency (facets + 10 snippets) at N documents next to plain Whoosh + jieba's
ChineseAnalyzer in the same run, over `bench/corpus.py`'s fixed query set; reuses the indexes that
`bench/query_bench.py` built under /work/benchdata/r<N>.

The first pass starts from an empty posting cache (every term read from disk once); the second pass
repeats the queries on the warm per-snapshot posting cache. No result cache exists, so both are real
searches.

    .venv/bin/python bench/search_profile.py --n 20000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import BENCHDATA, summary_ms  # noqa: E402
from bench.query_bench import _by_kind, _filters, _settings, run_plain  # noqa: E402


def run_engine(root: Path, queries: list[dict[str, Any]], passes: int) -> dict[str, Any]:
    from index.results import SearchRequest
    from index.search import SearchEngine

    engine = SearchEngine(root, _settings(root))
    started = time.perf_counter()
    engine.search(SearchRequest(q=""))  # opens the snapshot (facet table, phrase texts)
    out: dict[str, Any] = {"open_s": round(time.perf_counter() - started, 2),
                           "open_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    for number in range(1, passes + 1):
        seconds, cpu, slowest = [], [], []
        for query in queries:
            begun = time.perf_counter()
            cpu_begun = time.process_time()
            request = SearchRequest(q=query["q"], per_page=10, highlight=True, **_filters(query))
            result = engine.search(request)
            seconds.append(time.perf_counter() - begun)
            cpu.append(time.process_time() - cpu_begun)
            slowest.append((round(seconds[-1] * 1000, 1), query["kind"], query["q"], result.total))
        slowest.sort(reverse=True)
        # CPU time of this one-threaded process: what a query costs, without the other jobs' share
        out[f"pass{number}"] = {"all": summary_ms(seconds), "cpu": summary_ms(cpu),
                                "by_kind": _by_kind(queries, seconds),
                                "slowest": slowest[:5]}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    engine.close()
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.corpus import make_queries

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="documents (index under /work/benchdata/r<N>)")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--root", type=Path, default=None,
                        help="index folder to use instead of /work/benchdata/r<N> (e.g. one rebuilt after a "
                             "schema change; its plain-whoosh/ may be a link to the original's)")
    args = parser.parse_args(argv)
    root = args.root or BENCHDATA / f"r{args.n}"
    queries = make_queries(args.n, args.queries)
    gongwen = run_engine(root, queries, args.passes)
    plain = run_plain(root, queries)
    print(f"{args.n} documents, {len(queries)} queries; snapshot open {gongwen['open_s']} s "
          f"(RSS then {gongwen['open_rss_mb']:.0f} MiB), "
          f"peak RSS after the passes {gongwen['peak_rss_mb']:.0f} MiB")
    print(f"{'path':<46}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    rows = [(f"SearchEngine.search pass {i} (facets+snippets)", gongwen[f"pass{i}"])
            for i in range(1, args.passes + 1)] + [("plain Whoosh+ChineseAnalyzer (1 facet)", plain)]
    for label, figures in rows:
        s = figures["all"]
        print(f"{label:<46}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}")
    print("p95 by kind (ms): " + " | ".join(f"pass {i}" for i in range(1, args.passes + 1)) + " | plain")
    for kind in gongwen["pass1"]["by_kind"]:
        cells = [gongwen[f"pass{i}"]["by_kind"][kind]["p95_ms"] for i in range(1, args.passes + 1)]
        cells.append(plain["by_kind"][kind]["p95_ms"])
        print(f"  {kind:<20}" + "".join(f"{c:>9.1f}" for c in cells))
    for i in range(1, args.passes + 1):
        c = gongwen[f"pass{i}"]["cpu"]
        label = f"  same, CPU time pass {i}"
        print(f"{label:<46}{c['p50_ms']:>9.1f}{c['p95_ms']:>9.1f}{c['max_ms']:>9.1f}")
    for i in range(1, args.passes + 1):
        print(f"slowest pass {i}: {gongwen[f'pass{i}']['slowest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
