"""Query latency, memory and concurrency at N documents, next to a plain Whoosh + jieba baseline.

Builds (once, under /work/benchdata/r<N>) a record store of N synthetic documents, gongwen's index of it
and a plain Whoosh index with `jieba.analyse.ChineseAnalyzer`; then runs the same seeded query set
through `SearchEngine.search` (Python API), through the plain index (one `groupedby` facet, no snippets)
and over HTTP against `gongwen serve` (`/api/search`: facets and 10 highlighted snippets), and drives the
server with `wrk` at 1, 4 and 16 connections.

    .venv/bin/python bench/query_bench.py --n 20000
    .venv/bin/python bench/query_bench.py --small          # 300 documents, about a minute
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    BENCHDATA,
    PYTHON,
    folder_bytes,
    gongwen_cmd,
    gongwen_env,
    machine,
    proc_status_mb,
    run_measured,
    save_result,
    summary_ms,
)

PLAIN_DIR = "plain-whoosh"
WRK_SCRIPT = """-- Cycles through the benchmark's query URLs; prints p95 and errors as one JSON line.
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "seconds": %%.3f, "p50_ms": %%.2f, "p95_ms": %%.2f, "p99_ms": %%.2f, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# --- building -------------------------------------------------------------------------------------


def _settings(root: Path) -> Any:
    from ingest.settings import load_settings

    return load_settings().with_overrides({("storage", "index_dir"): str(root)})


def build_gongwen_index(root: Path) -> dict[str, Any]:
    """Run in a child: rebuild gongwen's index from the store (what `gongwen reindex` does)."""
    from index.writer import DocumentIndex
    from ingest.store import RecordStore

    started = time.monotonic()
    with RecordStore(root) as store:
        count = DocumentIndex(root, _settings(root)).rebuild(store)
    return {"documents": count, "seconds": round(time.monotonic() - started, 1)}


def plain_schema() -> Any:
    from jieba.analyse import ChineseAnalyzer
    from whoosh.fields import ID, NUMERIC, TEXT, Schema

    analyzer = ChineseAnalyzer()
    return Schema(id=ID(unique=True, stored=True), title=TEXT(analyzer=analyzer, stored=True),
                  content=TEXT(analyzer=analyzer), doc_number=ID(stored=True),
                  issuer=ID(stored=True, sortable=True), year=NUMERIC(int, stored=True, sortable=True),
                  category=ID(stored=True))


def build_plain_index(root: Path) -> dict[str, Any]:
    """Run in a child: the baseline, a textbook Whoosh + jieba ChineseAnalyzer index of the same records."""
    import jieba
    from whoosh import index as whoosh_index

    from ingest.store import RecordStore

    jieba.setLogLevel(60)
    # Built beside its final name and renamed when complete, so a reader never sees half an index.
    final = root / PLAIN_DIR
    folder = root / f".{PLAIN_DIR}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.monotonic()
    ix = whoosh_index.create_in(str(folder), plain_schema())
    writer = ix.writer(limitmb=128)
    count = 0
    with RecordStore(root) as store:
        for record, _revision in store.iter_records():
            writer.add_document(id=record.id, title=record.title or "", content=record.text,
                                doc_number=record.doc_number or "", issuer=record.issuer or "",
                                year=record.year or 0, category=(record.category or "")[:1])
            count += 1
    writer.commit()
    ix.close()
    shutil.rmtree(final, ignore_errors=True)
    folder.rename(final)
    return {"documents": count, "seconds": round(time.monotonic() - started, 1)}


def _doc_count(folder: Path) -> int:
    """Documents in the Whoosh index at `folder`, -1 when there is none (or it cannot be read)."""
    if not folder.exists():
        return -1
    from whoosh import index as whoosh_index

    try:
        ix = whoosh_index.open_dir(str(folder))
        return ix.doc_count()
    except Exception:  # noqa: BLE001 - an unreadable index is rebuilt
        return -1


