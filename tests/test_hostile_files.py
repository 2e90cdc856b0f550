"""Hostile files: every file of `../shared/corpus/bad/` and crafted attacks on the parser.

Each gives a clear per-file error (or, where the damage is recoverable, a record of what is readable)
within its worker's time and memory limits; the rest of the batch is ingested, and what was indexed
before stays exactly as it was.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from index.writer import DocumentIndex
from ingest.pipeline import sha256_file
from ingest.runner import run_files
from ingest.store import RecordStore
from tests.fixtures.hostile_pdfs import write_hostile_pdfs
from tests.processes import CORPUS, copy_files, gongwen_env, run_gongwen, text_corpus_files
from tests.web_library import make_settings

TIMEOUT_S = 8
# A file that keeps finishing pages is not stalled; the total limit is what must always hold.
MAX_S = 20
# Time the runner may take to notice a limit and kill the worker (checks every fraction of a second).
KILL_SLACK_S = 5
MEMORY_MB = 512
# What each file must come to: a failure whose reason matches, or "record" (readable text survived).
EXPECTED = {
    "empty.pdf": r"empty file \(0 bytes\)",
    "random_bytes.pdf": r"not a PDF",
    "text_named_pdf.pdf": r"not a PDF",
    "encrypted.pdf": r"encrypted PDF \(password-protected\)",
    "truncated.pdf": r"damaged PDF|record",
    "blank_300_pages.pdf": r"record",
    "nested_arrays.pdf": r"record|nested too deeply",
    "nested_dicts.pdf": r"record|nested too deeply",
    "huge_page_count.pdf": rf"record|more than \d+ pages|took longer than ({TIMEOUT_S}|{MAX_S}) s",
    "lying_page_count.pdf": r"record",
    "decompression_bomb.pdf": rf"needs more than {MEMORY_MB} MiB of memory|worker ran out of memory",
    # A reference loop either ends in pdfminer's cycle check or grows until the memory limit stops it.
    "circular_kids.pdf": rf"record|damaged PDF|needs more than {MEMORY_MB} MiB of memory",
    "circular_prev.pdf": rf"damaged PDF|record|needs more than {MEMORY_MB} MiB of memory",
    "endless_inline_image.pdf": rf"took longer than {TIMEOUT_S} s .*stopped",
    "self_length.pdf": rf"damaged PDF|needs more than {MEMORY_MB} MiB of memory",
}


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    write_hostile_pdfs(folder)
    for path in sorted((CORPUS / "bad").glob("*.pdf")):
        shutil.copy(path, folder / path.name)
    assert {p.name for p in folder.iterdir()} == set(EXPECTED), "a hostile file has no expectation"
    return folder


def outcome_text(record: object, error: str | None) -> str:
    return "record" if record is not None else (error or "")


@pytest.mark.timeout(300)
def test_each_hostile_file_fails_alone_within_its_limits(hostile_folder: Path) -> None:
    settings = make_settings(hostile_folder / "unused").with_overrides(
        {("ingest", "file_timeout_s"): TIMEOUT_S, ("ingest", "file_max_s"): MAX_S,
         ("ingest", "file_memory_mb"): MEMORY_MB}
    )
    files = sorted(hostile_folder.iterdir())
    good = text_corpus_files(2)
    jobs = [(p, sha256_file(p)) for p in [*files, *good]]
    started = time.monotonic()
    outcomes = {o.path.name: o for o in run_files(jobs, settings, workers=2)}
    elapsed = time.monotonic() - started
    assert set(outcomes) == {p.name for p, _ in jobs}
    for name, pattern in EXPECTED.items():
        outcome = outcomes[name]
        text = outcome_text(outcome.record, outcome.error)
        assert re.fullmatch(rf".*(?:{pattern}).*", text), f"{name}: {text!r}"
        assert "Traceback" not in text and len(text) < 300, f"{name}: not a plain-words reason: {text!r}"
        assert outcome.seconds < MAX_S + KILL_SLACK_S, f"{name} ran {outcome.seconds:.1f} s past its limit"
    for path in good:
        assert outcomes[path.name].record is not None, outcomes[path.name].error
        assert outcomes[path.name].record.text
    blank = outcomes["blank_300_pages.pdf"].record
    assert blank is not None and blank.page_count == 300 and not blank.text.strip()
    refused = sum(1 for n in EXPECTED if outcomes[n].record is None)
    print(f"\nhostile files: {len(EXPECTED)} tried, {refused} refused, all in {elapsed:.1f} s")


@pytest.mark.timeout(300)
def test_hostile_batch_leaves_the_index_as_it_was(hostile_folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    env = gongwen_env(index_dir, ingest_file_timeout_s=TIMEOUT_S, ingest_file_memory_mb=MEMORY_MB)
    first = copy_files(text_corpus_files(2), tmp_path / "first")
    assert run_gongwen(["ingest", "--quiet", str(first[0].parent)], env).returncode == 0
    settings = make_settings(index_dir)
    before = DocumentIndex(index_dir, settings).indexed_revisions()
    assert len(before) == 2

    batch = tmp_path / "batch"
    shutil.copytree(hostile_folder, batch)
    rest = copy_files(text_corpus_files(2, offset=2), batch)
    result = run_gongwen(["ingest", "--quiet", "--workers", "2", str(batch)], env)
    assert result.returncode == 1, result.stdout + result.stderr  # some files failed
    assert "Traceback" not in result.stderr
    failed = dict(re.findall(r"^failed: (.+?): (.+)$", result.stderr, re.M))
    refused = {name for name, pattern in EXPECTED.items() if "record" not in pattern}
    assert {Path(p).name for p in failed} >= refused
    for path, reason in failed.items():
        assert re.search(EXPECTED[Path(path).name], reason), (path, reason)

    after = DocumentIndex(index_dir, settings).indexed_revisions()
    assert {k: after[k] for k in before} == before, "documents indexed before the batch changed"
    with RecordStore(index_dir) as store:
        for path in rest:
            assert store.has(sha256_file(path)), f"{path.name} of the same batch was not ingested"
            assert sha256_file(path) in after
        reasons = {Path(f.path).name: f.reason for f in store.failures()}
    assert set(reasons) >= refused
