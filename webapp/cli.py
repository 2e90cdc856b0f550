"""The `gongwen` command: ingest, serve, search, similar, show, stats, reindex.

Exit codes: 0 ok, 1 some files failed (or a document was not found), 2 usage error.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from ingest.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="PATH", help="settings file (default: config.toml of the project)"
    )
    parser.add_argument(
        "--index", metavar="DIR", help="folder where gongwen keeps its index, records and originals"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gongwen",
        description="公文检索 — search Chinese government documents (replies to proposals, 通知, 批复 …).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "ingest",
        help="read PDFs into the index",
        description=(
            "Read PDF files (or folders of them, recursively) into the index. Files already ingested and "
            "unchanged are skipped; a changed file replaces its old version."
        ),
    )
    _common(p)
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="PDF files or folders, or .jsonl files of records (one JSON object per line)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    p.add_argument("--prune", action="store_true", help="also remove documents whose files are gone")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = commands.add_parser(
        "serve",
        help="run the web UI and JSON API",
        description=("Serve the search page and the JSON API on a production WSGI server (waitress)."),
    )
    _common(p)
    p.add_argument("--host", help="address to listen on (default from config.toml)")
    p.add_argument("--port", type=int, help="port to listen on (default from config.toml)")
    p.add_argument("--threads", type=int, help="worker threads")

    p = commands.add_parser(
        "search",
        help="search from the command line",
        description=(
            "Search the index; prints the same results as /api/search. An empty QUERY lists all documents."
        ),
    )
    _common(p)
    p.add_argument("query", nargs="?", default="", metavar="QUERY")
    p.add_argument("--issuer", help="only documents from this issuing office")
    p.add_argument("--year", help="only this year, or a range such as 2020..2023")
    p.add_argument("--category", help="reply category: A, A1, B, C …")
    p.add_argument("--doc-type", dest="doc_type", help="文种: 函, 通知, 批复 …")
    p.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="how many results (default 10)")
    p.add_argument("--json", action="store_true", help="print exactly the JSON /api/search returns")

    p = commands.add_parser(
        "similar",
        help="find past documents like a text or PDF",
        description=(
            "Find the documents most like a new proposal: FILE is a PDF (read, not stored) or a text file; "
            "'-' reads the text from standard input. Prints what POST /api/similar returns."
        ),
    )
    _common(p)
    p.add_argument("file", metavar="FILE|-", help="a PDF, a UTF-8 text file, or - for standard input")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="how many results (default 10)")
    p.add_argument("--issuer", help="only documents from this issuing office")
    p.add_argument("--year", help="only this year, or a range such as 2020..2023")
    p.add_argument("--category", help="reply category: A, A1, B, C …")
    p.add_argument("--json", action="store_true", help="print exactly the JSON /api/similar returns")

    p = commands.add_parser(
        "show", help="show one document", description="Show a document's metadata and text."
    )
    _common(p)
    p.add_argument("doc_id", metavar="ID", help="document id (the SHA-256 shown by search)")
    p.add_argument("--json", action="store_true", help="print exactly the JSON /api/documents/ID returns")

    p = commands.add_parser(
        "stats", help="counts and sizes", description="How many documents, pages, failures."
    )
    _common(p)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser(
        "reindex",
        help="rebuild the index from stored records",
        description=(
            "Rebuild the search index from the stored extraction results, without reading the PDFs again."
        ),
    )
    _common(p)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[tuple[str, str], Any] = {("storage", "index_dir"): getattr(args, "index", None)}
    if args.command == "ingest":
        overrides[("ingest", "workers")] = args.workers
    if args.command == "serve":
        overrides.update(
            {("web", "host"): args.host, ("web", "port"): args.port, ("web", "threads"): args.threads}
        )
    settings = load_settings(args.config).with_overrides(overrides)
    index_dir = Path(settings["storage"]["index_dir"]).resolve()
    return settings.with_overrides({("storage", "index_dir"): str(index_dir)})


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"gongwen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    handler = {
        "ingest": cmd_ingest,
        "serve": cmd_serve,
        "search": cmd_search,
        "similar": cmd_similar,
        "show": cmd_show,
        "stats": cmd_stats,
        "reindex": cmd_reindex,
    }[args.command]
    return handler(args, settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from index.locking import IndexLockedError
    from webapp.intake import PathError, ingest_paths

    try:
        summary = ingest_paths(
            args.paths, settings, workers=args.workers, prune=args.prune, show_progress=not args.quiet
        )
    except PathError as exc:
        print(f"gongwen ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexLockedError as exc:
        # Whatever was read is already in the store; the next run indexes it.
        print(f"gongwen ingest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path, reason in summary.failed:
        print(f"failed: {path}: {reason}", file=sys.stderr)
    print(summary.line())
    return EXIT_FAILED if summary.failed else EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from webapp import create_app
    from webapp.server import serve

    app = create_app(settings)
    web = settings["web"]
    serve(app, web["host"], int(web["port"]), int(web["threads"]), int(web.get("malloc_arenas", 0)))
    return EXIT_OK


@contextmanager
def _api_client(settings: Settings) -> Iterator[FlaskClient]:
    """A client of the real app, so the CLI prints exactly what /api/… returns; closes the index after."""
    from webapp import create_app
    from webapp.resources import close_app

    app = create_app(settings)
    try:
        with app.test_client() as client:
            yield client
    finally:
        close_app(app)


def _api_get(settings: Settings, url: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Answer through the real API view."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    with _api_client(settings) as client:
        response = client.get(url, query_string=query, headers=_auth_headers(settings))
        return response.status_code, response.get_json()


def _auth_headers(settings: Settings) -> dict[str, str]:
    token = settings.get("web", "read_token")
    return {"Authorization": f"Bearer {token}"} if token else {}


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    params = {
        "q": args.query,
        "issuer": args.issuer,
        "year": args.year,
        "category": args.category,
        "doc_type": args.doc_type,
        "sort": args.sort,
        "per_page": args.limit,
    }
    status, payload = _api_get(settings, "/api/search", params)
    if status != 200:
        print(f"gongwen search: {payload['error']['message']}", file=sys.stderr)
        return EXIT_USAGE if status == 400 else EXIT_FAILED
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{payload['total']} 篇 ({payload['took_ms']:.0f} ms)")
    for n, hit in enumerate(payload["results"], start=1):
        _print_hit(n, hit)
        snippet = _strip_marks(hit.get("snippet") or "")
        if snippet:
            print(f"     {snippet}")
    return EXIT_OK


def _api_post_similar(settings: Settings, args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """POST the text (JSON) or the PDF (multipart) to the real /api/similar view."""
    filters = {"issuer": args.issuer, "year": args.year, "category": args.category}
    filters = {k: v for k, v in filters.items() if v}
    with _api_client(settings) as client:
        if args.file == "-":
            body = {"text": sys.stdin.read(), "limit": args.limit, **filters}
            response = client.post("/api/similar", json=body, headers=_auth_headers(settings))
        else:
            path = Path(args.file)
            data = path.read_bytes()
            if data[:1024].find(b"%PDF-") >= 0:
                form = {"file": (io.BytesIO(data), path.name), "limit": str(args.limit), **filters}
                response = client.post("/api/similar", data=form, headers=_auth_headers(settings),
                                       content_type="multipart/form-data")
            else:
                body = {"text": data.decode("utf-8-sig"), "limit": args.limit, **filters}
                response = client.post("/api/similar", json=body, headers=_auth_headers(settings))
        return response.status_code, response.get_json()


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    try:
        status, payload = _api_post_similar(settings, args)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"gongwen similar: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if status != 200:
        print(f"gongwen similar: {payload['error']['message']}", file=sys.stderr)
        return EXIT_USAGE if status == 400 else EXIT_FAILED
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"关键词：{'、'.join(payload['terms'])}  ({payload['took_ms']:.0f} ms)")
    for n, hit in enumerate(payload["results"], start=1):
        _print_hit(n, hit)
        if hit.get("shared_terms"):
            print(f"     共同关键词：{'、'.join(hit['shared_terms'])}")
    return EXIT_OK


def _print_hit(n: int, hit: dict[str, Any]) -> None:
    """A result's title line and its 发文字号 | issuer | date | category line, as search and similar print."""
    parts = [hit.get("doc_number"), hit.get("issuer"), hit.get("date"), hit.get("category")]
    print(f"{n:>3}. {hit.get('title') or hit['filename']}")
    print(f"     {' | '.join(p for p in parts if p)}  id={hit['id'][:16]}")


