"""Unit tests of the GB/T 9704 metadata rules on small inline documents (cleaned by the real cleaner)."""

from __future__ import annotations

import pytest

from ingest.clean import clean_document
from ingest.extract import Line, RawPage
from ingest.metadata import canonical_doc_number, doc_type_of, extract_metadata, load_doc_types, parse_date
from ingest.settings import load_settings

W, H, LEFT, RIGHT, SIZE, PITCH = 595.0, 842.0, 79.4, 521.6, 16.0, 29.0


def centred(text: str, y: float, size: float = SIZE) -> Line:
    width = len(text) * size
    return Line(text, W / 2 - width / 2, y, W / 2 + width / 2, y + size, size)


def left(text: str, y: float, indent: bool = False, full: bool = False) -> Line:
    x0 = LEFT + (2 * SIZE if indent else 0)
    return Line(text, x0, y, RIGHT if full else min(RIGHT, x0 + len(text) * SIZE), y + SIZE, SIZE)


def right(text: str, y: float) -> Line:
    return Line(text, RIGHT - 2 * SIZE - len(text) * SIZE, y, RIGHT - 2 * SIZE, y + SIZE, SIZE)


def reply_letter(number: str = "景国试管办案字〔2025〕6号", date: str = "2025年6月6日",
                 signature: tuple[str, ...] = ("国家试验区管委会办公室",),
                 category: str = "分类：A1") -> list[RawPage]:
    y = 760.0
    lines = [centred("景川市国家试验区管理委员会办公室", y, 30), right(number, y - 45),
             left(category, y - 74),
             centred("关于市政协十四届五次会议", y - 120, 22), centred("第059号提案答复的函", y - 152, 22),
             left("尊敬的胡利建委员：", y - 196)]
    y -= 196
    body = [("您提出的市政协十四届五次会议第059号提案已收悉，我们认真", True, True),
            ("进行了学习与讨论。现将主要工作情况汇报如下：", False, False),
            ("一、开展的工作", True, False),
            ("感谢您对我们工作的关心和支持。", True, False)]
    for text, indent, full in body:
        y -= PITCH
        lines.append(left(text, y, indent, full))
    y -= PITCH
    lines.append(left("附件：政协提案办理情况征询意见表", y, indent=True))
    y -= 2 * PITCH
    for name in signature:
        lines.append(right(name, y))
        y -= PITCH
    lines.append(right(date, y))
    page1 = RawPage(1, W, H, [*lines, centred("— 1 —", 63.7, 14)])
    page2 = RawPage(2, W, H, [
        left("抄送：市政府办公室，市政府督查室。", 714.8),
        left("联系人及联系电话：张三 0798-8610245", 685.8),
        centred("— 2 —", 63.7, 14),
    ])
    page3 = RawPage(3, W, H, [
        left("附件", 714.8),
        centred("政协提案办理情况征询意见表", 672.8, 22),
        Line("提案编号", 111.9, 634.6, 163.9, 647.6, 13.0),
        Line("第059号", 201.4, 634.6, 246.9, 647.6, 13.0),
        centred("— 3 —", 63.7, 14),
    ])
    return [page1, page2, page3]


@pytest.fixture(scope="module")
def settings():
    return load_settings()


def test_reply_letter_elements(settings) -> None:
    meta = extract_metadata(clean_document(reply_letter()), settings)
    assert meta.doc_number == "景国试管办案字〔2025〕6号"
    assert meta.category == "A1"
    assert meta.title == "关于市政协十四届五次会议第059号提案答复的函"
    assert meta.doc_type == "函"
    assert meta.addressee == "胡利建委员"
    assert meta.proposer == "胡利建"
    assert meta.session == "市政协十四届五次会议"
    assert meta.proposal_number == "059"
    assert meta.issuer == "国家试验区管委会办公室"
    assert meta.date == "2025-06-06" and meta.year == 2025
    assert meta.cc == ["市政府办公室", "市政府督查室"]
    assert meta.contact is not None and (meta.contact.name, meta.contact.phone) == ("张三", "0798-8610245")
    assert [(a.label, a.title) for a in meta.attachments] == [("附件", "政协提案办理情况征询意见表")]
    assert meta.body.split("\n") == [
        "您提出的市政协十四届五次会议第059号提案已收悉，我们认真进行了学习与讨论。现将主要工作情况汇报如下：",
        "一、开展的工作",
        "感谢您对我们工作的关心和支持。",
    ]


