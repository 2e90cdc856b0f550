"""OCR field repairs: the vote between readings of a doubtful line, in-document consensus, OCR throughput."""

from __future__ import annotations

import dataclasses
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


def test_a_second_models_chinese_replaces_the_first_reading_but_not_its_digits():
    def merged(first: str, second: str) -> str:
        return "".join(ocr_vote.merge_han(first, second))

    assert merged("联系人：能琴海，电话：1991", "联系人:熊琴海,电话:1S91") == "联系人：熊琴海，电话：1991"
    # A span read as other Chinese of another length is taken whole (张了次 -> 张欣) ...
    assert merged("联系人及联系电话：张了次177", "联系人及联系电话:张欣177") == "联系人及联系电话：张欣177"
    # ... and a second reading of another crop (garbage) changes nothing.
    assert merged("尊敬的能飞委员：", "吊") == "尊敬的能飞委员："
    assert len(ocr_vote.merge_han("张了次", "张欣")) == 3  # one entry per character, like `vote`
    # A character the fast model made of the blank after a colon, which the second reads nothing of.
    assert merged("(联系人:和孙波金;电话:0798", "(联系人:孙波金;电话:0798") == "(联系人:孙波金;电话:0798"
    assert merged("联系人:王明明", "联系人:王明") == "联系人:王明明"  # a name's last character stays


def _settled(first: str, second: list[str], fast: list[str], confidence: float = 90.0,
             second_confidence: float = 90.0) -> str:
    """The names vote as `ocr._reread_name_lines` runs it: the second model's plurality merged in,
    then each name character settled between the two models (the fast model's readings all at
    `confidence`, the second's at `second_confidence`)."""
    def read(text: str, conf: float) -> ocr_vote.Reading:
        return ocr_vote.Reading(text, [conf] * len(text))

    first_reading, second_readings = read(first, confidence), [read(t, second_confidence) for t in second]
    outcome = ocr_vote.merged_name_line(first_reading, second_readings, ocr._NAME_SURER_BY,
                                        ocr._NAME_MERGE_SURE_RATIO)
    return "".join(ocr_vote.settle_names(first_reading, outcome, [read(t, confidence) for t in fast],
                                         second_readings, ocr_vote.load_surnames(), ocr._NAME_FAST_SURE))


def test_a_name_character_the_fast_model_reads_surely_everywhere_stands():
    line = "联系人:高锋，联系电话:0798-8883730"
    misread = line.replace("锋", "银")
    # The names model reads 银 in all four renderings; the fast model 锋 in all of its, at 89-93.
    assert _settled(line, [misread] * 4, [line] * 4, confidence=92.0) == line
    # Not when one of the fast model's renderings reads otherwise, or when it doubted its reading
    # and the names model agrees with itself (舌 -> 磊, the fast model at 35).
    assert _settled(line, [misread] * 4, [line] * 3 + [misread], confidence=92.0) == misread
    assert _settled(line, [misread] * 4, [line] * 4, confidence=35.0) == misread


def test_a_names_model_split_two_against_two_goes_with_the_confidence_of_all_readings():
    split = "(联系人:袁军萍;联系电话:0798)"
    line = "(联系人:袁军萌;联系电话:0798)"
    # 萌: the first reading and two of the fast model's, with two of the second's; 萍 twice.
    assert _settled(line, [split, split, line, line], [line, line, "(联系人:袁军戎;联系电话:0798)", line],
                    confidence=60.0, second_confidence=70.0) == line
    # Read by the fast model as surely as doubted (宋 at 0-48 against 荣 at 93): the second model's.
    second = ["办理联系人刘荣136", "办理联系人刘荣136", "办理联系人刘乐136", "办理联系人刘乐136"]
    fast = ["办理联系人刘宋136"] * 4
    assert _settled("办理联系人刘宋136", second, fast, confidence=20.0) == "办理联系人刘荣136"
    # A span the second model read with another length has no per-character opinion: merged as read.
    second = ["联系人及联系电话:张欣177"] * 2 + ["联系人及联系电话:张欣次177"] * 2
    fast = ["联系人及联系电话:张人次177"] * 4
    assert _settled(fast[0], second, fast, confidence=40.0) == "联系人及联系电话:张欣177"


def test_a_names_first_character_is_a_surname_when_a_reading_gives_one():
    # The fast model reads 能 in every rendering, surely; 熊 is a surname and 能 is not.
    fast = ["联系人：能琴海，电话：1991"] * 4
    assert _settled(fast[0], ["联系人:熊琴海,电话:1991"] * 4, fast, 95.0) == "联系人：熊琴海，电话：1991"
    # The names model reads 兹 (no surname); three of the fast model's renderings read 莫.
    second = ["尊敬的兹晖桂代表:", "尊敬的莉晖桂代表:", "尊敬的兹晖桂代表:", "尊敬的莫晖桂代表:"]
    fast = ["尊敬的莫晖桂代表:", "尊敬的莫晖桂代表:", "尊敬的英晖桂代表:", "尊敬的莫晖桂代表:"]
    assert _settled("尊敬的页晖桂代表:", second, fast, 4.0) == "尊敬的莫晖桂代表:"
    # Two surnames read once each: a tie changes nothing.
    second = ["联系人:孤阳欣", "联系人:孤阳欣", "联系人:孕阳欣", "联系人:孙阳欣"]
    fast = ["联系人:卫阳欣", "联系人:一阳欣", "联系人:理阳欣", "联系人:更阳欣"]
    assert _settled("联系人:蛙阳欣", second, fast, 0.0) == "联系人:孤阳欣"
    # Marks read beside a character do not hide it from the vote (|南 for 陶).
    read = ["办理联系人陶利欣150"] * 4
    assert _settled("办理联系人|南利所150", read, read, 40.0) == "办理联系人|陶利欣150"


def test_the_surname_list_is_single_characters():
    surnames = ocr_vote.load_surnames()
    assert len(surnames) > 200 and all(len(name) == 1 for name in surnames)
    assert {"王", "熊", "莫", "覃"} <= surnames and not {"能", "英", "代"} & surnames


def test_name_lines_are_contact_lines_and_short_salutations():
    def line(text: str, number: int) -> list[ocr_vote.Word]:
        return [ocr_vote.Word(text, 100, 100 * number, 40 * len(text), 40, 95.0, (1, 1, number))]

    words = [w for number, text in enumerate([
        "尊敬的熊飞委员：", "您提出的关于加强人大代表联络站建设的建议收悉，现答复如下", "全国人大代表：",
        "（联系人：崔德淑；联系电话：0798-8139594）", "感谢您对我们工作的关心和支持！",
    ]) for w in line(text, number)]
    chosen = ["".join(w.text for w in group) for group in ocr_vote.name_lines(words, 48, 6)]
    assert chosen == ["尊敬的熊飞委员：", "全国人大代表：", "（联系人：崔德淑；联系电话：0798-8139594）"]
    assert len(ocr_vote.name_lines(words, 48, 1)) == 1


def test_a_worthless_first_reading_gives_way_to_a_reading_two_renderings_agree_on():
    readings = ["OO", "一九九六年二月九日", "年二月思提", "一九九六年二月九日"]
    assert ocr_vote.agreed_reading(readings, 2) == "一九九六年二月九日"
    assert ocr_vote.agreed_reading(["OO", "一九九六年二月九日", "年二月思提"], 2) is None  # no two agree
    assert ocr_vote.agreed_reading(["1 4", "1 4", "~"], 2) is None  # agreeing on marks is not reading


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
        model = ocr.ocr_model(load_settings(environ={}))
        words = ocr.run_tesseract(page, model, 3, workdir, 120)
        lines = ocr_vote.doubtful_lines(words, below=101, max_chars=24, limit=3, skip=lambda w: False)
        crops = [page.crop(ocr_vote.line_box(line, page.size)) for line in lines]
        together = ocr.run_tesseract_many(crops, model, 6, workdir, 120)
        alone = [ocr.run_tesseract(crop, model, 6, workdir, 60) for crop in crops]
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


def _ocr_fields(pages: list, tmp_path: Path):
    from ingest.clean import clean_document
    from ingest.metadata import extract_metadata

    settings = load_settings(environ={"GONGWEN_STORAGE_INDEX_DIR": str(tmp_path)})
    return extract_metadata(clean_document(pages), settings, ocr=True)


