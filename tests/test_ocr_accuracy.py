"""OCR accuracy on the shared corpus's scanned files: the real pipeline and Tesseract over every
`"kind": "scanned"` file of `docs/` and `real/`, scored against `truth.jsonl` by `bench/eval_ingest.py`
(issue 4's done-when targets: each metadata field ≥ 90 % exact, body character error ≤ 5 %)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import eval_ingest  # noqa: E402

from tests.test_ingest_accuracy import TRUTH_GAPS  # noqa: E402
from tests.test_ocr import tesseract  # noqa: E402, F401 - the fixture (fails in CI without Tesseract)

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

FIELD_TARGET = 0.90
CER_TARGET = 0.05


@pytest.fixture(scope="module", params=["docs", "real"])
def report(request, tesseract, tmp_path_factory) -> eval_ingest.Report:  # noqa: F811
    """One cold OCR run of the set's scans, into a store of its own (the OCR cache starts empty)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GONGWEN_STORAGE_INDEX_DIR", str(tmp_path_factory.mktemp(f"ocr-{request.param}")))
        return eval_ingest.evaluate(request.param, "scanned", workers=2)


def test_every_scanned_file_is_read(report: eval_ingest.Report) -> None:
    assert report.errors == {}
    assert report.files >= 5 and report.ocr_pages >= report.files


def test_scanned_fields_match_truth(report: eval_ingest.Report) -> None:
    low = eval_ingest.fields_below(report, FIELD_TARGET, TRUTH_GAPS.get(report.set_name, set()))
    assert not low, low


def test_scanned_truth_gaps_are_only_printed_values(report: eval_ingest.Report) -> None:
    assert not eval_ingest.unprinted_gap_misses(report, TRUTH_GAPS.get(report.set_name, set()))


def test_scanned_body_character_error_rate(report: eval_ingest.Report) -> None:
    assert report.cer <= CER_TARGET, sorted(report.per_file_cer.items(), key=lambda kv: -kv[1])[:5]
