"""Ingest throughput: `gongwen ingest` pages/s next to pdfminer.six alone and poppler's `pdftotext`.

All read the same synthetic text-layer PDFs (`bench/corpus.py`) with 1 and with all workers, in the same
run, so the ratios hold on a noisy shared machine. Two pdfminer baselines: "pdfminer.six only" is what a
pdfminer user runs (`extract_pages` with gongwen's LAParams, every text box read); "pdfminer interpreter
only" runs the same interpreter into `PDFPageAggregator` with no layout analysis at all, the floor of any
pdfminer-based extraction. A cProfile of the pipeline run in-process (no
fork) splits the time into extract, clean, metadata, store and index write (jieba and bigrams).

    .venv/bin/python bench/ingest_bench.py            # 400 PDFs (~880 pages)
    .venv/bin/python bench/ingest_bench.py --small    # 30 PDFs, about a minute
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    BENCHDATA,
    gongwen_cmd,
    gongwen_env,
    machine,
    run_measured,
    save_result,
)

# Where the profile's time goes: a stage is the cumulative time of these functions (file suffix, name).
STAGES: list[tuple[str, str, str]] = [
    ("extract (pdfminer interpreter + lines)", "ingest/extract.py", "iter_raw_pages"),
    ("  of which line grouping", "ingest/extract.py", "receive_layout"),
    ("page quality check", "ingest/quality.py", "assess_page"),
    ("clean (paragraphs, headers)", "ingest/clean.py", "clean_document"),
    ("metadata (GB/T 9704 fields)", "ingest/metadata.py", "extract_metadata"),
    ("sha256 of the file", "ingest/pipeline.py", "sha256_file"),
    ("word cuts for the index (worker side)", "index/precut.py", "precut_record"),
    ("store (SQLite put)", "ingest/store.py", "put"),
    ("index write (total)", "index/writer.py", "apply"),
    ("  jieba segmentation (seeded cuts looked up)", "index/analysis.py", "cut"),
    ("  bigram tokenizer", "index/analysis.py", "bigram_units"),
    ("  whoosh commit", "whoosh/writing.py", "commit"),
]


def _pdfminer_file(path: str) -> int:
    """pdfminer.six alone: layout analysis with gongwen's LAParams, then the text of every text box."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer

    from ingest.settings import load_settings

    cfg = load_settings()["ingest"]
    params = LAParams(line_margin=cfg["line_margin"], word_margin=cfg["word_margin"])
    pages = 0
    for page in extract_pages(path, laparams=params):
        "".join(element.get_text() for element in page if isinstance(element, LTTextContainer))
        pages += 1
    return pages