def _letter(*lines: tuple[str, str, float, float]):
    """One A4 page of (text, where, y, size) lines: where is left, indent, centre or right."""
    from ingest.extract import Line, RawPage

    width, left_edge, right_edge = 595.0, 79.4, 521.6
    placed = []
    for text, where, y, size in lines:
        span = len(text) * size
        x0 = {"left": left_edge, "indent": left_edge + 2 * size, "centre": width / 2 - span / 2,
              "right": right_edge - 2 * size - span}[where]
        placed.append(Line(text, x0, y, min(right_edge, x0 + span), y + size, size))
    return [RawPage(1, width, 842.0, placed)]


def test_a_scanned_salutation_whose_colon_was_misread_is_still_the_addressee(tmp_path):
    body = [("您提出的市政协十四届五次会议第005号提案已收悉，我们认真", "indent", 620.0, 16.0),
            ("进行了学习与讨论，非常感谢您对生态文明建设的建议。现将主要", "left", 591.0, 16.0),
            ("工作情况汇报如下：一是推进声环境功能区划分调整，城市声环境", "left", 562.0, 16.0),
            ("功能区夜间达标率达到83.2%。", "left", 533.0, 16.0)]
    misreads = ("梁丽云委员，", "梁丽云委员", "梁丽云委员;", "尊和敬的梁丽云委员：", "草敬的梁丽云委员：")
    for misread in misreads:
        meta = _ocr_fields(_letter(("景环提字〔2025〕8号", "right", 720.0, 16.0),
                                   ("关于对市政协十四届五次会议第005号提案的答复", "centre", 680.0, 22.0),
                                   (misread, "left", 650.0, 16.0), *body), tmp_path)
        assert (meta.addressee, meta.proposer) == ("梁丽云委员", "梁丽云")
        assert meta.body.startswith("您提出的")
    # A flush-left first paragraph that is a sentence is body, not a salutation.
    meta = _ocr_fields(_letter(("关于做好安全检查工作的通知", "centre", 680.0, 22.0),
                               ("请于本月底前完成辖区养老机构安全检查。", "left", 650.0, 16.0), *body),
                       tmp_path)
    assert meta.addressee is None


def test_scanned_header_lines_with_lost_parts_do_not_end_the_header(tmp_path):
    meta = _ocr_fields(_letter(("〔2025〕8号", "right", 720.0, 16.0), ("类别：Al", "left", 700.0, 16.0),
                               ("关于对市政协十四届五次会议第005号提案的答复", "centre", 660.0, 22.0),
                               ("尊敬的梁丽云委员：", "left", 630.0, 16.0),
                               ("您提出的提案已收悉。", "indent", 600.0, 16.0)), tmp_path)
    assert meta.doc_number is None  # the 机关代字 is not there to read
    assert (meta.category, meta.title, meta.addressee) == (
        "A1", "关于对市政协十四届五次会议第005号提案的答复", "梁丽云委员")


def test_a_title_keeps_its_quotation_marks_in_pairs_only(tmp_path):
    from ingest.metadata import _paired_quotes

    assert _paired_quotes("“国务院办公厅关于加快发展体育竞赛表演产业的指导意见") == (
        "国务院办公厅关于加快发展体育竞赛表演产业的指导意见")
    assert _paired_quotes("关于推广第二批“支持创新相关改革举措的通知") == (
        "关于推广第二批支持创新相关改革举措的通知")
    assert _paired_quotes("关于开展“放管服”改革的通知") == "关于开展“放管服”改革的通知"


def test_a_signature_spoiled_by_the_seal_is_mended_from_the_masthead_or_the_document(tmp_path):
    from ingest.metadata import _organisation_ending, _signature_or_masthead

    settings = load_settings(environ={})
    _aliases, _prefixes, suffixes = load_issuer_aliases(str(settings.path("ingest", "issuer_aliases")))
    assert _signature_or_masthead("景几市生态环境忆", "景川市生态环境局", [], suffixes) == "景川市生态环境局"
    assert _signature_or_masthead("景川市财政局", "景川市财玫局", [], suffixes) == "景川市财政局"
    # A known name wins over an organisation-shaped misreading; bodies far apart are not one.
    known = ["景川市公安局"]
    assert _signature_or_masthead("景川市公安局", "景川市公交局", known, suffixes) == "景川市公安局"
    assert _signature_or_masthead("景川市教育局", "景川市人民政府办公室", [], suffixes) == "景川市教育局"
    text = "市财政局高度重视。市财政局会同有关部门。景川市财政启"
    assert _organisation_ending("景川市财政启", text, [], suffixes) == "景川市财政局"
    assert _organisation_ending("景川市财政启", "没有别的线索", [], suffixes) == "景川市财政启"
    assert _organisation_ending("景川市财政局", text, [], suffixes) == "景川市财政局"
    # A 抄送 entry too (委员会 printed elsewhere in the document); 督查室 ends like no listed body.
    cc_text = "抄送：市政协提案委员信，市委督查室。政协提案委员会"
    assert _organisation_ending("市政协提案委员信", cc_text, [], suffixes) == "市政协提案委员会"
    assert _organisation_ending("市委督查室", cc_text, [], suffixes) == "市委督查室"


def test_a_title_read_together_with_the_salutation_below_it_is_split(tmp_path):
    from ingest.extract import Line, RawPage

    # A scan's title whose size came out as the body's: a full line, so the line under it joins it.
    lines = [Line("景府办函〔2021〕14号", 344.0, 712.0, 504.0, 728.0, 16.0),
             Line("关于《关于推进城市运行管理服务平台建设的提案》的答复", 93.0, 680.0, 513.0, 696.0, 16.0),
             Line("尊敬的熊飞委员：", 80.0, 652.0, 208.0, 668.0, 16.0),
             Line("您提出的《关于推进城市运行管理服务平台建设的提案》", 112.0, 620.0, 512.0, 636.0, 16.0),
             Line("已收悉。感谢您对我市智慧城市建设的关心和支持。", 80.0, 591.0, 448.0, 607.0, 16.0)]
    meta = _ocr_fields([RawPage(1, 595.0, 842.0, lines)], tmp_path)
    assert meta.title == "关于《关于推进城市运行管理服务平台建设的提案》的答复"
    assert meta.addressee == "熊飞委员"
    assert meta.body.startswith("您提出的")


def test_dust_beside_a_line_does_not_move_its_start_and_dust_alone_is_no_line():
    def word(text: str, left: int, top: int = 1000, width: int | None = None, height: int = 60):
        return ocr._Word(text, left, top, width or 66 * len(text), height, 90.0, (1, 1, 1))

    # An indented first line (x = 400) with a speck in the indent, glued to its first word or apart.
    rest = [word(w, 532 + 66 * i) for w, i in (("扶贫", 0), ("是", 2), ("社会", 3), ("各界", 5), ("通过", 7))]
    glued = [word("”消费", 300, width=232), *rest]  # the speck 1.3 characters before 消
    apart = [word("“", 300, width=12), word("消费", 400), *rest]
    for line in (glued, apart):
        kept = ocr._without_edge_specks(line)
        assert "".join(w.text for w in kept) == "消费扶贫是社会各界通过"
        assert min(w.left for w in kept) >= 395
    # A printed opening quote touches its text and stays.
    printed = [word("“消费", 367, width=165), *rest]
    assert "".join(w.text for w in ocr._without_edge_specks(printed)) == "“消费扶贫是社会各界通过"
    page = [[word("推进声环境功能区划分调整", 200, top=t)] for t in (900, 1000, 1100)]
    assert ocr._is_dust_line([word("四", 900, top=1200, width=20, height=20)], ocr._page_glyph_height(page))
    assert not ocr._is_dust_line([word("附件", 200, top=1200)], ocr._page_glyph_height(page))


def test_seal_debris_beside_a_signed_name_is_not_signed(tmp_path):
    lines = [("景财建字〔2025〕3号", "right", 740.0, 16.0),
             ("对市十六届人大五次会议第182号建议的答复函", "centre", 700.0, 22.0),
             ("尊敬的张欣代表：", "left", 670.0, 16.0),
             ("您提出的建议收悉。现答复如下：市财政局高度重视，认真研究办理。", "indent", 640.0, 16.0),
             ("他 可入", "right", 590.0, 16.0), ("景川市财政局，和刀心人", "right", 561.0, 16.0),
             ("2025年4月27日", "right", 532.0, 16.0)]
    meta = _ocr_fields(_letter(*lines), tmp_path)
    assert (meta.issuers, meta.date) == (["景川市财政局"], "2025-04-27")


