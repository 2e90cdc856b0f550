"""The benchmark scripts in small mode, run for real so they never rot: they must finish and print figures.

No timing thresholds here (the machine is shared and noisy); BENCHMARKS.md holds the measured numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is not installed; CI must have it (Makefile APT_TEST)")
        pytest.skip(f"{tool} is not installed")


def _run(script: str, tmp_path: Path) -> tuple[str, Path]:
    out = tmp_path / "out"
    env = dict(os.environ, GONGWEN_BENCHDATA=str(tmp_path / "data"), GONGWEN_BENCH_OUT=str(out))
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--small"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=480, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, out


def test_corpus_is_deterministic_and_in_the_genre(tmp_path: Path) -> None:
    from bench.corpus import bench_doc, make_queries, record_of, write_records
    from ingest.store import RecordStore

    first, again = record_of(bench_doc(123)), record_of(bench_doc(123))
    assert first == again
    assert record_of(bench_doc(124)).id != first.id
    records = [record_of(bench_doc(i)) for i in range(300)]
    assert len({r.issuer for r in records}) >= 15
    assert len({r.year for r in records}) == 8
    assert {r.category[:1] for r in records if r.category} == {"A", "B", "C"}
    assert {r.page_count for r in records} >= {1, 2, 3, 4}
    assert all(r.doc_number and "〔" in r.doc_number and r.doc_number in r.text for r in records)
    assert sum(1 for r in records if r.proposer) > 150
    queries = make_queries(300, 240)
    assert queries == make_queries(300, 240) and len(queries) == 240
    assert {q["kind"] for q in queries} == {"word", "and", "phrase", "doc_number", "proposer"}
    assert sum(1 for q in queries if q.get("issuer") or q.get("year") or q.get("category")) > 30
    pages = write_records(50, tmp_path / "store")
    with RecordStore(tmp_path / "store") as store:
        assert store.count() == 50
        assert pages == sum(record.page_count for record, _ in store.iter_records())


@pytest.mark.slow
def test_ingest_bench_small_prints_its_figures(tmp_path: Path) -> None:
    _require("pdftotext")
    stdout, out = _run("ingest_bench.py", tmp_path)
    for label in ("gongwen ingest", "pdfminer.six only", "pdfminer interpreter only", "pdftotext (poppler)",
                  "ratio gongwen / pdfminer-only", "ratio gongwen / pdfminer interpreter only",
                  "extract (pdfminer interpreter + lines)", "word cuts for the index", "index write (total)",
                  "jieba segmentation"):
        assert label in stdout, stdout
    result = json.loads((out / "ingest_small.json").read_text(encoding="utf-8"))
    assert result["files"] == 30 and result["pages"] >= 30
    for run in result["runs"]:
        assert run["pages_per_s"] > 0 and run["pages"] == result["pages"], run
        assert run.get("failed", 0) == 0, run
    assert all(ratio > 0 for ratio in result["ratio_gongwen_over_pdfminer"].values())
    assert all(ratio > 0 for ratio in result["ratio_gongwen_over_interpreter"].values())
    assert sum(stage["seconds"] for stage in result["profile"]["stages"]) > 0


@pytest.mark.slow
def test_query_bench_small_prints_its_figures(tmp_path: Path) -> None:
    _require("wrk")
    stdout, out = _run("query_bench.py", tmp_path)
    for label in ("SearchEngine.search", "/api/search over HTTP", "plain Whoosh", "wrk connections",
                  "server RSS", "bytes per document"):
        assert label in stdout, stdout
    result = json.loads((out / "query_small.json").read_text(encoding="utf-8"))
    assert result["documents"] == 300 and result["queries"] >= 200
    for key in ("python_api", "http", "plain_whoosh"):
        assert result[key]["all"]["n"] == result["queries"] and result[key]["all"]["p95_ms"] > 0
    assert result["http"]["errors"] == 0
    assert result["http"]["responses_with_facets"] == result["queries"]
    assert result["http"]["highlighted_snippets"] > result["queries"]
    assert [row["connections"] for row in result["concurrency"]] == [1, 4, 16]
    for row in result["concurrency"]:
        assert row["requests"] > 0 and row["error_count"] == 0, row
    assert result["server_memory"]["after_load"]["peak_rss_mb"] > 0
    assert result["prepare"]["bytes_per_doc"]["gongwen_index"] > 0


def test_name_lines_scores_readings_it_dumped(tmp_path: Path) -> None:
    """bench/name_lines.py --score replays the names rules on dumped readings (no OCR needed)."""
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "truth.jsonl").write_text(json.dumps(
        {"file": "docs/a.pdf", "pages": 1, "contact": {"name": "高锋", "phone": "0798-8883730"}},
        ensure_ascii=False) + "\n", encoding="utf-8")

    def words(text: str, conf: float) -> list[list[object]]:
        return [[ch, conf] for ch in text]

    line = "联系人:高锋，联系电话:0798-8883730"
    misread = line.replace("锋", "银")
    dump = tmp_path / "names.jsonl"
    dump.write_text(json.dumps({"file": str(folder / "docs/a.pdf"), "page": 1, "first": words(line, 92.0),
                                "fast": [words(line, 92.0)] * 4, "names": [words(misread, 90.0)] * 4},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "name_lines.py"), "--score", str(dump),
                           str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 naming a person the truth gives" in proc.stdout
    assert "names model merged" in proc.stdout and "0 right" in proc.stdout  # 银 taken
    assert "settled                 1 right" in proc.stdout  # the fast model's sure 锋 stands
