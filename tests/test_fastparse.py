"""The fast content-stream lexer gives exactly pdfminer's objects, on random streams and on the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdftypes import PDFStream
from pdfminer.psparser import PSEOF

from ingest.extract import iter_layout_pages, iter_raw_pages
from ingest.fastparse import FastContentParser

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"

# Pieces of real content streams, and the awkward cases around them (escapes, odd hex, `#` in names,
# comments, nested parentheses, numbers running into keywords, inline images).
FRAGMENTS = [
    b" ", b"\n", b"\r\n", b"\t", b"\x00", b"BT", b"ET", b"Tf", b"Td", b"TJ", b"Tj", b"T*", b"'", b'"', b"cm",
    b"q", b"Q", b"re", b"f*", b"/F1", b"/F#201", b"/A;B", b"12", b"-3", b"+4", b"0.5", b"-.25", b"7.",
    b"1.2.3", b"-", b".", b"(abc)", b"(a\\(b\\)c)", b"(\\345\\217\\221)", b"(\\777)", b"(a\\\nb)",
    b"(a\\\r\nb)", b"(x\\qy)", b"(n(e)st)", b"(", b")", b"<4e2d>", b"<4e 2d>", b"<4e2>", b"<>", b"<<",
    b">>", b">", b"<</W 3>>", b"[", b"]", b"{", b"}", b"%comment\n", b"true", b"false", b"12Tj",
    b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x01\x02 EI", b"#", b"\\", b"\xff", b"9e3",
]


def _objects(parser_class: type[PDFContentParser], data: bytes, split: int) -> list[object]:
    streams = [PDFStream({}, data[:split]), PDFStream({}, data[split:])]
    for number, stream in enumerate(streams, start=1):
        stream.objid = number
    out: list[object] = []
    try:
        parser = parser_class(streams)
        for _ in range(10_000):
            pos, obj = parser.nextobject()
            out.append((pos, _comparable(obj)))
    except PSEOF:
        out.append("EOF")
    except Exception as exc:  # noqa: BLE001 - both parsers must fail the same way
        out.append(type(exc).__name__)
    return out


def _comparable(obj: object) -> object:
    if isinstance(obj, PDFStream):  # inline images: compare what they hold (streams compare by identity)
        return ("stream", obj.attrs, obj.rawdata)
    return obj


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.integers(min_value=0, max_value=400))
def test_random_streams_parse_to_the_same_objects(pieces: list[bytes], split: int) -> None:
    data = b" ".join(pieces) if split % 2 else b"".join(pieces)
    split = min(split, len(data))
    assert _objects(FastContentParser, data, split) == _objects(PDFContentParser, data, split)


def test_a_long_stream_crosses_buffer_edges_the_same_way() -> None:
    body = b"".join(b"BT /F1 12 Tf %d 700 Td (\\345\\217\\221 %d) Tj <4e2d56fd> Tj ET\n" % (i, i)
                    for i in range(2000))
    assert _objects(FastContentParser, body, 3001) == _objects(PDFContentParser, body, 3001)


@pytest.mark.parametrize("folder", ["docs", "real", "published", "bad"])
def test_corpus_pages_are_the_same_as_with_pdfminer_layout(folder: str) -> None:
    files = sorted((CORPUS / folder).rglob("*.pdf"))
    assert files, f"no PDFs in {CORPUS / folder}"
    for path in files[:: 3 if folder == "docs" else 1]:
        try:
            reference = list(iter_layout_pages(path))
        except Exception as exc:  # noqa: BLE001 - a damaged file must fail the same way
            with pytest.raises(type(exc)):
                list(iter_raw_pages(path))
            continue
        assert list(iter_raw_pages(path)) == reference, path.name