def test_a_misread_place_opening_an_issuer_is_mended_from_known_names_or_the_document():
    known = ["景川市财政局", "景川市公安局", "国务院办公厅"]
    blank = consensus.DocumentGrams.of("")
    assert consensus.repair_place("姑川市教育局", known, blank) == "景川市教育局"  # 教育局 itself unknown
    assert consensus.repair_place("景川市教育局", known, blank) == "景川市教育局"
    assert consensus.repair_place("梧岭县教育局", known, blank) == "梧岭县教育局"  # two places off
    assert consensus.repair_place("国务院办公厅", known, blank) == "国务院办公厅"  # no place to mend
    # No known names: the document's own readings of the place decide, twice at least.
    grams = consensus.DocumentGrams.of("景川市委办公室印发。景川市教育局。姑川市教育局")
    assert consensus.repair_place("姑川市教育局", [], grams) == "景川市教育局"
    once = consensus.DocumentGrams.of("景川市教育局。姑川市教育局")
    assert consensus.repair_place("姑川市教育局", [], once) == "姑川市教育局"
    # …unless the 发文字号 (景教函〔2025〕3号) opens with the place's first character.
    mended = consensus.repair_place("长川市人力资源和社会保障局", [], blank, "景")
    assert mended == "景川市人力资源和社会保障局"
    seen = consensus.DocumentGrams.of("长川市人民政府。长川市人民政府")
    assert consensus.repair_place("长川市人民政府", [], seen, "景") == "长川市人民政府"
    # A longer "place" is no city's own name: a national body in the city keeps its 国.
    assert consensus.repair_place("国家试验区管委会办公室", [], blank, "景") == "国家试验区管委会办公室"


def test_scanned_cc_entries_lose_seal_debris_and_mend_one_character_off_a_known_entry():
    from ingest.metadata import _ocr_cc

    known = ["市委督查室", "市政府办公室", "市政协办公室", "市政府督查室"]
    assert _ocr_cc(["j", "市政府办公室", "市政府督査室"], known) == ["市政府办公室", "市政府督查室"]
    # One edit from two known entries: left as read. Nothing known: only the debris goes.
    assert _ocr_cc(["市政x办公室"], known) == ["市政x办公室"]
    assert _ocr_cc(["ji", "市委督查宝"], []) == ["市委督查宝"]
    assert _ocr_cc(["市政府办公室。\t和"], []) == ["市政府办公室"]


def test_bodies_often_copied_mend_scanned_cc_entries_without_any_text_layer():
    from ingest.metadata import _ocr_cc, copied_bodies_for

    issuers = str(load_settings(environ={}).path("ingest", "issuer_aliases"))
    everywhere = copied_bodies_for(["国务院办公厅"], issuers)
    assert "县人大常委会代表工作委员会" in everywhere and "国务院办公厅" in everywhere  # all levels
    read = ["市人大笛委会办公室", "区政府攻查室", "市政协办公室", "市民政局", "市发展和改革委员会"]
    # Entries printed exactly as a listed body, and bodies not listed (short ones), stay as read.
    assert _ocr_cc(read, copied_bodies_for(read, issuers)) == [
        "市人大常委会办公室", "区政府督查室", "市政协办公室", "市民政局", "市发展和改革委员会"]
    # A first character misread is one edit from every level's body: the list's own level decides.
    read = ["市政协提案委员会", "市政府办公室", "证政府督查室"]
    assert _ocr_cc(read, copied_bodies_for(read, issuers))[-1] == "市政府督查室"
    assert _ocr_cc(read[-1:], copied_bodies_for(read[-1:], issuers)) == ["证政府督查室"]  # a tie
    # A long entry may be two characters off: one edit per six characters.
    read = ["市人大利委会仆表工作委员会", "市政府督查室"]
    assert _ocr_cc(read, copied_bodies_for(read, issuers))[0] == "市人大常委会代表工作委员会"
    # Two listed bodies whose 、 the scan lost are two entries; an unlisted run stays as read.
    read = ["市委督查室", "市政协提案委员会市政府督查室"]
    assert _ocr_cc(read, copied_bodies_for(read, issuers)) == [
        "市委督查室", "市政协提案委员会", "市政府督查室"]
    assert _ocr_cc(["市民政局市财政局"], copied_bodies_for(["市民政局"], issuers)) == ["市民政局市财政局"]


def test_a_scanned_standard_addressee_line_is_read_as_printed_without_any_text_layer():
    from ingest.metadata import _ocr_addressee, load_addressed_lines

    settings = load_settings(environ={})
    lines = list(load_addressed_lines(str(settings.path("ingest", "issuer_aliases"))))
    printed = "各省、自治区、直辖市人民政府，国务院各部委、各直属机构"
    assert _ocr_addressee("各省自治区、直辖市人民政府，国务院名部委、各直属机构", lines) == printed
    # A salutation to a person, and a line more than an edit per 12 characters off, stay as read.
    assert _ocr_addressee("熊飞委员", lines) == "熊飞委员"
    other = "各县（市、区）人民政府，市政府各部门"
    assert _ocr_addressee(other, lines) == other


def test_a_scanned_title_opens_with_guanyu_and_ends_with_its_document_type():
    from ingest.metadata import _ocr_title, load_doc_types

    doc_types = load_doc_types(str(load_settings(environ={}).path("ingest", "doc_types")))
    notice = "关于开展2025年乡村教师荣誉表彰工作的通知"
    assert _ocr_title("大" + notice[1:], doc_types) == notice
    assert _ocr_title("景川市2025年义务教育工作方宁", doc_types) == "景川市2025年义务教育工作方案"
    plan = "2020年智慧城市建设重点项目申报工作方案"
    assert _ocr_title(plan.replace("项目", "项|目"), doc_types) == plan
    # 通千 is one character from 通知, 通报 and 通告: the document's own text decides, or nothing does.
    notice_text = "现将有关事项通知如下：……本通知自印发之日起施行。"
    assert _ocr_title(notice[:-1] + "千", doc_types, notice_text) == notice
    assert _ocr_title(notice[:-1] + "千", doc_types, "") == notice[:-1] + "千"
    # Already ending in a 文种, or no single 文种 one character away: as read.
    for title in ("关于市政协十四届二次会议第348号提案答复的函", "景川市2024年工作情况"):
        assert _ocr_title(title, doc_types) == title


def test_latin_debris_after_a_scanned_cc_entry_is_dropped():
    from ingest.metadata import _ocr_cc

    assert _ocr_cc(["市政府督查室\\", "市政府办公室。 AS", "市委（市政府）办公室"], []) == [
        "市政府督查室", "市政府办公室", "市委（市政府）办公室"]


def test_the_store_lexicon_knows_cc_entries_printed_by_several_text_layers(tmp_path):
    from ingest.lexicon import store_lexicon
    from ingest.record import DocumentRecord
    from ingest.store import RecordStore

    settings = load_settings(environ={"GONGWEN_STORAGE_INDEX_DIR": str(tmp_path)})
    with RecordStore(tmp_path) as store:
        for number, cc in enumerate((["市政府办公室", "市委督查室"], ["市政府办公室"], ["市审计局"])):
            store.put(DocumentRecord(id=f"d{number}", filename=f"d{number}.pdf", issuers=["景川市财政局"],
                                     doc_number=f"景财函〔2025〕{number}号", cc=cc))
    known = store_lexicon(settings)
    assert known.cc == ["市政府办公室"]
    assert known.addressees == []  # no 主送 line printed twice
    assert known.prefixes == {"景财函": "景川市财政局"}


def test_page_edges_garbage_and_real_characters_among_the_doubtful_lines():
    def word(text: str, left: int, top: int, conf: float = 90.0, height: int = 60, key: int = 1):
        return ocr._Word(text, left, top, 66 * len(text), height, conf, (1, 1, key))

    page = [word("推进声环境功能区划分调整", 300, 900, key=1),
            word("城市声环境功能区夜间达标", 300, 1000, key=2),
            word("细颗粒物平均浓度为每立方", 300, 1100, key=3),
            word("国", 10, 1200, key=4),  # the scanner's dark edge, read as a character
            word("ers一wearearseeearerare", 300, 1300, conf=20.0, key=5),  # a red rule
            word("构：", 300, 1400, conf=20.0, key=6),  # the end of a 主送 line, doubted but full-size
            word("“无废城市”建设", 300, 1500, key=7)]  # a printed opening quote
    texts = [line.text for line in ocr.words_to_lines(page, (2480, 3508), (595.2, 841.9))]
    assert "国" not in texts and not any("wear" in t for t in texts)
    assert "构：" in texts and "“无废城市”建设" in texts


