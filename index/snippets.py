"""Highlighted snippets cut from a document's clean text: escaped HTML with the matches in `<mark>`.

Matches are found by literal search of the query's words in the folded text (so 發展 marks 发展), the
fragment is the window holding the most distinct words, and its edges fall on sentence punctuation or,
failing that, on a jieba word boundary rather than inside a word.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from index.analysis import cut
from index.normalize import fold_with_offsets

# Where a fragment may start or end without cutting a sentence.
_SENTENCE_END = "。！？；\n!?;"
_SOFT_BREAK = "，、：,:）)》」』"


class Highlighter:
    def __init__(
        self, userdict: str | None, t2s: bool, fragment_chars: int = 120, fragments: int = 2
    ) -> None:
        self.userdict = userdict
        self.t2s = t2s
        self.fragment_chars = fragment_chars
        self.fragments = fragments

    def matcher(self, terms: Iterable[str]) -> re.Pattern[str] | None:
        """One regex over folded text for all the terms, longest first so 人居环境 wins over 人居."""
        unique = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
        if not unique:
            return None
        return re.compile("|".join(re.escape(t) for t in unique))

    def snippet(self, text: str, pattern: re.Pattern[str] | None, folded: str | None = None) -> str:
        """HTML of up to `fragments` fragments of `text` around matches (the opening if none match).

        `folded` is `fold(text)` when the caller has it already (the phrase side file keeps it); it is used
        only when folding kept every character in place, as `fold_with_offsets` would find.
        """
        if not text:
            return ""
        spans: list[tuple[int, int, str]] = []
        if pattern is not None:
            if folded is not None and len(folded) == len(text):
                origin = None
            else:
                folded, origin = fold_with_offsets(text, self.t2s)
            for match in pattern.finditer(folded):
                start, end = match.span()
                if origin is not None:
                    start, end = origin[start], origin[end]
                spans.append((start, end, match.group(0)))
        if not spans:
            return self._escape(self._lead(text))
        windows = self._choose_windows(text, spans)
        parts = []
        for start, end in windows:
            inside = [(s, e) for s, e, _ in spans if s >= start and e <= end]
            prefix = "…" if start > 0 and text[start - 1] not in _SENTENCE_END else ""
            suffix = "…" if end < len(text) and text[end - 1] not in _SENTENCE_END else ""
            parts.append(prefix + self._mark(text, start, end, inside) + suffix)
        return " ".join(parts)

    # --- windows ------------------------------------------------------------------------------------

    def _choose_windows(self, text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
        size = self.fragment_chars
        scored = []
        for i, (start, _end, _term) in enumerate(spans):
            window_end = start + size
            inside = [t for s, e, t in spans[i:] if e <= window_end]
            scored.append((len(set(inside)), len(inside), -start, start))
        scored.sort(reverse=True)
        chosen: list[tuple[int, int]] = []
        for _distinct, _count, _neg, start in scored:
            window = self._edges(text, start, size)
            if any(window[0] < e and s < window[1] for s, e in chosen):
                continue
            chosen.append(window)
            if len(chosen) >= self.fragments:
                break
        chosen.sort()
        return chosen

    def _edges(self, text: str, first_match: int, size: int) -> tuple[int, int]:
        """A window of about `size` characters starting a little before `first_match`."""
        lead = min(size // 4, first_match)
        start = first_match - lead
        # Prefer to start just after a sentence end within the lead-in.
        for i in range(first_match - 1, start - 1, -1):
            if text[i] in _SENTENCE_END:
                start = i + 1
                break
        else:
            start = self._word_boundary(text, start)
        end = min(len(text), start + size)
        if end < len(text):
            for i in range(end - 1, max(first_match, end - size // 3), -1):
                if text[i] in _SENTENCE_END or text[i] in _SOFT_BREAK:
                    end = i + 1
                    break
            else:
                end = self._word_boundary(text, end)
        return start, max(end, first_match + 1)

    def _word_boundary(self, text: str, index: int) -> int:
        """The jieba word boundary nearest `index`, so a fragment does not start or end inside a word."""
        if index <= 0 or index >= len(text):
            return max(0, min(index, len(text)))
        lo = max(0, index - 6)
        piece = text[lo : index + 6]
        best = index
        distance = len(piece)
        for _word, start, end in cut(piece, self.userdict):
            for edge in (start, end):
                if abs(lo + edge - index) < distance:
                    best, distance = lo + edge, abs(lo + edge - index)
        return best

    def _lead(self, text: str) -> str:
        end = min(len(text), self.fragment_chars)
        if end < len(text):
            end = self._word_boundary(text, end)
        return text[:end] + ("…" if end < len(text) else "")

    # --- HTML ---------------------------------------------------------------------------------------

    @staticmethod
    def _escape(text: str) -> str:
        return html.escape(text.replace("\n", " "), quote=True)

    def _mark(self, text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
        out = []
        cursor = start
        for s, e in sorted(spans):
            if s < cursor:
                continue
            out.append(self._escape(text[cursor:s]))
            out.append("<mark>" + self._escape(text[s:e]) + "</mark>")
            cursor = e
        out.append(self._escape(text[cursor:end]))
        return "".join(out)
