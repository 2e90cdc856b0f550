"""Read image-only pages with Tesseract: render one page with pdftoppm, OCR it, return positioned lines.

Lines come back as a `RawPage` in PDF coordinates so the shared cleaner treats OCR and text pages alike.
Results are cached in the record store's `ocr_cache` (by the file's content hash, page, the `[ocr]`
settings that shape the result and the engine version), so re-ingest and `gongwen reindex` never OCR
a page twice.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, PDFStream, resolve1
from pdfminer.psparser import LIT
from PIL import Image, ImageFilter, ImageOps

from ingest import ocr_marks, ocr_vote
from ingest.extract import Line, RawPage
from ingest.ocr_clean import LINE_START_MARKS, repair_ocr_line
from ingest.ocr_vote import Word as _Word
from ingest.quality import PageQuality, is_cjk
from ingest.settings import Settings

log = logging.getLogger(__name__)

# Bump when rendering, preprocessing or Tesseract options change: older cached results are then redone.
ENGINE_VERSION = "21"
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
_PUNCT_ONLY = re.compile(r"^[\W_]+$")
# The rule under a 版头 (often red) reads as a row of dashes and 一; no real line is only that.
_RULE_LINE = re.compile(r"^[\s\-－—–_~一]{3,}$")
# Rules, seals and specks read alone as a few marks or Latin letters ("~", "ee"); a real line of a
# Chinese document holding no Chinese character and no digit is never that short.
_NOISE_LINE = re.compile(r"^[^\u3400-\u9fff0-9]{1,3}$")
# Short lines scoring below this are specks; under a seal the second look's words are kept regardless.
_SPECK_LINE_CONF = 30.0
_SECOND_LOOK_BLOCK = 10_000
# A line whose few characters spread over more than this many glyph heights each is a drawn rule.
_RULE_SPAN = 4.0
# Blank wider than this many characters inside one Tesseract line separates two blocks of text.
_GAP_EMS = 3.0
# Lines of at most this many marks, shorter than this share of the page's characters, are dust.
_DUST_MAX_CHARS = 2
_DUST_HEIGHT = 0.5
# Lines with this many Han characters set the page's typical character height.
_TEXT_LINE_HAN = 4
# Share of the page width on each side where nothing is printed (GB/T 9704's margins are 26-28 mm of 210).
_EDGE_STRIP = 0.05
# A doubtful short line at least this share of the page's character height is kept as text.
_FULL_SIZE = 0.75
# A line read with a mean confidence below this, with Han characters under this share, is garbage.
_GARBLE_CONF = 50.0
_GARBLE_HAN_SHARE = 0.15
# A garbled short line is read as the reading with Chinese that this many of its renderings agree on.
_GARBLE_VOTES = 2
# A line with this many words in a row read below this confidence is looked at again, however sure
# the rest of it is.
_LOST_RUN = 2
_LOST_RUN_CONF = 50.0
# A line whose last number is read under this confidence lost its end (联系电话：1 for a mobile number).
_LOST_END_CONF = 30.0
# A doubted line this short (a salutation, a date, a name) is read again with the sure lines around
# it: with so few glyphs Tesseract sizes them wrong. A longer line (a title) reads better alone.
_CONTEXT_MAX_CHARS = 12
# White border around a band's line crop read again, in pixels; a key offset telling its lines apart.
_BAND_LINE_BORDER = 40
_BAND_LINE_KEY = 1000
# A second-look line on rows the first look left empty is kept with this confidence or Han share.
_NEW_LINE_CONF = 40.0
_NEW_LINE_HAN_SHARE = 0.5
# A seal's ring read as a mark or two of digits is no number: a second look counts as reading more
# than the first when it finds at least this many more digits (and no less Chinese).
_HIDDEN_DIGITS = 3
# Marks dust reads as; one standing more than this many characters apart from the text is dropped.
_SPECK_MARKS = frozenset("“”\"'‘’`.,，、。·:：;；-_~")
_SPECK_GAP = 0.6


@dataclass
class OcrResult:
    """One page read by Tesseract: its lines, mean word confidence (0-100) and the time it took."""

    page: RawPage
    confidence: float
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # rendering plus OCR; 0 when served from the cache
    cached: bool = False


class OcrTimeoutError(RuntimeError):
    """Rendering and reading one page took longer than `[ocr] page_timeout_s`."""


# --- availability ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """The trained data Tesseract reads with: language packs joined by '+', and the folder holding them.

    `folder` None means Tesseract's own tessdata folder (Debian's tesseract-ocr-chi-sim).
    """

    languages: str
    folder: Path | None = None

    @property
    def files(self) -> tuple[Path, ...]:
        """The folder's trained-data file of each language (none for Tesseract's own folder)."""
        if self.folder is None:
            return ()
        return tuple(self.folder / f"{lang}.traineddata" for lang in self.languages.split("+") if lang)

    def arguments(self) -> list[str]:
        """Tesseract's options selecting this model (a folder's models are read by the LSTM engine only)."""
        where = ["--tessdata-dir", str(self.folder), "--oem", "1"] if self.folder else []
        return ["-l", self.languages, *where]

    def digest(self) -> str:
        """What the cache key records of the model: its files' hash, or "system" for Tesseract's own."""
        return _files_sha256(tuple(map(str, self.files))) if self.files else "system"


@functools.lru_cache(maxsize=8)
def _files_sha256(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def ocr_model(settings: Settings, use: str = "pages") -> Model:
    """The model a read uses: "pages" (every page) or "codes" (the English read of a 分类 code).

    Pages are read with `[ocr] languages` from `[ocr] tessdata_dir` (a folder without them is
    reported by `unavailable_reason`); the code read falls back to Tesseract's own folder when that
    folder lacks `code_languages`.
    """
    cfg = settings["ocr"]
    folder = Path(cfg["tessdata_dir"]) if cfg["tessdata_dir"] else None
    model = Model(str(cfg["code_languages" if use == "codes" else "languages"]), folder)
    if use == "codes" and not all(path.is_file() for path in model.files):
        return Model(model.languages)
    return model


def names_model(settings: Settings) -> Model | None:
    """The second model name lines are read with (`[ocr] names_tessdata_dir`); None when switched off."""
    cfg = settings["ocr"]
    if not cfg["names_tessdata_dir"] or int(cfg["name_lines"]) <= 0:
        return None
    return Model(str(cfg["languages"]), Path(cfg["names_tessdata_dir"]))


@functools.lru_cache(maxsize=8)
def unavailable_reason(model: Model = Model("chi_sim")) -> str | None:
    """`None` when Tesseract, poppler and the model's language packs are installed, else what to install."""
    missing = [tool for tool in ("tesseract", "pdftoppm") if shutil.which(tool) is None]
    if "tesseract" in missing:
        return f"OCR unavailable: the tesseract program is not installed (install it: {INSTALL_HINT})"
    if missing:
        return "OCR unavailable: pdftoppm is not installed (install it: apt-get install poppler-utils)"
    if model.folder is not None:
        absent = [path.name for path in model.files if not path.is_file()]
        if absent:
            return (f"OCR unavailable: {', '.join(absent)} is not in {model.folder} "
                    "(the folder `[ocr] tessdata_dir` or `names_tessdata_dir` names)")
        return None
    try:
        listing = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"OCR unavailable: tesseract does not run ({exc}); reinstall it: {INSTALL_HINT}"
    installed = {line.strip() for line in listing.splitlines()[1:]}
    absent = [lang for lang in model.languages.split("+") if lang and lang not in installed]
    if absent:
        return (
            f"OCR unavailable: Tesseract language data {', '.join(absent)} is not installed "
            f"(install it: {INSTALL_HINT})"
        )
    return None