def test_the_documents_majority_reading_mends_a_title_character_the_body_also_misread():
    text = "大力发展陶瓷产业。" * 6 + "推动陶姿产业升级。陶姿产业。" + "《关于加强的提案》" * 2
    grams = consensus.DocumentGrams.of(text)
    mended = consensus.repair_value("关于进一步加强陶侈产业工作的通知", grams)
    assert mended == "关于进一步加强陶瓷产业工作的通知"
    # 《》 count as context: the 案 before 》 is what the document prints there.
    assert consensus.repair_value("关于加强的提埃》的答复", grams) == "关于加强的提案》的答复"


def test_a_second_look_replaces_a_doubtful_line_only_with_a_better_reading():
    def line(text: str, top: int, conf: float, block: int) -> list:
        return [ocr._Word(text, 340, top, 66 * len(text), 60, conf, (block, 1, 1))]

    first = {(3, 1, 1): line("任辉委员:", 946, 52.0, 3),  # doubtful, not under a seal
             (4, 1, 1): line("1呈，1", 1190, 4.0, 4),  # a seal garbled into marks
             (5, 1, 1): line("抄送:市政府办公室，j", 1400, 82.0, 5)}  # trusted, its end under the seal
    words = [w for group in first.values() for w in group]
    trusted = {(5, 1, 1)}
    clipped = line("任泛委员:", 949, 18.5, 10_900) + line("景川市财政局", 1192, 40.0, 10_901)
    kept = ocr._take_second_look(words, first, trusted, clipped, 900, 1300, seal=False)
    texts = sorted(w.text for w in kept)
    assert texts == sorted(["任辉委员:", "景川市财政局", "抄送:市政府办公室，j"])
    # Under a seal, a trusted line the second look reads more of is replaced.
    more = line("抄送:市政府办公室，市委督查室。", 1402, 70.0, 10_902)
    kept = ocr._take_second_look(words, first, trusted, more, 1350, 1500, seal=True)
    assert "抄送:市政府办公室，市委督查室。" in [w.text for w in kept]
    assert "抄送:市政府办公室，j" not in [w.text for w in kept]
    # ... and so is one whose telephone number ran on under the seal's ring; a digit or two more
    # (the ring read as 1) is no number and leaves the first reading.
    phone = {(6, 1, 1): line("(联系人:杨艳博，联系电话:079", 1600, 85.0, 6)}
    words = phone[(6, 1, 1)]
    readings = [("(联系人:杨艳博，联系电话:0798-8284249)", True), ("(联系人:杨艳博，联系电话:079 1", False)]
    for second, taken in readings:
        found = line(second, 1602, 75.0, 10_903)
        kept = ocr._take_second_look(words, phone, {(6, 1, 1)}, found, 1550, 1700, seal=True)
        assert [w.text for w in kept] == [second if taken else "(联系人:杨艳博，联系电话:079"]


def test_a_scanned_date_beside_seal_debris_is_the_date(tmp_path):
    lines = [("景府函〔2018〕5号", "right", 740.0, 16.0),
             ("对市政协十三届三次会议第385号提案的答复", "centre", 700.0, 22.0),
             ("尊敬的任辉委员：", "left", 670.0, 16.0),
             ("您提出的提案收悉。现答复如下：感谢您对我市营商环境建设的关心和支持。", "indent", 640.0, 16.0),
             ("景川市人民政府", "right", 590.0, 16.0)]
    pages = _letter(*lines)
    from ingest.extract import Line

    pages[0].lines.append(Line("四", 200.0, 561.0, 216.0, 577.0, 16.0))
    pages[0].lines.append(Line("2018年7月9日", 380.0, 561.0, 490.0, 577.0, 16.0))
    meta = _ocr_fields(pages, tmp_path)
    assert (meta.date, meta.issuers) == ("2018-07-09", ["景川市人民政府"])


def test_a_scanned_attachment_title_is_mended_from_its_other_printing_and_an_imprint_is_none(tmp_path):
    from ingest.extract import Line, RawPage

    letter = _letter(("景人社函〔2025〕3号", "right", 740.0, 16.0),
                     ("关于市十六届人大五次会议第182号建议的答复", "centre", 700.0, 22.0),
                     ("尊敬的张欣代表：", "left", 670.0, 16.0),
                     ("您提出的代表建议收悉，现将代表建议办理情况答复如下：已全部落实。", "indent", 640.0,
                      16.0),
                     ("附件：代表建议办理情况征求意见表", "indent", 611.0, 16.0),
                     ("景川市人力资源和社会保障局", "right", 560.0, 16.0),
                     ("2025年4月27日", "right", 531.0, 16.0))
    form = RawPage(2, 595.0, 842.0, [Line("附件", 79.4, 760.0, 111.4, 776.0, 16.0),
                                      Line("代夫建议办理情况征求意见表", 154.0, 720.0, 440.0, 742.0, 22.0)])
    meta = _ocr_fields([*letter, form], tmp_path)
    assert [a.title for a in meta.attachments] == ["代表建议办理情况征求意见表"]
    imprint_line = Line("景川市人民政府办公室2018年4月26日印发", 120.0, 720.0, 475.0, 742.0, 22.0)
    imprint = RawPage(2, 595.0, 842.0, [imprint_line])
    assert _ocr_fields([*letter[:1], imprint], tmp_path).attachments == []


def test_a_long_scanned_addressee_a_few_characters_off_a_known_one_is_mended():
    from ingest.metadata import _ocr_addressee

    standard = "各省、自治区、直辖市人民政府，国务院各部委、各直属机构"
    known = [standard, "各县（市、区）人民政府，市政府各部门"]
    assert _ocr_addressee("各省自治区、直辖市人民政府，国务院名部委、各直属机构", known) == standard
    assert _ocr_addressee("黑龙江省人民政府，教育部、外交部", known) == "黑龙江省人民政府，教育部、外交部"
    assert _ocr_addressee("张明委员", ["张朋委员会主任办公室"]) == "张明委员"


def test_a_scanned_title_broken_into_paragraphs_runs_on_to_its_document_type(tmp_path):
    body = [("王超斌委员：", "left", 600.0, 16.0),
            ("您提出的提案收悉。经研究，答复如下：", "indent", 570.0, 16.0)]
    # The title's second line came out sizes larger than its first, as a paragraph of its own.
    meta = _ocr_fields(_letter(("国办函〔2006〕82号", "right", 720.0, 16.0),
                               ("国务院办公厅对全国政协十届四次会议", "centre", 680.0, 21.0),
                               ("第4626号提案的答复", "centre", 640.0, 27.0), *body), tmp_path)
    assert meta.title == "国务院办公厅对全国政协十届四次会议第4626号提案的答复"
    assert (meta.doc_type, meta.addressee, meta.proposal_number) == ("答复", "王超斌委员", "4626")
    # A title already ending in its 文种 takes nothing more; nor does one no centred line completes.
    meta = _ocr_fields(_letter(("关于做好安全检查工作的通知", "centre", 680.0, 22.0),
                               ("（2024年5月3日）", "centre", 650.0, 16.0),
                               ("各区县民政局：", "left", 620.0, 16.0),
                               ("请于本月底前完成辖区养老机构安全检查。", "indent", 590.0, 16.0)), tmp_path)
    assert meta.title == "关于做好安全检查工作的通知"
    meta = _ocr_fields(_letter(("景府办发〔2020〕3号", "right", 720.0, 16.0),
                               ("景川市2020年养老服务", "centre", 680.0, 22.0),
                               ("（征求意见稿）", "centre", 650.0, 27.0),
                               ("请于本月底前完成辖区养老机构安全检查。", "indent", 590.0, 16.0)), tmp_path)
    assert meta.title == "景川市2020年养老服务"


