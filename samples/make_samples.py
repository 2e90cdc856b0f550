"""Writes gongwen's bundled sample PDFs: Chinese government documents laid out after GB/T 9704-2012.

`write_document(spec, path)` turns one document spec (a dict, see `DocumentSpec` keys below) into a text
PDF or an image-only "scan"; the benchmark reuses it to generate synthetic corpora. Run as a script it
regenerates `samples/*.pdf` from `samples/specs.toml`.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

SAMPLES_DIR = Path(__file__).resolve().parent
SPECS_FILE = SAMPLES_DIR / "specs.toml"

# Text PDFs use Adobe's STSong-Light CID font: reportlab ships its metrics, nothing is embedded, and
# readers (pdfminer, poppler) map it to Unicode through the standard UniGB-UCS2-H CMap.
PDF_FONT = "STSong-Light"
# Scans are drawn with Noto Serif CJK SC from Debian's fonts-noto-cjk (face 2 of the collection is SC).
SCAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
SCAN_FONT_INDEX = 2
SCAN_DPI = 200

# GB/T 9704-2012 geometry, in PDF points: A4, 天头 37 mm, 订口 28 mm, 版心 156 mm x 225 mm,
# 22 lines of 28 characters in 3号 (16 pt).
MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TOP, LEFT = 37 * MM, 28 * MM
TEXT_W, TEXT_H = 156 * MM, 225 * MM
BOTTOM = TOP + TEXT_H
BODY_SIZE = 16.0  # 3号
SMALL_SIZE = 14.0  # 4号: page numbers and 版记
TITLE_SIZE = 22.0  # 2号
PITCH = TEXT_H / 22
RED = (0.85, 0.0, 0.0)
BLACK = (0.0, 0.0, 0.0)

# Punctuation that may not start a line (避头) or end one (避尾), as Chinese typesetting requires.
NO_LINE_START = set("，。、；：？！）》」』”’〕】…—%")
NO_LINE_END = set("（《「『“‘〔【")
LATIN_RUN = re.compile(r"[A-Za-z0-9.%\-+/]+|.", re.S)
HEADING_1 = re.compile(r"^[一二三四五六七八九十]+、")


@dataclass
class Text:
    """A run of text; `y` is the baseline measured from the top of the page, in points."""

    x: float
    y: float
    text: str
    size: float
    color: tuple[float, float, float] = BLACK
    bold: bool = False


@dataclass
class Rule:
    """A horizontal line (the red separator under the 版头, the 版记 lines)."""

    x0: float
    x1: float
    y: float
    width: float
    color: tuple[float, float, float] = BLACK


Op = Text | Rule
Measure = Callable[[str, float], float]

# Keys a document spec may hold; only `title_lines` and `body` are required.
SPEC_DEFAULTS: dict[str, Any] = {
    "kind": "text",  # "text" (text layer) or "scanned" (one image per page, no text)
    "seed": 0,  # drives the scan noise and rotation; same spec + seed = same file
    "layout": "letter",  # "letter" (函: number right under the red line) or "file" (文件: number centred)
    "header": None,  # 发文机关标志, printed red at the top
    "doc_number": None,  # 发文字号 as printed
    "category": None,  # reply class, printed 分类：A1
    "title_lines": [],  # the title as printed, one string per line (long lines wrap)
    "addressee": None,  # 主送机关 or salutation, as printed
    "body": [],  # paragraphs (a list, or one string with a paragraph per line)
    "attachments": [],  # 附件说明 titles
    "signature": [],  # 发文机关署名, one per issuer
    "date_text": None,  # 成文日期 as printed
    "contact": None,  # contact line as printed
    "contact_position": "footer",  # "note" (附注 under the date) or "footer" (after 抄送)
    "public_note": None,  # e.g. （此件公开发布）
    "cc": [],  # 抄送机关
    "printer": None,  # 印发机关 (版记)
    "print_date": None,  # 印发日期 as printed, e.g. 2024年3月8日印发
    "page_numbers": "center",  # "center" or "alt" (odd pages right, even pages left), as `— 1 —`
}


def normalise_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with defaults filled in and the body split into paragraphs."""
    unknown = set(spec) - set(SPEC_DEFAULTS) - {"file"}
    if unknown:
        raise ValueError(f"unknown document spec keys: {sorted(unknown)}")
    full = {**SPEC_DEFAULTS, **spec}
    body = full["body"]
    if isinstance(body, str):
        body = body.splitlines()
    full["body"] = [para.strip() for para in body if para.strip()]
    if not full["title_lines"] or not full["body"]:
        raise ValueError("a document spec needs title_lines and body")
    if full["kind"] not in {"text", "scanned"}:
        raise ValueError(f"kind must be 'text' or 'scanned', not {full['kind']!r}")
    return full


