"""Ingest accuracy on the shared corpus: the real pipeline over the text-layer files of `docs/` and `real/`,
scored against `truth.jsonl` by `bench/eval_ingest.py` (the issue's done-when targets)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import eval_ingest  # noqa: E402

FIELD_TARGET = 0.98
CER_TARGET = 0.005
UNBROKEN_TARGET = 0.95
# `real/` truth leaves these null even where the document prints them (全国政协十届四次会议 in the
# title, 王超斌委员 in the salutation); there a miss is allowed only if the value we found is printed.
TRUTH_GAPS = {"real": {"session", "proposer"}}


@pytest.fixture(scope="module", params=["docs", "real"])
def report(request) -> eval_ingest.Report:
    return eval_ingest.evaluate(request.param, "text", workers=2)


def test_every_file_ingests(report: eval_ingest.Report) -> None:
    assert report.errors == {}
    assert report.files >= 50


def test_fields_match_truth(report: eval_ingest.Report) -> None:
    low = eval_ingest.fields_below(report, FIELD_TARGET, TRUTH_GAPS.get(report.set_name, set()))
    assert not low, low


def test_truth_gaps_are_only_printed_values(report: eval_ingest.Report) -> None:
    assert not eval_ingest.unprinted_gap_misses(report, TRUTH_GAPS.get(report.set_name, set()))


def test_body_character_error_rate(report: eval_ingest.Report) -> None:
    assert report.cer <= CER_TARGET, sorted(report.per_file_cer.items(), key=lambda kv: -kv[1])[:5]


def test_body_paragraphs_unbroken(report: eval_ingest.Report) -> None:
    assert report.unbroken >= UNBROKEN_TARGET, report.broken[:10]