def test_joint_issuers_stacked_in_a_scanned_masthead_are_the_masthead(tmp_path):
    meta = _ocr_fields(_letter(("国务院", "centre", 760.0, 40.0), ("中央军委", "centre", 715.0, 40.0),
                               ("国函〔1996〕95号", "centre", 680.0, 16.0),
                               ("国务院、中央军委关于同意武警总部后勤部", "centre", 650.0, 22.0),
                               ("机关等迁址新建的批复", "centre", 620.0, 22.0),
                               ("武警总部：", "left", 590.0, 16.0),
                               ("你部的请示收悉。现批复如下：同意迁址新建。", "indent", 560.0, 16.0),
                               ("国务院    中央军委", "right", 500.0, 16.0),
                               ("一九九六年十一月五日", "right", 470.0, 16.0)), tmp_path)
    assert (meta.doc_number, meta.doc_type, meta.addressee) == ("国函〔1996〕95号", "批复", "武警总部")
    assert meta.title == "国务院、中央军委关于同意武警总部后勤部机关等迁址新建的批复"
    assert meta.issuers == ["国务院", "中央军委"]


def test_a_scanned_standard_addressee_that_lost_its_last_line_is_the_standard_line(tmp_path):
    standard = "各省、自治区、直辖市人民政府，国务院各部委、各直属机构"
    meta = _ocr_fields(_letter(("国发〔2019〕5号", "centre", 720.0, 16.0),
                               ("国务院关于在市场监管领域全面推行部门联合监管的意见", "centre", 680.0, 22.0),
                               (standard[:-1], "left", 650.0, 16.0),  # 构： on the line OCR lost
                               ("在市场监管领域全面推行“双随机、一公开”监管，是党", "indent", 620.0, 16.0),
                               ("中央、国务院作出的重大决策部署。", "left", 591.0, 16.0)), tmp_path)
    assert meta.addressee == standard
    assert meta.body.startswith("在市场监管领域")
    # Its last line read on its own, without the colon (…各直属机 / 构).
    meta = _ocr_fields(_letter(("国发〔2019〕5号", "centre", 720.0, 16.0),
                               ("国务院关于在市场监管领域全面推行部门联合监管的意见", "centre", 680.0, 22.0),
                               (standard[:-1], "left", 650.0, 16.0), ("构", "left", 610.0, 14.5),
                               ("在市场监管领域全面推行“双随机、一公开”监管，是党", "indent", 581.0, 16.0),
                               ("中央、国务院作出的重大决策部署。", "left", 552.0, 16.0)), tmp_path)
    assert meta.addressee == standard
    assert meta.body.startswith("在市场监管领域")


def test_a_proposers_name_in_a_scanned_title_is_read_as_in_the_salutation(tmp_path):
    from ingest.metadata import _title_name_as_salutation

    def named(title: str, proposer: str) -> str:
        return _title_name_as_salutation(title, proposer)

    assert named("关于对去晖旭代表所提建议的答复", "袁晖旭") == "关于对袁晖旭代表所提建议的答复"
    assert named("关于对发凤等代表所提建议的答复", "袁凤") == "关于对袁凤等代表所提建议的答复"
    # Two characters off, or not followed by a role, is another name or no name.
    assert named("关于对去晖烛代表所提建议的答复", "袁晖旭") == "关于对去晖烛代表所提建议的答复"
    assert named("关于袁晖旭所提建议的答复", "袁晖旭") == "关于袁晖旭所提建议的答复"
    meta = _ocr_fields(_letter(("景府办函〔2024〕14号", "right", 720.0, 16.0),
                               ("关于对去晖旭代表所提建议的答复", "centre", 680.0, 22.0),
                               ("尊敬的袁晖旭代表：", "left", 650.0, 16.0),
                               ("您提出的建议已收悉，现答复如下：", "indent", 620.0, 16.0)), tmp_path)
    assert (meta.title, meta.proposer) == ("关于对袁晖旭代表所提建议的答复", "袁晖旭")


def test_a_sure_second_reading_of_a_name_line_is_merged_even_when_the_first_is_garbled():
    first, second = "章误的囊晖烛代表:", "尊敬的袁晖旭代表:"
    assert "".join(ocr_vote.merge_han(first, second)) == first  # shares too little by default
    assert "".join(ocr_vote.merge_han(first, second, min_ratio=0.4)) == second


def test_a_name_is_what_most_readings_of_the_second_model_say():
    scanned, others = "联系人:曹易", ["联系人:曹晟", "联系人:曹昊", "联系人:曹昊"]
    assert "".join(ocr_vote.vote(scanned, others, plurality=True)) == "联系人:曹昊"
    assert "".join(ocr_vote.vote(scanned, others)) == scanned  # 2 of 4 is no strict majority
    tie = ["联系人:兹利", "联系人:莉利", "联系人:莉利"]
    assert "".join(ocr_vote.vote("联系人:兹利", tie, plurality=True)) == "联系人:兹利"


def test_the_category_code_is_looked_for_right_after_the_label():
    def word(text: str, left: int, width: int) -> ocr._Word:
        return ocr._Word(text, left, 800, width, 60, 90.0, (5, 1, 1))

    assert ocr._label_end([word("分", 341, 70), word("类", 435, 70), word("上", 540, 40)], 2) == 505
    assert ocr._label_end([word("分", 341, 70), word("类上", 435, 140)], 2) == 505


def test_a_seals_band_takes_in_the_whole_lines_it_cuts():
    def line(top: int, height: int) -> list[ocr._Word]:
        return [ocr._Word("市政府督查室", 300, top, 400, height, 90.0, (1, 1, top))]

    lines = [line(1000, 60), line(1300, 60), line(1560, 70)]
    assert ocr._to_whole_lines(1152, 1584, lines) == (1152, 1630)  # the 抄送 line under the ring
    assert ocr._to_whole_lines(1020, 1400, lines) == (1000, 1400)


def test_a_scanned_date_whose_year_was_partly_lost_takes_the_document_numbers_year(tmp_path):
    from ingest.metadata import _date_of_number_year

    assert _date_of_number_year("一万万七年四月八日", "1997") == "1997-04-08"
    assert _date_of_number_year("2O2x年4月8日", "2024") == "2024-04-08"
    assert _date_of_number_year("022年4月18日 /", "2022") == "2022-04-18"  # its 2 lost at the edge
    assert _date_of_number_year("021年4月18日", "2022") is None
    # A read numeral that disagrees, too little read, or no number: no date.
    assert _date_of_number_year("一万万六年四月八日", "1997") is None
    assert _date_of_number_year("万万万七年四月八日", "1997") is None
    assert _date_of_number_year("一万万七年四月八日", None) is None
    # The thin circles of 〇〇 broken into more marks: a year of zeros between its first and last numeral.
    assert _date_of_number_year("二O 〇 GO五年三月三日", "2005") == "2005-03-03"
    assert _date_of_number_year("二O〇GO五年三月三日", "2015") is None  # its middle is no zeros
    assert _date_of_number_year("二O〇GO六年三月三日", "2005") is None  # its last numeral disagrees
    body = [("你部的请示收悉。现批复如下：同意。", "indent", 620.0, 16.0)]
    meta = _ocr_fields(_letter(("国办发〔1997〕11号", "centre", 720.0, 16.0),
                               ("国务院办公厅关于同意的批复", "centre", 680.0, 22.0),
                               ("民政部：", "left", 650.0, 16.0), *body,
                               ("国务院办公厅", "right", 560.0, 16.0),
                               ("一万万七年四月八日", "right", 530.0, 16.0),
                               ("抄送；市政府办公室，市政府督查室。", "left", 480.0, 16.0)), tmp_path)
    assert (meta.date, meta.year, meta.issuers) == ("1997-04-08", 1997, ["国务院办公厅"])
    assert meta.cc == ["市政府办公室", "市政府督查室"]  # its colon read as a semicolon


def test_a_scanned_date_line_whose_month_is_unread_still_has_its_year_and_signature(tmp_path):
    def reply(date_line: str | None, number: str = "景民函〔2023〕12号"):
        tail = [("景川市民政局", "right", 560.0, 16.0)] + (
            [(date_line, "right", 530.0, 16.0)] if date_line else [])
        return _ocr_fields(_letter((number, "right", 720.0, 16.0),
                                   ("关于对市政协十四届二次会议第112号提案的答复", "centre", 680.0, 22.0),
                                   ("孟阳欣委员：", "left", 650.0, 16.0),
                                   ("您提出的关于加强养老服务的提案收悉。现答复如下：已落实。", "indent",
                                    620.0, 16.0),
                                   *tail,
                                   ("抄送：市政府办公室，市政府督查室。", "left", 480.0, 16.0)), tmp_path)

    meta = reply("2023年D月19日")  # the month's 5 read as a letter
    assert (meta.date, meta.year, meta.issuers) == (None, 2023, ["景川市民政局"])
    assert meta.body.endswith("已落实。") and meta.cc == ["市政府办公室", "市政府督查室"]
    # A date line a seal hid entirely: the 发文字号 carries the year of issue.
    meta = reply(None)
    assert (meta.date, meta.year) == (None, 2023)
    assert (reply("2023年5月19日").date, reply(None, number="").year) == ("2023-05-19", None)
    # A table's cell on the right (a deadline) is no date line: the body goes on past it.
    meta = reply("2019年3月底前")
    assert meta.date is None and meta.body.endswith("2019年3月底前")