def wrap(text: str, width: float, size: float, measure: Measure, first_indent: float = 0.0,
         rest_indent: float = 0.0) -> list[tuple[float, str]]:
    """Break `text` into (indent, line) pairs no wider than `width`, keeping Latin runs whole."""
    tokens = LATIN_RUN.findall(text)
    lines: list[tuple[float, str]] = []
    current, indent = "", first_indent
    for token in tokens:
        fits = measure(current + token, size) <= width - indent + 0.01
        # Closing punctuation hangs into the margin rather than starting the next line.
        if fits or not current or token[0] in NO_LINE_START:
            current += token
            continue
        carry = ""
        while current and current[-1] in NO_LINE_END:
            carry, current = current[-1] + carry, current[:-1]
        lines.append((indent, current))
        current, indent = carry + token, rest_indent
    if current:
        lines.append((indent, current))
    return lines


class _Flow:
    """Places lines on pages from the top of the text area down, opening pages as needed."""

    def __init__(self) -> None:
        self.pages: list[list[Op]] = [[]]
        self.y = TOP  # top of the next line slot

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def skip(self, lines: float = 1.0) -> None:
        self.y += PITCH * lines

    def line(self, x: float, text: str, size: float = BODY_SIZE, color: tuple[float, float, float] = BLACK,
             bold: bool = False, pitch: float = PITCH) -> None:
        if self.y + pitch > BOTTOM + 0.01:
            self.new_page()
        self.pages[-1].append(Text(x, self.y + pitch * 0.5 + size * 0.36, text, size, color, bold))
        self.y += pitch


def layout(spec: dict[str, Any], measure: Measure) -> list[list[Op]]:
    """Lay a normalised spec out as pages of drawing operations, page numbers included."""
    flow = _Flow()
    _header(flow, spec, measure)
    for line_text in spec["title_lines"]:
        for _, part in wrap(line_text, TEXT_W, TITLE_SIZE, measure):
            flow.line(LEFT + (TEXT_W - measure(part, TITLE_SIZE)) / 2, part, TITLE_SIZE, bold=True,
                      pitch=TITLE_SIZE * 1.6)
    flow.skip()
    if spec["addressee"]:
        for indent, part in wrap(spec["addressee"], TEXT_W, BODY_SIZE, measure):
            flow.line(LEFT + indent, part)
    two_chars = 2 * BODY_SIZE
    for para in spec["body"]:
        bold = bool(HEADING_1.match(para))
        for indent, part in wrap(para, TEXT_W, BODY_SIZE, measure, first_indent=two_chars):
            flow.line(LEFT + indent, part, bold=bold)
    _attachments(flow, spec, measure)
    _signature(flow, spec, measure)
    _footer_block(flow, spec, measure)
    _page_numbers(flow.pages, spec["page_numbers"], measure)
    return flow.pages


