"""Mark the query's words in a document's full text: escape everything, then wrap matches in `<mark>`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

MAX_TERMS = 50


def highlight_text(text: str, terms: Iterable[str]) -> Markup:
    """HTML for `text` with every occurrence of `terms` in `<mark>`; all other text escaped."""
    words = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)[:MAX_TERMS]
    if len(words) > 1:
        # Single characters light up half a Chinese page; keep them only when nothing longer was asked.
        longer = [w for w in words if len(w) > 1]
        words = longer or words
    if not words:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def count_marks(html: str) -> int:
    return html.count("<mark>")