def test_a_scanned_addressee_broken_over_two_lines_gets_its_brackets_mended(tmp_path):
    from ingest.ocr_clean import repair_marks

    assert repair_marks("各县〔（市、区）财政局，市直各预算单位") == "各县（市、区）财政局，市直各预算单位"
    assert repair_marks("园区各企业，.管委会各部门") == "园区各企业，管委会各部门"
    assert repair_marks("陕西省 (自治区、直辖市 ) 人民政府") == "陕西省（自治区、直辖市）人民政府"
    assert repair_marks("国办发〔2018〕109号") == "国办发〔2018〕109号"
    assert repair_marks("全国政协十届三次会议第274] 号提案的答复") == "全国政协十届三次会议第2741号提案的答复"
    first_line = "市发展改革委，市教育局，市科技局，市工业和信息化局，各县〔"
    meta = _ocr_fields(_letter(("景财函〔2024〕3号", "right", 720.0, 16.0),
                               ("关于做好2024年预算执行工作的通知", "centre", 680.0, 22.0),
                               (first_line, "left", 650.0, 16.0),
                               ("(市、区 ) 财政局：", "left", 625.0, 16.0),
                               ("现将有关事项通知如下：请认真执行。", "indent", 595.0, 16.0),
                               ("景川市财政局", "right", 560.0, 16.0),
                               ("2024年3月5日", "right", 530.0, 16.0)), tmp_path)
    assert meta.addressee == "市发展改革委，市教育局，市科技局，市工业和信息化局，各县（市、区）财政局"


def test_a_speck_read_as_a_dash_before_a_signed_name_is_no_part_of_it(tmp_path):
    def signed(name: str):
        return _ocr_fields(_letter(("景人社发〔2025〕7号", "right", 720.0, 16.0),
                                   ("关于2024年养老服务工作情况的报告", "centre", 680.0, 22.0),
                                   ("市人民政府：", "left", 650.0, 16.0),
                                   ("现将我局2024年养老服务工作情况报告如下。特此报告。", "indent",
                                    620.0, 16.0),
                                   (name, "right", 560.0, 16.0), ("2025年2月23日", "right", 530.0, 16.0)),
                           tmp_path)

    assert signed("一景川市人力资源和社会保障局").issuers == ["景川市人力资源和社会保障局"]
    assert signed("一一景川市人力资源和社会保障局").issuers == ["景川市人力资源和社会保障局"]
    assert signed("景川市人力资源和社会保障局").issuers == ["景川市人力资源和社会保障局"]


def test_a_quoted_phrase_of_a_scanned_title_gets_back_the_mark_the_text_prints_in_it():
    text = "推行“双随机、一公开”监管。“双随机、一公开”监管是重大创新。“放管服”改革。"
    title = "国务院关于全面推行“双随机一公开”监管的意见"
    assert consensus.repair_quoted(title, title + text) == "国务院关于全面推行“双随机、一公开”监管的意见"
    # Printed once only, or quoted with other characters: as read.
    once = "推行“双随机、一公开”监管。"
    assert consensus.repair_quoted(title, title + once) == title
    assert consensus.repair_quoted("关于“放管”改革", "关于“放管”改革" + text) == "关于“放管”改革"


def test_a_sure_line_with_a_lost_run_of_words_is_looked_at_again():
    def line(*confs: float) -> list[ocr._Word]:
        return [ocr._Word("字", 100 * i, 500, 60, 60, conf, (4, 1, 1)) for i, conf in enumerate(confs)]

    assert ocr._has_lost_run(line(92, 96, 93, 97, 42, 38, 26, 31))  # 代表 全 市 大大: mean 77
    assert ocr._has_lost_run(line(97, 89, 0, 0, 93, 89))
    assert not ocr._has_lost_run(line(92, 40, 96, 45, 93))  # doubtful words apart are no lost run


def test_a_place_known_names_do_not_hold_is_mended_from_the_documents_own_printing():
    known = ["景川市财政局", "景川市公安局"]
    grams = consensus.DocumentGrams.of("本报告由淮安市人民政府办公室编制。请与淮安市人民政府办公室联系。")
    assert consensus.repair_place("准安市人民政府", known, grams) == "淮安市人民政府"
    assert consensus.repair_place("准安市人民政府", known, consensus.DocumentGrams.of("")) == "准安市人民政府"


def test_a_character_the_second_look_read_twice_is_read_once():
    def words(*texts: str) -> list[ocr._Word]:
        return [ocr._Word(text, 100 * i, 1000, 90 * len(text), 80, 90.0, (1, 1, 1))
                for i, text in enumerate(texts)]

    second = words("上", "上海", "市", "普陀", "区")
    ocr._drop_stutter(second, words("上", "海", "市", "普", "辽", "区"))
    assert "".join(w.text for w in second) == "上海市普陀区"
    kept = words("常常", "关心")
    ocr._drop_stutter(kept, words("常常", "关", "心"))
    assert "".join(w.text for w in kept) == "常常关心"


def test_a_tables_rules_read_as_bars_are_no_lost_run():
    row = [ocr._Word(text, 100 * i, 500, 60, 60, conf, (4, 1, 1)) for i, (text, conf) in enumerate(
        [("4", 90), ("|", 30), ("健全", 93), ("|", 20), ("|", 25), ("市政府", 95), ("|", 10), ("2019", 92)])]
    assert not ocr._has_lost_run(row)


def test_a_scanned_date_years_off_the_document_numbers_year_by_one_digit_takes_the_numbers():
    from ingest.metadata import _date_in_number_year

    assert _date_in_number_year("2044-08-27", "景财函〔2024〕3号", "") == "2024-08-27"
    # A year apart is a letter dated in the year after its number; the 印发 date may confirm a reading.
    assert _date_in_number_year("2019-01-05", "景财函〔2018〕3号", "") == "2019-01-05"
    assert _date_in_number_year("2048-11-25", "景公函〔2018〕3号", "2048年11月25日印发") == "2048-11-25"
    assert _date_in_number_year("2024-08-27", "景财函〔2014〕3号", "2024年8月28日印发") == "2024-08-27"
    assert _date_in_number_year("2031-08-27", "景财函〔2024〕3号", "") == "2031-08-27"  # two digits off


def test_a_line_looked_at_again_for_a_lost_run_gives_way_only_to_one_surer_line():
    def word(text: str, left: int, conf: float, key: tuple[int, int, int], top: int = 1243) -> ocr._Word:
        return ocr._Word(text, left, top, 60 * len(text), 60, conf, key)

    first = [word("尊敬", 333, 67, (6, 1, 1)), word("的", 484, 93, (6, 1, 1)), word("汤", 553, 93, (6, 1, 1)),
             word("鳃", 616, 8, (6, 1, 1)), word("安", 691, 0, (6, 1, 1)), word("委员:", 754, 92, (6, 1, 1))]
    lines = ocr_vote.lines_of(first)
    fragments = [word("苯放昌", 330, 43, (11180, 1, 1)), word("了", 500, 34, (11180, 1, 2)),
                 word("汤僵安", 553, 28, (11180, 1, 3)), word("天", 700, 60, (11180, 1, 4)),
                 word("员:", 800, 83, (11180, 1, 6))]
    kept = ocr._take_second_look(list(first), lines, set(), fragments, 1200, 1320, False, {(6, 1, 1)})
    assert "".join(w.text for w in kept) == "尊敬的汤鳃安委员:"
    whole = [word("尊敬的汤鑫安委员:", 333, 90, (11180, 1, 1))]
    kept = ocr._take_second_look(list(first), lines, set(), whole, 1200, 1320, False, {(6, 1, 1)})
    assert "".join(w.text for w in kept) == "尊敬的汤鑫安委员:"