def _header(flow: _Flow, spec: dict[str, Any], measure: Measure) -> None:
    header, number = spec["header"], spec["doc_number"]
    category = f"分类：{spec['category']}" if spec["category"] else None
    right_edge = LEFT + TEXT_W - BODY_SIZE  # 右空一字
    if spec["layout"] == "file":
        if header:
            size = min(36.0, TEXT_W / max(measure(header, 1.0), 1.0))
            flow.skip(1.5)
            flow.line(LEFT + (TEXT_W - measure(header, size)) / 2, header, size, RED, True, pitch=size * 1.5)
            flow.skip(1)
        if category:
            flow.line(LEFT + BODY_SIZE, category)
        if number:
            flow.line(LEFT + (TEXT_W - measure(number, BODY_SIZE)) / 2, number)
        flow.pages[-1].append(Rule(LEFT, LEFT + TEXT_W, flow.y + 4 * MM, 2.0, RED))
        flow.skip(1.3)
        return
    # 函 (letter) format: the issuer's name sits above the text area, 30 mm from the page top.
    if header:
        size = min(26.0, TEXT_W / max(measure(header, 1.0), 1.0))
        flow.pages[-1].append(Text(LEFT + (TEXT_W - measure(header, size)) / 2, 30 * MM + size, header,
                                   size, RED, True))
        flow.pages[-1].append(Rule(LEFT, LEFT + TEXT_W, 30 * MM + size + 4 * MM, 2.0, RED))
        flow.pages[-1].append(Rule(LEFT, LEFT + TEXT_W, 30 * MM + size + 5.2 * MM, 0.6, RED))
        flow.y = max(flow.y, 30 * MM + size + 6 * MM)
    if category or number:
        flow.line(LEFT + BODY_SIZE, "")
        slot = flow.pages[-1].pop()
        if category:
            flow.pages[-1].append(Text(LEFT + BODY_SIZE, slot.y, category, BODY_SIZE))
        if number:
            flow.pages[-1].append(Text(right_edge - measure(number, BODY_SIZE), slot.y, number, BODY_SIZE))
    flow.skip(0.5)


def _attachments(flow: _Flow, spec: dict[str, Any], measure: Measure) -> None:
    items = spec["attachments"]
    if not items:
        return
    flow.skip()
    label = "附件："
    label_w = measure(label, BODY_SIZE)
    start = LEFT + 2 * BODY_SIZE
    for number, title in enumerate(items, start=1):
        text = title if len(items) == 1 else f"{number}．{title}"
        prefix = label if number == 1 else ""
        avail = TEXT_W - 2 * BODY_SIZE
        for i, (_, part) in enumerate(wrap(text, avail - label_w, BODY_SIZE, measure)):
            if i == 0 and prefix:
                flow.line(start, prefix + part)
            else:
                # Continuation lines and later items align after 附件：.
                extra = measure("1．", BODY_SIZE) if (i > 0 and len(items) > 1) else 0.0
                flow.line(start + label_w + extra, part)


def _signature(flow: _Flow, spec: dict[str, Any], measure: Measure) -> None:
    date = spec["date_text"]
    flow.skip(2)
    date_right = LEFT + TEXT_W - 4 * BODY_SIZE  # 成文日期右空四字
    centre = date_right - (measure(date, BODY_SIZE) / 2 if date else 3 * BODY_SIZE)
    for name in spec["signature"]:
        width = measure(name, BODY_SIZE)
        x = min(centre - width / 2, LEFT + TEXT_W - BODY_SIZE - width)
        flow.line(x, name)
    if date:
        flow.line(date_right - measure(date, BODY_SIZE), date)
    if spec["contact"] and spec["contact_position"] == "note":
        for indent, part in wrap(spec["contact"], TEXT_W, BODY_SIZE, measure, 2 * BODY_SIZE):
            flow.line(LEFT + indent, part)
    if spec["public_note"]:
        flow.line(LEFT + 2 * BODY_SIZE, spec["public_note"])


