"""Latency of `GET /api/search` over HTTP for the corpus's `queries.jsonl`, served by waitress.

Builds a store and index of the shared corpus (`docs/`, records from `truth.jsonl` with copies of the real
PDFs, so no OCR wait), serves the app on a free loopback port and sends every query, with its filters,
`--rounds` times after one warm-up pass; prints median and p95 of the client-side time per request.

    .venv/bin/python bench/api_latency.py            # about half a minute
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import machine, save_result, summary_ms  # noqa: E402
from bench.truth_records import CORPUS, truth_records  # noqa: E402
from index.writer import DocumentIndex  # noqa: E402
from ingest.settings import load_settings  # noqa: E402
from ingest.store import RecordStore  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.resources import close_app  # noqa: E402
from webapp.server import background_server  # noqa: E402


def build(index_dir: Path, settings) -> int:
    with RecordStore(index_dir) as store:
        ids = []
        for truth, record in truth_records(CORPUS):
            if not truth["file"].startswith("docs/"):
                continue
            store.put(record, original=CORPUS / truth["file"])
            ids.append(record.id)
        DocumentIndex(index_dir, settings).apply(store, ids, [])
        return len(ids)


def query_paths(per_page: int) -> list[str]:
    paths = []
    with (CORPUS / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            query = json.loads(line)
            params = {"q": query["query"], "per_page": per_page}
            params.update({k: v for k, v in (query.get("filters") or {}).items() if v not in (None, "")})
            paths.append("/api/search?" + urllib.parse.urlencode(params))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-page", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongwen-api-latency-") as tmp:
        index_dir = Path(tmp) / "index"
        settings = load_settings(environ={}).with_overrides(
            {("storage", "index_dir"): str(index_dir), ("web", "rate_limit_per_minute"): 0}
        )
        documents = build(index_dir, settings)
        paths = query_paths(args.per_page)
        app = create_app(settings)
        times: list[float] = []
        engine_ms: list[float] = []
        slowest: dict[str, float] = {}
        failures = 0
        with background_server(app, threads=args.threads) as base:
            host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
            conn = http.client.HTTPConnection(host, port, timeout=30)
            for round_number in range(args.rounds + 1):
                for path in paths:
                    started = time.perf_counter()
                    conn.request("GET", path)
                    response = conn.getresponse()
                    body = response.read()
                    elapsed = time.perf_counter() - started
                    if response.status != 200 or b'"results"' not in body:
                        failures += 1
                    if round_number > 0:  # round 0 warms caches (jieba, searcher, facets)
                        times.append(elapsed)
                        if response.status == 200:
                            engine_ms.append(json.loads(body)["took_ms"] / 1000)
                        slowest[path] = max(slowest.get(path, 0.0), elapsed * 1000)
            conn.close()
        close_app(app)
    result = {
        "machine": machine(),
        "documents": documents,
        "queries": len(paths),
        "rounds": args.rounds,
        "per_page": args.per_page,
        "failed_requests": failures,
        "api_search": summary_ms(times),
        "engine_took_ms": summary_ms(engine_ms),  # the `took_ms` the engine reports, same requests
        "slowest": [
            {
                "query": urllib.parse.parse_qs(urllib.parse.urlsplit(p).query).get("q", [""])[0],
                "max_ms": round(ms, 1),
            }
            for p, ms in sorted(slowest.items(), key=lambda item: -item[1])[:5]
        ],
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    save_result("api_latency", result)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