def _strip_marks(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"</?mark>", "", html_text))


def _resolve_id(settings: Settings, doc_id: str) -> str:
    """Accept a unique id prefix (as search prints), as git does for commits."""
    if len(doc_id) == 64:
        return doc_id
    from ingest.store import RecordStore

    with RecordStore(Path(settings["storage"]["index_dir"])) as store:
        matches = [d for d in store.revisions() if d.startswith(doc_id.lower())]
    return matches[0] if len(matches) == 1 else doc_id


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    doc_id = _resolve_id(settings, args.doc_id)
    status, payload = _api_get(settings, f"/api/documents/{doc_id}", {})
    if status != 200:
        print(f"gongwen show: {payload['error']['message']}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    labels = [
        ("标题", "title"),
        ("发文字号", "doc_number"),
        ("分类", "category"),
        ("发文机关", "issuer"),
        ("成文日期", "date"),
        ("文种", "doc_type"),
        ("主送", "addressee"),
        ("提案/建议号", "proposal_number"),
        ("会议", "session"),
        ("提出人", "proposer"),
        ("抄送", "cc"),
        ("文件", "filename"),
        ("页数", "pages"),
        ("OCR 页", "ocr_pages"),
    ]
    for label, key in labels:
        value = payload.get(key)
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        if value not in (None, "", []):
            print(f"{label}: {value}")
    print()
    print(payload.get("text", ""))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from index.search import SearchEngine
    from ingest.store import RecordStore

    root = Path(settings["storage"]["index_dir"])
    with RecordStore(root) as store:
        pages = ocr_pages = 0
        for record, _revision in store.iter_records():
            pages += record.page_count
            ocr_pages += len(record.ocr_pages)
        stats = {
            "documents": store.count(),
            "pages": pages,
            "ocr_pages": ocr_pages,
            "failures": len(store.failures()),
            "index_dir": str(root),
        }
    engine = SearchEngine(root, settings)
    try:
        stats["index"] = engine.stats()
    finally:
        engine.close()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from webapp.intake import reindex

    count = reindex(settings)
    print(f"reindexed {count} documents")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
