"""Text-layer extraction with pdfminer.six: each page as positioned visual lines, nothing cleaned yet.

pdfminer's interpreter (with `fastparse`'s quicker lexer) feeds a light device that groups the page's
glyphs into lines with pdfminer's own line rule (`group_objects`, the same LAParams) and stops there:
the text-box grouping of the full layout analysis (`group_textlines`, `group_textboxes`) is skipped,
because gongwen sorts the lines itself and never looks at boxes.
`iter_layout_pages` is the full analysis, kept as the reference the tests hold the light path equal to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextContainer, LTTextLine
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdfpage import PDFPage

from ingest.fastparse import FastInterpreter


@dataclass
class Line:
    """One visual line as pdfminer laid it out (PDF coordinates: y grows upwards)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # median glyph height, a proxy for font size


@dataclass
class RawPage:
    """A page's text layer before cleaning."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def layout_params(line_margin: float, word_margin: float) -> LAParams:
    """LAParams measured for GB/T 9704 layouts: wide margins stop spurious spaces and blank lines."""
    return LAParams(line_margin=line_margin, word_margin=word_margin)


class _LineDevice(PDFLayoutAnalyzer):
    """Collects each page's top-level glyphs and groups them into lines, nothing more.

    Vector paths and images are dropped as they are painted: gongwen reads only text, and table
    rules would otherwise be built into objects nobody looks at.
    """

    def __init__(self, rsrcmgr: PDFResourceManager, params: LAParams) -> None:
        super().__init__(rsrcmgr, laparams=None)  # None: pdfminer runs no layout analysis of its own
        self.params = params
        self.page: RawPage | None = None

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        return None

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        return None

    def receive_layout(self, ltpage: LTPage) -> None:
        # Glyphs inside form XObjects (LTFigure) stay out, as in the full analysis (all_texts=False).
        chars = [obj for obj in ltpage if isinstance(obj, LTChar)]
        lines = ltpage.group_objects(self.params, chars) if chars else []
        self.page = _raw_page(self.pageno - 1, ltpage, lines)


def iter_raw_pages(
    path: str | os.PathLike[str], line_margin: float = 1.0, word_margin: float = 1.0, max_pages: int = 0
) -> Iterator[RawPage]:
    """Yield the pages of a PDF one at a time, top to bottom, lines in reading order."""
    params = layout_params(line_margin, word_margin)
    with open(path, "rb") as handle:
        rsrcmgr = PDFResourceManager(caching=True)
        device = _LineDevice(rsrcmgr, params)
        interpreter = FastInterpreter(rsrcmgr, device)
        for page in PDFPage.get_pages(handle, maxpages=max_pages, caching=True):
            interpreter.process_page(page)
            assert device.page is not None
            yield device.page
            device.page = None


def iter_layout_pages(
    path: str | os.PathLike[str], line_margin: float = 1.0, word_margin: float = 1.0, max_pages: int = 0
) -> Iterator[RawPage]:
    """The same pages through pdfminer's full layout analysis (text boxes and all): the slow reference."""
    params = layout_params(line_margin, word_margin)
    for number, page in enumerate(extract_pages(path, laparams=params, maxpages=max_pages), start=1):
        lines = (item for element in page if isinstance(element, LTTextContainer)
                 for item in element if isinstance(item, LTTextLine))
        yield _raw_page(number, page, lines)


def _raw_page(number: int, page: LTPage, text_lines: Iterable[LTTextLine]) -> RawPage:
    lines: list[Line] = []
    for item in text_lines:
        text = item.get_text().rstrip("\n")
        if text.strip():
            lines.append(Line(text, item.x0, item.y0, item.x1, item.y1, _glyph_size(item)))
    # Reading order: top to bottom, then left to right for lines sharing a baseline.
    lines.sort(key=lambda ln: (-round(ln.y1 / 2), ln.x0))
    return RawPage(number, page.width, page.height, lines)


def _glyph_size(line: LTTextLine) -> float:
    sizes = sorted(ch.size for ch in line if isinstance(ch, LTChar))
    return sizes[len(sizes) // 2] if sizes else line.height