def _footer_block(flow: _Flow, spec: dict[str, Any], measure: Measure) -> None:
    """The 版记 at the foot of the last page: 抄送, 印发机关/日期 and contact, each between rules."""
    one = SMALL_SIZE
    # Each row is a list of lines; each line a list of texts sharing one baseline.
    rows: list[list[list[Text]]] = []
    if spec["cc"]:
        label = "抄送："
        label_w = measure(label, one)
        parts = wrap("，".join(spec["cc"]) + "。", TEXT_W - 2 * one - label_w, one, measure)
        lines = [[Text(LEFT + one, 0, label + parts[0][1], one)]]
        lines += [[Text(LEFT + one + label_w, 0, part, one)] for _, part in parts[1:]]
        rows.append(lines)
    if spec["printer"] or spec["print_date"]:
        line = []
        if spec["printer"]:
            line.append(Text(LEFT + one, 0, spec["printer"], one))
        if spec["print_date"]:
            date_x = LEFT + TEXT_W - one - measure(spec["print_date"], one)
            line.append(Text(date_x, 0, spec["print_date"], one))
        rows.append([line])
    if spec["contact"] and spec["contact_position"] == "footer":
        rows.append([[Text(LEFT + one, 0, spec["contact"], one)]])
    if not rows:
        return
    needed = sum(len(lines) for lines in rows) * PITCH
    if flow.y + needed > BOTTOM:
        flow.new_page()
    y = BOTTOM - needed
    page = flow.pages[-1]
    for index, lines in enumerate(rows):
        page.append(Rule(LEFT, LEFT + TEXT_W, y, 1.0 if index == 0 else 0.5))
        for line in lines:
            for item in line:
                item.y = y + PITCH * 0.5 + one * 0.36
                page.append(item)
            y += PITCH
    page.append(Rule(LEFT, LEFT + TEXT_W, y, 1.0))


def _page_numbers(pages: list[list[Op]], style: str, measure: Measure) -> None:
    baseline = BOTTOM + 7 * MM + SMALL_SIZE
    for number, page in enumerate(pages, start=1):
        label = f"— {number} —"
        width = measure(label, SMALL_SIZE)
        if style == "alt":
            x = LEFT + TEXT_W - SMALL_SIZE - width if number % 2 else LEFT + SMALL_SIZE
        else:
            x = (PAGE_W - width) / 2
        page.append(Text(x, baseline, label, SMALL_SIZE))


def _pdf_measure(text: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, PDF_FONT, size)


def _register_pdf_font() -> None:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def _new_canvas(path: Path, spec: dict[str, Any]) -> canvas.Canvas:
    # invariant=1 fixes the creation date and document ID so the same spec gives the same bytes.
    pdf = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    pdf.setCreator("gongwen samples/make_samples.py")
    pdf.setTitle("".join(spec["title_lines"]))
    return pdf


def _write_text_pdf(spec: dict[str, Any], path: Path) -> int:
    _register_pdf_font()
    pages = layout(spec, _pdf_measure)
    pdf = _new_canvas(path, spec)
    for ops in pages:
        for op in ops:
            if isinstance(op, Rule):
                pdf.setStrokeColorRGB(*op.color)
                pdf.setLineWidth(op.width)
                pdf.line(op.x0, PAGE_H - op.y, op.x1, PAGE_H - op.y)
                continue
            # The CID font has no bold face: bold is fill-and-stroke (render mode 2), kept inside
            # q/Q because the mode is graphics state and would leak into later runs.
            pdf.saveState()
            pdf.setFillColorRGB(*op.color)
            pdf.setStrokeColorRGB(*op.color)
            text = pdf.beginText(op.x, PAGE_H - op.y)
            text.setFont(PDF_FONT, op.size)
            if op.bold:
                pdf.setLineWidth(op.size * 0.03)
                text.setTextRenderMode(2)
            text.textOut(op.text)
            pdf.drawText(text)
            pdf.restoreState()
        pdf.showPage()
    pdf.save()
    return len(pages)


