"""Issuer names, 发文字号 prefixes, 抄送 entries and 主送 lines the store knows from text layers, for OCR.

An office that publishes scans also publishes text PDFs: their exact names correct an OCR'd
signature or 抄送 entry one character off, and their 机关代字 tell which prefixes belong to which
issuer. Read straight from
the store's SQLite file (ingest never opens the index), summarised once per store revision into a
small side file so that a worker process per file does not re-read every record.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ingest.settings import Settings

log = logging.getLogger(__name__)
_SIDE_FILE = "ocr_lexicon.json"
# A 抄送 entry or a 主送 line counts as known once this many text-layer documents print it.
_CC_MIN_DOCUMENTS = 2
# 主送 lines shorter than this are salutations to a person (张明委员), never mended from others.
_ADDRESSEE_MIN_CHARS = 8


@dataclass
class Lexicon:
    """Issuers signing text-layer documents, each 发文字号 prefix used by exactly one of them, and the
    抄送 entries and (long) 主送 lines printed by several of them."""

    issuers: list[str] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    cc: list[str] = field(default_factory=list)
    addressees: list[str] = field(default_factory=list)


def store_lexicon(settings: Settings) -> Lexicon:
    """What the store's text-layer records know; empty when there is no store yet or it cannot be read."""
    db = settings.path("storage", "index_dir") / "records.sqlite3"
    if not db.exists():
        return Lexicon()
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "documents" not in tables:  # only an OCR cache so far
                return Lexicon()
            stamp = list(conn.execute("SELECT COUNT(*), MAX(revision) FROM documents").fetchone())
            side = db.parent / _SIDE_FILE
            cached = _read_side(side, stamp)
            if cached is not None:
                return cached
            rows = conn.execute(
                "SELECT json_extract(record, '$.issuers'), json_extract(record, '$.doc_number'),"
                " json_extract(record, '$.cc'), json_extract(record, '$.addressee')"
                " FROM documents WHERE json_array_length(json_extract(record, '$.ocr_pages')) = 0"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("no issuer lexicon from the store: %s", exc)
        return Lexicon()
    lexicon = _summarise(rows)
    _write_side(side, stamp, lexicon)
    return lexicon


def _summarise(rows: list[tuple[str | None, str | None, str | None, str | None]]) -> Lexicon:
    issuers: set[str] = set()
    owners: dict[str, set[str]] = {}
    cc_counts: dict[str, int] = {}
    addressee_counts: dict[str, int] = {}
    for issuers_json, doc_number, cc_json, addressee in rows:
        if addressee and len(addressee) >= _ADDRESSEE_MIN_CHARS:
            addressee_counts[addressee] = addressee_counts.get(addressee, 0) + 1
        names = json.loads(issuers_json) if issuers_json else []
        issuers.update(names)
        for entry in set(json.loads(cc_json) if cc_json else []):
            cc_counts[entry] = cc_counts.get(entry, 0) + 1
        if doc_number and "〔" in doc_number and len(names) == 1:
            owners.setdefault(doc_number.split("〔")[0], set()).add(names[0])
    prefixes = {prefix: next(iter(names)) for prefix, names in owners.items() if len(names) == 1}
    cc = sorted(entry for entry, count in cc_counts.items() if count >= _CC_MIN_DOCUMENTS)
    addressees = sorted(line for line, count in addressee_counts.items() if count >= _CC_MIN_DOCUMENTS)
    return Lexicon(sorted(issuers), prefixes, cc, addressees)


def _read_side(side: Path, stamp: list[int]) -> Lexicon | None:
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("stamp") != stamp or "addressees" not in data:
        return None
    return Lexicon(list(data["issuers"]), dict(data["prefixes"]), list(data["cc"]), list(data["addressees"]))


def _write_side(side: Path, stamp: list[int], lexicon: Lexicon) -> None:
    payload = {"stamp": stamp, "issuers": lexicon.issuers, "prefixes": lexicon.prefixes, "cc": lexicon.cc,
               "addressees": lexicon.addressees}
    temporary = side.with_suffix(f".{id(lexicon)}.tmp")
    try:
        temporary.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        temporary.replace(side)
    except OSError:  # a read-only store: the summary is simply made again next time
        temporary.unlink(missing_ok=True)
