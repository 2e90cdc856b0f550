"""Marks on a scanned page that are not text: seals, the 版记's rules, and the blank rows between lines.

The OCR second look (`ingest/ocr.py`) reads again the bands of a page where Tesseract lost text;
these functions find where those bands are (a seal's rows, grown out to blank rows) and clear a
band of what is not print before it is read (long horizontal rules). Pure image work on a page
rendered in grey: Pillow only, no Tesseract.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

# Seal finding: marks darker than this are ink cores; lighter than the second, paper; grid cells of
# this many pixels holding this share of seal marks are seal; seals are this many mm across.
_SEAL_INK_CORE = 80
_SEAL_LIGHTEST = 190
_SEAL_CELL = 16
_SEAL_DENSITY = 0.08
# A cell is seal, not print, when its ink cores are under this share of its mid-grey pixels.
_SEAL_INK_SHARE = 0.3
_SEAL_MIN_MM = 25
_SEAL_MAX_MM = 60
# A row of a page holding more ink than this share of a character's height cuts through a line.
_INK_ROW_SHARE = 0.25
# A rule: a chain of at least this many character-wide cells, each this share dark, each on the
# rows of the last give or take one (a scan turns a rule by up to a degree); it is whitened this
# many rows either side of its path.
_RULE_CELLS = 12
_RULE_DARK_SHARE = 0.6
_RULE_REACH = 3


def find_seal_rows(image: Image.Image, ink_level: int, dpi: int) -> list[tuple[int, int]]:
    """Row ranges (top, bottom) of the seals on a page: round blobs of mid-grey marks, not text.

    A red seal scans as grey lighter than ink and carries no ink of its own: on a coarse grid, its
    cells hold mid-grey pixels but few ink cores (the soft edges of printed strokes come with
    their dark cores). Such cells, joined, find the seal; only a blob about as tall as it is wide,
    25 to 60 mm across, is one (a red masthead or rule is far wider than tall).
    """
    cell = _SEAL_CELL
    size = (max(1, image.width // cell), max(1, image.height // cell))
    # Per grid cell: the share of mid-grey pixels, and of ink cores (printed strokes have both).
    grey = image.point(lambda v: 255 if ink_level - 10 <= v < _SEAL_LIGHTEST else 0).resize(
        size, Image.Resampling.BOX).tobytes()
    ink = image.point(lambda v: 255 if v < _SEAL_INK_CORE else 0).resize(
        size, Image.Resampling.BOX).tobytes()
    columns, rows = size
    dense = {i for i, (g, k) in enumerate(zip(grey, ink, strict=True))
             if g >= _SEAL_DENSITY * 255 and k < _SEAL_INK_SHARE * g}
    found: list[tuple[int, int]] = []
    seen: set[int] = set()
    mm = dpi / 25.4 / cell
    for start in dense:
        if start in seen:
            continue
        stack, blob = [start], []
        seen.add(start)
        while stack:
            i = stack.pop()
            blob.append(i)
            y, x = divmod(i, columns)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    j = (y + dy) * columns + (x + dx)
                    if 0 <= y + dy < rows and 0 <= x + dx < columns and j in dense and j not in seen:
                        seen.add(j)
                        stack.append(j)
        ys = [i // columns for i in blob]
        xs = [i % columns for i in blob]
        tall, wide = (max(ys) - min(ys) + 1) / mm, (max(xs) - min(xs) + 1) / mm
        if _SEAL_MIN_MM <= tall <= _SEAL_MAX_MM and _SEAL_MIN_MM <= wide <= _SEAL_MAX_MM and (
            0.6 <= tall / wide <= 1.6
        ):
            found.append((min(ys) * cell, (max(ys) + 1) * cell))
    return found


def to_blank_rows(image: Image.Image, top: int, bottom: int, ink_level: int, char: int) -> tuple[int, int]:
    """A seal's band with each edge moved out to the nearest row free of ink (at most `char` rows).

    The first look may not have seen a line under the seal at all (抄送 hidden by the ring's
    grey): nothing tells the first look's lines where it ends, and a band ending halfway down its glyphs
    reads it as 抄谱:市政府办公宗市秒府叔杰… where the whole line reads right. A row counts as ink
    when it holds more pixels darker than the seal's clipping level than `_INK_ROW_SHARE` of a
    character's height: the seal's ring is lighter, a speck is smaller.
    """
    width, height = image.size
    origin = max(0, top - char)
    span = image.crop((0, origin, width, min(height, bottom + char)))
    rows = span.point(lambda v: 255 if v < ink_level else 0).resize((1, span.height), Image.Resampling.BOX)
    inked = [v * width / 255 > _INK_ROW_SHARE * char for v in rows.tobytes()]

    def is_ink(y: int) -> bool:
        return 0 <= y - origin < len(inked) and inked[y - origin]

    limit = top - char
    while top > max(0, limit) and is_ink(top):
        top -= 1
    limit = bottom + char
    while bottom < min(height, limit) and is_ink(bottom - 1):
        bottom += 1
    return top, bottom


def erase_rules(band: Image.Image, ink_level: int, char: int) -> Image.Image:
    """The band with its long horizontal rules whitened.

    The 版记 prints its 抄送 and 印发 lines between thin rules; read in one image with them,
    Tesseract takes rule and line for a picture (小>关，二AN二; for 抄送：市政府办公室，市发展改革委。).
    A rule is a chain of at least `_RULE_CELLS` character-wide cells, each mostly ink on one row
    and each on the row of the last one or the next (a scan is turned a little: a rule steps down a
    row every 80 pixels): no line of text has strokes aligned across twelve characters.
    """
    columns = band.width // max(1, char)
    if columns < _RULE_CELLS:
        return band
    height = band.height
    shrunk = band.point(lambda v: 255 if v < ink_level else 0).resize((columns, height), Image.Resampling.BOX)
    dark = [[v >= _RULE_DARK_SHARE * 255 for v in shrunk.crop((x, 0, x + 1, height)).tobytes()]
            for x in range(columns)]
    if not any(map(any, dark)):
        return band  # most bands: no cell dark enough to be part of a rule

    def chain(order: range, step: int) -> list[list[int]]:
        lengths = [[0] * height for _ in range(columns)]
        for x in order:
            before = x - step
            for y in range(height):
                if dark[x][y]:
                    reach = lengths[before][max(0, y - 1):y + 2] if 0 <= before < columns else [0]
                    lengths[x][y] = 1 + max(reach)
        return lengths

    left, right = chain(range(columns), 1), chain(range(columns - 1, -1, -1), -1)
    cells = [(x, y) for x in range(columns) for y in range(height)
             if dark[x][y] and left[x][y] + right[x][y] - 1 >= _RULE_CELLS]
    if not cells:
        return band
    erased = band.copy()
    draw = ImageDraw.Draw(erased)
    for x, y in cells:
        # A cell's own width and one more either side: the rule's ends are only partly dark.
        draw.rectangle(((x - 1) * char, y - _RULE_REACH, (x + 2) * char, y + _RULE_REACH), fill=255)
    return erased