class _ScanFonts:
    """Noto Serif CJK faces by pixel size, shared by all pages of one scan."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._cache: dict[float, ImageFont.FreeTypeFont] = {}

    def font(self, size: float) -> ImageFont.FreeTypeFont:
        if size not in self._cache:
            pixels = round(size * self.scale)
            self._cache[size] = ImageFont.truetype(str(SCAN_FONT), pixels, index=SCAN_FONT_INDEX)
        return self._cache[size]

    def measure(self, text: str, size: float) -> float:
        return self.font(size).getlength(text) / self.scale


def _grey(color: tuple[float, float, float]) -> int:
    r, g, b = color
    return round(255 * (0.299 * r + 0.587 * g + 0.114 * b))


def render_scan_page(ops: Iterable[Op], fonts: _ScanFonts, rng: random.Random) -> Image.Image:
    """One page as a greyscale photocopy: slightly tilted, with paper tone and toner specks."""
    scale = fonts.scale
    size = (round(PAGE_W * scale), round(PAGE_H * scale))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for op in ops:
        if isinstance(op, Rule):
            draw.line([(op.x0 * scale, op.y * scale), (op.x1 * scale, op.y * scale)], fill=_grey(op.color),
                      width=max(1, round(op.width * scale)))
        else:
            draw.text((op.x * scale, op.y * scale), op.text, font=fonts.font(op.size), fill=_grey(op.color),
                      anchor="ls", stroke_width=1 if op.bold else 0, stroke_fill=_grey(op.color))
    angle = rng.uniform(-0.7, 0.7)
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250)
    # Noise comes from the seeded generator (PIL's effect_noise is not reproducible).
    pixels = image.load()
    assert pixels is not None
    width, height = size
    for _ in range(2500):
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = rng.randrange(0, 140)
    return image.point(lambda v: min(v, 246) if v > 200 else v)


def _write_scanned_pdf(spec: dict[str, Any], path: Path, dpi: int = SCAN_DPI) -> int:
    fonts = _ScanFonts(dpi / 72)
    rng = random.Random(spec["seed"])
    pages = layout(spec, fonts.measure)
    pdf = _new_canvas(path, spec)
    for ops in pages:
        image = render_scan_page(ops, fonts, rng)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=55, optimize=True)
        buffer.seek(0)
        # A JPEG is passed through as DCTDecode: the page holds one image and no text at all.
        pdf.drawImage(ImageReader(buffer), 0, 0, PAGE_W, PAGE_H)
        pdf.showPage()
    pdf.save()
    return len(pages)


def write_document(spec: dict[str, Any], path: str | Path) -> int:
    """Write the document `spec` describes to `path` as a PDF; returns its page count."""
    full = normalise_spec(spec)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if full["kind"] == "scanned":
        return _write_scanned_pdf(full, target)
    return _write_text_pdf(full, target)


def load_specs(path: str | Path = SPECS_FILE) -> list[dict[str, Any]]:
    """The document specs of a specs file (`[[document]]` tables, each with a `file` name)."""
    with Path(path).open("rb") as handle:
        return list(tomllib.load(handle)["document"])


def write_samples(out_dir: str | Path = SAMPLES_DIR, specs_path: str | Path = SPECS_FILE) -> list[Path]:
    """Write every document of the specs file into `out_dir`; returns the paths written."""
    written = []
    for spec in load_specs(specs_path):
        target = Path(out_dir) / spec["file"]
        write_document(spec, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate gongwen's sample PDFs from samples/specs.toml.")
    parser.add_argument("--out", default=str(SAMPLES_DIR), help="folder to write the PDFs to")
    parser.add_argument("--specs", default=str(SPECS_FILE), help="the document specs (TOML)")
    args = parser.parse_args(argv)
    for path in write_samples(args.out, args.specs):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
