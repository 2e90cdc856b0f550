"""The `gongwen` command end to end: real PDFs from the shared corpus into a real index on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.store import RecordStore
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TRUTH = {
    row["file"]: row
    for row in map(json.loads, (CORPUS / "truth.jsonl").read_text(encoding="utf-8").splitlines())
}
TEXT_FILES = sorted(f for f, row in TRUTH.items() if row["kind"] == "text")[:6]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of six text-layer corpus PDFs, one of them in a subfolder."""
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for n, name in enumerate(TEXT_FILES):
        target = src / "sub" if n == 0 else src
        shutil.copy(CORPUS / name, target / Path(name).name)
    return src


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_then_rerun_changes_nothing(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "idx")
    code, out, _ = run(capsys, "ingest", str(folder), "--index", index, "--quiet", "--workers", "2")
    assert code == 0
    assert "added 6, updated 0, unchanged 0, failed 0" in out
    code, out, _ = run(capsys, "ingest", str(folder), "--index", index, "--quiet")
    assert code == 0
    assert "added 0, updated 0, unchanged 6, failed 0" in out
    with RecordStore(index) as store:
        assert store.count() == 6
        for record, _ in store.iter_records():
            assert store.original_path(record.id).read_bytes()[:5] == b"%PDF-"


def test_changed_file_replaces_old_version_and_prune_removes_gone(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "idx")
    assert run(capsys, "ingest", str(folder), "--index", index, "--quiet")[0] == 0
    victim = sorted(folder.glob("*.pdf"))[0]
    other = CORPUS / sorted(f for f, row in TRUTH.items() if row["kind"] == "text")[10]
    shutil.copy(other, victim)  # same name, different content
    code, out, _ = run(capsys, "ingest", str(folder), "--index", index, "--quiet")
    assert code == 0 and "added 0, updated 1, unchanged 5" in out
    with RecordStore(index) as store:
        assert store.count() == 6
    victim.unlink()
    code, out, _ = run(capsys, "ingest", str(folder), "--index", index, "--quiet", "--prune")
    assert code == 0 and "removed 1" in out
    with RecordStore(index) as store:
        assert store.count() == 5


def test_bad_files_fail_one_line_each_and_nothing_indexed_changes(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "idx")
    assert run(capsys, "ingest", str(folder), "--index", index, "--quiet")[0] == 0
    code, before, _ = run(capsys, "search", "", "--index", index, "--json", "--limit", "50")
    bad = CORPUS / "bad"
    code, out, err = run(capsys, "ingest", str(bad), "--index", index, "--quiet")
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("failed: ")]
    names = {Path(line.split(": ")[1]).name for line in failed}
    assert {"empty.pdf", "random_bytes.pdf", "text_named_pdf.pdf", "encrypted.pdf"} <= names
    assert any("encrypted" in line for line in failed if "encrypted.pdf" in line)
    assert any("not a PDF" in line for line in failed if "random_bytes.pdf" in line)
    _, after, _ = run(capsys, "search", "", "--index", index, "--json", "--limit", "50")
    ids_before = {hit["id"] for hit in json.loads(before)["results"]}
    ids_after = {hit["id"] for hit in json.loads(after)["results"]}
    assert ids_before <= ids_after


def test_search_json_is_the_api_shape_and_show_prints_a_document(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "idx")
    run(capsys, "ingest", str(folder), "--index", index, "--quiet")
    code, out, _ = run(capsys, "search", "", "--index", index, "--json")
    assert code == 0
    payload = json.loads(out)
    assert {"query", "total", "page", "per_page", "took_ms", "results", "facets"} <= payload.keys()
    assert payload["total"] == 6
    first = payload["results"][0]
    title = first["title"]
    code, out, _ = run(capsys, "search", title, "--index", index, "--json")
    assert code == 0 and json.loads(out)["results"][0]["id"] == first["id"]
    code, out, _ = run(capsys, "show", first["id"][:12], "--index", index)
    assert code == 0 and title in out
    code, out, _ = run(capsys, "show", first["id"], "--index", index, "--json")
    assert code == 0 and json.loads(out)["sha256"] == first["id"]
    code, out, _ = run(capsys, "reindex", "--index", index)
    assert code == 0 and "reindexed 6" in out
    code, out, _ = run(capsys, "stats", "--index", index, "--json")
    assert code == 0 and json.loads(out)["documents"] == 6


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "ingest", str(tmp_path / "missing"), "--index", str(tmp_path / "i"))[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    code, _, err = run(capsys, "search", "x" * 10_000, "--index", str(tmp_path / "i"))
    assert code == 2 and "q" in err
