"""Unit tests of the cleaning rules on small inline pages (positions as pdfminer or OCR would give)."""

from __future__ import annotations

from ingest.clean import clean_document, is_page_number, normalize_text, remove_layout_spaces
from ingest.extract import Line, RawPage

W, H = 595.0, 842.0
LEFT, RIGHT, SIZE, PITCH = 79.4, 521.6, 16.0, 29.0


def body_line(text: str, y: float, indent: bool = False, full: bool = True, size: float = SIZE) -> Line:
    x0 = LEFT + (2 * size if indent else 0)
    x1 = RIGHT if full else x0 + len(text) * size
    return Line(text, x0, y, x1, y + size, size)


def centred(text: str, y: float, size: float) -> Line:
    width = len(text) * size
    return Line(text, W / 2 - width / 2, y, W / 2 + width / 2, y + size, size)


def footer(text: str) -> Line:
    return Line(text, 278.0, 63.7, 317.0, 77.7, 14.0)


def page(number: int, lines: list[Line]) -> RawPage:
    return RawPage(number, W, H, lines)


def test_line_break_between_cjk_is_removed_and_indent_starts_paragraph() -> None:
    lines = [
        body_line("您提出的市政协十四届五次会议第059号提案已收悉，我们", 700, indent=True),
        body_line("认真进行了学习与讨论。", 700 - PITCH, full=False),
        body_line("第二段开始于缩进的一行。", 700 - 2 * PITCH, indent=True, full=False),
    ]
    doc = clean_document([page(1, lines)])
    assert doc.text.split("\n") == [
        "您提出的市政协十四届五次会议第059号提案已收悉，我们认真进行了学习与讨论。",
        "第二段开始于缩进的一行。",
    ]


def test_paragraph_continuing_over_page_break_is_one_line() -> None:
    first = page(1, [body_line("推动举全省之力支持遗产申报，实施大遗址保护计划，创建", 120, indent=True),
                     footer("— 1 —")])
    second = page(2, [body_line("国家文物保护利用示范区。", 714, full=False), footer("— 2 —")])
    doc = clean_document([first, second])
    assert doc.text == "推动举全省之力支持遗产申报，实施大遗址保护计划，创建国家文物保护利用示范区。"
    assert doc.page_texts == [
        "推动举全省之力支持遗产申报，实施大遗址保护计划，创建",
        "国家文物保护利用示范区。",
    ]


def test_headings_break_paragraphs_even_without_indent() -> None:
    cases = [
        "一、开展的工作", "（一）加大保护力度", "1．注重典型引领", "（1）完善制度",
        "第三条　本办法自印发之日起施行。",
    ]
    for heading in cases:
        lines = [body_line("上一段的最后一句话写满了整整一行文字并以句号结束。", 700),
                 body_line(heading, 700 - PITCH, full=False)]
        doc = clean_document([page(1, lines)])
        assert doc.text.split("\n")[-1] == heading, heading


def test_wrapped_line_starting_like_a_number_is_not_a_heading() -> None:
    lines = [body_line("全市共建成标准厂房，入驻企业111家，实现产值达到了", 700, indent=True),
             body_line("1.5亿元。", 700 - PITCH, full=False)]
    expected = "全市共建成标准厂房，入驻企业111家，实现产值达到了1.5亿元。"
    assert clean_document([page(1, lines)]).text == expected


def test_salutation_attachment_signature_and_date_are_own_paragraphs() -> None:
    lines = [
        body_line("尊敬的胡利建委员：", 700, full=False),
        body_line("感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和", 700 - PITCH, indent=True),
        body_line("建议。", 700 - 2 * PITCH, full=False),
        body_line("附件：政协提案办理情况征询意见表", 700 - 3 * PITCH, indent=True, full=False),
        Line("国家试验区管委会办公室", 300, 700 - 5 * PITCH, 476, 700 - 5 * PITCH + SIZE, SIZE),
        Line("二〇二五年六月六日", 330, 700 - 6 * PITCH, 476, 700 - 6 * PITCH + SIZE, SIZE),
    ]
    assert clean_document([page(1, lines)]).text.split("\n") == [
        "尊敬的胡利建委员：",
        "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。",
        "附件：政协提案办理情况征询意见表",
        "国家试验区管委会办公室",
        "二〇二五年六月六日",
    ]