def test_chinese_numeral_date_and_joint_signature(settings) -> None:
    pages = reply_letter(date="二〇二五年六月十六日", signature=("景川市财政局", "景川市教育局"))
    meta = extract_metadata(clean_document(pages), settings)
    assert meta.date == "2025-06-16"
    assert meta.issuers == ["景川市财政局", "景川市教育局"]
    assert meta.issuer == "景川市财政局、景川市教育局"


@pytest.mark.parametrize("printed", [
    "景府办[2025]3号", "景府办(2025)3号", "景府办（2025）3号", "景府办〔2025〕3号", "景府办［2025］3号",
    "景府办 〔2025〕 3 号",
])
def test_doc_number_bracket_variants_become_the_canonical_form(printed: str) -> None:
    assert canonical_doc_number(printed) == "景府办〔2025〕3号"


def test_doc_number_in_a_letter_is_found_in_any_bracket_form(settings) -> None:
    meta = extract_metadata(clean_document(reply_letter(number="景国试管办案字[2025]6号")), settings)
    assert meta.doc_number == "景国试管办案字〔2025〕6号"


def test_not_doc_numbers() -> None:
    assert canonical_doc_number("2025年6月6日") is None
    assert canonical_doc_number("关于市政协十四届五次会议第059号提案答复的函") is None
    assert canonical_doc_number("国令第707号") == "国令第707号"