def prepare(n: int, root: Path, rebuild: bool, skip_plain: bool = False,
            existing: bool = False) -> dict[str, Any]:
    """The store, gongwen's index and the plain index for N documents, built only when missing.

    `existing`: `root` was given by the caller (e.g. an index rebuilt after a schema change): it is
    measured as it is and never deleted or rebuilt, since a 20k build takes half an hour.
    """
    from bench.corpus import write_records
    from ingest.store import RecordStore

    info: dict[str, Any] = {"root": str(root)}
    count = 0
    if root.exists():
        with RecordStore(root) as store:
            count = store.count()
    if existing:
        counts = {"store": count, "whoosh": _doc_count(root / "whoosh")}
        if not skip_plain:
            counts[PLAIN_DIR] = _doc_count(root / PLAIN_DIR)
        if any(c != n for c in counts.values()):
            raise RuntimeError(f"{root} does not hold {n} documents everywhere: {counts}")
        rebuild = False
    if count != n and not existing:
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        pages = write_records(n, root)
        info["records"] = {"documents": n, "pages": pages, "seconds": round(time.monotonic() - started, 1)}
        rebuild = True
    for name, ready in (("gongwen_index", lambda: _doc_count(root / "whoosh") == n),
                        ("plain_index", lambda: _doc_count(root / PLAIN_DIR) == n)):
        if name == "plain_index" and skip_plain:
            continue
        if rebuild or not ready():
            run = run_measured([PYTHON, str(Path(__file__).resolve()), f"build-{name.split('_')[0]}",
                                "--root", str(root)], env=gongwen_env())
            if run["rc"] != 0:
                raise RuntimeError(f"building {name} failed: {run['stderr'][-3000:]}")
            built = json.loads(run["stdout"].strip().splitlines()[-1])
            built["peak_rss_mb"] = round(run["rss_mb"], 1)
            info[name] = built
    store_bytes = sum(p.stat().st_size for p in root.glob("records.sqlite3*"))
    info["bytes_per_doc"] = {
        "gongwen_index": round(folder_bytes((root / "whoosh").resolve()) / n),
        "plain_index": round(folder_bytes(root / PLAIN_DIR) / n) if (root / PLAIN_DIR).exists() else None,
        "record_store": round(store_bytes / n),
    }
    return info


# --- querying -------------------------------------------------------------------------------------


def _by_kind(queries: list[dict[str, Any]], seconds: list[float]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[float]] = {}
    for query, s in zip(queries, seconds, strict=True):
        kinds.setdefault(query["kind"] + ("+filter" if _filters(query) else ""), []).append(s)
    return {kind: summary_ms(values) for kind, values in sorted(kinds.items())}


def _filters(query: dict[str, Any]) -> dict[str, str]:
    return {k: query[k] for k in ("issuer", "year", "category") if query.get(k)}


