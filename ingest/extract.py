"""Text-layer extraction with pdfminer.six: each page as positioned visual lines, nothing cleaned yet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextContainer, LTTextLine


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


def iter_raw_pages(
    path: str | os.PathLike[str], line_margin: float = 1.0, word_margin: float = 1.0, max_pages: int = 0
) -> Iterator[RawPage]:
    """Yield the pages of a PDF one at a time, top to bottom, lines in reading order."""
    params = layout_params(line_margin, word_margin)
    for number, page in enumerate(extract_pages(path, laparams=params, maxpages=max_pages), start=1):
        yield _raw_page(number, page)


def _raw_page(number: int, page: LTPage) -> RawPage:
    lines: list[Line] = []
    for element in page:
        if isinstance(element, LTTextContainer):
            for item in element:
                if isinstance(item, LTTextLine):
                    text = item.get_text().rstrip("\n")
                    if text.strip():
                        lines.append(Line(text, item.x0, item.y0, item.x1, item.y1, _glyph_size(item)))
    # Reading order: top to bottom, then left to right for lines sharing a baseline.
    lines.sort(key=lambda ln: (-round(ln.y1 / 2), ln.x0))
    return RawPage(number, page.width, page.height, lines)


def _glyph_size(line: LTTextLine) -> float:
    sizes = sorted(ch.size for ch in line if isinstance(ch, LTChar))
    return sizes[len(sizes) // 2] if sizes else line.height
