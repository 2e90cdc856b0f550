"""Decide whether a page's text layer is usable or must go to OCR (no text, CID garbage, wrong glyphs)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CID_PATTERN = re.compile(r"\(cid:\d+\)")


@dataclass(frozen=True)
class PageQuality:
    usable: bool
    reason: str  # empty when usable, else a plain-words reason ("no text layer", "CID glyph codes" …)
    chars: int  # meaningful characters (letters, digits, CJK)
    cjk_ratio: float


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def is_private_use(ch: str) -> bool:
    return unicodedata.category(ch) == "Co"


def assess_page(text: str, min_chars: int = 10, min_cjk_ratio: float = 0.3) -> PageQuality:
    """Judge a page's extracted text; thresholds come from `[ingest]` in config.toml."""
    cid_hits = len(CID_PATTERN.findall(text))
    stripped = CID_PATTERN.sub("", text)
    letters = [ch for ch in stripped if ch.isalnum()]
    cjk = sum(1 for ch in letters if is_cjk(ch))
    bad = sum(1 for ch in stripped if ch == "\ufffd" or is_private_use(ch))
    ratio = cjk / len(letters) if letters else 0.0
    if cid_hits >= 3 and cid_hits * 2 >= len(letters) / 4:
        return PageQuality(False, "CID glyph codes instead of text", len(letters), ratio)
    if bad and bad * 10 >= len(letters):
        return PageQuality(False, "replacement or private-use characters", len(letters), ratio)
    if len(letters) < min_chars:
        return PageQuality(False, "no text layer", len(letters), ratio)
    if ratio < min_cjk_ratio:
        return PageQuality(False, f"only {ratio:.0%} Chinese characters", len(letters), ratio)
    return PageQuality(True, "", len(letters), ratio)