def test_page_number_styles() -> None:
    for text in ["— 2 —", "－2－", "- 2 -", "第2页 共5页", "第 3 页", "-1-", "2"]:
        assert is_page_number(text), text
    for text in ["2025年", "第2条", "一、总体要求"]:
        assert not is_page_number(text), text


def test_page_numbers_and_running_headers_are_dropped() -> None:
    pages = []
    for n in range(1, 4):
        pages.append(page(n, [
            Line("景川市人民政府公报", 79.4, 790, 230, 804, 12.0),
            body_line(f"第{n}页正文内容。", 700, indent=True, full=False),
            Line(f"第 {n} 页 共 3 页", 260, 40, 335, 52, 10.5),
        ]))
    doc = clean_document(pages)
    assert doc.text.split("\n") == ["第1页正文内容。", "第2页正文内容。", "第3页正文内容。"]


def test_a_line_repeated_once_in_the_body_is_kept() -> None:
    pages = [page(1, [body_line("一、总体要求", 700, indent=True, full=False)]),
             page(2, [body_line("二、重点任务", 700, indent=True, full=False)])]
    assert clean_document(pages).text == "一、总体要求\n二、重点任务"


def test_spaces_between_cjk_and_digits_removed_latin_kept() -> None:
    assert remove_layout_spaces("整体保护160 处瓷业遗址") == "整体保护160处瓷业遗址"
    assert remove_layout_spaces("2025 年 6月6日") == "2025年6月6日"
    assert remove_layout_spaces("第 059 号提案") == "第059号提案"
    assert remove_layout_spaces("中德工业 4.0 实训基地") == "中德工业4.0实训基地"
    assert remove_layout_spaces("使用 Open Data Portal 平台") == "使用 Open Data Portal 平台"


def test_nfkc_digits_and_letters_but_document_punctuation_kept() -> None:
    assert normalize_text("２０２５年，ＡＢ类。") == "2025年，AB类。"
    assert normalize_text("景府办〔２０２５〕３号：（一）") == "景府办〔2025〕3号：（一）"


def test_title_over_two_centred_lines_is_one_paragraph() -> None:
    lines = [centred("关于市政协十四届五次会议", 600, 22), centred("第059号提案答复的函", 568, 22),
             body_line("胡利建委员：", 530, full=False)]
    title = clean_document([page(1, lines)]).text.split("\n")[0]
    assert title == "关于市政协十四届五次会议第059号提案答复的函"


def test_table_cells_on_one_baseline_become_one_tab_separated_row() -> None:
    cells = [("序号", 86.9), ("项目名称", 186.8), ("进展情况", 462.9)]
    lines = [Line(t, x, 229.3, x + len(t) * 10, 239.3, 10.0) for t, x in cells]
    assert clean_document([page(1, lines)]).text == "序号\t项目名称\t进展情况"


def test_email_wrapped_at_line_end_has_no_space_inserted() -> None:
    lines = [body_line("联系人：曾军，联系电话：15161689944，电子邮箱：jchrss@jing", 700, indent=True),
             body_line("chuan.gov.cn。", 700 - PITCH, full=False)]
    assert clean_document([page(1, lines)]).text.endswith("jchrss@jingchuan.gov.cn。")


def test_cc_list_wrapped_under_its_label_is_one_line() -> None:
    cc_first = "抄送：市人大常委会办公室，市委组织部，市财政局，市纪委监"
    lines = [Line(cc_first, 93.5, 152.6, 485.5, 166.6, 14.0),
             Line("委。", 93.5, 130.6, 121.5, 144.6, 14.0),
             Line("景川市财政局办公室", 93.5, 110.0, 219.4, 124.0, 14.0)]
    text = clean_document([page(1, [body_line("正文。", 700, indent=True, full=False), *lines])]).text
    assert text.split("\n")[1:] == [cc_first + "委。", "景川市财政局办公室"]


def test_numbered_table_row_near_the_page_bottom_is_not_a_page_number() -> None:
    row = [Line("5", 105.3, 78.0, 111.3, 90.0, 12.0), Line("景川县", 168.4, 78.0, 204.4, 90.0, 12.0)]
    text = body_line("正文。", 700, indent=True, full=False)
    doc = clean_document([page(1, [text, *row, footer("— 1 —")])])
    assert doc.text.split("\n") == ["正文。", "5\t景川县"]