def ocr_unavailable(settings: Settings) -> str | None:
    """Why this configuration cannot OCR (switched off is not a problem: returns None then)."""
    if not settings["ocr"]["enabled"]:
        return None
    return unavailable_reason(ocr_model(settings))


# --- blank pages -------------------------------------------------------------------------------


def page_has_images(path: Path, page_number: int) -> bool:
    """Whether page `page_number` (1-based) draws any image: a scan, as opposed to a blank page."""
    return page_number in _pages_with_images(str(path), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _pages_with_images(path: str, _mtime_ns: int) -> frozenset[int]:
    # One pass over page resources (no content interpretation), so a 300-page blank PDF costs milliseconds.
    found: set[int] = set()
    with open(path, "rb") as handle:
        document = PDFDocument(PDFParser(handle))
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if _resources_have_image(page.resources, depth=0) or _has_inline_image(page.contents):
                found.add(number)
    return frozenset(found)


def _resources_have_image(resources: object, depth: int) -> bool:
    resources = resolve1(resources)
    if not isinstance(resources, dict) or depth > 5:
        return False
    xobjects = resolve1(resources.get("XObject"))
    if not isinstance(xobjects, dict):
        return False
    for ref in xobjects.values():
        xobj = resolve1(ref)
        if not isinstance(xobj, PDFStream):
            continue
        subtype = xobj.get("Subtype")
        if subtype is LIT("Image"):
            return True
        if subtype is LIT("Form") and _resources_have_image(xobj.get("Resources"), depth + 1):
            return True
    return False


def _has_inline_image(contents: list[object]) -> bool:
    for ref in contents or []:
        stream = resolve1(ref) if isinstance(ref, PDFObjRef) else ref
        if isinstance(stream, PDFStream):
            try:
                data = stream.get_data()
            except Exception:  # noqa: BLE001 - an undecodable stream simply has no inline image we can see
                continue
            if re.search(rb"\sBI\s.*?\sID\s", data, re.DOTALL):
                return True
    return False


# --- rendering and Tesseract -------------------------------------------------------------------


def render_page(path: Path, page_number: int, dpi: int, workdir: Path, timeout: float) -> Image.Image:
    """Render one page to a greyscale image with pdftoppm (only that page is rasterised).

    Uncompressed PGM: pdftoppm's PNG encoder took 10-35 s per A4 page at 300 dpi, PGM under a second.
    """
    prefix = workdir / "page"
    command = ["pdftoppm", "-f", str(page_number), "-l", str(page_number), "-r", str(dpi), "-gray",
               "-singlefile", str(path), str(prefix)]
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeoutError("rendering") from exc
    with Image.open(prefix.with_suffix(".pgm")) as image:
        return image.convert("L")


def run_tesseract(image: Image.Image, model: Model, psm: int, workdir: Path, timeout: float) -> list[_Word]:
    """Tesseract's words with boxes (pixels of `image`) and confidences, from its TSV output."""
    source = workdir / "ocr.pgm"
    image.save(source)
    return parse_tsv(_tesseract_tsv(source, model, psm, timeout))


def _tesseract_tsv(source: Path, model: Model, psm: int, timeout: float) -> str:
    """Tesseract's TSV for an image file (or a text file listing images, one per line)."""
    # Workers already use every core; Tesseract's own OpenMP threads would only contend with them.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    # The TSV output switched on by name: the `tsv` config file lives in Tesseract's own tessdata
    # folder, which a model folder (`--tessdata-dir`) does not have.
    command = ["tesseract", str(source), "stdout", *model.arguments(), "--psm", str(psm),
               "-c", "tessedit_create_tsv=1"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeoutError("tesseract") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"tesseract failed: {detail[-1] if detail else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def run_tesseract_many(
    images: list[Image.Image], model: Model, psm: int, workdir: Path, timeout: float
) -> list[list[_Word]]:
    """Words of each image, read by one Tesseract process given the list of image files."""
    listing = workdir / "images.txt"
    paths = []
    for number, image in enumerate(images):
        paths.append(workdir / f"crop{number}.pgm")
        image.save(paths[-1])
    listing.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    per_image: list[list[_Word]] = [[] for _ in images]
    for page_num, word in parse_tsv(_tesseract_tsv(listing, model, psm, timeout), with_page=True):
        if 1 <= page_num <= len(images):
            per_image[page_num - 1].append(word)
    return per_image


def parse_tsv(tsv: str, with_page: bool = False) -> list:  # list[_Word] or list[(page, _Word)]
    """Tesseract's TSV words; with `with_page`, each paired with its page_num (the image of a list)."""
    words: list = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        word = _Word(text, int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]),
                     float(row["conf"]), (int(row["block_num"]), int(row["par_num"]), int(row["line_num"])))
        words.append((int(row["page_num"]), word) if with_page else word)
    return words