def run_python_api(root: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    from index.results import SearchRequest
    from index.search import SearchEngine

    # The first query after opening pays for the snapshot (stored fields, facet table, norms): timed apart.
    started = time.perf_counter()
    engine = SearchEngine(root, _settings(root))
    engine.search(SearchRequest(q=queries[0]["q"], **_filters(queries[0])))
    open_s = time.perf_counter() - started
    warm = [engine.search(SearchRequest(q=q["q"], **_filters(q))) for q in queries[1:20]]
    del warm
    seconds, totals = [], []
    for query in queries:
        started = time.perf_counter()
        result = engine.search(SearchRequest(q=query["q"], per_page=10, highlight=True, **_filters(query)))
        seconds.append(time.perf_counter() - started)
        totals.append(result.total)
    engine.close()
    return {"all": summary_ms(seconds), "by_kind": _by_kind(queries, seconds),
            "zero_hit_queries": sum(1 for t in totals if t == 0), "open_and_first_query_s": round(open_s, 2)}


def run_similar(root: Path, count: int) -> dict[str, Any] | None:
    """`similar_text` on the bodies of `count` stored documents, timed by `bench/similar_eval.py`
    (which also times its plain-OR baseline); None when that module offers no timing function.
    """
    try:
        from bench.similar_eval import time_similar
    except ImportError:
        return None
    from ingest.store import RecordStore

    with RecordStore(root) as store:
        ids = sorted(store.revisions())[:count]
        texts = [record.body for record, _ in store.iter_records(ids)]
    return time_similar(root, texts, limit=10, settings=_settings(root))


def run_plain(root: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """The same queries on the plain index: QueryParser on `content`, filters as terms, issuer facet."""
    from whoosh import index as whoosh_index
    from whoosh import query as Q
    from whoosh.qparser import QueryParser

    ix = whoosh_index.open_dir(str(root / PLAIN_DIR))
    parser = QueryParser("content", ix.schema)
    seconds, totals = [], []
    with ix.searcher() as searcher:
        def one(query: dict[str, Any]) -> int:
            parsed = parser.parse(query["q"])
            terms = []
            if query.get("issuer"):
                terms.append(Q.Term("issuer", query["issuer"]))
            if query.get("year"):
                terms.append(Q.Term("year", int(query["year"])))
            if query.get("category"):
                terms.append(Q.Term("category", query["category"]))
            only = Q.And(terms) if terms else None
            results = searcher.search(parsed, limit=10, groupedby="issuer", filter=only)
            results.groups("issuer")
            return len(results)

        for query in queries[:20]:
            one(query)
        for query in queries:
            started = time.perf_counter()
            totals.append(one(query))
            seconds.append(time.perf_counter() - started)
    return {"all": summary_ms(seconds), "by_kind": _by_kind(queries, seconds),
            "zero_hit_queries": sum(1 for t in totals if t == 0)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _path(query: dict[str, Any]) -> str:
    params = {"q": query["q"], "per_page": "10", **_filters(query)}
    return "/api/search?" + urllib.parse.urlencode(params)


class Server:
    """`gongwen serve` in a child process on a free loopback port, rate limiting off."""

    def __init__(self, root: Path, threads: int = 8) -> None:
        self.port = _free_port()
        self.ready_s = 0.0
        self.log = tempfile.TemporaryFile()
        env = gongwen_env(GONGWEN_WEB_RATE_LIMIT_PER_MINUTE="0")
        self.process = subprocess.Popen(
            gongwen_cmd("serve", "--index", str(root), "--host", "127.0.0.1", "--port", str(self.port),
                        "--threads", str(threads)),
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        # Opening a 20k index and building its facet table takes tens of seconds on a loaded machine.
        started = time.monotonic()
        deadline = started + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"gongwen serve exited: {self.log.read().decode()[-3000:]}")
            try:
                status, _ = self.get("/api/search?q=")
                if status == 200:
                    self.ready_s = round(time.monotonic() - started, 2)
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gongwen serve did not answer within 600 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            if own:
                conn.close()

    def rss_mb(self) -> dict[str, float]:
        return {"rss_mb": round(proc_status_mb(self.process.pid, "VmRSS"), 1),
                "peak_rss_mb": round(proc_status_mb(self.process.pid, "VmHWM"), 1)}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def run_http(server: Server, queries: list[dict[str, Any]]) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for query in queries[:20]:
        server.get(_path(query), conn)
    seconds, errors, snippets, facets = [], 0, 0, 0
    for query in queries:
        started = time.perf_counter()
        status, body = server.get(_path(query), conn)
        seconds.append(time.perf_counter() - started)
        if status != 200:
            errors += 1
            continue
        payload = json.loads(body)
        snippets += sum(1 for hit in payload["results"] if "<mark>" in (hit.get("snippet") or ""))
        facets += bool(payload.get("facets"))
    conn.close()
    return {"all": summary_ms(seconds), "by_kind": _by_kind(queries, seconds), "errors": errors,
            "responses_with_facets": facets, "highlighted_snippets": snippets}


def run_wrk(server: Server, queries: list[dict[str, Any]], connections: list[int],
            seconds: int) -> list[dict[str, Any]]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    paths = ", ".join(json.dumps(_path(q)) for q in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as handle:
        handle.write(WRK_SCRIPT % paths)
        script = handle.name
    rows = []
    try:
        for count in connections:
            proc = subprocess.run(
                ["wrk", "-t", str(min(count, 2)), "-c", str(count), "-d", f"{seconds}s", "--timeout", "10s",
                 "-s", script, server.url], capture_output=True, text=True, check=False, timeout=seconds + 60)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith('{"requests"')), None)
            if proc.returncode != 0 or line is None:
                raise RuntimeError(f"wrk failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
            row = json.loads(line)
            row["connections"] = count
            row["requests_per_s"] = round(row["requests"] / row["seconds"], 1)
            row["error_count"] = sum(row["errors"].values())
            rows.append(row)
    finally:
        os.unlink(script)
    return rows


# --- report ---------------------------------------------------------------------------------------


def print_report(result: dict[str, Any]) -> None:
    n = result["documents"]
    print(f"query benchmark: {n} documents, {result['queries']} queries, machine {result['machine']}")
    prep = result["prepare"]
    for key in ("records", "gongwen_index", "plain_index"):
        if key in prep:
            extra = f", peak RSS {prep[key]['peak_rss_mb']:.0f} MiB" if "peak_rss_mb" in prep[key] else ""
            print(f"  built {key}: {prep[key]['seconds']} s{extra}")
    print(f"  bytes per document: {prep['bytes_per_doc']}")
    print(f"{'path':<44}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    plain = result.get("plain_whoosh")
    for label, key in (("SearchEngine.search (facets + snippets)", "python_api"),
                       ("/api/search over HTTP", "http"),
                       ("plain Whoosh+ChineseAnalyzer (1 facet)", "plain_whoosh")):
        if key not in result:
            continue
        s = result[key]["all"]
        print(f"{label:<44}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}")
    if result.get("similar_text"):
        for name, label in (("similar", "SearchEngine.similar_text (a body)"),
                            ("plain_or", "plain OR of the body's words (baseline)")):
            s = result["similar_text"][name]
            print(f"{label:<44}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}")
    if plain:
        print(f"ratio p95 /api/search / plain Whoosh: {result['ratio_http_p95_over_plain']:.2f}; "
              f"SearchEngine / plain: {result['ratio_api_p95_over_plain']:.2f}")
    print("p95 by query kind (ms): gongwen API | HTTP | plain")
    for kind, s in result["python_api"]["by_kind"].items():
        http_s = result["http"]["by_kind"][kind]
        plain_p95 = plain["by_kind"][kind]["p95_ms"] if plain else float("nan")
        print(f"  {kind:<22}{s['p95_ms']:>9.1f}{http_s['p95_ms']:>9.1f}{plain_p95:>9.1f}  (n={s['n']})")
    web = result["http"]
    print(f"HTTP errors {web['errors']}, responses with facets {web['responses_with_facets']}"
          f", highlighted snippets {web['highlighted_snippets']}")
    print(f"{'wrk connections':<18}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for row in result["concurrency"]:
        print(f"{row['connections']:<18}{row['requests_per_s']:>9.1f}{row['p50_ms']:>9.1f}"
              f"{row['p95_ms']:>9.1f}{row['error_count']:>8}")
    mem = result["server_memory"]
    if "server_ready_s" in result:
        print(f"SearchEngine open + first query {result['python_api']['open_and_first_query_s']} s; "
              f"gongwen serve answered its first request {result['server_ready_s']} s after its start")
    if "load_avg_after" in result:
        print(f"load average after each stage: {result['load_avg_after']}")
    print(f"server RSS: {mem['after_start']['rss_mb']:.0f} MiB after start, "
          f"peak {mem['after_load']['peak_rss_mb']:.0f} MiB after the load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", nargs="?", default="all",
                        choices=["all", "build-gongwen", "build-plain", "plain"],
                        help="all (default); plain: only the plain baseline, merged into the saved result")
    parser.add_argument("--root", help="existing folder (records.sqlite3, whoosh, plain-whoosh) of --n "
                        "documents to measure instead of /work/benchdata/r<N>; never rebuilt")
    parser.add_argument("--small", action="store_true", help="300 documents and short wrk runs")
    parser.add_argument("--n", type=int, help="documents (default 20000, 300 with --small)")
    parser.add_argument("--queries", type=int, default=240, help="queries in the fixed set (default 240)")
    parser.add_argument("--wrk-seconds", type=int, help="seconds per wrk run (default 15, 3 with --small)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild both indexes even if present")
    parser.add_argument("--similar-texts", type=int,
                        help="bodies timed through similar_text (default 20; 0 skips it and its "
                        "plain-OR baseline)")
    parser.add_argument("--skip-plain", action="store_true",
                        help="leave the plain baseline out (run the `plain` stage later)")
    args = parser.parse_args(argv)
    if args.stage in ("build-gongwen", "build-plain"):
        builder = build_gongwen_index if args.stage == "build-gongwen" else build_plain_index
        print(json.dumps(builder(Path(args.root))))
        return 0
    from bench.corpus import make_queries

    n = args.n or (300 if args.small else 20000)
    root = Path(args.root) if args.root else BENCHDATA / f"r{n}"
    name = "query_small" if args.small else f"query_{n}" if not args.root else f"query_{root.name}"
    queries = make_queries(n, args.queries)
    if args.stage == "plain":
        return merge_plain(n, root, queries, name)
    started = time.monotonic()
    prep = prepare(n, root, args.rebuild, args.skip_plain, existing=bool(args.root))
    result: dict[str, Any] = {"benchmark": "query", "small": args.small, "machine": machine(), "documents": n,
                              "queries": len(queries), "prepare": prep}
    # Other jobs share the machine: the load average after each stage says how noisy its figures are.
    loads: dict[str, list[float]] = {"start": _load()}
    result["load_avg_after"] = loads
    result["python_api"] = run_python_api(root, queries)
    loads["python_api"] = _load()
    if not args.skip_plain:
        result["plain_whoosh"] = run_plain(root, queries)
        loads["plain_whoosh"] = _load()
    similar_texts = args.similar_texts if args.similar_texts is not None else (5 if args.small else 20)
    result["similar_text"] = run_similar(root, similar_texts) if similar_texts else None
    server = Server(root)
    try:
        result["server_memory"] = {"after_start": server.rss_mb()}
        result["server_ready_s"] = server.ready_s
        result["http"] = run_http(server, queries)
        loads["http"] = _load()
        result["server_memory"]["after_http"] = server.rss_mb()
        wrk_seconds = args.wrk_seconds or (3 if args.small else 15)
        result["concurrency"] = run_wrk(server, queries, [1, 4, 16], wrk_seconds)
        loads["wrk"] = _load()
        result["server_memory"]["after_load"] = server.rss_mb()
    finally:
        server.stop()
    if not args.skip_plain:
        _ratios(result)
    result["total_seconds"] = round(time.monotonic() - started, 1)
    print_report(result)
    print(f"saved {save_result(name, result)}")
    return 0


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _ratios(result: dict[str, Any]) -> None:
    plain_p95 = result["plain_whoosh"]["all"]["p95_ms"]
    result["ratio_http_p95_over_plain"] = round(result["http"]["all"]["p95_ms"] / plain_p95, 3)
    result["ratio_api_p95_over_plain"] = round(result["python_api"]["all"]["p95_ms"] / plain_p95, 3)


def merge_plain(n: int, root: Path, queries: list[dict[str, Any]], name: str) -> int:
    """The plain baseline alone (built if missing), added to the result a `--skip-plain` run saved."""
    from bench.common import OUT_DIR

    saved = OUT_DIR / f"{name}.json"
    result = json.loads(saved.read_text(encoding="utf-8"))
    prep = prepare(n, root, rebuild=False)
    result["prepare"]["bytes_per_doc"] = prep["bytes_per_doc"]
    if "plain_index" in prep:
        result["prepare"]["plain_index"] = prep["plain_index"]
    result["plain_whoosh"] = run_plain(root, queries)
    result["plain_machine"] = machine()
    _ratios(result)
    print_report(result)
    print(f"saved {save_result(name, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