def test_a_quote_mark_read_between_two_signed_names_parts_them(tmp_path):
    meta = _ocr_fields(_letter(("国函〔1996〕95号", "centre", 720.0, 16.0),
                               ("国务院、中央军委关于同意迁址新建的批复", "centre", 680.0, 22.0),
                               ("武警总部：", "left", 650.0, 16.0),
                               ("你部的请示收悉。现批复如下：同意迁址新建。", "indent", 620.0, 16.0),
                               ("国务院“中央军委", "right", 560.0, 16.0),
                               ("一九九六年十一月五日", "right", 530.0, 16.0)), tmp_path)
    assert (meta.issuers, meta.date) == (["国务院", "中央军委"], "1996-11-05")


def test_an_unsigned_scanned_reports_issuer_misread_at_the_titles_start_is_mended(tmp_path):
    meta = _ocr_fields(_letter(("准安市人民政府2024年政府信息公开工作年度报告", "centre", 700.0, 22.0),
                               ("本报告由淮安市人民政府办公室根据条例规定编制。", "indent", 660.0, 16.0),
                               ("如对本报告有疑问，请与淮安市人民政府办公室联系。", "indent", 630.0, 16.0)),
                       tmp_path)
    assert (meta.issuer, meta.title) == ("淮安市人民政府", "淮安市人民政府2024年政府信息公开工作年度报告")


def test_a_scanned_cc_list_without_its_full_stop_runs_on_into_the_next_paragraphs(tmp_path):
    from ingest.extract import Line, RawPage

    lines = [("景文旅函〔2021〕3号", "right", 740.0, 16.0),
             ("对市十六届人大五次会议第182号建议的答复", "centre", 700.0, 22.0),
             ("尊敬的张欣代表：", "left", 670.0, 16.0),
             ("您提出的建议收悉。现答复如下：已全部落实。", "indent", 640.0, 16.0),
             ("景川市文化广电旅游局", "right", 590.0, 16.0), ("2021年6月1日", "right", 561.0, 16.0),
             ("抄送：市人大常委会办公室，市人大常委会代表工作委员会，", "left", 120.0, 16.0),
             ("1 —", "centre", 40.0, 14.0)]
    letter = _letter(*lines)
    # The list's end on the next page; before it, a seal's debris the cleaner kept.
    rest = RawPage(2, 595.0, 842.0, [Line("ET人", 99.0, 760.0, 140.0, 776.0, 16.0),
                                      Line("市政府督查室。", 79.4, 730.0, 191.4, 746.0, 16.0),
                                      Line("联系人及联系电话：杜琴桂0798-8115327", 79.4, 700.0, 500.0, 716.0,
                                           16.0)])
    meta = _ocr_fields([*letter, rest], tmp_path)
    assert meta.cc == ["市人大常委会办公室", "市人大常委会代表工作委员会", "市政府督查室"]
    # A list ended by its full stop takes nothing from below it.
    closed = [(text.replace("委员会，", "委员会。"), where, y, size) for text, where, y, size in lines]
    meta = _ocr_fields([*_letter(*closed), rest], tmp_path)
    assert meta.cc == ["市人大常委会办公室", "市人大常委会代表工作委员会"]


def test_latin_and_marks_a_scan_reads_in_cc_entries_are_passed_over():
    from ingest.metadata import _ocr_cc

    known = ["市人大常委会代表工作委员会", "市人大常委会办公室", "市政府办公室"]
    assert _ocr_cc(["市政府办公室", "市人大常委会代表了ff委员会"], known) == [
        "市政府办公室", "市人大常委会代表工作委员会"]
    assert _ocr_cc(["市委督查室", "市政府督查室。一"], []) == ["市委督查室", "市政府督查室"]
    assert _ocr_cc(["市委督查室。市政府办公室"], []) == ["市委督查室。市政府办公室"]  # not debris


def test_a_lone_character_above_a_scanned_signature_is_not_signed(tmp_path):
    meta = _ocr_fields(_letter(("景府函〔2018〕5号", "right", 740.0, 16.0),
                               ("对市政协十三届三次会议第385号提案的答复", "centre", 700.0, 22.0),
                               ("尊敬的石鸿军委员：", "left", 670.0, 16.0),
                               ("您提出的提案收悉。市人民政府高度重视，已全部落实。", "indent", 640.0, 16.0),
                               ("四", "right", 600.0, 12.0), ("景川市人民政失", "right", 580.0, 16.0),
                               ("2018年7月9日", "right", 551.0, 16.0)), tmp_path)
    assert (meta.issuers, meta.date) == (["景川市人民政府"], "2018-07-09")


def test_a_scanned_mastheads_spoiled_ending_is_the_ending_the_document_prints(tmp_path):
    meta = _ocr_fields(_letter(("景川市人民政府办公宇文件", "centre", 760.0, 36.0),
                               ("景府办发〔2021〕6号", "centre", 700.0, 16.0),
                               ("关于进一步加强城镇老旧小区改造工作的通知", "centre", 660.0, 22.0),
                               ("各县（市、区）人民政府，市政府各部门：", "left", 630.0, 16.0),
                               ("请于4月25日前将工作情况报送市政府办公室，市政府办公室将适时督导。",
                                "indent", 600.0, 16.0)), tmp_path)
    assert meta.issuer == "景川市人民政府办公室"


def test_a_scanned_attachment_heading_takes_the_title_its_note_prints(tmp_path):
    from ingest.extract import Line, RawPage

    letter = _letter(("景人社函〔2025〕3号", "right", 740.0, 16.0),
                     ("关于市十六届人大五次会议第182号建议的答复", "centre", 700.0, 22.0),
                     ("尊敬的张欣代表：", "left", 670.0, 16.0),
                     ("您提出的建议收悉，现答复如下：已全部落实。", "indent", 640.0, 16.0),
                     ("附件：代表建议办理情况征求意见表", "indent", 611.0, 16.0),
                     ("景川市人力资源和社会保障局", "right", 560.0, 16.0),
                     ("2025年4月27日", "right", 531.0, 16.0))

    def form(heading: str) -> RawPage:
        return RawPage(2, 595.0, 842.0, [Line("附件", 79.4, 760.0, 111.4, 776.0, 16.0),
                                          Line(heading, 154.0, 720.0, 440.0, 742.0, 22.0),
                                          Line("对办理工作的意见", 79.4, 690.0, 300.0, 706.0, 16.0)])

    # Set large, the heading's last character misread; the body-size note printed it right.
    meta = _ocr_fields([*letter, form("代表建议办理情况征求意见航")], tmp_path)
    assert [a.title for a in meta.attachments] == ["代表建议办理情况征求意见表"]
    # A heading far from the note is another attachment's title: it stays as read.
    meta = _ocr_fields([*letter, form("工作情况汇总表")], tmp_path)
    assert [a.title for a in meta.attachments] == ["工作情况汇总表"]
    # The note misread, the heading right: the character the text prints elsewhere (表 of 代表) wins.
    misread = [dataclasses.replace(line, text=line.text.replace("意见表", "意见素"))
               for line in letter[0].lines]
    misnoted = [RawPage(1, 595.0, 842.0, misread)]
    meta = _ocr_fields([*misnoted, form("代表建议办理情况征求意见表")], tmp_path)
    assert [a.title for a in meta.attachments] == ["代表建议办理情况征求意见表"]
    # A table's first row run on into the heading is not part of the title.
    table = RawPage(2, 595.0, 842.0, [Line("附件", 79.4, 760.0, 111.4, 776.0, 16.0),
                                       Line("代表建议办理情况征求意见表", 154.0, 720.0, 440.0, 742.0, 22.0),
                                       Line("| 序号 | 县市区 | 完成情况 |", 82.0, 692.0, 450.0, 716.0, 24.0)])
    meta = _ocr_fields([*letter, table], tmp_path)
    assert [a.title for a in meta.attachments] == ["代表建议办理情况征求意见表"]


