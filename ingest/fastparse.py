"""A quicker lexer and operator loop for pdfminer's content-stream interpreter, with the same results.

pdfminer tokenises content streams with a character-level state machine and looks every operator's
method up by building its name anew; together that is about half of a text page's extraction time.
`FastInterpreter` reads the common tokens (numbers, names, operators, plain and hex strings, `[ ] << >>`)
with one regular expression and caches the operator lookup; anything unusual (escapes, comments, `#` in
a name, a token at a buffer edge, inline images) goes through pdfminer's own code unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from pdfminer import settings as pdfminer_settings
from pdfminer.pdfinterp import PDFContentParser, PDFInterpreterError, PDFPageInterpreter
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import (
    KEYWORD_ARRAY_BEGIN,
    KEYWORD_ARRAY_END,
    KEYWORD_DICT_BEGIN,
    KEYWORD_DICT_END,
    KEYWORD_PROC_BEGIN,
    KEYWORD_PROC_END,
    KWD,
    LIT,
    PSEOF,
    PSBaseParser,
    PSKeyword,
    PSLiteral,
    keyword_name,
)

log = logging.getLogger(__name__)

# One token after optional white space (pdfminer's `\s`). Every alternative needs the character that
# ends it to be in the buffer, so a token cut by the buffer's end falls back to pdfminer.
_TOKEN = re.compile(
    rb"[ \t\n\r\x0b\x0c]*(?:"
    rb"(?P<float>[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+))(?=[^0-9])"
    rb"|(?P<int>[-+]?[0-9]+)(?=[^0-9.])"
    rb"|/(?P<name>[^#/%\[\]()<>{}\s]*)(?=[/%\[\]()<>{}\s])"
    rb"|(?P<kw>[A-Za-z][^#/%\[\]()<>{}\s]*)(?=[/%\[\]()<>{}\s])"
    rb"|\((?P<str>[^()\\]*)\)"
    rb"|\((?P<esc>(?:[^()\\]|\\.)*)\)"
    rb"|<(?P<hex>[0-9A-Fa-f\s]*)>(?=[^>])"
    rb"|(?P<single>[\[\]{}'\"])"
    rb"|(?P<dict><<|>>)"
    rb")",
    re.DOTALL,
)
# pdfminer's string escapes: up to three octal digits, the named ones, and a backslash before a line
# end (or before any other character) that drops both.
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.DOTALL)
_NAMED_ESCAPES = {
    b"b": b"\x08", b"t": b"\t", b"n": b"\n", b"f": b"\x0c", b"r": b"\r", b"(": b"(", b")": b")", b"\\": b"\\",
}


class _OddEscape(Exception):
    """An escape pdfminer treats in its own way (an octal code over 255): its parser takes over."""


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit() and code[:1] not in b"89":
        value = int(code, 8)
        if value > 255:
            raise _OddEscape
        return bytes((value,))
    return _NAMED_ESCAPES.get(code, b"")


_SPACE = re.compile(rb"\s+")
_KEYWORDS: dict[bytes, Any] = {b"true": True, b"false": False}
_NAMES: dict[bytes, Any] = {}


def _name(raw: bytes) -> Any:
    literal = _NAMES.get(raw)
    if literal is None:
        try:
            literal = LIT(str(raw, "utf-8"))
        except UnicodeDecodeError:
            literal = LIT(raw)  # type: ignore[arg-type]
        _NAMES[raw] = literal
    return literal


# Keywords that open or close a structure, or start an inline image: pdfminer's stack parser handles them.
_STRUCTURAL = frozenset({
    KEYWORD_ARRAY_BEGIN, KEYWORD_ARRAY_END, KEYWORD_DICT_BEGIN, KEYWORD_DICT_END, KEYWORD_PROC_BEGIN,
    KEYWORD_PROC_END, PDFContentParser.KEYWORD_BI, PDFContentParser.KEYWORD_ID,
})
_OPERANDS = (int, float, bool, bytes, PSLiteral)


class FastContentParser(PDFContentParser):
    """`PDFContentParser` whose `nexttoken` reads ordinary tokens with one regex match.

    `nextobject` hands a top-level operand or operator straight back: pdfminer's stack parser would push
    it, flush it to its results and pop it again, logging each step.
    """

    def __init__(self, streams: Sequence[object]) -> None:
        self._pending: tuple[int, Any] | None = None  # a token read ahead, for pdfminer's parser
        super().__init__(streams)

    def nextobject(self) -> tuple[int, Any]:
        if self.results or self.context:
            return super().nextobject()
        pos, token = self.nexttoken()
        if isinstance(token, PSKeyword):
            if token not in _STRUCTURAL:
                return (pos, token)
        elif isinstance(token, _OPERANDS):
            return (pos, token)
        self._pending = (pos, token)
        return super().nextobject()

    def nexttoken(self) -> tuple[int, Any]:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending
        if self._tokens or self.eof or self._parse1.__func__ is not PSBaseParser._parse_main:  # type: ignore[attr-defined]
            return super().nexttoken()
        buf = self.buf
        match = _TOKEN.match(buf, self.charpos)
        if match is None:
            return super().nexttoken()
        kind = match.lastgroup
        raw = match.group(kind)  # type: ignore[arg-type]
        token: Any
        if kind == "int":
            token = int(raw)
        elif kind == "kw":
            token = _KEYWORDS.get(raw)
            if token is None:
                token = KWD(raw)
        elif kind == "name":
            token = _name(raw)
        elif kind == "float":
            token = float(raw)
        elif kind == "str":
            token = raw
        elif kind == "esc":
            try:
                token = _ESCAPE.sub(_unescape, raw)
            except _OddEscape:
                return super().nexttoken()
        elif kind == "hex":
            digits = _SPACE.sub(b"", raw)
            if len(digits) % 2:
                return super().nexttoken()  # pdfminer keeps an odd last digit as it is
            token = bytes.fromhex(digits.decode("ascii"))
        elif kind == "single":
            token = KWD(raw)
        else:
            token = KEYWORD_DICT_BEGIN if raw == b"<<" else KEYWORD_DICT_END
        start = match.start(kind)  # type: ignore[arg-type]
        if kind in ("name", "str", "esc", "hex"):
            start -= 1  # the token starts at its opening delimiter
        self.charpos = match.end()
        return (self.bufpos + start, token)


class FastInterpreter(PDFPageInterpreter):
    """`PDFPageInterpreter` with the fast lexer and a per-interpreter cache of operator methods."""

    def execute(self, streams: Sequence[object]) -> None:
        # As pdfminer's `execute`: refuse content streams already running further up (circular forms).
        valid_streams: list[PDFStream] = []
        self.stream_ids.clear()
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None:
                log.warning("Execute called on non-indirect object (inline image?) %r", stream)
                continue
            if stream.objid in self.parent_stream_ids:
                log.warning("Refusing to execute circular reference to content stream %d", stream.objid)
            else:
                valid_streams.append(stream)
                self.stream_ids.add(stream.objid)
        try:
            parser = FastContentParser(valid_streams)
        except PSEOF:
            return  # empty page
        operators: dict[PSKeyword, tuple[Any, int] | None] = {}
        while True:
            try:
                (_, obj) = parser.nextobject()
            except PSEOF:
                break
            if not isinstance(obj, PSKeyword):
                self.push(obj)
                continue
            try:
                operator = operators[obj]
            except KeyError:
                operator = operators[obj] = self._operator(obj)
            if operator is None:
                if pdfminer_settings.STRICT:
                    raise PDFInterpreterError(f"Unknown operator: {keyword_name(obj)!r}")
                continue
            func, nargs = operator
            if nargs:
                args = self.pop(nargs)
                if len(args) == nargs:
                    func(*args)
            else:
                func()

    def _operator(self, keyword: PSKeyword) -> tuple[Any, int] | None:
        name = keyword_name(keyword)
        method = "do_{}".format(name.replace("*", "_a").replace('"', "_w").replace("'", "_q"))
        if not hasattr(self, method):
            return None
        func = getattr(self, method)
        return func, func.__code__.co_argcount - 1
