"""Undo page layout: drop page numbers and running headers, rebuild paragraphs, normalise characters.

Works on `RawPage`s from the text layer or from OCR alike: every rule uses positions relative to the
page and the body's own margins and font size, with tolerances of a fraction of a character.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ingest.extract import Line, RawPage
from ingest.quality import is_cjk

# Page-number footers/headers: "— 2 —", "－2－", "- 2 -", "第2页 共5页", "第 2 页", "2/5", a bare "2".
PAGE_NUMBER = re.compile(
    r"^\s*(?:[—–－\-‐‑―─~·•]+\s*\d{1,4}\s*[—–－\-‐‑―─~·•]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|[—–－\-]?\s*\d{1,4}\s*[—–－\-]?)\s*$"
)
# Lines that always begin a paragraph of their own (GB/T 9704 headings and closing elements).
HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+、"
    r"|[（(][一二三四五六七八九十百]+[）)]"
    r"|\d{1,3}[．.、](?!\d)"
    r"|[（(]\d{1,3}[）)]"
    r"|第[一二三四五六七八九十百零〇\d]+[章节条款部分]"
    r"|附件\s*\d*\s*[:：]?"
    r"|抄送[:：]|印发[:：]|主送[:：]"
    r"|[（(](?:此件|本文|联系人))"
)
LABEL = re.compile(r"^[\u4e00-\u9fff]{2,8}[:：]")
LEADING_LATIN = re.compile(r"^[0-9A-Za-z.%@_/\-]+")
FINAL = "。！？!?"
NO_LINE_START = "，。：；、！？）》”’」』】"
SENTENCE_END = tuple("。！？；：!?;:")
CLOSE_QUOTES = "”’）)》」』】"
DATE_LINE = re.compile(
    r"^\s*(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月"
    r"[一二三四五六七八九十]{1,3}日)\s*$"
)

# CJK ideographs plus CJK and full-width punctuation: spaces next to these are layout, not text.
_CJK = (
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uff0f\uff1a-\uff20"
    r"\u2018-\u201f\u2014\u2026"
)
_SPACES = r"[ \u00a0\u2002\u2003]+"
_SPACE_CJK_CJK = re.compile(rf"(?<=[{_CJK}]){_SPACES}(?=[{_CJK}])")
_SPACE_CJK_DIGIT = re.compile(rf"(?<=[{_CJK}]){_SPACES}(?=[0-9])|(?<=[0-9.%]){_SPACES}(?=[{_CJK}])")


@dataclass
class Paragraph:
    """One paragraph of the clean document with the layout facts metadata rules need."""

    text: str
    page: int  # 1-based page where it starts
    x0: float  # left edge of its first line
    x1: float  # right edge of its widest line
    y1: float  # top of its first line (PDF coordinates)
    size: float  # font size of its first line
    page_width: float
    lines: int = 1
    end_page: int = 0  # page where it ends
    first_x1: float = 0.0  # right edge of its first line
    printed_lines: list[str] = field(default_factory=list)  # its visual lines, as printed

    @property
    def centre_offset(self) -> float:
        """Distance of the first line's centre from the page's centre, in points."""
        return (self.x0 + (self.first_x1 or self.x1)) / 2 - self.page_width / 2


@dataclass
class CleanDocument:
    """The clean text of a document, per page and as paragraphs with their layout."""

    text: str
    page_texts: list[str]
    paragraphs: list[Paragraph] = field(default_factory=list)
    body_size: float = 0.0  # font size of most body lines
    left_margin: float = 0.0  # x of most non-indented body lines
    right_margin: float = 0.0  # x where full body lines end


def normalize_text(text: str) -> str:
    """NFKC for full-width letters and digits; the document's own punctuation (，。〔〕：) stays."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(unicodedata.normalize("NFKC", ch))
        elif ch in "\u00a0\u2002\u2003\u2009":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def remove_layout_spaces(text: str) -> str:
    """Drop spaces between CJK characters and between CJK and digits; Latin text keeps its spaces."""
    text = _SPACE_CJK_CJK.sub("", text)
    text = _SPACE_CJK_DIGIT.sub("", text)
    return text.strip(" ")


