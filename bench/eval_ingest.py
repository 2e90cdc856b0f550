"""Measure ingest accuracy: run the real pipeline over a corpus set and compare with its `truth.jsonl`.

Prints per-field exact-match rates, the body's character error rate and the share of true body
paragraphs found unbroken on one line. `tests/test_ingest_accuracy.py` asserts the same figures.

    .venv/bin/python bench/eval_ingest.py --set docs --kind text [--failures]
    .venv/bin/python bench/eval_ingest.py --scans /tmp/scans   # hold-out scans from bench/make_scans.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ingest.consensus import edit_distance  # noqa: E402
from ingest.record import DocumentRecord  # noqa: E402
from ingest.runner import run_files  # noqa: E402
from ingest.settings import load_settings  # noqa: E402
from ingest.store import RecordStore  # noqa: E402

CORPUS = REPO / ".." / "shared" / "corpus"
SETS = {"docs": CORPUS, "real": CORPUS / "real", "published": CORPUS / "published"}
FIELDS = (
    "doc_number", "category", "title", "addressee", "issuer", "issuers", "date", "year", "doc_type",
    "proposal_number", "session", "proposer", "cc", "contact", "attachments",
)
PUBLISHED_FIELDS = ("issuer", "title", "doc_type")
_WS = re.compile(r"\s+")


@dataclass
class Report:
    """Figures for one set: per-field matches, body CER and unbroken paragraphs, with the misses."""

    set_name: str
    files: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # file → ingest error
    matches: dict[str, int] = field(default_factory=dict)
    compared: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)
    body_errors: int = 0
    body_chars: int = 0
    paragraphs: int = 0
    paragraphs_unbroken: int = 0
    per_file_cer: dict[str, float] = field(default_factory=dict)
    broken: list[tuple[str, str]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # file → extracted clean text
    seconds: float = 0.0
    ocr_pages: int = 0

    def rate(self, name: str) -> float:
        return self.matches.get(name, 0) / self.compared[name] if self.compared.get(name) else 1.0

    @property
    def cer(self) -> float:
        return self.body_errors / self.body_chars if self.body_chars else 0.0

    @property
    def unbroken(self) -> float:
        return self.paragraphs_unbroken / self.paragraphs if self.paragraphs else 1.0


def fields_below(report: Report, target: float, skip: Collection[str] = ()) -> dict:
    """The fields (not in `skip`) matching under `target`, each with its rate and first misses."""
    return {name: (report.rate(name), report.misses.get(name, [])[:5])
            for name in FIELDS if name not in skip and report.rate(name) < target}


def unprinted_gap_misses(report: Report, names: Collection[str]) -> list[tuple[str, str, Any, Any]]:
    """Misses in fields whose truth is left empty (`names`) that are not a value the document prints."""
    return [(name, file, expected, got)
            for name in names for file, expected, got in report.misses.get(name, [])
            if expected is not None or squash(got) not in squash(report.texts[file])]


def load_truth(set_name: str, kind: str, root: Path | None = None) -> list[dict[str, Any]]:
    root = root or SETS[set_name]
    lines = (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    return [r for r in rows if kind == "all" or r.get("kind", "text") == kind]


def squash(text: str | None) -> str:
    return _WS.sub("", text or "")


def edit_errors(truth: str, found: str) -> int:
    """Character edits turning `found` into `truth` (whitespace already removed).

    Paragraph-level alignment first, then character alignment inside differing blocks: an upper bound
    on the Levenshtein distance that is exact for the usual local damage, and fast on long documents.
    """
    t_lines, f_lines = truth.split("\n"), found.split("\n")
    errors = 0
    blocks = SequenceMatcher(None, t_lines, f_lines, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            continue
        a, b = "".join(t_lines[i1:i2]), "".join(f_lines[j1:j2])
        for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != "equal":
                errors += max(a2 - a1, b2 - b1)
    return errors


def real_body(record: DocumentRecord) -> str:
    """`real/` truth defines the body as everything after the title and number lines."""
    lines = record.text.split("\n")
    title = squash(record.title)
    # The title field may be mended where the text keeps the scan's reading (国务辽、中央军委…).
    near = max(1, len(title) // 10)
    for index, line in enumerate(lines):
        squashed = squash(line)
        if title and (squashed == title or abs(len(squashed) - len(title)) <= near
                      and edit_distance(squashed, title) <= near):
            rest = lines[index + 1 :]
            if rest and record.doc_number and squash(rest[0]) == squash(record.doc_number):
                rest = rest[1:]
            return "\n".join(rest)
    return record.text


def field_value(record: DocumentRecord, name: str) -> Any:
    value = getattr(record, name)
    if name == "cc":
        return sorted(value)
    if name == "contact":
        return None if value is None else {"name": value.name, "phone": value.phone}
    if name == "attachments":
        return [squash(a.title) for a in value]
    return value


def truth_value(row: dict[str, Any], name: str) -> Any:
    if name == "doc_number":
        return row.get("doc_number_canonical")
    value = row.get(name)
    if name == "cc":
        return sorted(value or [])
    if name == "attachments":
        # Letter-spaced titles (国 务 院 工 作 规 则) lose their layout spaces by rule.
        return [squash(a["title"]) for a in value or []]
    if name == "issuers":
        return value or []
    return value


def _score_body(report: Report, name: str, truth_body: str, found_body: str) -> None:
    t_paras = [squash(p) for p in truth_body.split("\n") if squash(p)]
    f_lines = [squash(line) for line in found_body.split("\n") if squash(line)]
    truth_text, found_text = "\n".join(t_paras), "\n".join(f_lines)
    errors = edit_errors(truth_text, found_text)
    chars = len(truth_text.replace("\n", ""))
    report.body_errors += errors
    report.body_chars += chars
    report.per_file_cer[name] = errors / chars if chars else 0.0
    found_set = set(f_lines)
    for para in t_paras:
        report.paragraphs += 1
        if para in found_set:
            report.paragraphs_unbroken += 1
        else:
            report.broken.append((name, para))


def _compare(report: Report, name: str, field_name: str, expected: Any, got: Any) -> None:
    report.compared[field_name] = report.compared.get(field_name, 0) + 1
    if expected == got:
        report.matches[field_name] = report.matches.get(field_name, 0) + 1
    else:
        report.misses.setdefault(field_name, []).append((name, expected, got))


def store_text_records(set_name: str, exclude: set[str], workers: int = 2) -> int:
    """Put the set's text-layer records (except `exclude`) in the store, as an office's text PDFs would be.

    OCR repairs read issuer names and 发文字号 prefixes from them (ingest/lexicon.py).
    """
    settings = load_settings()
    root = SETS[set_name]
    paths = [(root / r["file"]).resolve() for r in load_truth(set_name, "text") if r["file"] not in exclude]
    stored = 0
    with RecordStore(settings.path("storage", "index_dir")) as store:
        for outcome in run_files([(p, f"known-{i}") for i, p in enumerate(paths)], settings, workers=workers):
            if outcome.record is not None:
                store.put(outcome.record)
                stored += 1
    return stored


def evaluate(
    set_name: str = "docs", kind: str = "text", workers: int = 2, scans: Path | None = None,
    known_from_text: bool = False,
) -> Report:
    """Ingest every file of the set with the real pipeline and score it against the truth.

    `scans`: a folder made by bench/make_scans.py, scored by the rules of the set it was made from.
    `known_from_text`: first store the set's other text-layer documents (never the scans' sources).
    """
    settings = load_settings()
    if scans is not None:
        rows = load_truth(set_name, "scanned", scans)
        set_name = rows[0]["scanned_from"] if rows else set_name
    else:
        rows = load_truth(set_name, kind)
    if known_from_text:
        stored = store_text_records(set_name, {r["file"] for r in rows}, workers)
        print(f"stored {stored} text-layer records of {set_name} for the OCR lexicon")
    root = scans or SETS[set_name]
    by_path = {(root / row["file"]).resolve(): row for row in rows}
    report = Report(set_name, files=len(rows))
    started = time.monotonic()
    jobs = [(path, f"eval-{i}") for i, path in enumerate(by_path)]
    for outcome in run_files(jobs, settings, workers=workers):
        row = by_path[outcome.path]
        name = row["file"]
        if outcome.record is None:
            report.errors[name] = outcome.error or "no record"
            continue
        record = outcome.record
        report.texts[name] = record.text
        report.ocr_pages += len(record.ocr_pages)
        if set_name == "published":
            _compare(report, name, "issuer", row["issuer"], record.issuer)
            _compare(report, name, "title", True, row["title_contains"] in (record.title or ""))
            _compare(report, name, "doc_type", row["doc_type"], record.doc_type)
            continue
        for field_name in FIELDS:
            _compare(report, name, field_name, truth_value(row, field_name), field_value(record, field_name))
        found_body = real_body(record) if set_name == "real" else record.body
        _score_body(report, name, row.get("body") or "", found_body)
    report.seconds = time.monotonic() - started
    return report


def print_report(report: Report, failures: bool = False) -> None:
    failed = len(report.errors)
    print(f"set {report.set_name}: {report.files} files in {report.seconds:.1f} s, {failed} failed")
    for name, error in report.errors.items():
        print(f"  ERROR {name}: {error}")
    if report.ocr_pages and report.seconds:
        # Whole run over its wall time: with a cold OCR cache, that is the OCR throughput of the workers.
        print(f"  OCR pages        {report.ocr_pages} ({report.ocr_pages / report.seconds:.2f} pages/s wall)")
    names = PUBLISHED_FIELDS if report.set_name == "published" else FIELDS
    for name in names:
        done = report.compared.get(name, 0)
        print(f"  {name:16s} {report.rate(name):7.1%}  ({report.matches.get(name, 0)}/{done})")
        if failures:
            for file, expected, got in report.misses.get(name, []):
                print(f"      {file}: expected {expected!r}\n{'':10s}got {got!r}")
    if report.set_name != "published":
        errors, chars = report.body_errors, report.body_chars
        print(f"  body CER         {report.cer:7.3%}  ({errors} errors / {chars} chars)")
        whole, total = report.paragraphs_unbroken, report.paragraphs
        print(f"  unbroken paras   {report.unbroken:7.1%}  ({whole}/{total})")
        if failures:
            worst = sorted(report.per_file_cer.items(), key=lambda kv: -kv[1])[:8]
            for file, cer in worst:
                if cer > 0:
                    print(f"      CER {cer:.2%} {file}")
            for file, para in report.broken[:30]:
                print(f"      broken {file}: {para[:70]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="set_name", choices=sorted(SETS), default="docs")
    parser.add_argument("--kind", choices=("text", "scanned", "all"), default="text")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--failures", action="store_true", help="list every miss")
    parser.add_argument("--scans", type=Path, help="a folder of hold-out scans from bench/make_scans.py")
    parser.add_argument("--known-from-text", action="store_true",
                        help="store the set's other text-layer records first (names known to the store)")
    args = parser.parse_args(argv)
    report = evaluate(args.set_name, args.kind, args.workers, args.scans, args.known_from_text)
    print_report(report, args.failures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