def test_a_sure_line_whose_last_number_was_lost_is_looked_at_again():
    def line(*words: tuple[str, float]) -> list[ocr._Word]:
        return [ocr._Word(text, 100 * i, 500, 60, 60, conf, (3, 1, 1))
                for i, (text, conf) in enumerate(words)]

    # (联系人:薛明;，电话:1 at 69: the mobile number read as a 1 at 5
    assert ocr._has_lost_run(line(("(联系", 92), ("人", 93), (":", 90), ("薛", 0), ("明", 91), (";", 90),
                                  ("电话", 93), (":", 64), ("1", 5)))
    assert not ocr._has_lost_run(line(("提出", 96), ("宝贵", 96), ("意见", 97), ("。", 20)))  # a mark
    assert not ocr._has_lost_run(line(("类", 93), ("别", 93), (":", 92), ("A", 29.6)))  # a 分类 code
    # Latin letters for the Chinese of a title line (对ae议第136号提案的答复, 81): Chinese lost.
    title = [("对", 97), ("ae", 0), ("议", 93), ("第", 97), ("136", 93), ("号", 92), ("提案", 97)]
    assert ocr._has_lost_run(line(*title, ("答复", 96)))
    assert not ocr._has_lost_run(line(("采用", 95), ("PM", 85), ("2.5", 90), ("标准", 96)))  # read surely


def test_marks_a_second_look_reads_after_a_sentences_full_stop_are_no_hidden_text():
    def line(text: str, key: tuple[int, int, int]) -> list[ocr._Word]:
        return [ocr._Word(text, 340, 1437, 66 * len(text), 66, 90.0, key)]

    first = line("提出宝贵意见和建议。", (1, 6, 1))
    assert not ocr._reads_more(line("提出宝贵意见和建议。机", (11433, 1, 1)), first)
    cc_line = line("抄送:市政府办公室，", (5, 1, 1))
    assert ocr._reads_more(line("抄送:市政府办公室，市委督查室。", (11433, 1, 1)), cc_line)


def test_a_joint_signature_read_as_one_name_splits_where_the_title_names_two(tmp_path):
    meta = _ocr_fields(_letter(("国函〔1996〕95号", "right", 740.0, 16.0),
                               ("国务辽、中央军委关于同意迁址新建的批复", "centre", 700.0, 22.0),
                               ("武警总部：", "left", 670.0, 16.0),
                               ("你部的请示收悉，现批复如下：同意迁址新建。", "indent", 640.0, 16.0),
                               ("国务院中央军委", "right", 590.0, 16.0),
                               ("一九九六年十一月五日", "right", 561.0, 16.0)), tmp_path)
    assert meta.issuers == ["国务院", "中央军委"]
    assert meta.title == "国务院、中央军委关于同意迁址新建的批复"


def test_a_scanned_date_whose_day_mark_was_misread_takes_the_number_year(tmp_path):
    meta = _ocr_fields(_letter(("国办发〔1996〕2号", "centre", 740.0, 16.0),
                               ("国务院办公厅关于加强防震减灾工作的通知", "centre", 700.0, 22.0),
                               ("各省、自治区、直辖市人民政府：", "left", 670.0, 16.0),
                               ("防震减灾工作十分重要，请认真贯彻执行。", "indent", 640.0, 16.0),
                               ("国务院办公厅", "right", 590.0, 16.0),
                               ("一九九文年二月五昌", "right", 561.0, 16.0),
                               ("（本文有删减）", "indent", 530.0, 16.0),
                               ("加", "right", 500.0, 12.0),
                               ("关于我国地震重点监视防御区的确定", "centre", 470.0, 22.0),
                               ("自80年代后期以来，我国地震活动进入新的活跃期。", "indent", 440.0, 16.0)),
                       tmp_path)
    assert meta.date == "1996-02-05"
    # A seal's mark on a line of its own between the note and the attachment's title is passed over.
    assert [a.title for a in meta.attachments] == ["关于我国地震重点监视防御区的确定"]


def test_a_scanned_addressee_list_of_groups_is_the_addressee_without_its_colon(tmp_path):
    meta = _ocr_fields(_letter(("景府办发〔2022〕9号", "centre", 740.0, 16.0),
                               ("关于加快推进城市公共交通高质量发展的实施意见", "centre", 700.0, 22.0),
                               ("各县（市、区）人民政府，市政府各部门", "left", 670.0, 16.0),
                               ("为推动城市公共交通优先发展，提出如下意见。", "indent", 640.0, 16.0)),
                       tmp_path)
    assert meta.addressee == "各县（市、区）人民政府，市政府各部门"


def test_a_band_holding_a_doubted_line_takes_in_the_sure_lines_around_it():
    sure = [(466, 546), (586, 666), (739, 838), (1059, 1150)]
    # 尊敬的…委员： doubted at 936: read with the title above it and the body's first line below.
    assert ocr._with_context(847, 1059, sure) == (739, 1150)
    assert ocr._with_context(0, 460, sure) == (0, 546)  # nothing sure above the top of the page


def test_marks_opening_a_second_look_line_are_specks_and_a_lone_unsure_character_is_no_line():
    def word(text: str, left: int, top: int, height: int, conf: float) -> ocr._Word:
        return ocr._Word(text, left, top, 40 * len(text), height, conf, (10_000, 1, 2))

    # 。、 before 景民函〔2023〕3号 sat lower and stretched the line down onto the 分类 line.
    found = [word("。、", 300, 606, 57, 30.0), word("景民函", 360, 483, 63, 80.0),
             word("[2023]3号", 480, 483, 63, 70.0)]
    assert [w.text for w in ocr._without_leading_marks(found)] == ["景民函", "[2023]3号"]
    assert [w.text for w in ocr._without_leading_marks(found[1:] + [word("。", 700, 483, 20, 90.0)])] == [
        "景民函", "[2023]3号", "。"]  # a full stop that ends the line stays
    # A rule's stub read as one character at 0 is no new line; two Chinese characters may be.
    assert not ocr._plausible_new_line([word("四", 500, 848, 139, 0.0)])
    assert ocr._plausible_new_line([word("附件", 80, 848, 60, 20.0)])


def test_joint_issuers_stacked_in_two_sizes_are_the_masthead_and_a_titles_last_comma_a_speck(tmp_path):
    meta = _ocr_fields(_letter(("国务院", "centre", 770.0, 42.0), ("中央军委", "centre", 725.0, 29.0),
                               ("函〔1996〕95号", "centre", 690.0, 16.0),
                               ("国务院、中央军委关于同意迁址新建的批复，", "centre", 650.0, 22.0),
                               ("武警总部：", "left", 620.0, 16.0),
                               ("你部的请示收悉。现批复如下：同意迁址新建。", "indent", 590.0, 16.0),
                               ("国务院    中央军委", "right", 560.0, 16.0),
                               ("一九九六年十一月五日", "right", 530.0, 16.0)), tmp_path)
    assert meta.title == "国务院、中央军委关于同意迁址新建的批复"
    assert (meta.doc_number, meta.doc_type, meta.addressee) == ("国函〔1996〕95号", "批复", "武警总部")
    assert meta.issuers == ["国务院", "中央军委"]


def test_a_long_masthead_set_smaller_to_fit_is_still_the_masthead_when_it_ends_in_wenjian(tmp_path):
    meta = _ocr_fields(_letter(("景川高新技术产业开发区管理委员会文件", "centre", 770.0, 22.5),
                               ("景高管字〔2018〕8号", "centre", 730.0, 16.0),
                               ("景川市2018年优化营商环境工作方案", "centre", 690.0, 22.0),
                               ("为优化营商环境，激发市场主体活力，特制定本方案。", "indent", 650.0, 16.0),
                               ("一、工作目标", "indent", 620.0, 16.0)), tmp_path)
    assert (meta.doc_number, meta.title) == ("景高管字〔2018〕8号", "景川市2018年优化营商环境工作方案")
    assert meta.issuer == "景川高新技术产业开发区管理委员会"


def test_an_unfinished_cc_list_does_not_run_on_into_the_imprints_office(tmp_path):
    meta = _ocr_fields(_letter(("景财函〔2025〕3号", "right", 740.0, 16.0),
                               ("关于做好义务教育工作的通知", "centre", 700.0, 22.0),
                               ("各县（市、区）财政局：", "left", 670.0, 16.0),
                               ("请认真做好义务教育工作。", "indent", 640.0, 16.0),
                               ("景川市财政局", "right", 590.0, 16.0),
                               ("2025年6月20日", "right", 561.0, 16.0),
                               ("抄送：市人大常委会办公室，市委组织部，市纪委监", "left", 160.0, 16.0),
                               ("景川市财政局办公室", "left", 130.0, 16.0),
                               ("2025年6月21日印发", "right", 100.0, 16.0)), tmp_path)
    assert meta.cc == ["市人大常委会办公室", "市委组织部", "市纪委监委"]  # 监 + 委 of the copied bodies
