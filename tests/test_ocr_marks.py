"""Marks on a scanned page that are not text (ingest/ocr_marks.py), and the band re-read they feed.

Pages are drawn with the Noto CJK font the scanned fixtures use; the re-read runs the real Tesseract.
"""

from __future__ import annotations

import time

import pytest
from PIL import Image, ImageDraw, ImageFont

from ingest import ocr, ocr_marks
from ingest.settings import load_settings
from tests.fixtures.make_scanned import FONT
from tests.test_ocr import tesseract  # noqa: F401 - the fixture (fails in CI without Tesseract)

CHAR = 66  # a 16 pt character at 300 dpi, in pixels
INK_LEVEL = 105  # config.toml's seal_clip_level


def _band(lines: list[tuple[str, int]], width: int = 2480, height: int = 700) -> Image.Image:
    """A strip of scanned page: each (text, top) drawn flush left in 16 pt ink on grey paper."""
    image = Image.new("L", (width, height), 238)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), CHAR)
    for text, top in lines:
        draw.text((330, top), text, fill=10, font=font)
    return image


def _rule(image: Image.Image, y: int, drop: int) -> None:
    """A thin rule across the text width, turned a little (it falls `drop` rows over its length)."""
    ImageDraw.Draw(image).line((330, y, 2150, y + drop), fill=15, width=3)


def _ink_rows(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(image.crop(box).point(lambda v: 255 if v < INK_LEVEL else 0).histogram()[255:])


def test_a_seal_band_ending_inside_a_line_grows_to_the_blank_rows_around_it():
    page = _band([("抄送：市政府办公室，市政府督查室。", 300)])
    top, bottom = ocr_marks.to_blank_rows(page, 120, 330, INK_LEVEL, CHAR)
    line_top, line_bottom = 300, 300 + CHAR
    assert top == 120  # already on a blank row
    assert line_bottom - 10 <= bottom <= line_bottom + CHAR // 2 + 20  # the whole line, no more
    assert _ink_rows(page, (0, bottom, page.width, bottom + 1)) < CHAR // 4  # a speck's worth at most
    # Never further than a character's height: a band does not run on down a page of text.
    middle = line_top + CHAR // 2
    assert ocr_marks.to_blank_rows(page, 120, middle, INK_LEVEL, 4) == (120, middle + 4)


def test_rules_are_whitened_and_the_text_between_them_is_kept():
    page = _band([("抄送：市政府办公室，市发展改革委。", 300)])
    _rule(page, 260, 20)
    _rule(page, 420, -18)
    text_ink = _ink_rows(page, (330, 305, 1500, 290 + CHAR))
    erased = ocr_marks.erase_rules(page, INK_LEVEL, CHAR)
    assert _ink_rows(erased, (0, 240, page.width, 290)) == 0  # the upper rule, all along its slope
    assert _ink_rows(erased, (0, 395, page.width, 445)) == 0
    assert _ink_rows(erased, (330, 305, 1500, 290 + CHAR)) == text_ink
    # A page of plain text has no rule: nothing changes.
    plain = _band([("一二三四五六七八九十一二三四五六七八九十", 100), ("三是鼓励养老机构开展居家养老", 250)])
    assert ocr_marks.erase_rules(plain, INK_LEVEL, CHAR).tobytes() == plain.tobytes()


@pytest.mark.ocr
@pytest.mark.usefixtures("tesseract")
def test_a_band_line_read_in_fragments_is_read_again_on_its_own_rows(tmp_path):
    contact = "（联系人：杨艳博，联系电话：0798-8284249）"
    page = _band([("景川市财政局", 100), (contact, 420)])
    # What a tall band's reading gave: the signature read well, the contact line as pieces on
    # overlapping rows, unsure.
    signed = [ocr._Word("景川市财政局", 330, 100, 400, CHAR, 91.0, (1, 1, 1))]
    pieces = [ocr._Word(text, 330 + 150 * i, 415 + 6 * (i % 3), 120, CHAR - 10, conf, (1, 1, 2 + i))
              for i, (text, conf) in enumerate([("(颖", 44), ("关系", 85), ("杨", 70), ("为艳", 23),
                                                ("博", 58), ("系电", 89), ("话", 20), ("07，，", 50)])]
    model = ocr.ocr_model(load_settings(environ={}))
    sure_band = _band([("景川市财政局", 100)])
    read, untouched = ocr._reread_band_lines([page, sure_band], [signed + pieces, signed], model, 60.0,
                                             tmp_path, time.monotonic() + 120)
    assert untouched == signed  # a band read well is left alone
    lines = {}
    for word in sorted(read, key=lambda w: w.left):
        lines.setdefault(word.line_key, []).append(word.text)
    texts = ["".join(parts) for parts in lines.values()]
    assert "景川市财政局" in texts  # the sure line stays as it was
    assert any("杨艳博" in text and "0798-8284249" in text for text in texts)
    assert not any(text in ("为艳", "系电", "(颖") for text in texts)
    # Bands all read well: no second Tesseract run is even needed.
    assert ocr._reread_band_lines([sure_band], [signed], model, 60.0, tmp_path, 0.0) == [signed]


@pytest.mark.ocr
@pytest.mark.usefixtures("tesseract")
def test_a_stretch_read_again_keeps_only_what_lies_on_its_own_rows(tmp_path):
    """The crop of a stretch has margins (a quarter of its height) that may show the line above
    it; the band read that line already, and the re-read must not bring it a second time."""
    heading, row = "工作情况汇总表", "序号  县市区  工作任务  完成情况"
    page = _band([(heading, 80), (row, 190)], height=700)
    title = [ocr._Word(heading, 330, 80, 470, CHAR, 94.0, (1, 1, 1))]
    # A table row read as bars and pieces, their boxes stretched down by the table's rules.
    cells = [ocr._Word(text, 330 + 300 * i, 175, 200, 400, conf, (1, 2, 1 + i))
             for i, (text, conf) in enumerate([("|序s|", 40), ("县市区", 55), ("工作务", 50), ("|", 30)])]
    model = ocr.ocr_model(load_settings(environ={}))
    [read] = ocr._reread_band_lines([page], [title + cells], model, 60.0, tmp_path, time.monotonic() + 120)
    assert sum("汇总表" in w.text for w in read) == 1
    below = "".join(w.text for w in sorted(read, key=lambda w: w.left) if w.top > 150)
    assert "县市区" in below and "|序s|" not in below  # the row itself is read again