def _interpreter_file(path: str) -> int:
    """pdfminer's interpreter alone: every glyph becomes an `LTChar` on the page, no layout analysis."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    pages = 0
    with open(path, "rb") as handle:
        rsrcmgr = PDFResourceManager(caching=True)
        device = PDFPageAggregator(rsrcmgr, laparams=None)
        interpreter = PDFPageInterpreter(rsrcmgr, device)
        for page in PDFPage.get_pages(handle, caching=True):
            interpreter.process_page(page)
            device.get_result()
            pages += 1
    return pages


def bench_pdfminer(files: list[Path], workers: int, layout: bool = True) -> dict[str, Any]:
    tool = "pdfminer.six only" if layout else "pdfminer interpreter only"
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        reader = _pdfminer_file if layout else _interpreter_file
        pages = sum(pool.map(reader, [str(f) for f in files], chunksize=1))
    seconds = time.monotonic() - started
    return {"tool": tool, "workers": workers, "pages": pages, "seconds": round(seconds, 2),
            "pages_per_s": round(pages / seconds, 1), "load_avg": _load()}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _with_cpu(run: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The row `run(*args, **kwargs)` returns, plus the CPU seconds its processes used (children of this one).

    On a machine shared with other jobs the wall clock depends on everyone's load; CPU seconds much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    row = run(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row["cpu_s"] = round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2)
    return row


def bench_pdftotext(files: list[Path], workers: int, pages: int) -> dict[str, Any]:
    def one(path: Path) -> None:
        subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, check=True)

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, files))
    seconds = time.monotonic() - started
    return {"tool": "pdftotext (poppler)", "workers": workers, "pages": pages, "seconds": round(seconds, 2),
            "pages_per_s": round(pages / seconds, 1), "load_avg": _load()}


def bench_gongwen(folder: Path, workers: int) -> dict[str, Any]:
    """`gongwen ingest` end to end into an empty index folder: extract, store, index, commit.

    `ingest/runner.py` preloads pdfminer's CJK CMaps before forking, so no separate driver row is needed.
    """
    index_dir = Path(tempfile.mkdtemp(prefix="gongwen-ingest-bench-"))
    args = ["ingest", "--index", str(index_dir), "--workers", str(workers), "--quiet", str(folder)]
    cmd = gongwen_cmd(*args)
    try:
        run = run_measured(cmd, env=gongwen_env())
        if run["rc"] not in (0, 1):
            raise RuntimeError(f"gongwen ingest failed ({run['rc']}): {run['stderr'][-2000:]}")
        line = run["stdout"].strip().splitlines()[-1]
        pages = int(line.split(";")[1].split()[0])
        failed = int(line.split("failed ")[1].split(";")[0].split(",")[0])
        return {"tool": "gongwen ingest", "workers": workers, "pages": pages, "failed": failed,
                "seconds": round(run["wall"], 2), "pages_per_s": round(pages / run["wall"], 1),
                "peak_rss_mb": round(run["rss_mb"], 1), "summary": line, "load_avg": _load()}
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)


def profile_pipeline(files: list[Path]) -> dict[str, Any]:
    """The pipeline in this process under cProfile (read, cut, store, index in batches), split by stage.

    As in `gongwen ingest`, each record's word cuts are made next to its reading (the worker's share)
    and seeded into the cache the index writer looks them up in.
    """
    from index.analysis import seed_block_cuts
    from index.precut import precut_record
    from index.writer import DocumentIndex
    from ingest.pipeline import read_document, sha256_file
    from ingest.settings import load_settings
    from ingest.store import RecordStore

    index_dir = Path(tempfile.mkdtemp(prefix="gongwen-ingest-profile-"))
    settings = load_settings().with_overrides({("storage", "index_dir"): str(index_dir)})
    batch_size = int(settings["index"]["batch_size"])
    profiler = cProfile.Profile()
    pages = 0
    try:
        store = RecordStore(index_dir)
        index = DocumentIndex(index_dir, settings)
        index.reconcile(store)  # opens the index and loads jieba before the clock starts
        from index.analysis import cut

        cut("预热分词词典", settings.get("index", "userdict"))
        started = time.monotonic()
        profiler.enable()
        pending: list[str] = []
        for path in files:
            record = read_document(path, settings, doc_id=sha256_file(path))
            cuts = precut_record(record, settings)
            seed_block_cuts(cuts["userdict"], cuts["blocks"])
            store.put(record, original=path)
            pages += record.page_count
            pending.append(record.id)
            if len(pending) >= batch_size:
                index.apply(store, pending, [])
                pending = []
        index.apply(store, pending, [])
        profiler.disable()
        total = time.monotonic() - started
        store.close()
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
    stats = pstats.Stats(profiler)
    cumulative: dict[tuple[str, str], float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for _label, suffix, func in STAGES:
            if filename.endswith(suffix) and name == func:
                cumulative[(suffix, func)] = cumulative.get((suffix, func), 0.0) + ct
    profiled = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.stats.values())  # type: ignore[attr-defined]
    stages = []
    for label, suffix, func in STAGES:
        seconds = cumulative.get((suffix, func), 0.0)
        stages.append({"stage": label, "seconds": round(seconds, 2),
                       "share": round(seconds / profiled, 3) if profiled else 0.0})
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(15)
    return {"files": len(files), "pages": pages, "wall_s_profiled": round(total, 2),
            "profiled_s": round(profiled, 2), "stages": stages, "top_tottime": top.getvalue()[-6000:]}


def print_report(result: dict[str, Any]) -> None:
    print(f"ingest benchmark: {result['files']} PDFs, {result['pages']} pages, machine {result['machine']}")
    print(f"{'tool':<27}{'workers':>8}{'pages/s':>10}{'seconds':>9}{'CPU s':>7}{'peak RSS MiB':>14}"
          "  load (1/5/15 min)")
    for row in result["runs"]:
        rss = f"{row['peak_rss_mb']:.0f}" if "peak_rss_mb" in row else "-"
        load = "/".join(f"{x:.1f}" for x in row.get("load_avg", []))
        print(f"{row['tool']:<27}{row['workers']:>8}{row['pages_per_s']:>10.1f}{row['seconds']:>9.2f}"
              f"{row.get('cpu_s', 0):>7.2f}{rss:>14}  {load}")
    for workers, ratio in result["ratio_gongwen_over_pdfminer"].items():
        print(f"ratio gongwen / pdfminer-only, workers {workers}: {ratio:.2f}")
    for workers, ratio in result["ratio_gongwen_over_interpreter"].items():
        print(f"ratio gongwen / pdfminer interpreter only (no layout), workers {workers}: {ratio:.2f}")
    profile = result.get("profile")
    if profile:
        print(f"profile (in-process, {profile['files']} files, {profile['pages']} pages, "
              f"{profile['wall_s_profiled']} s under cProfile):")
        for stage in profile["stages"]:
            print(f"  {stage['stage']:<32}{stage['seconds']:>8.2f} s {stage['share'] * 100:>6.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="30 PDFs: the whole run in well under 2 minutes")
    parser.add_argument("--n", type=int, help="number of PDFs (default 400, 30 with --small)")
    parser.add_argument("--pdfs", help="folder of PDFs to write/read (default /work/benchdata/pdf<N>)")
    parser.add_argument("--workers", type=int, nargs="*", help="worker counts (default: 1 and all cores)")
    parser.add_argument("--profile-files", type=int, help="files profiled in-process (default 60, 10 small)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    from bench.corpus import write_pdfs

    n = args.n or (30 if args.small else 400)
    folder = Path(args.pdfs) if args.pdfs else BENCHDATA / f"pdf{n}"
    files = write_pdfs(n, folder, workers=min(2, os.cpu_count() or 1))
    cores = len(os.sched_getaffinity(0))
    worker_counts = args.workers or sorted({1, cores})
    runs: list[dict[str, Any]] = []
    ratios: dict[str, float] = {}
    floor_ratios: dict[str, float] = {}
    for workers in worker_counts:
        gongwen = _with_cpu(bench_gongwen, folder, workers)
        pdfminer = _with_cpu(bench_pdfminer, files, workers)
        interpreter = _with_cpu(bench_pdfminer, files, workers, layout=False)
        poppler = _with_cpu(bench_pdftotext, files, workers, pdfminer["pages"])
        runs += [gongwen, pdfminer, interpreter, poppler]
        ratios[str(workers)] = round(gongwen["pages_per_s"] / pdfminer["pages_per_s"], 3)
        floor_ratios[str(workers)] = round(gongwen["pages_per_s"] / interpreter["pages_per_s"], 3)
    result: dict[str, Any] = {
        "benchmark": "ingest", "small": args.small, "machine": machine(), "files": len(files),
        "pages": runs[1]["pages"], "folder": str(folder), "runs": runs, "ratio_gongwen_over_pdfminer": ratios,
        "ratio_gongwen_over_interpreter": floor_ratios,
    }
    if not args.no_profile:
        count = args.profile_files or (10 if args.small else 60)
        result["profile"] = profile_pipeline(files[:count])
    print_report(result)
    print(f"saved {save_result('ingest_small' if args.small else 'ingest', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