@pytest.mark.parametrize("text,iso", [
    ("2025年6月6日", "2025-06-06"), ("2025 年 6月6日", "2025-06-06"), ("二〇二五年六月六日", "2025-06-06"),
    ("一九九六年十一月五日", "1996-11-05"), ("二〇〇四年十二月三十日", "2004-12-30"), ("2025年13月1日", None),
])
def test_dates(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_doc_type_from_title_ending(settings) -> None:
    table = load_doc_types(str(settings.path("ingest", "doc_types")))
    assert doc_type_of("对市十六届人大二次会议第137号建议的答复函", table) == "函"
    assert doc_type_of("关于《关于加快5G基站建设的建议》的答复", table) == "答复"
    assert doc_type_of("景川市2024年文化和旅游融合发展工作方案", table) == "方案"
    assert doc_type_of("关于同意乡村振兴示范片区建设项目实施方案的批复", table) == "批复"
    assert doc_type_of("上海市普陀区财政局2024年度部门决算", table) == "决算"
    assert doc_type_of("景川市陶瓷文化", table) is None


def test_fields_not_printed_stay_empty(settings) -> None:
    lines = [centred("景川市人民政府文件", 760, 30), centred("景府发〔2024〕2号", 715),
             centred("关于进一步加强医疗卫生工作的通知", 660, 22),
             left("各县（市、区）人民政府，市政府各部门：", 620),
             left("现将有关事项通知如下。", 591, indent=True)]
    meta = extract_metadata(clean_document([RawPage(1, W, H, lines)]), settings)
    assert meta.title == "关于进一步加强医疗卫生工作的通知"
    assert meta.addressee == "各县（市、区）人民政府，市政府各部门"
    assert (meta.category, meta.proposal_number, meta.session, meta.proposer, meta.date, meta.contact) == (
        None, None, None, None, None, None)
    assert meta.cc == [] and meta.attachments == []
    # Unsigned: the 发文机关标志 names the issuer.
    assert meta.issuer == "景川市人民政府"


def test_issuer_from_document_number_prefix_table(settings) -> None:
    lines = [centred("国发〔2019〕5号", 715), centred("关于在市场监管领域全面推行监管的意见", 660, 22),
             left("现提出如下意见。", 620, indent=True)]
    meta = extract_metadata(clean_document([RawPage(1, W, H, lines)]), settings)
    assert meta.issuer == "国务院"
    assert meta.doc_type == "意见"


def test_unsigned_report_names_its_issuer_at_the_title_start(settings) -> None:
    lines = [centred("洪泽区人民政府", 732, 22), centred("2023年政府信息公开工作年度报告", 700, 22),
             left("本报告由区人民政府办公室根据《中华人民共和国政府信息", 640, indent=True, full=True),
             left("公开条例》要求编制。报告中所列数据统计期限自2023年1月1日", 611, full=True),
             left("起至2023年12月31日止。", 582)]
    meta = extract_metadata(clean_document([RawPage(1, W, H, lines)]), settings)
    assert meta.title == "洪泽区人民政府2023年政府信息公开工作年度报告"
    assert meta.issuer == "洪泽区人民政府"
    assert meta.doc_type == "报告"


@pytest.mark.parametrize("printed,code", [("类别：B", "B"), ("分类 C3", "C3"), ("办理类别:A", "A")])
def test_category_variants(settings, printed: str, code: str) -> None:
    meta = extract_metadata(clean_document(reply_letter(category=printed)), settings)
    assert meta.category == code
    assert meta.title == "关于市政协十四届五次会议第059号提案答复的函"


def test_category_and_doc_number_on_one_baseline(settings) -> None:
    """分类 at the left margin and 发文字号 at the right, printed on the same line."""
    y = 760.0
    lines = [
        centred("梧岭市工业和信息化局", y, 30),
        left("分类：A1", y - 45),
        right("梧工信函〔2024〕31号", y - 45),
        centred("关于市政协九届三次会议第021号提案答复的函", y - 95, 22),
        left("尊敬的林晓梅委员：", y - 140),
        left("您提出的市政协九届三次会议第021号提案已收悉，我局高度", y - 169, indent=True, full=True),
        left("重视，会同有关部门认真研究。现答复如下：", y - 198),
        left("感谢您对我们工作的关心和支持。", y - 227, indent=True),
        right("梧岭市工业和信息化局", y - 285),
        right("2024年6月18日", y - 314),
    ]
    meta = extract_metadata(clean_document([RawPage(1, W, H, lines)]), settings)
    assert meta.doc_number == "梧工信函〔2024〕31号"
    assert meta.category == "A1"
    assert meta.title == "关于市政协九届三次会议第021号提案答复的函"
    assert meta.date == "2024-06-18"


@pytest.mark.parametrize("printed", ["分类：也", "分类："])
def test_a_category_line_whose_code_is_unreadable_leaves_the_field_empty(settings, printed: str) -> None:
    """A scan may garble the code; the line is still the 分类 line, so the header goes on to the title."""
    meta = extract_metadata(clean_document(reply_letter(category=printed)), settings)
    assert meta.category is None
    assert meta.title == "关于市政协十四届五次会议第059号提案答复的函"
    assert meta.addressee == "胡利建委员"


@pytest.mark.parametrize("printed", ["景公字[20191 2", "景国试管办案字(2025〕号"])
def test_a_damaged_number_line_leaves_the_number_empty_not_the_title(settings, printed: str) -> None:
    meta = extract_metadata(clean_document(reply_letter(number=printed)), settings)
    assert meta.doc_number is None
    assert meta.title == "关于市政协十四届五次会议第059号提案答复的函"


def test_a_misread_salutation_prefix_is_not_part_of_the_addressee(settings) -> None:
    pages = reply_letter()
    pages[0].lines[5] = left("尊族的胡利建委员：", pages[0].lines[5].y0)
    meta = extract_metadata(clean_document(pages), settings)
    assert meta.addressee == "胡利建委员" and meta.proposer == "胡利建"
