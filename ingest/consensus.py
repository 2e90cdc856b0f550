"""In-document consensus for fields read by OCR: a misread character is outvoted by the document itself.

GB/T 9704 documents repeat themselves: the issuer's place name runs through the body, a title's
words recur in the text, the 发文字号's 机关代字 belongs to the issuer that signs. A character of an
OCR'd field that no other part of the document supports is swapped for the one the document's other
occurrences of the same context agree on. Only OCR'd documents go through this; text layers are exact.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_HAN = re.compile(r"[\u3400-\u9fff]")
# Book-title marks and quotes are context too (the 提案 in 的提案》), never themselves replaced.
_CONTEXT_MARKS = "《》“”"
_CONTEXT = re.compile(rf"[\u3400-\u9fff{_CONTEXT_MARKS}]")
_NOT_CONTEXT = re.compile(rf"[^\u3400-\u9fff{_CONTEXT_MARKS}]+")
# The document's reading must be this many times as frequent as the runner-up to replace a character.
_MAJORITY = 2
# An n-gram must occur at least this often in the document to count as the document's reading.
_SUPPORT = 2
_SIZES = (3, 4)


@dataclass
class DocumentGrams:
    """Han 3- and 4-grams of one document, and for each with one blank, the characters that fill it."""

    counts: Counter[str]
    fills: dict[tuple[str, int], Counter[str]]

    @classmethod
    def of(cls, text: str) -> DocumentGrams:
        counts: Counter[str] = Counter()
        for run in _NOT_CONTEXT.split(text):
            for size in _SIZES:
                for start in range(len(run) - size + 1):
                    counts[run[start : start + size]] += 1
        fills: dict[tuple[str, int], Counter[str]] = {}
        for gram, n in counts.items():
            for blank in range(len(gram)):
                key = (gram[:blank] + "?" + gram[blank + 1 :], blank)
                fills.setdefault(key, Counter())[gram[blank]] += n
        return cls(counts, fills)


def _fill_counts(chars: list[str], start: int, size: int, i: int, grams: DocumentGrams) -> Counter[str]:
    """How often each Han character other than chars[i] fills position i of this n-gram."""
    window = chars[start : start + size]
    if start < 0 or start + size > len(chars) or not all(_CONTEXT.match(c) for c in window):
        return Counter()
    blank = i - start
    pattern = "".join(window[:blank]) + "?" + "".join(window[blank + 1 :])
    found = grams.fills.get((pattern, blank), Counter())
    return Counter({c: n for c, n in found.items() if c != chars[i] and _HAN.match(c)})


def _fillers(chars: list[str], start: int, size: int, i: int, grams: DocumentGrams) -> set[str]:
    """Characters other than chars[i] that fill position i of this n-gram `_SUPPORT`+ times."""
    return {c for c, n in _fill_counts(chars, start, size, i, grams).items() if n >= _SUPPORT}


def repair_value(value: str, grams: DocumentGrams) -> str:
    """`value` with each unsupported Han character replaced by the one the document agrees on.

    A character is unsupported when every trigram holding it occurs at most once (its own occurrence).
    The replacement must fill the same context, with a neighbour on each side, at least `_SUPPORT`
    times: in the trigram centred on it and in a 4-gram around it where the field has one. A context
    on one side only is too weak (华日军 → 对日军 from 加强对日军, 市政府 → the more frequent 民政府),
    so a field's first and last characters are never changed. Where the body itself misread the
    character a few times (陶姿 beside 陶瓷), the reading `_MAJORITY` times as frequent wins.
    """
    chars = list(value)
    for i, ch in enumerate(chars):
        if not _HAN.match(ch) or not 0 < i < len(chars) - 1:
            continue
        trigrams = [chars[s : s + 3] for s in range(i - 2, i + 1) if s >= 0 and s + 3 <= len(chars)]
        if any(grams.counts["".join(t)] >= _SUPPORT for t in trigrams):
            continue
        counts = _fill_counts(chars, i - 1, 3, i, grams)
        winners = {c for c, n in counts.items() if n >= _SUPPORT}
        if i + 2 < len(chars) or i >= 2:
            four = [_fillers(chars, s, 4, i, grams) for s in (i - 2, i - 1)
                    if s >= 0 and s + 4 <= len(chars) and all(_CONTEXT.match(c) for c in chars[s : s + 4])]
            if four:
                winners &= set().union(*four)
        ranked = sorted(winners, key=lambda c: -counts[c])
        if ranked and (len(ranked) == 1 or counts[ranked[0]] >= _MAJORITY * counts[ranked[1]]):
            chars[i] = ranked[0]
    return "".join(chars)


_QUOTED = re.compile(r"“([^“”]{2,30})”")
_MARKS = "、，,；;·"


def repair_quoted(value: str, text: str) -> str:
    """A quoted phrase of `value` the document prints nowhere else, as the document prints it
    `_SUPPORT`+ times with one more mark inside (“双随机一公开” beside “双随机、一公开”, the 、 lost).

    The text prints the field itself once. Only a mark is ever put in: a phrase the text quotes
    with other characters may be another phrase, and the body of a scan has misreadings of its own.
    """
    compact = re.sub(r"\s+", "", text)
    quoted_in_text = Counter(_QUOTED.findall(compact))
    for quoted in _QUOTED.findall(value):
        if quoted_in_text[quoted] >= _SUPPORT:
            continue
        marked = [q for q, n in quoted_in_text.items() if n >= _SUPPORT and _one_mark_more(q, quoted)]
        if len(marked) == 1:
            value = value.replace(f"“{quoted}”", f"“{marked[0]}”")
    return value


def _one_mark_more(longer: str, shorter: str) -> bool:
    """Whether `longer` is `shorter` with one mark (、，；) inside it."""
    return len(longer) == len(shorter) + 1 and any(
        longer[i] in _MARKS and longer[:i] + longer[i + 1 :] == shorter for i in range(1, len(longer) - 1))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short: the plain dynamic programme is enough)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def nearest_unique(value: str, known: list[str], max_distance: int) -> str | None:
    """The one known string closest to `value` within `max_distance` edits; None if none or a tie."""
    scored = sorted((edit_distance(value, k), k) for k in set(known))
    if not scored or scored[0][0] > max_distance:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def repair_doc_number(doc_number: str, issuers: list[str], prefixes: dict[str, str]) -> str:
    """A 发文字号 whose 机关代字 is not one of its signing issuer's, moved to the nearest one that is.

    国办发 read as 国发 or 光发 under 国务院办公厅's signature: the issuer's own prefixes are known
    (`[prefixes]` of issuer_aliases.toml and the store), and OCR drops or swaps one or two characters.
    The 机关代字 starts with the body's abbreviation (国, 景), shared by all its prefixes.
    """
    prefix, bracket, rest = doc_number.partition("〔")
    if not bracket:
        return doc_number
    own = [p for p, issuer in prefixes.items() if issuer in issuers]
    if not own or prefix in own:
        return doc_number
    stems = {p[0] for p in own}
    if prefix not in prefixes and (len(stems) > 1 or prefix[:1] in stems):
        # An unknown prefix starting like the issuer's own (景公字 where only 景公函 is known) may be
        # one the tables have not seen: only a broken stem (光发, 桩公字) or another issuer's prefix
        # (国发 under 国务院办公厅's signature) is a misreading.
        return doc_number
    nearest = nearest_unique(prefix, own, max_distance=2)
    return f"{nearest}〔{rest}" if nearest else doc_number


# The place opening an issuing body's name: 景川市, 梧岭县, 江西省 (not 国务院: no place word).
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,5}?[省市县区州盟旗]")
# A place counts as known once this many known names open with it.
_PLACE_MIN_NAMES = 2
# The length of a place whose first character a 机关代字 opens with (景川市: 景府办函).
_ABBREVIATED_PLACE = 3


def repair_place(name: str, known: list[str], grams: DocumentGrams, abbreviation: str | None = None) -> str:
    """`name` with its opening place name (景川市…) mended when OCR misread one character of it.

    The offices of one city all open their names with the city: a place one substitution away from
    the place that several known names share becomes that place (姑川市教育局 → 景川市教育局, even
    with no 教育局 known). Else the place's first character becomes the one the document itself
    prints before the rest of the place at least `_SUPPORT` times (准安市人民政府 in a text printing
    淮安市 throughout: a city the known names do not hold). With no known names at all, when the
    document prints the place as read nowhere else, the `abbreviation` opening its 发文字号 decides
    (景府办函 for 景川市…: a body's 机关代字 starts with its place's first character).
    """
    match = _PLACE.match(name)
    if not match or len(match.group()) < 3:
        return name
    place = match.group()
    places = Counter(found.group() for k in set(known) if (found := _PLACE.match(k)))
    if place in places:
        return name
    near = [p for p, n in places.items()
            if n >= _PLACE_MIN_NAMES and len(p) == len(place) and edit_distance(p, place) == 1]
    if len(near) == 1:
        return near[0] + name[len(place):]
    rest = place[1:3]
    if grams.counts[place[:3]] >= _SUPPORT:
        return name
    fills = grams.fills.get(("?" + rest, 0), Counter())
    others = Counter({c: n for c, n in fills.items() if c != place[0]}).most_common(2)
    if others and others[0][1] >= _SUPPORT and (len(others) == 1 or others[1][1] < others[0][1]):
        return others[0][0] + name[1:]
    if places:
        return name
    unsupported = grams.counts[place[:3]] <= 1
    # Only a two-character place and its 市/县/区 (景川市): a longer one is no city's own name
    # (国家试验区管委会 is numbered 景国试管…, the city's 景 first).
    short = len(place) == _ABBREVIATED_PLACE
    if abbreviation and _HAN.match(abbreviation) and abbreviation != place[0] and unsupported and short:
        return abbreviation + name[1:]
    return name
