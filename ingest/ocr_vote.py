"""Second readings of the lines Tesseract doubted, and a character-wise vote between all readings.

The fields of a GB/T 9704 document sit on short lines (发文字号, title, 主送, 署名, 成文日期, 抄送)
where one misread character spoils the whole value. A line holding a low-confidence word is cut out of
the page and read again in a few renderings (plain, binarised, enlarged); all crops of a page go to
one Tesseract run, so a page costs one extra run, not one per line. A character of the first
reading changes only when most readings agree on another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from PIL import Image

# Readings of a line are aligned on these; half-width and full-width marks are told apart by the cleaner.
_BINARY_LEVEL = 150


@dataclass
class Word:
    """One word of Tesseract's TSV: text, box in image pixels, confidence (0-100), (block, par, line)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line_key: tuple[int, int, int]


Renderer = Callable[[Image.Image], Image.Image]


def renderings(scale_up: float) -> list[Renderer]:
    """The ways a doubtful line is shown to Tesseract again: as scanned, binarised, enlarged (both)."""

    def plain(im: Image.Image) -> Image.Image:
        return im

    def binary(im: Image.Image) -> Image.Image:
        return im.point(lambda v: 255 if v > _BINARY_LEVEL else 0)

    def bigger(im: Image.Image) -> Image.Image:
        return im.resize((round(im.width * scale_up), round(im.height * scale_up)), Image.Resampling.LANCZOS)

    def bigger_binary(im: Image.Image) -> Image.Image:
        return binary(bigger(im))

    return [plain, binary, bigger, bigger_binary]


def doubtful_lines(
    words: Sequence[Word], below: float, max_chars: int, limit: int, skip: Callable[[Word], bool]
) -> list[list[Word]]:
    """Lines holding a word read with confidence under `below`, at most `max_chars` long, worst first."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        if not skip(word):
            lines.setdefault(word.line_key, []).append(word)
    chosen = []
    for group in lines.values():
        text = "".join(w.text for w in group)
        worst = min(w.conf for w in group)
        if worst < below and 2 <= len(text) <= max_chars:
            chosen.append((worst, sorted(group, key=lambda w: w.left)))
    chosen.sort(key=lambda item: item[0])
    return [group for _, group in chosen[:limit]]


def line_box(group: Sequence[Word], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The line's box in page pixels with a margin of a third of its height."""
    x0 = min(w.left for w in group)
    x1 = max(w.left + w.width for w in group)
    y0 = min(w.top for w in group)
    y1 = max(w.top + w.height for w in group)
    pad = max(4, (y1 - y0) // 3)
    return max(0, x0 - pad), max(0, y0 - pad), min(size[0], x1 + pad), min(size[1], y1 + pad)


def vote(first: str, others: Sequence[str]) -> list[str]:
    """For each character of `first`, what most readings put there ("" = dropped, 2+ chars = insertion).

    Each other reading is aligned to the first; a reading that shares too little with it (a crop read
    as garbage) does not vote. A position changes only when a strict majority of all readings agrees.
    """
    ballots: list[Counter[str]] = [Counter({ch: 1}) for ch in first]
    voters = 1
    for other in others:
        if not other or SequenceMatcher(None, first, other, autojunk=False).ratio() < 0.6:
            continue
        voters += 1
        seen = [first[i] for i in range(len(first))]
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, first, other, autojunk=False).get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                for k in range(i2 - i1):
                    seen[i1 + k] = other[j1 + k]
            elif tag == "delete":
                for k in range(i1, i2):
                    seen[k] = ""
            elif tag == "insert" and i1 > 0:
                seen[i1 - 1] = seen[i1 - 1] + other[j1:j2]
            elif tag == "replace":
                # Unequal spans: this reading has no opinion on those characters.
                for k in range(i1, i2):
                    seen[k] = first[k]
        for index, choice in enumerate(seen):
            if index < len(ballots) and choice != first[index]:
                ballots[index][choice] += 1
    result = []
    for index, ballot in enumerate(ballots):
        # Readings not naming another choice agree with the first one.
        ballot[first[index]] = voters - sum(n for ch, n in ballot.items() if ch != first[index])
        choice, count = ballot.most_common(1)[0]
        result.append(choice if count * 2 > voters else first[index])
    return result


def apply_vote(group: Sequence[Word], outcome: Sequence[str]) -> bool:
    """Write the voted characters back into the line's words (boxes stay); True if any changed."""
    changed = False
    position = 0
    for word in group:
        pieces = outcome[position : position + len(word.text)]
        position += len(word.text)
        text = "".join(pieces)
        if text != word.text:
            changed = True
            word.text = text
    return changed