def detect_rotation(image: Image.Image, workdir: Path, timeout: float) -> int:
    """Degrees (0, 90, 180, 270) Tesseract's orientation detection says the page is turned by."""
    source = workdir / "osd.pgm"
    image.save(source)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(["tesseract", str(source), "stdout", "--psm", "0"], capture_output=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeoutError("orientation") from exc
    match = re.search(r"Rotate:\s*(\d+)", done.stdout.decode("utf-8", "replace"))
    return int(match.group(1)) % 360 if match and done.returncode == 0 else 0


# --- words to lines ----------------------------------------------------------------------------


def words_to_lines(
    words: list[_Word], image_size: tuple[int, int], page_size: tuple[float, float]
) -> list[Line]:
    """Group words into Tesseract's lines and convert boxes to PDF points (y grows upwards)."""
    sx = page_size[0] / image_size[0]
    sy = page_size[1] / image_size[1]
    grouped = ocr_vote.lines_of(words)
    page_glyph = _page_glyph_height(list(grouped.values()))
    lines: list[Line] = []
    for group in grouped.values():
        typical = _glyph_height(group)
        # Scanner dust reads as tiny stray quotes and commas; real marks are a fifth of a character or more.
        kept = [w for w in group if not _is_speck(w, typical)]
        for piece in _split_at_gaps(kept):
            piece = _without_edge_specks(piece)
            if not piece or _is_dust_line(piece, page_glyph) or _on_page_edge(piece, image_size[0]):
                continue
            line = _to_line(piece, sx, sy, page_size[1], page_glyph)
            if line is not None:
                lines.append(line)
    lines.sort(key=lambda ln: (-round(ln.y1 / 2), ln.x0))
    return lines


def _to_line(
    words: list[_Word], sx: float, sy: float, page_height: float, page_glyph: float = 0.0
) -> Line | None:
    text = repair_ocr_line(" ".join(w.text for w in words))
    if _RULE_LINE.match(text) or _NOISE_LINE.match(text):
        return None
    confidence = mean_confidence(words)
    doubtful = confidence < _SPECK_LINE_CONF and not _second_look(words)
    full_size = page_glyph > 0 and _glyph_height(words) >= _FULL_SIZE * page_glyph and any(
        is_cjk(ch) for ch in text)
    if doubtful and len(text.replace(" ", "")) <= 3 and not full_size:
        # A lone mark Tesseract itself doubts (dust, a fold, the edge of a seal read as 人); a
        # character as large as the text around it is text (the 构： that ends a 主送 line).
        return None
    han = sum(is_cjk(ch) for ch in text)
    if confidence < _GARBLE_CONF and han < _GARBLE_HAN_SHARE * len(text.replace(" ", "")):
        # A red rule or a picture read as a row of Latin letters (ers 一 -wearearsee…).
        return None
    span = max(w.left + w.width for w in words) - min(w.left for w in words)
    if span > _RULE_SPAN * _glyph_height(words) * max(1.0, _ems(text)):
        # The rule under a masthead read as a few characters (和, 一一, OU -一一) spread over the page.
        return None
    left = min(w.left for w in words) * sx
    right = max(w.left + w.width for w in words) * sx
    top = page_height - min(w.top for w in words) * sy
    bottom = page_height - max(w.top + w.height for w in words) * sy
    return Line(text, left, bottom, right, top, _font_size(words) * sx)


def _split_at_gaps(words: list[_Word]) -> list[list[_Word]]:
    """Split a Tesseract line where a wide blank separates two blocks on one baseline.

    The 印发 line (office left, date right), 分类 beside the 发文字号, joint signatures side by side:
    the text layer gives these as separate pieces, which the cleaner joins with a tab, and a gap
    inside one line would make its character pitch (its font size) look far too large.
    """
    if len(words) < 2:
        return [words] if words else []
    ordered = sorted(words, key=lambda w: w.left)
    pitch = _font_size(ordered)
    pieces = [[ordered[0]]]
    for word in ordered[1:]:
        last = pieces[-1][-1]
        if word.left - last.left - _ems(last.text) * pitch > _GAP_EMS * pitch:
            pieces.append([word])
        else:
            pieces[-1].append(word)
    return pieces


def _on_page_edge(words: list[_Word], image_width: int) -> bool:
    """A line wholly in the page's outer strip, where GB/T 9704 prints nothing: a scanner's dark edge."""
    left = min(w.left for w in words)
    right = max(w.left + w.width for w in words)
    return right < _EDGE_STRIP * image_width or left > (1 - _EDGE_STRIP) * image_width


def _page_glyph_height(groups: list[list[_Word]]) -> float:
    """The page's typical character height: the median over lines of four or more Han characters."""
    heights = sorted(
        _glyph_height(group) for group in groups
        if _han_count(group) >= _TEXT_LINE_HAN
    )
    return float(heights[len(heights) // 2]) if heights else 0.0


def _is_dust_line(words: list[_Word], page_glyph: float) -> bool:
    """One or two marks far smaller than the page's characters: dust read as 四, 本, 了 or 3.

    Printed text is never below half the body size's height (a table's 10.5 pt against the body's
    16 pt is two thirds), under a seal or not; a scanner's dark page edge reads as a column of these.
    """
    chars = sum(len(w.text) for w in words)
    return chars <= _DUST_MAX_CHARS and page_glyph > 0 and _glyph_height(words) < _DUST_HEIGHT * page_glyph


def _without_edge_specks(words: list[_Word]) -> list[_Word]:
    """The line without a mark standing apart before its first or after its last character.

    A speck in the indent reads as “ or ， and would pull the line out to the margin (an indented
    paragraph start then looks like a continuation line); a printed mark touches its text. A mark
    Tesseract glued to the first word shows as that word being wider than its characters.
    """
    if not words or (len(words) == 1 and len(words[0].text) == 1):
        return words
    ordered = sorted(words, key=lambda w: w.left)
    pitch = _font_size(ordered)
    first = ordered[0]
    partner = {"“": "”", "‘": "’"}.get(first.text[0])
    paired = partner is not None and partner in "".join(w.text for w in ordered)
    if first.text[0] in _SPECK_MARKS and pitch > 0 and not paired:
        if len(first.text) == 1 and len(ordered) > 1:
            if ordered[1].left - (first.left + first.width) > _SPECK_GAP * pitch:
                ordered = ordered[1:]
        elif len(first.text) > 1 and first.width > (_ems(first.text[1:]) + 0.5 + _SPECK_GAP) * pitch:
            # A printed mark's ink is half a character wide at most, and touches what follows it.
            rest = first.text[1:]
            width = min(first.width, round(_ems(rest) * pitch))
            ordered[0] = _Word(rest, first.left + first.width - width, first.top, width, first.height,
                               first.conf, first.line_key)
    if len(ordered) > 1:
        last, before = ordered[-1], ordered[-2]
        if (len(last.text) == 1 and last.text in _SPECK_MARKS
                and last.left - (before.left + before.width) > _SPECK_GAP * pitch):
            ordered = ordered[:-1]
    return ordered


def _second_look(words: list[_Word]) -> bool:
    return words[0].line_key[0] >= _SECOND_LOOK_BLOCK


def _is_speck(word: _Word, glyph_height: float) -> bool:
    return bool(_PUNCT_ONLY.match(word.text)) and max(word.width, word.height) < 0.2 * glyph_height


def _ems(text: str) -> float:
    """Width of `text` in ems: CJK characters and marks are one, ASCII letters and digits half.

    chi_sim prints half-width : , ; ( ) for the full-width marks it saw, so those count as one.
    """
    return sum(0.5 if ch.isascii() and ch.isalnum() else 1.0 for ch in text if not ch.isspace())


def _font_size(words: list[_Word]) -> float:
    """The line's font size in pixels, read from its character pitch.

    Chinese text is set on a grid: each character advances one em (GB/T 9704 lines are justified to
    28 characters of 16 pt over 156 mm, so pitch and size agree within a few percent). Where words
    start is steadier than Tesseract's box heights, which swing by a third between lines of one
    paragraph and would split it; single word starts still jitter, so the pitch is the median slope
    of start position over character count between words at least three ems apart (Theil-Sen).
    """
    ordered = sorted(words, key=lambda w: w.left)
    offsets: list[float] = []
    ems = 0.0
    for word in ordered:
        offsets.append(ems)
        ems += _ems(word.text)
    for separation in (3, 1):  # a short line (构：) has no words three ems apart
        slopes = sorted(
            (ordered[j].left - ordered[i].left) / (offsets[j] - offsets[i])
            for i in range(len(ordered))
            for j in range(i + 1, len(ordered))
            if offsets[j] - offsets[i] >= separation
        )
        if slopes:
            return slopes[len(slopes) // 2]
    return _glyph_height(words)


def _glyph_height(words: list[_Word]) -> float:
    """Median height of the line's Chinese characters, capped by what their widths allow.

    Tesseract's chi_sim boxes are sometimes line-tall for every word of a line (punctuation always
    is); a run of n Han characters is about n glyphs wide, so 1.3 x the width per character bounds it.
    """
    han = [w for w in words if all(is_cjk(ch) for ch in w.text)]
    if not han:
        return float(sorted(w.height for w in words)[len(words) // 2])
    heights = sorted(w.height for w in han)
    widths = sorted(w.width / len(w.text) for w in han)
    return float(min(heights[len(han) // 2], 1.3 * widths[len(han) // 2]))


def mean_confidence(words: list[_Word]) -> float:
    """Mean word confidence weighted by characters, so one-character specks do not dominate."""
    scored = [(w.conf, len(w.text)) for w in words if w.conf >= 0]
    total = sum(n for _, n in scored)
    return round(sum(c * n for c, n in scored) / total, 1) if total else 0.0


# --- cache -------------------------------------------------------------------------------------


# `[ocr]` keys that change what Tesseract returns; a different value means a fresh OCR, not a cache hit.
RESULT_KEYS = ("dpi", "languages", "psm", "rotation_check_below", "gap_reread_ink", "seal_clip_level",
               "gap_reread_min_conf", "gap_trusted_line_conf", "code_languages", "denoise",
               "reread_below", "reread_max_chars", "reread_lines", "reread_scale", "name_lines")


def cache_key(file_sha256: str, page_number: int, settings: Settings) -> str:
    """Key of one page's OCR: the file's bytes, not a caller's id (two runs may reuse an id for
    different files; bench ids such as `eval-3` did, and served one file's words for another)."""
    options = ":".join(str(settings["ocr"][name]) for name in RESULT_KEYS)
    names = names_model(settings)
    models = ":".join([ocr_model(settings).digest(), ocr_model(settings, "codes").digest(),
                       names.digest() if names and unavailable_reason(names) is None else "none"])
    return hashlib.sha256(
        f"{file_sha256}:{page_number}:{options}:{models}:{ENGINE_VERSION}".encode()
    ).hexdigest()


def content_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (memoised per path, size and mtime: every page of a file asks)."""
    stat = os.stat(path)
    return _content_sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _content_sha256(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cache_db(settings: Settings) -> Path:
    return settings.path("storage", "index_dir") / "records.sqlite3"


def _cache_get(
    settings: Settings, key: str
) -> tuple[list[_Word], tuple[int, int], float, list[str]] | None:
    db = _cache_db(settings)
    if not db.exists():
        return None
    try:
        with _connect(db) as conn:
            row = conn.execute("SELECT text, confidence FROM ocr_cache WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    data = json.loads(row[0])
    words = [_Word(w[0], w[1], w[2], w[3], w[4], w[5], tuple(w[6])) for w in data["words"]]
    return words, tuple(data["image_size"]), float(row[1] or 0.0), list(data.get("warnings", []))


def _cache_put(
    settings: Settings, key: str, words: list[_Word], image_size: tuple[int, int], confidence: float,
    warnings: list[str],
) -> None:
    # Tesseract's words, not finished lines: improving line grouping or repairs never needs a re-OCR.
    # The page's warnings (read upright after a turn) too: a cached reading says what the first did.
    db = _cache_db(settings)
    payload = json.dumps(
        {"image_size": list(image_size), "warnings": warnings,
         "words": [[w.text, w.left, w.top, w.width, w.height, w.conf, list(w.line_key)] for w in words]},
        ensure_ascii=False,
    )
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        with _connect(db) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS ocr_cache (key TEXT PRIMARY KEY, text TEXT NOT NULL,"
                         " confidence REAL)")
            conn.execute("INSERT OR REPLACE INTO ocr_cache (key, text, confidence) VALUES (?, ?, ?)",
                         (key, payload, confidence))
    except (sqlite3.Error, OSError) as exc:
        # A read-only or busy store only costs a re-OCR next time; the page itself was read.
        log.warning("could not cache OCR result: %s", exc)


class _connect:
    """A short-lived connection: workers are forked, so none may inherit the parent's handle."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, timeout=30, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("PRAGMA journal_mode=WAL")
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


# --- the page ----------------------------------------------------------------------------------


def read_page(path: Path, page: RawPage, quality: PageQuality, settings: Settings) -> OcrResult | None:
    """OCR one unusable page. `None` when OCR is off or not installed, or the page is blank (no images)."""
    cfg = settings["ocr"]
    if not cfg["enabled"] or unavailable_reason(ocr_model(settings)) is not None:
        return None
    if quality.reason == "no text layer" and not page_has_images(path, page.number):
        return None
    key = cache_key(content_sha256(path), page.number, settings)
    hit = _cache_get(settings, key)
    page_size = (page.width, page.height)
    if hit is not None:
        words, image_size, confidence, warnings = hit
        lines = words_to_lines(words, image_size, page_size)
        return OcrResult(RawPage(page.number, page.width, page.height, lines), confidence, warnings,
                         cached=True)
    started = time.monotonic()
    deadline = started + float(cfg["page_timeout_s"])
    try:
        words, image_size, confidence, warnings = _ocr_page(path, page, settings, deadline)
    except OcrTimeoutError:
        message = f"page {page.number}: OCR took longer than {cfg['page_timeout_s']} s; stopped"
        return OcrResult(RawPage(page.number, page.width, page.height, []), 0.0, [message],
                         time.monotonic() - started)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        message = f"page {page.number}: OCR failed ({exc})"
        return OcrResult(RawPage(page.number, page.width, page.height, []), 0.0, [message],
                         time.monotonic() - started)
    _cache_put(settings, key, words, image_size, confidence, warnings)
    lines = words_to_lines(words, image_size, page_size)
    return OcrResult(RawPage(page.number, page.width, page.height, lines), confidence, warnings,
                     time.monotonic() - started)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise OcrTimeoutError("page")
    return left


def _ocr_page(
    path: Path, page: RawPage, settings: Settings, deadline: float
) -> tuple[list[_Word], tuple[int, int], float, list[str]]:
    cfg = settings["ocr"]
    model = ocr_model(settings)
    psm = int(cfg["psm"])
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gongwen-ocr-") as tmp:
        workdir = Path(tmp)
        image = render_page(path, page.number, int(cfg["dpi"]), workdir, _remaining(deadline))
        if int(cfg["denoise"]) > 1:
            # Scanner dust turns into stray marks and breaks up glyphs; a median filter removes specks
            # smaller than its window and leaves strokes that are wider.
            image = image.filter(ImageFilter.MedianFilter(int(cfg["denoise"])))
        words = run_tesseract(image, model, psm, workdir, _remaining(deadline))
        confidence = mean_confidence(words)
        if confidence < float(cfg["rotation_check_below"]):
            # Only doubtful pages pay for orientation detection; upright scans never do.
            rotation = detect_rotation(image, workdir, _remaining(deadline))
            if rotation:
                turned = image.rotate(rotation, expand=True, fillcolor=255)
                turned_words = run_tesseract(turned, model, psm, workdir, _remaining(deadline))
                # Upside-down Chinese still reads as (nonsense) Chinese: confidence tells them apart.
                if mean_confidence(turned_words) > confidence:
                    image, words, confidence = turned, turned_words, mean_confidence(turned_words)
                    warnings.append(f"page {page.number}: scanned turned by {rotation}°; read upright")
        if words and float(cfg["gap_reread_ink"]) > 0:
            words = _reread_gaps(image, words, settings, workdir, deadline)
        if words and int(cfg["reread_lines"]) > 0:
            words = _reread_doubtful_lines(image, words, settings, workdir, deadline)
        names = names_model(settings)
        if words and names is not None and unavailable_reason(names) is None:
            words = _reread_name_lines(image, words, names, model, int(cfg["name_lines"]),
                                       float(cfg["reread_scale"]), workdir, deadline)
        if words and str(cfg["code_languages"]):
            words = _reread_category_codes(image, words, ocr_model(settings, "codes"), workdir,
                                           deadline)
    return words, image.size, confidence, warnings


# --- second look at text hidden under seals ----------------------------------------------------


def _reread_gaps(
    image: Image.Image, words: list[_Word], settings: Settings, workdir: Path, deadline: float
) -> list[_Word]:
    """Re-read bands of ink that Tesseract skipped or misread, with light marks (seals) removed.

    A red seal over the signature and date scans as mid-grey; Tesseract either takes the whole area
    for a picture and drops the text under it, or reads it as a few garbled low-confidence marks.
    Only lines it read with confidence count as covered; the rest of the page is looked at again,
    and so is the band of every seal found on the page (a 抄送 line read with confidence may still
    have lost the entry under the seal's edge). Everything lighter than the ink level is clipped to
    white in that band only (not the page: it would thin every other glyph). Returns the page's
    words with each re-read band's doubtful lines, and the lines the second look read more of
    under a seal, replaced by what the second look found there.
    """
    cfg = settings["ocr"]
    heights = sorted(w.height for w in words)
    char = max(8, heights[len(heights) // 2])
    trusted_conf = float(cfg["gap_trusted_line_conf"])
    lines = ocr_vote.lines_of(words)
    sure = {key for key, group in lines.items() if mean_confidence(group) >= trusted_conf}
    lost = {key for key in sure if _has_lost_run(lines[key])}
    trusted = sure - lost
    covered = sorted((w.top, w.top + w.height) for w in words if w.line_key in trusted)
    width, height = image.size
    bands: list[tuple[int, int, bool]] = []
    cursor = 0
    for top, bottom in covered + [(height, height)]:
        if top - cursor > char * 1.5:
            bands.append((cursor, top, False))
        cursor = max(cursor, bottom)
    doubted = [_rows_of(group) for key, group in lines.items() if key not in trusted]
    short = [_rows_of(group) for key, group in lines.items()
             if key not in trusted and sum(len(w.text) for w in group) <= _CONTEXT_MAX_CHARS]
    sure_rows = sorted(_rows_of(lines[key]) for key in trusted)
    bands = [(*_with_context(top, bottom, sure_rows), False)
             if any(top <= line_top and line_bottom <= bottom for line_top, line_bottom in short)
             else (top, bottom, False) for top, bottom, _ in bands]
    ink_level = int(cfg["seal_clip_level"])
    seals = ocr_marks.find_seal_rows(image, ink_level, int(cfg["dpi"]))
    seals = [ocr_marks.to_blank_rows(image, *_to_whole_lines(top, bottom, lines.values()), ink_level, char)
             for top, bottom in seals]
    bands = _merge_bands(bands + [(top, bottom, True) for top, bottom in seals])
    chosen: list[tuple[int, int, bool]] = []
    crops: list[Image.Image] = []
    for top, bottom, seal in bands:
        band = image.crop((0, top, width, bottom))
        dark = sum(band.histogram()[:ink_level])
        # Little ink is dust, unless the first look found a line there it doubted (a date in thin
        # strokes read as 有, 46: on a sparse page `char` is line-tall and the ink test too strict).
        holds_doubted = any(top <= line_top and line_bottom <= bottom for line_top, line_bottom in doubted)
        if not seal and not holds_doubted and dark < float(cfg["gap_reread_ink"]) * char * char:
            continue
        clipped = ocr_marks.erase_rules(band.point(lambda v: 255 if v >= ink_level else v), ink_level, char)
        chosen.append((top, bottom, seal))
        crops.append(ImageOps.expand(clipped, border=char, fill=255))
    if not crops:
        return words
    # All bands in one Tesseract run, and their doubtful lines in one more: the model loads twice a page.
    model = ocr_model(settings)
    readings = run_tesseract_many(crops, model, 6, workdir, _remaining(deadline))
    readings = _reread_band_lines(crops, readings, model, trusted_conf, workdir, deadline)
    kept = list(words)
    for (top, bottom, seal), read in zip(chosen, readings, strict=True):
        found: list[_Word] = []
        for word in read:
            if word.conf < float(cfg["gap_reread_min_conf"]):
                continue
            word.left -= char
            word.top += top - char
            word.line_key = (_SECOND_LOOK_BLOCK + top, *word.line_key[1:])
            found.append(word)
        found = _without_leading_marks(found)
        if found:
            kept = _take_second_look(kept, lines, trusted, found, top, bottom, seal, lost)
    return kept


def _without_leading_marks(words: list[_Word]) -> list[_Word]:
    """The words without marks that open a line: no Chinese line starts with 。，、；(避头点), so
    there they are specks, and their boxes would stretch the line onto the rows of the next one
    (。、景民函[2023]3号 reaching down onto the 分类 line, which then claimed it)."""
    opening: set[int] = set()
    for group in ocr_vote.lines_of(words).values():
        for word in sorted(group, key=lambda w: w.left):
            if word.text and all(ch in LINE_START_MARKS for ch in word.text):
                opening.add(id(word))
                continue
            break
    return [w for w in words if id(w) not in opening]


def _reread_band_lines(
    bands: list[Image.Image], readings: list[list[_Word]], model: Model, below: float, workdir: Path,
    deadline: float,
) -> list[list[_Word]]:
    """Each band's reading with each doubtful stretch of its lines read again on its own rows.

    Read as one tall image, a band holding a few lines far apart (a signature, a contact line, a
    抄送 line between the 版记's rules) comes back in fragments: one line as a dozen pieces on
    overlapping rows (杨 | 为艳 | 博 | ，联 | 系电 …, confidence 20-90). Lines on overlapping rows are
    taken together; the rows of each such stretch holding a line read below `below` are cropped
    and read again, all bands' stretches in one Tesseract run; a crop's reading replaces the words
    on its rows when it scores higher than they do (联系人:杨艳博，联系电话:0798-8284249 at 82).
    """
    stretches = [(band_index, top, bottom) for band_index, words in enumerate(readings)
                 for top, bottom in _doubtful_stretches(words, below)]
    if not stretches:
        return readings
    pads = [(bottom - top) // 4 for _, top, bottom in stretches]
    origins = [max(0, top - pad) for (_, top, _), pad in zip(stretches, pads, strict=True)]
    crops = [ImageOps.expand(bands[b].crop((0, origin, bands[b].width, min(bands[b].height, bottom + pad))),
                             border=_BAND_LINE_BORDER, fill=255)
             for (b, _, bottom), origin, pad in zip(stretches, origins, pads, strict=True)]
    found = run_tesseract_many(crops, model, 6, workdir, _remaining(deadline))
    kept = [list(words) for words in readings]
    for index, ((b, top, bottom), origin, reading) in enumerate(zip(stretches, origins, found, strict=True)):
        for word in reading:
            word.left -= _BAND_LINE_BORDER
            word.top += origin - _BAND_LINE_BORDER
            # Keys unique per crop: the band's caller keeps paragraph and line, and so must tell them apart.
            word.line_key = (0, _BAND_LINE_KEY + index * _BAND_LINE_KEY + word.line_key[1], word.line_key[2])
        # The crop's margins show the edges of the lines around the stretch, which the band read
        # already: only what lies on the stretch's own rows counts (else a heading came twice).
        reading = [w for w in reading if top <= w.top + w.height / 2 < bottom]
        inside = [w for w in kept[b] if top <= w.top + w.height / 2 < bottom]
        if not reading or mean_confidence(reading) <= mean_confidence(inside):
            continue
        replaced = {id(w) for w in inside}
        kept[b] = [w for w in kept[b] if id(w) not in replaced] + reading
    return kept


def _doubtful_stretches(words: list[_Word], below: float) -> list[tuple[int, int]]:
    """Row ranges of lines on overlapping rows, taken together, where one of them scores under `below`."""
    stretches: list[tuple[int, int, bool]] = []
    rows = sorted((*_rows_of(group), mean_confidence(group) < below)
                  for group in ocr_vote.lines_of(words).values())
    for top, bottom, doubtful in rows:
        if stretches and top < stretches[-1][1]:
            last = stretches[-1]
            stretches[-1] = (last[0], max(last[1], bottom), last[2] or doubtful)
        else:
            stretches.append((top, bottom, doubtful))
    return [(top, bottom) for top, bottom, doubtful in stretches if doubtful]


def _has_lost_run(group: list[_Word]) -> bool:
    """Whether a line holds `_LOST_RUN` Chinese words in a row read below `_LOST_RUN_CONF`: where
    Tesseract lost its way in a long line and skipped what is printed (…常委会代表全市大大 for
    …代表工作委员会，市人大), or Latin letters inside Chinese (代表了ff委员会). A table's rules read as bars
    at low confidence are no lost text: marks and digits are passed over. A line whose last
    number is read below `_LOST_END_CONF` lost its end (联系电话：1 where a mobile number is
    printed); a doubtful letter there is a 分类 code, which `_reread_category_codes` reads again."""
    ordered = sorted(group, key=lambda w: w.left)
    marked = [w for w in ordered if any(ch.isalnum() for ch in w.text)]
    if marked and any(ch.isdigit() for ch in marked[-1].text) and 0 <= marked[-1].conf < _LOST_END_CONF:
        return True
    run = 0
    for word in ordered:
        if not any(is_cjk(ch) or ch.isascii() and ch.isalpha() for ch in word.text):
            continue
        run = run + 1 if 0 <= word.conf < _LOST_RUN_CONF else 0
        # A doubtful run of Latin letters in a Chinese line stands for Chinese lost (对ae议第136号…
        # where 对市政协十四届二次会议第136号… is printed).
        latin = len(word.text) >= _LOST_RUN and word.text.isascii() and word.text.isalpha()
        if run >= _LOST_RUN or (run and latin and _han_count(group) >= _TEXT_LINE_HAN):
            return True
    return False


def _take_second_look(
    kept: list[_Word], lines: dict[tuple[int, int, int], list[_Word]], trusted: set[tuple[int, int, int]],
    found: list[_Word], top: int, bottom: int, seal: bool, lost: set[tuple[int, int, int]] = frozenset(),
) -> list[_Word]:
    """The page's words after one band's second look.

    A doubtful first-look line is replaced by the second look's reading of its rows when that
    holds more Chinese characters (what the seal hid) or scores higher; a clipped re-read of a
    line with no seal on it scores lower (任泛委员 for 任辉委员) and the first reading stays, for
    the short-line vote to check. A doubtful line the second look found nothing on (grey text the
    clipping whitened, a 发文字号 beside a seal) is still the only reading there is. A trusted line
    stays unless the band holds a seal and the second look read more Chinese on its rows (the
    entry the seal's edge hid); a second-look line on the rows of a line that stays is dropped,
    so nothing is read twice. A sure line looked at again only for a `lost` run of words gives way
    only to one line scoring higher (read in fragments, 尊敬的汤鳃安委员 came back as 苯放昌 / 了 / 汤僵安).
    """
    found_lines = ocr_vote.lines_of(found)
    replaced: set[tuple[int, int, int]] = set()
    dropped: set[tuple[int, int, int]] = set()
    placed: set[tuple[int, int, int]] = set()  # second-look lines on the rows of a first-look line
    for key, group in lines.items():
        over = [k for k, fl in found_lines.items() if _overlaps_rows(group, fl)]
        if not over:
            continue
        placed.update(over)
        in_band = top <= min(w.top for w in group) + _line_height(group) / 2 < bottom
        second = [w for k in over for w in found_lines[k]]
        more = _reads_more(second, group)
        better = more or mean_confidence(second) > mean_confidence(group)
        if key in lost:
            better = len(over) == 1 and mean_confidence(second) > mean_confidence(group)
        if in_band and ((key not in trusted and better and _plausible_new_line(second)) or (seal and more)):
            replaced.add(key)
            _drop_stutter(second, group)
        else:
            # A line that stays (also one just outside the band, whose rows the band clipped).
            dropped.update(over)
    kept = [w for w in kept if w.line_key not in replaced]
    for key, group in found_lines.items():
        if key not in placed and not _plausible_new_line(group):
            # On rows the first look left empty, a seal's ring read as marks (1 4111 INANAL 上月).
            dropped.add(key)
    return kept + [w for k, fl in found_lines.items() if k not in dropped for w in fl if w.text]


def _drop_stutter(second: list[_Word], first: list[_Word]) -> None:
    """Drop a character the second look read twice where the first look read it once (上上海市 for
    上海市: a glyph at the edge of the band's crop, read again). A doubled character the first look
    also read doubled (常常) stays."""
    ordered = sorted(second, key=lambda w: (w.line_key, w.left))
    was = "".join(w.text for w in sorted(first, key=lambda w: w.left))
    now = "".join(w.text for w in ordered)
    outcome = list(now)
    for tag, _i1, _i2, j1, j2 in SequenceMatcher(None, was, now, autojunk=False).get_opcodes():
        if tag != "insert" or j2 - j1 != 1 or not is_cjk(now[j1]):
            continue
        doubled = (j1 > 0 and now[j1 - 1] == now[j1]) or (j2 < len(now) and now[j2] == now[j1])
        if doubled and now[j1] * 2 not in was:
            outcome[j1] = ""
    ocr_vote.apply_vote(ordered, outcome)


def _is_garble(words: list[_Word]) -> bool:
    """A reading worth nothing: no Chinese character, scored below `_GARBLE_CONF`."""
    return _han_count(words) == 0 and mean_confidence(words) < _GARBLE_CONF


def _plausible_new_line(words: list[_Word]) -> bool:
    """A second-look reading worth having: read with confidence, or mostly Chinese and more than one
    character (not a seal's ring, nor the stub of a rule read as 四 at 0)."""
    chars = sum(len(w.text) for w in words)
    han = _han_count(words)
    return mean_confidence(words) >= _NEW_LINE_CONF or (han >= _NEW_LINE_HAN_SHARE * chars and han > 1)


def _reads_more(second: list[_Word], first: list[_Word]) -> bool:
    """The second look read what the seal hid: more Chinese, or as much and a longer run of digits
    (a telephone number whose end runs under the seal's ring: 联系电话：079 | 0798-8284249); not
    marks after the full stop that ends the first reading."""
    more_han = _han_count(second) - _han_count(first)
    was = "".join(w.text for w in sorted(first, key=lambda w: w.left))
    now = "".join(w.text for w in sorted(second, key=lambda w: (w.line_key, w.left)))
    if was.endswith("。") and now.startswith(was):
        # A sentence the first look read to its full stop has nothing hidden after it: a seal's
        # mark read there (提出宝贵意见和建议。机) is no more text.
        return False
    return more_han > 0 or (more_han == 0 and _digit_count(second) - _digit_count(first) >= _HIDDEN_DIGITS)


def _digit_count(words: list[_Word]) -> int:
    return sum(ch.isdigit() for w in words for ch in w.text)


def _han_count(words: list[_Word]) -> int:
    return sum(is_cjk(ch) for w in words for ch in w.text)


def _to_whole_lines(top: int, bottom: int, lines: Iterable[list[_Word]]) -> tuple[int, int]:
    """A seal's rows grown to take in every first-look line they cut through.

    A seal's ring ends where it ends, often halfway down the 抄送 line under it: read in a band
    that shows only the top of that line's glyphs, the line comes out as marks, and the entry the
    seal hid is lost again (市政府督查室 read as 吕玛).
    """
    for group in lines:
        line_top = min(w.top for w in group)
        line_bottom = line_top + _line_height(group)
        if line_top < top < line_bottom:
            top = line_top
        if line_top < bottom < line_bottom:
            bottom = line_bottom
    return top, bottom


def _rows_of(group: list[_Word]) -> tuple[int, int]:
    """The rows a line's words take up: (top, bottom)."""
    return min(w.top for w in group), max(w.top + w.height for w in group)


def _with_context(top: int, bottom: int, sure_rows: list[tuple[int, int]]) -> tuple[int, int]:
    """A band holding a short doubted line grown to take in the sure line above it and the one below.

    Alone in its band, a short line in thin strokes reads as fragments (尊敬的贺艳旭委员： as 名 | 扩 |
    莉名历日朵, all under 35); with a line of text above and below it Tesseract sizes the glyphs
    right and reads it at 74. The sure lines themselves stay as the first look read them. A long
    doubted line (a title) is read alone: with context, …的提案》的答复 came back worse (77 against 85).
    """
    above = [line for line in sure_rows if line[1] <= top + 1]
    below = [line for line in sure_rows if line[0] >= bottom - 1]
    return (max(above, key=lambda line: line[1])[0] if above else top,
            min(below, key=lambda line: line[0])[1] if below else bottom)


def _merge_bands(bands: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """Overlapping bands as one; a band holds a seal if any of its parts did."""
    merged: list[tuple[int, int, bool]] = []
    for top, bottom, seal in sorted(bands):
        if merged and top <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], bottom), last[2] or seal)
        else:
            merged.append((top, bottom, seal))
    return merged


def _line_height(group: list[_Word]) -> int:
    return max(w.top + w.height for w in group) - min(w.top for w in group)


def _overlaps_rows(group: list[_Word], found: list[_Word]) -> bool:
    """Whether any word of `found` shares most of its rows, or most of this line's, with this line."""
    top = min(w.top for w in group)
    bottom = top + _line_height(group)
    return any(
        min(bottom, w.top + w.height) - max(top, w.top) > 0.5 * min(bottom - top, w.height) for w in found
    )


# --- doubtful short lines read again, readings put to a vote -----------------------------------


def _reread_doubtful_lines(
    image: Image.Image, words: list[_Word], settings: Settings, workdir: Path, deadline: float
) -> list[_Word]:
    """Read short lines holding a doubtful word again in several renderings; keep what most readings say.

    psm 6 on each crop: chi_sim with psm 7 (one line) reads most crops as one or two marks, and a
    stack of crops in one image is cut into lines wrongly. All crops go to one Tesseract run (a
    list of images), so the language model is loaded once per page.
    """
    cfg = settings["ocr"]
    groups = ocr_vote.doubtful_lines(words, float(cfg["reread_below"]), int(cfg["reread_max_chars"]),
                                     int(cfg["reread_lines"]),
                                     lambda w: _second_look([w]))
    if not groups:
        return words
    crops = [image.crop(ocr_vote.line_box(group, image.size)) for group in groups]
    shown = [render(crop) for render in ocr_vote.renderings(float(cfg["reread_scale"])) for crop in crops]
    found = run_tesseract_many(shown, ocr_model(settings), 6, workdir, _remaining(deadline))
    readings = _crop_readings(found, len(crops))
    for group, others in zip(groups, readings, strict=True):
        first = "".join(w.text for w in group)
        whole = ocr_vote.agreed_reading(others, _GARBLE_VOTES) if _is_garble(group) else None
        if whole:
            ocr_vote.apply_vote(group, [whole] + [""] * (len(first) - 1))
            continue
        ocr_vote.apply_vote(group, ocr_vote.vote(first, others))
    return [w for w in words if w.text]


def _crop_readings(found: list[list[_Word]], crops: int) -> list[list[str]]:
    """Per crop, its text in each rendering (one Tesseract run read renderings x crops images, the
    crops of one rendering after another), words in reading order."""
    return [[reading.text for reading in _crop_word_readings(found, crops, i)] for i in range(crops)]


def _crop_word_readings(found: list[list[_Word]], crops: int, index: int) -> list[ocr_vote.Reading]:
    """Crop `index`'s reading in each rendering, with its characters' confidences (see `_crop_readings`)."""
    return [ocr_vote.Reading.of(sorted(found[k * crops + index], key=lambda w: (w.line_key, w.left)))
            for k in range(len(found) // crops)]


# --- names read by a second model --------------------------------------------------------------

# Longest line read again for a name: a contact line with phone and e-mail runs to about 40 marks.
_NAME_LINE_MAX_CHARS = 48
# A second reading this much surer than the first (mean confidence) is merged when it shares this
# much with it (difflib ratio), not the usual `MERGE_MIN_RATIO`.
_NAME_SURER_BY = 20.0
_NAME_MERGE_SURE_RATIO = 0.4
# A name's character the fast model reads this surely, alike in every rendering, stands against the
# names model (高锋 read as 高银 in all four renderings by it; the fast model reads 锋 at 89-93).
_NAME_FAST_SURE = 85.0


def _reread_name_lines(
    image: Image.Image, words: list[_Word], model: Model, fast: Model, limit: int, scale: float,
    workdir: Path, deadline: float,
) -> list[_Word]:
    """Read the lines printing a person's name with the second model; take its Chinese where they differ.

    Debian's chi_sim (tessdata_fast) misreads some surnames and given names with confidence 90+ in
    every rendering (熊 -> 能, 吕 -> 昌, 淑 -> 涉); tessdata's larger chi_sim reads them, but reads
    running text worse, so it only gets these lines (all in one Tesseract run, psm 6 per crop). It
    reads each line in the renderings of the doubtful-line vote (`ocr_vote.merged_name_line`). The
    `fast` model reads the same renderings, and `ocr_vote.settle_names` weighs the two where they
    differ.
    """
    groups = ocr_vote.name_lines(words, _NAME_LINE_MAX_CHARS, limit)
    if not groups:
        return words
    crops = [image.crop(ocr_vote.line_box(group, image.size)) for group in groups]
    shown = [render(crop) for render in ocr_vote.renderings(scale) for crop in crops]
    found = run_tesseract_many(shown, model, 6, workdir, _remaining(deadline))
    fast_found = run_tesseract_many(shown, fast, 6, workdir, _remaining(deadline))
    surnames = ocr_vote.load_surnames()
    for index, group in enumerate(groups):
        first = ocr_vote.Reading.of(group)
        second = _crop_word_readings(found, len(crops), index)  # the first rendering: as scanned
        outcome = ocr_vote.merged_name_line(first, second, _NAME_SURER_BY, _NAME_MERGE_SURE_RATIO)
        outcome = ocr_vote.settle_names(first, outcome, _crop_word_readings(fast_found, len(crops), index),
                                        second, surnames, _NAME_FAST_SURE)
        ocr_vote.apply_vote(group, outcome)
    return [w for w in words if w.text]


# --- the 分类 code ------------------------------------------------------------------------------

# The 分类 label of a reply (分类：B); what follows it is a Latin letter and maybe a digit.
_CATEGORY_LABEL = re.compile(r"^(分类|类别|办理类别|答复类别|办理结果类别)[:：]?(.*)$")
_CATEGORY_CODE = re.compile(r"^[A-D][0-9]?$")
_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-D][0-9]?)(?![A-Za-z0-9])")
# An English read of a few specks finds letters too, scoring low; a printed code scores 80-95.
_CODE_MIN_CONF = 60.0


def _label_end(ordered: list[_Word], label_chars: int) -> int:
    """Where the word holding the label's last character ends (its right edge, in pixels)."""
    seen = 0
    for word in ordered:
        seen += len(word.text)
        if seen >= label_chars:
            # A word running on past the label (类上) ends later than the label does.
            return word.left + round(word.width * (1 - (seen - label_chars) / len(word.text)))
    return ordered[-1].left + ordered[-1].width


def _reread_category_codes(
    image: Image.Image, words: list[_Word], model: Model, workdir: Path, deadline: float
) -> list[_Word]:
    """Read the code after a 分类 label again with a Latin model when chi_sim did not give one.

    chi_sim reads a lone B as 也 or drops it; an English read of just the few characters after
    the label reads the letter that is printed. Nothing is filled in when that read finds no code.
    """
    if unavailable_reason(model) is not None:
        return words
    lines = ocr_vote.lines_of(words)
    replaced: dict[tuple[int, int, int], list[_Word]] = {}
    for key, group in lines.items():
        ordered = sorted(group, key=lambda w: w.left)
        label = _CATEGORY_LABEL.match("".join(w.text for w in ordered))
        if not label or _CATEGORY_CODE.match(label.group(2)):
            continue
        pitch = _font_size(ordered)
        top = min(w.top for w in ordered)
        bottom = max(w.top + w.height for w in ordered)
        best: tuple[float, str, tuple[int, int, int, int]] | None = None
        # A short line's pitch is a rough guess, so the crop is tried from a few starting points, the
        # first where the label's last character ends (a lost colon leaves the code right after it).
        starts = [_label_end(ordered, len(label.group(1))) + 0.1 * pitch] + [
            ordered[0].left + (len(label.group(1)) + offset) * pitch for offset in (0.2, 0.6, 1.0)]
        for start in starts:
            box = (int(start), int(top - 0.3 * pitch), int(start + 5 * pitch), int(bottom + 0.3 * pitch))
            for found in run_tesseract(image.crop(box), model, 7, workdir, _remaining(deadline)):
                code = _CODE_TOKEN.search(found.text)
                if code and (best is None or found.conf > best[0]):
                    best = (found.conf, code.group(1), box)
        if best is None or best[0] < _CODE_MIN_CONF:
            continue
        conf, code, box = best
        kept = [w for w in ordered if w.left < box[0]]
        kept.append(_Word(code, box[0], box[1], box[2] - box[0], box[3] - box[1], conf, key))
        replaced[key] = kept
    if not replaced:
        return words
    return [w for w in words if w.line_key not in replaced] + [w for ws in replaced.values() for w in ws]
