"""Second readings of the lines Tesseract doubted, and a character-wise vote between all readings.

The fields of a GB/T 9704 document sit on short lines (发文字号, title, 主送, 署名, 成文日期, 抄送)
where one misread character spoils the whole value. A line holding a low-confidence word is cut out of
the page and read again in a few renderings (plain, binarised, enlarged); all crops of a page go to
one Tesseract run, so a page costs one extra run, not one per line. A character of the first
reading changes only when most readings agree on another.

Lines naming a person get a different treatment (`name_lines`, `merge_han`, `settle_names`): no
rendering mends a name Tesseract's fast model misreads with confidence (熊 as 能, in every
rendering), so they are read by a second, larger model and its Chinese characters are taken where
the two differ, unless a surname, the fast model's sure and unanimous reading, or the confidence of
all readings together says otherwise.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from PIL import Image

from ingest.quality import is_cjk

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


LineKey = tuple[int, int, int]


def lines_of(words: Sequence[Word]) -> dict[LineKey, list[Word]]:
    """Words grouped by Tesseract's (block, paragraph, line), in reading order within each line as given."""
    lines: dict[LineKey, list[Word]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    return lines


def doubtful_lines(
    words: Sequence[Word], below: float, max_chars: int, limit: int, skip: Callable[[Word], bool]
) -> list[list[Word]]:
    """Lines holding a word read with confidence under `below`, at most `max_chars` long, worst first."""
    chosen = []
    for group in lines_of([w for w in words if not skip(w)]).values():
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


def vote(first: str, others: Sequence[str], plurality: bool = False) -> list[str]:
    """For each character of `first`, what most readings put there ("" = dropped, 2+ chars = insertion).

    Each other reading is aligned to the first; a reading that shares too little with it (a crop read
    as garbage) does not vote. A position changes only when a strict majority of all readings agrees,
    or with `plurality` when more readings name another choice than name the first's (a tie keeps it).
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
        wins = count > ballot[first[index]] if plurality else count * 2 > voters
        result.append(choice if wins else first[index])
    return result


def agreed_reading(others: Sequence[str], min_votes: int) -> str | None:
    """The reading holding Chinese that at least `min_votes` renderings give letter for letter, if one.

    For a first reading worth nothing (a line of thin strokes, 一九九六年二月九日, read as OO with
    confidence 17): no character of it can be voted on, but the binarised renderings read the line.
    """
    ballots = Counter(other for other in others if any(is_cjk(ch) for ch in other))
    if not ballots:
        return None
    reading, votes = ballots.most_common(1)[0]
    return reading if votes >= min_votes else None


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


# Lines printing a person's name: the contact line (联系人：… / 联系电话) and a salutation ending in
# the addressee's role (尊敬的熊飞委员：, 周桂英等代表：).
_CONTACT_LINE = re.compile(r"联系人|系人[:：]|联系电话")
_SALUTATION_LINE = re.compile(r"(委员|代表|同志)[:：;；]?$")
# The printed words of those lines around the name.
_NAME_LINE_LABELS = re.compile(r"联系人|联系电话|电子邮箱|尊敬的|委员|代表|同志")
_HAN = re.compile(r"^[\u3400-\u9fff]+$")
# A salutation is short: 尊敬的 + a name of up to four characters (or a few names) + role + colon.
_SALUTATION_MAX = 16
# Readings sharing less than this (difflib ratio) are of different crops: no merge.
MERGE_MIN_RATIO = 0.6


def name_lines(words: Sequence[Word], max_chars: int, limit: int) -> list[list[Word]]:
    """The page's lines (words left to right) that print a person's name, at most `limit`, top first."""
    chosen = []
    for group in lines_of(words).values():
        ordered = sorted(group, key=lambda w: w.left)
        text = "".join(w.text for w in ordered)
        if len(text) > max_chars:
            continue
        if _CONTACT_LINE.search(text) or (len(text) <= _SALUTATION_MAX and _SALUTATION_LINE.search(text)):
            chosen.append(ordered)
    chosen.sort(key=lambda group: min(w.top for w in group))
    return chosen[:limit]


def keep_labels(first: str, outcome: list[str]) -> list[str]:
    """`outcome` (shaped as `merge_han`'s) with the printed words around a name (联系人, 联系电话,
    尊敬的, 委员 …) as `first` read them: enlarged, the second model reads 联系 as 联采 in three
    renderings of four, and the fast model reads these words right."""
    for label in _NAME_LINE_LABELS.finditer(first):
        outcome[label.start() : label.end()] = list(label.group())
    return outcome


def merge_han(first: str, second: str, min_ratio: float = MERGE_MIN_RATIO) -> list[str]:
    """For each character of `first`, what to put there: `second`'s Chinese where both read Chinese.

    Digits, Latin and marks stay as first read (the fast model reads those as well as the larger
    one); a span of Chinese characters the two read differently takes the second reading, also when
    it is shorter or longer (张了次 -> 张欣), and a lone Chinese character before another that the
    second does not read at all goes. Same shape as `vote`'s result, for `apply_vote`. Readings
    sharing less than `min_ratio` (difflib) are of different things and are not merged.
    """
    result = list(first)
    if not second or SequenceMatcher(None, first, second, autojunk=False).ratio() < min_ratio:
        return result
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, first, second, autojunk=False).get_opcodes():
        ours, theirs = first[i1:i2], second[j1:j2]
        if tag == "delete" and len(ours) == 1 and _HAN.match(ours) and _HAN.match(first[i2 : i2 + 1]):
            # One Chinese character before a name that the second model sees nothing of (联系人：和孙波金:
            # the fast model makes 和 of the blank after a full-width colon).
            result[i1] = ""
            continue
        if tag != "replace":
            continue
        if _HAN.match(ours) and _HAN.match(theirs):
            result[i1:i2] = [theirs] + [""] * (i2 - i1 - 1)
        elif len(ours) == len(theirs):
            for k, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
                if _HAN.match(mine) and _HAN.match(other):
                    result[i1 + k] = other
    return result


# --- settling a name between the two models ------------------------------------------------------

SURNAMES_FILE = Path(__file__).resolve().parent / "data" / "surnames.txt"
# Where a name starts: after these printed words (and after any mark), the next Chinese character.
_NAME_START_LABELS = re.compile(r"联系人及联系电话|联系人|联系电话|电子邮箱|尊敬的|委员|代表|同志|及|等")


@dataclass
class Reading:
    """A line as one model read it in one rendering: its text and each character's confidence."""

    text: str
    confidences: list[float]

    @classmethod
    def of(cls, words: Sequence[Word]) -> Reading:
        """The reading of words in reading order (a word's confidence is each of its characters')."""
        return cls("".join(w.text for w in words), [w.conf for w in words for _ in w.text])

    def mean_confidence(self) -> float:
        """Mean over characters (as `ocr.mean_confidence` weighs words by their characters)."""
        scored = [conf for conf in self.confidences if conf >= 0]
        return round(sum(scored) / len(scored), 1) if scored else 0.0


def merged_name_line(
    first: Reading, second: Sequence[Reading], surer_by: float, sure_ratio: float
) -> list[str]:
    """A name line's first reading with the second model's Chinese taken in (`merge_han`), labels kept.

    Each character of the second reading is what most of the second model's renderings say (as
    scanned 曹易, enlarged 曹昊 twice, binarised 曹晟: 曹昊). A first reading Tesseract doubted
    (章误的囊晖烛代表, 54) shares little with a sure second one (尊敬的袁晖旭代表, 90): when the
    second reads `surer_by` more, the merge asks only `sure_ratio` in common.
    """
    texts = [reading.text for reading in second]
    voted = "".join(vote(texts[0], texts[1:], plurality=True)) if texts else ""
    sure = bool(second and second[0].confidences) and \
        second[0].mean_confidence() >= first.mean_confidence() + surer_by
    ratio = sure_ratio if sure else MERGE_MIN_RATIO
    return keep_labels(first.text, merge_han(first.text, voted, ratio))


@functools.lru_cache(maxsize=2)
def load_surnames(path: str = str(SURNAMES_FILE)) -> frozenset[str]:
    """The common surnames of `ingest/data/surnames.txt` (characters separated by blanks, # comments)."""
    text = Path(path).read_text(encoding="utf-8")
    return frozenset(ch for line in text.splitlines() for ch in line.split("#", 1)[0].split())


def name_starts(text: str) -> set[int]:
    """Positions of `text` where a person's name begins: a Chinese character after a mark or a label."""
    masked = _NAME_START_LABELS.sub(lambda m: "#" * len(m.group()), text)
    return {i for i, ch in enumerate(masked)
            if _HAN.match(ch) and (i == 0 or not _HAN.match(masked[i - 1]))}


def aligned(first: str, other: str) -> list[int | None] | None:
    """Where in `other` each character of `first` was read (an index; -1 dropped, None no opinion);
    None when the two share too little (difflib ratio under `MERGE_MIN_RATIO`) to be one line's."""
    matcher = SequenceMatcher(None, first, other, autojunk=False)
    if not other or matcher.ratio() < MERGE_MIN_RATIO:
        return None
    seen: list[int | None] = [None] * len(first)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            seen[i1:i2] = range(j1, j2)
        elif tag == "delete":
            seen[i1:i2] = [-1] * (i2 - i1)
        elif tag == "replace" and _HAN.match(other[j1:j2]):
            # Marks read beside the characters (|南 for 陶): the Chinese characters pair up in order.
            han = [i for i in range(i1, i2) if _HAN.match(first[i])]
            if len(han) == j2 - j1:
                for i, j in zip(han, range(j1, j2), strict=True):
                    seen[i] = j
    return seen


def settle_names(
    first: Reading, outcome: list[str], fast: Sequence[Reading], second: Sequence[Reading],
    surnames: frozenset[str], sure: float,
) -> list[str]:
    """`outcome` (shaped as `merge_han`'s) with each name character settled between the two models.

    The second model mends what the fast one misreads with confidence (熊 as 能), but has misreadings
    of its own (锋 as 银, 莫 as 兹, 萌 as 萍) that no confidence of its tells apart. Three things do:
    - a name's first character is a surname: where the outcome's is not one and some reading (the
      `first`, the fast model's renderings `fast`, the second model's `second`) gives one, the surname
      read most often is taken; a surname the second model read stands;
    - elsewhere, a character the fast model read with confidence `sure` or more, alike in every one of
      its renderings, stands against the second model;
    - where the second model's renderings, each with an opinion, do not mostly agree on their own
      (袁军萌: 萍 twice, 萌 twice), the character with the most confidence summed over the readings
      of both models is taken (萌: 394, 萍: 139).
    A tie changes nothing.
    """
    def at(readings: Sequence[Reading]) -> list[tuple[Reading, list[int | None]]]:
        return [(reading, seen) for reading in readings if (seen := aligned(first.text, reading.text))]

    fast_seen, second_seen = at(fast), at(second)
    all_seen = [(first, list(range(len(first.text)))), *fast_seen, *second_seen]

    def read_at(reading: Reading, seen: list[int | None], i: int) -> str | None:
        j = seen[i]
        return None if j is None else "" if j < 0 else reading.text[j]

    starts = name_starts("".join(o if len(o) == 1 else f for o, f in zip(outcome, first.text, strict=True)))
    result = list(outcome)
    for i, (mine, chosen) in enumerate(zip(first.text, outcome, strict=True)):
        if not _HAN.match(mine) or len(chosen) != 1:
            continue
        if i in starts:
            if chosen in surnames:
                continue
            ballot = Counter(ch for reading, seen in all_seen
                             if (ch := read_at(reading, seen, i)) in surnames).most_common(2)
            if ballot and (len(ballot) == 1 or ballot[0][1] > ballot[1][1]):
                result[i] = ballot[0][0]
                continue
        if chosen == mine or not _HAN.match(chosen):
            continue
        if fast and len(fast_seen) == len(fast) and first.confidences[i] >= sure and all(
                read_at(reading, seen, i) == mine for reading, seen in fast_seen):
            result[i] = mine
            continue
        opinions = [read_at(reading, seen, i) for reading, seen in second_seen]
        if len(second) and sum(ch is not None for ch in opinions) == len(second) and \
                opinions.count(chosen) * 2 <= len(second):
            weights: Counter[str] = Counter()
            for reading, seen in all_seen:
                if (j := seen[i]) is not None and j >= 0 and _HAN.match(reading.text[j]):
                    weights[reading.text[j]] += reading.confidences[j]
            best = weights.most_common(2)
            if best and (len(best) == 1 or best[0][1] > best[1][1]):
                result[i] = best[0][0]
    return result
