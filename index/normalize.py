"""Text folding shared by indexing, querying and highlighting: NFKC, lower case, traditional → simplified.

Folding keeps a map back to the original characters so that offsets found in folded text point into the
clean text the user reads.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
CJK_RE = re.compile(f"[{CJK_CLASS}]")

# OpenCC's character table (TSCharacters) maps one traditional character to simplified candidates; we take
# the first, character for character, so folding never changes the length of the text.
_OPENCC_TABLE = "TSCharacters.txt"


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    import opencc

    path = Path(opencc.__file__).resolve().parent / "dictionary" / _OPENCC_TABLE
    table: dict[int, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or len(parts[0]) != 1:
                continue
            target = parts[1].split(" ")[0]
            if len(target) == 1 and target != parts[0]:
                table[ord(parts[0])] = target
    return table


def fold(text: str, t2s: bool = True) -> str:
    """The folded form of `text` (NFKC, lower case, optionally simplified characters)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if t2s:
        folded = folded.translate(_t2s_table())
    return folded


@lru_cache(maxsize=65536)
def _fold_char(char: str, t2s: bool) -> str:
    return fold(char, t2s)


def fold_with_offsets(text: str, t2s: bool = True) -> tuple[str, list[int] | None]:
    """Fold `text` and return `(folded, origin)`; `origin[i]` is the index in `text` of folded char i.

    `origin` is None when folding kept every character in place (the usual case), which saves building
    a list as long as the document.
    """
    folded = fold(text, t2s)
    if len(folded) == len(text):
        return folded, None
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char, t2s)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    origin.append(len(text))
    return "".join(pieces), origin


def is_cjk(char: str) -> bool:
    return bool(CJK_RE.match(char))


# 发文字号: an organ prefix, the year in some kind of brackets, a serial number and 号.
_BRACKETS_OPEN = "〔[［(（【〖{｛<〈《"
_BRACKETS_CLOSE = "〕]］)）】〗}｝>〉》"
DOC_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{CJK_CLASS}]{{1,16}})\s*[{re.escape(_BRACKETS_OPEN)}]?\s*(?P<year>(?:19|20)\d\d)\s*"
    rf"[{re.escape(_BRACKETS_CLOSE)}]?\s*第?\s*(?P<serial>\d{{1,5}})\s*号"
)


def canonical_doc_number(text: str) -> str | None:
    """`景教字[2024]12号`, `景教字(2024)１２号` → `景教字〔2024〕12号`; None if `text` is not one."""
    match = DOC_NUMBER_RE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    return f"{match['prefix']}〔{match['year']}〕{int(match['serial'])}号"


def find_doc_numbers(text: str) -> list[tuple[int, int, str]]:
    """Spans `(start, end, canonical)` of document numbers inside a query string."""
    found = []
    for match in DOC_NUMBER_RE.finditer(text):
        # Only a bracketed year makes "字2024 12号" a document number rather than ordinary words.
        raw = match.group(0)
        if not any(c in raw for c in _BRACKETS_OPEN):
            continue
        canonical = f"{match['prefix']}〔{match['year']}〕{int(match['serial'])}号"
        found.append((match.start(), match.end(), canonical))
    return found