def clean_line_text(text: str) -> str:
    return remove_layout_spaces(normalize_text(text)).strip()


def is_page_number(text: str) -> bool:
    return bool(PAGE_NUMBER.match(normalize_text(text)))


def _mode(values: list[float], step: float = 1.0) -> float:
    if not values:
        return 0.0
    counts = Counter(round(v / step) for v in values)
    return counts.most_common(1)[0][0] * step


def _left_margin(xs: list[float]) -> float:
    """The leftmost x that many lines share: list-heavy texts have more indented lines than flush ones."""
    if not xs:
        return 0.0
    counts = Counter(round(x / 2.0) for x in xs)
    top = counts.most_common(1)[0][1]
    if len(xs) == 1:
        return xs[0]
    needed = min(top, max(2, 0.2 * top))
    return min(key for key, count in counts.items() if count >= needed) * 2.0


def _page_left_margin(xs: list[float], size: float, fallback: float) -> float:
    """One page's left margin, tolerant of a few points of jitter in line starts (OCR boxes, a
    scan shifted on the glass): the median start of the leftmost group of lines beginning within
    0.6 character of each other that enough lines share. Pages with few lines use the document's."""
    if len(xs) < 4:
        return fallback
    xs = sorted(xs)
    window = 0.6 * size
    groups = [[x for x in xs if start <= x <= start + window] for start in xs]
    top = max(len(g) for g in groups)
    needed = min(top, max(2, 0.2 * top))
    group = next(g for g in groups if len(g) >= needed)
    return group[len(group) // 2]


def _shape(text: str) -> str:
    """A running header/footer keeps its words across pages; only the numbers change."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", normalize_text(text)))


def _shares_baseline(line: Line, lines: list[Line]) -> bool:
    return any(other is not line and abs(other.y0 - line.y0) < 0.5 * line.size for other in lines)


def find_running_lines(pages: list[RawPage]) -> set[tuple[int, int]]:
    """(page index, line index) of page numbers and of headers/footers repeated across pages."""
    drop: set[tuple[int, int]] = set()
    shapes: Counter[str] = Counter()
    candidates: list[tuple[int, int, str]] = []
    for pi, page in enumerate(pages):
        band = page.height * 0.1
        for li, line in enumerate(page.lines):
            near_edge = line.y0 < band or line.y1 > page.height - band
            if not near_edge:
                continue
            if is_page_number(line.text) and not _shares_baseline(line, page.lines):
                # A footer stands alone on its line; a number beside others is a table cell.
                drop.add((pi, li))
                continue
            shape = _shape(line.text)
            candidates.append((pi, li, shape))
            shapes[shape] += 1
    if len(pages) >= 2:
        # A header on at least half of the pages (and on two or more) is layout, not text.
        needed = max(2, (len(pages) + 1) // 2)
        for pi, li, shape in candidates:
            if shapes[shape] >= needed:
                drop.add((pi, li))
    return drop


def _rows(lines: list[Line]) -> list[Line]:
    """Merge lines sharing a baseline (table cells, label and value) into one line, cells joined by tab."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: -ln.y0):
        if rows:
            last = rows[-1][0]
            tol = 0.35 * min(last.size, line.size)
            if abs(last.y0 - line.y0) <= tol and abs(last.y1 - line.y1) <= max(tol, 0.5 * last.size):
                rows[-1].append(line)
                continue
        rows.append([line])
    merged: list[Line] = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        text = row[0].text
        for prev, cur in zip(row, row[1:], strict=False):
            gap = cur.x0 - prev.x1
            text += ("\t" if gap > 0.8 * prev.size else "") + cur.text
        merged.append(
            Line(text, row[0].x0, min(ln.y0 for ln in row), max(ln.x1 for ln in row),
                 max(ln.y1 for ln in row), max(ln.size for ln in row))
        )
    return merged


@dataclass
class _Seg:
    text: str
    line: Line
    page_index: int
    page_width: float
    cells: bool  # a row of table cells


def _last_char(text: str) -> str:
    stripped = text.rstrip()
    return stripped[-1] if stripped else ""


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _in_address(left: str, right: str) -> bool:
    """E-mail addresses and web addresses break anywhere, with no space to restore."""
    tail = re.search(r"[\w.@/:\-]+$", left)
    head = re.match(r"^[\w.@/:\-]+", right)
    token = (tail.group() if tail else "") + (head.group() if head else "")
    return bool(re.search(r"[@/]|www\.|\.(?:com|cn|gov|org|net)\b", token))


def _join(left: str, right: str) -> str:
    # A Latin word wrapped at the line end keeps its separating space; CJK never had one.
    if left and right and _latin(left[-1]) and _latin(right[0]) and not _in_address(left, right):
        return left + " " + right
    return left + right


def clean_document(raw_pages: list[RawPage]) -> CleanDocument:
    """Rebuild the document's paragraphs from its pages' visual lines."""
    drop = find_running_lines(raw_pages)
    segs: list[_Seg] = []
    for pi, page in enumerate(raw_pages):
        kept = [ln for li, ln in enumerate(page.lines) if (pi, li) not in drop]
        for line in _rows(kept):
            text = clean_line_text(line.text.replace("\t", "\x00")).replace("\x00", "\t")
            text = re.sub(r"\s*\t\s*", "\t", text)
            if text:
                segs.append(_Seg(text, line, pi, page.width, "\t" in text))

    body_lines = [s.line for s in segs if not s.cells]
    # Weighted by Chinese characters: pages of numeric table cells must not outvote the running text.
    sizes: Counter[float] = Counter()
    for ln in body_lines:
        sizes[round(ln.size * 2) / 2] += sum(1 for ch in ln.text if is_cjk(ch))
    if not any(sizes.values()):
        sizes = Counter(round(ln.size * 2) / 2 for ln in body_lines)
    body_size = sizes.most_common(1)[0][0] if sizes else 12.0
    normal = [ln for ln in body_lines if abs(ln.size - body_size) <= 0.15 * body_size]
    left = _left_margin([ln.x0 for ln in normal])
    left = _page_left_margin([ln.x0 for ln in normal], body_size, left)
    normal_ids = {id(ln) for ln in normal}
    page_left = [
        _page_left_margin([s.line.x0 for s in segs if s.page_index == pi and id(s.line) in normal_ids],
                          body_size, left)
        for pi in range(len(raw_pages))
    ]
    wide = sorted(ln.x1 for ln in normal)
    right = wide[int(len(wide) * 0.9)] if wide else 0.0
    if raw_pages:
        # Short documents may have no full line at all; GB/T 9704 margins are nearly symmetric.
        right = max(right, raw_pages[0].width - left - 3 * body_size)

    paragraphs: list[Paragraph] = []
    page_parts: list[list[str]] = [[] for _ in raw_pages]
    current: Paragraph | None = None
    prev: _Seg | None = None
    first_line: Line | None = None
    for seg in segs:
        if current is not None and prev is not None and _continues(
            prev, seg, body_size, page_left[seg.page_index], right, first_line, current.text
        ):
            current.text = _join(current.text, seg.text)
            current.printed_lines.append(seg.text)
            current.x1 = max(current.x1, seg.line.x1)
            current.lines += 1
            current.end_page = seg.page_index + 1
            if seg.page_index == prev.page_index and page_parts[seg.page_index]:
                page_parts[seg.page_index][-1] = _join(page_parts[seg.page_index][-1], seg.text)
            else:
                page_parts[seg.page_index].append(seg.text)
        else:
            current = Paragraph(
                seg.text, seg.page_index + 1, seg.line.x0, seg.line.x1, seg.line.y1, seg.line.size,
                seg.page_width, 1, seg.page_index + 1, seg.line.x1, [seg.text],
            )
            first_line = seg.line
            paragraphs.append(current)
            page_parts[seg.page_index].append(seg.text)
        prev = seg
    return CleanDocument(
        text="\n".join(p.text for p in paragraphs),
        page_texts=["\n".join(parts) for parts in page_parts],
        paragraphs=paragraphs,
        body_size=body_size,
        left_margin=left,
        right_margin=right,
    )


def _centred(line: Line, width: float, size: float) -> bool:
    return abs((line.x0 + line.x1) / 2 - width / 2) <= 1.5 * size


def _labelled(first: Line, a: Line, b: Line, width: float, para_text: str, cur_text: str) -> bool:
    """抄送：A，B，\nC。 — a labelled list runs on to its full stop, under its label or hanging after it."""
    label = LABEL.match(para_text)
    if not label or _last_char(para_text) in "。" or HEADING.match(cur_text):
        return False
    hanging = first.x0 + len(label.group()) * first.size
    if min(abs(b.x0 - hanging), abs(b.x0 - first.x0)) > 0.6 * first.size:
        return False
    # Only a line filled to the block's right edge wraps (版记 margins mirror its left inset).
    return a.x1 >= width - first.x0 - 1.5 * first.size


def _continues(
    prev: _Seg, cur: _Seg, body_size: float, left: float, right: float,
    first: Line | None = None, para_text: str = "",
) -> bool:
    """Is `cur` the next visual line of the paragraph that `prev` is in?"""
    if prev.cells or cur.cells:
        return False
    a, b = prev.line, cur.line
    size = max(a.size, b.size)
    if abs(a.size - b.size) > 0.15 * size:
        return False
    if DATE_LINE.match(cur.text) or DATE_LINE.match(prev.text):
        return False
    if HEADING.match(cur.text) and (_last_char(prev.text) in SENTENCE_END + tuple(CLOSE_QUOTES)
                                    or b.x0 > left + 0.6 * b.size or a.x1 < right - 1.2 * a.size):
        return False
    same_page = prev.page_index == cur.page_index
    if same_page:
        # Centres, not baselines: an OCR box's bottom moves with the glyphs in it (descenders, marks).
        pitch = (a.y0 + a.y1 - b.y0 - b.y1) / 2
        if pitch <= 0 or pitch > 2.3 * size:
            return False
    big = a.size > 1.15 * body_size
    if big and same_page:
        # Titles over two or three centred lines are one paragraph.
        return _centred(a, prev.page_width, a.size) and _centred(b, cur.page_width, b.size)
    if first is not None and _labelled(first, a, b, cur.page_width, para_text, cur.text):
        return True
    if LABEL.match(para_text) and _last_char(para_text) == "。" and (
        a.size != body_size or LABEL.match(cur.text)
    ):
        # A finished 版记 entry (抄送：…。) is followed by the next entry, never by more of itself.
        return False
    # A paragraph's inner lines run to the right margin; its next line starts at the left margin.
    # A line may stop short when the next line opens with a word or number that cannot be split.
    slack = 1.2 * a.size
    lead = LEADING_LATIN.match(cur.text)
    if lead and _last_char(prev.text) not in FINAL:
        slack += 0.6 * a.size * len(lead.group())
    if cur.text[:2] and any(ch in NO_LINE_START for ch in cur.text[:2]):
        # Punctuation may not open a line, so the character before it moves down too.
        slack += a.size
    full = a.x1 >= right - slack
    at_left = b.x0 <= left + 0.6 * b.size
    if not full or not at_left:
        return False
    if a.x0 > left + 6 * a.size:
        # A right-hand block (signature) does not run on.
        return False
    return True
