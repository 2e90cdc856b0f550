"""OCR field repairs: the vote between readings of a doubtful line, in-document consensus, OCR throughput."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ingest import consensus, ocr, ocr_vote
from ingest.metadata import load_issuer_aliases
from ingest.settings import load_settings
from tests.test_ocr import tesseract  # noqa: F401 - the fixture (fails in CI without Tesseract)
from webapp.intake import IngestSummary

REPLY = Path(__file__).resolve().parent / "fixtures" / "scanned_reply.pdf"


def test_a_character_changes_only_when_most_readings_agree():
    first = "尊敬的龙起红委员:"
    agreeing = ["尊和敬的龙霞红委员:", "尊敬的龙霞红委员:", "尊敬的龙霞红委员:", "尊敬的龙霞红委员:"]
    assert "".join(ocr_vote.vote(first, agreeing)) == "尊敬的龙霞红委员:"
    split = ["尊敬的龙霞红委员:", "尊敬的龙奏红委员:", "尊敬的龙霞红委员:", "尊敬的龙竹红委员:"]
    assert "".join(ocr_vote.vote(first, split)) == first  # 霞 has 2 of 5 votes: no majority
    # A crop read as garbage shares too little with the first reading to vote at all.
    assert "".join(ocr_vote.vote("景公字[2019]3号", ["时公子2019)13与", "景公字[2019]3号", "人0与", ""])) == (
        "景公字[2019]3号"
    )
    assert "".join(ocr_vote.vote("各上县(市、区)", ["各县(市、区)", "各县(市、区)", "各县(市、区)"])) == (
        "各县(市、区)"
    )


def test_voted_characters_keep_the_word_boxes():
    words = [ocr._Word("龙起", 10, 5, 60, 30, 70.0, (1, 1, 1)),
             ocr._Word("红", 70, 5, 30, 30, 0.0, (1, 1, 1))]
    assert ocr_vote.apply_vote(words, ["龙", "霞", "红"])
    assert [(w.text, w.left, w.width) for w in words] == [("龙霞", 10, 60), ("红", 70, 30)]
    assert not ocr_vote.apply_vote(words, ["龙", "霞", "红"])


def test_doubtful_lines_are_short_lines_with_a_low_confidence_word():
    def word(text: str, conf: float, line: int) -> ocr._Word:
        return ocr._Word(text, 0, line * 50, 20 * len(text), 30, conf, (1, 1, line))

    words = [word("尊敬的", 90, 1), word("龙起红", 40, 1), word("委员", 90, 1),
             word("您在市政协十三届四次会议上提出的关于加强农村人居环境", 50, 2),  # a body line: too long
             word("抄送：市政府办公室", 95, 3)]
    lines = ocr_vote.doubtful_lines(words, below=80, max_chars=24, limit=12, skip=lambda w: False)
    assert ["".join(w.text for w in line) for line in lines] == ["尊敬的龙起红委员"]


def test_the_issuers_own_prefix_replaces_a_misread_one():
    settings = load_settings(environ={})
    _aliases, prefixes, _suffixes = load_issuer_aliases(str(settings.path("ingest", "issuer_aliases")))
    general_office = ["国务院办公厅"]
    assert consensus.repair_doc_number("国发〔2018〕118号", general_office, prefixes) == "国办发〔2018〕118号"
    assert consensus.repair_doc_number("光发〔2004〕7号", general_office, prefixes) == "国办发〔2004〕7号"
    # The issuer's own prefix, an issuer without known prefixes, and no prefix at all stay as read.
    assert consensus.repair_doc_number("国办函〔2019〕3号", ["国务院办公厅"], prefixes) == "国办函〔2019〕3号"
    assert consensus.repair_doc_number("景公字〔2019〕3号", ["景川市公安局"], prefixes) == "景公字〔2019〕3号"
    assert consensus.repair_doc_number("国发〔2018〕1号", ["国务院"], prefixes) == "国发〔2018〕1号"
    # An unseen prefix with the issuer's stem is not a misreading; a broken stem is.
    known = {"景公函": "景川市公安局"}
    assert consensus.repair_doc_number("景公字〔2018〕2号", ["景川市公安局"], known) == "景公字〔2018〕2号"
    assert consensus.repair_doc_number("桩公函〔2018〕2号", ["景川市公安局"], known) == "景公函〔2018〕2号"


def test_document_consensus_needs_context_on_both_sides():
    text = ("推动陶瓷产业发展。陶瓷产业是支柱。市政府办公室、市政府办公室、市政协办公室。"
            "加强对日军遗弃，加强对日军")
    grams = consensus.DocumentGrams.of(text)
    assert consensus.repair_value("推动陶资产业转型", grams) == "推动陶瓷产业转型"
    assert consensus.repair_value("侵华日军", grams) == "侵华日军"  # 对日军 backs 华 from one side only
    # A name one character off a frequent one is outvoted: why 主送 and 抄送 entries are not repaired.
    assert consensus.repair_value("市政协办公室", grams) == "市政府办公室"
    assert consensus.nearest_unique("量川市文化局", ["景川市文化局", "景川市公安局"], 1) == "景川市文化局"
    assert consensus.nearest_unique("景川市文化局", ["景川市文化局", "景川市公安局"], 0) == "景川市文化局"
    assert consensus.nearest_unique("川市某局", ["景川市文化局"], 1) is None


def test_ocr_throughput_is_pages_per_second_of_wall_time():
    summary = IngestSummary(pages=30, ocr_pages=20, seconds=40.0, worker_seconds=80.0,
                            ocr_worker_seconds=80.0)
    assert summary.ocr_pages_per_second == pytest.approx(0.5)  # 2 workers busy 40 s on scans only
    mixed = IngestSummary(pages=120, ocr_pages=10, seconds=40.0, worker_seconds=80.0,
                          ocr_worker_seconds=40.0)
    assert mixed.ocr_pages_per_second == pytest.approx(0.5)  # half the busy time went to the scans
    assert "OCR 10 pages (0.50 pages/s)" in mixed.line()


@pytest.mark.ocr
@pytest.mark.usefixtures("tesseract")
def test_one_tesseract_run_reads_a_list_of_crops_like_single_images():
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        page = ocr.render_page(REPLY, 1, 300, workdir, 60)
        words = ocr.run_tesseract(page, "chi_sim", 3, workdir, 120)
        lines = ocr_vote.doubtful_lines(words, below=101, max_chars=24, limit=3, skip=lambda w: False)
        crops = [page.crop(ocr_vote.line_box(line, page.size)) for line in lines]
        together = ocr.run_tesseract_many(crops, "chi_sim", 6, workdir, 120)
        alone = [ocr.run_tesseract(crop, "chi_sim", 6, workdir, 60) for crop in crops]
    assert len(crops) == 3
    assert [[w.text for w in ws] for ws in together] == [[w.text for w in ws] for ws in alone]
    assert all(ws for ws in together)


def test_a_joint_signature_read_as_one_line_is_split_only_between_peers():
    from ingest.metadata import _split_joint_signature

    settings = load_settings(environ={})
    _aliases, _prefixes, suffixes = load_issuer_aliases(str(settings.path("ingest", "issuer_aliases")))
    joint = _split_joint_signature("国务院办公厅中央军委办公厅", [], suffixes)
    assert joint == ["国务院办公厅", "中央军委办公厅"]
    one_bodies = ("景川市人民政府办公室", "景川市人民政府国有资产监督管理委员会",
                  "中国人民银行景川市中心支行")
    for one_body in one_bodies:
        assert _split_joint_signature(one_body, [], suffixes) == [one_body]
