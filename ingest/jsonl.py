"""JSON Lines → `DocumentRecord`s, so an office can migrate documents from an older system without PDFs.

One JSON object per line: `text` (required) plus any metadata field of `DocumentRecord` (`title`,
`doc_number`, `issuer`/`issuers`, `date`, `category`, `proposer` …), `body`, `filename` and `id`.
A bad line is a failure of that line alone, named `file:line`.

Id rule (ids are 64 hex digits, like the SHA-256 of a PDF):
- `id` of 64 hex digits: used as is (a record exported from gongwen keeps its id);
- any other `id` (an older system's key, e.g. "2019-B-017" or 17): the SHA-256 of that key as text, so a
  re-import of a corrected record replaces the old one;
- no `id`: the SHA-256 of the object's canonical JSON (keys sorted, no spaces, UTF-8), so importing the
  same line twice stores it once, whatever the key order or spacing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import metadata
from ingest.record import METADATA_FIELDS, Attachment, Contact, DocumentRecord
from ingest.settings import Settings

JSONL_SUFFIXES = (".jsonl",)
FIELDS = frozenset({"id", "text", "body", "filename", *METADATA_FIELDS})
_TEXT_FIELDS = ("title", "addressee", "session", "proposer", "category", "doc_type", "doc_number")
# Separators of a list written as one string: "景川市教育局、景川市财政局".
_LIST_SEPARATORS = ("、", "，", ",", ";", "；", "\n")
_HEX = frozenset("0123456789abcdef")


class RecordLineError(ValueError):
    """A line that is not a usable record; the message says which field and why."""


@dataclass
class JsonlLine:
    """One line's outcome: a record, or the reason it was refused."""

    path: Path
    line: int  # 1-based
    record: DocumentRecord | None = None
    error: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def is_jsonl(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in JSONL_SUFFIXES


def canonical_json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_id(obj: dict[str, Any]) -> str:
    """The document id of an object, by the rule in this module's docstring."""
    given = obj.get("id")
    if given is None or given == "":
        return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
    if isinstance(given, bool) or not isinstance(given, (str, int)):
        raise RecordLineError("id must be a string or a whole number")
    key = str(given).strip()
    if len(key) == 64 and set(key.lower()) <= _HEX:
        return key.lower()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def read_jsonl(path: str | os.PathLike[str], settings: Settings) -> Iterator[JsonlLine]:
    """Every non-blank line of a JSON Lines file as a record or a per-line error (never raises for a line)."""
    path = Path(path)
    doc_types = _doc_types(settings)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            outcome = JsonlLine(path, number)
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                obj = json.loads(text)
                outcome.record = record_from_object(obj, path, number, doc_types)
                outcome.record.size = len(raw)
            except UnicodeDecodeError as exc:
                outcome.error = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            except json.JSONDecodeError as exc:
                outcome.error = f"not JSON: {exc.msg} (column {exc.colno})"
            except RecordLineError as exc:
                outcome.error = str(exc)
            yield outcome


def _doc_types(settings: Settings) -> tuple[tuple[str, str], ...]:
    path = settings.get("ingest", "doc_types")
    return metadata.load_doc_types(path) if path and Path(path).is_file() else ()


def record_from_object(
    obj: Any, path: Path, line: int, doc_types: tuple[tuple[str, str], ...] = ()
) -> DocumentRecord:
    """A record from one decoded JSON object; raises `RecordLineError` naming the field at fault."""
    if not isinstance(obj, dict):
        raise RecordLineError(f"a line must be a JSON object, not {type(obj).__name__}")
    unknown = sorted(set(obj) - FIELDS)
    if unknown:
        raise RecordLineError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RecordLineError("text is required: the document's full text as a non-empty string")
    doc_id = record_id(obj)
    legacy = obj.get("id")
    fallback = str(legacy) if legacy not in (None, "") else f"{path.name}:{line}"
    filename = _string(obj, "filename") or fallback
    record = DocumentRecord(
        id=doc_id,
        filename=filename,
        source_path=f"{path}:{line}",
        sha256=doc_id,
        text=text.strip(),
        body=(_string(obj, "body") or text).strip(),
    )
    for name in _TEXT_FIELDS:
        setattr(record, name, _string(obj, name))
    if record.doc_number:
        record.doc_number = metadata.canonical_doc_number(record.doc_number) or record.doc_number
    if record.category:
        record.category = record.category.upper()
    record.proposal_number = _string(obj, "proposal_number", numbers=True)
    record.issuers = _list(obj, "issuers")
    record.issuer = _string(obj, "issuer") or (record.issuers[0] if record.issuers else None)
    if record.issuer and not record.issuers:
        record.issuers = [record.issuer]
    record.cc = _list(obj, "cc")
    record.date = _date(obj)
    record.year = _year(obj, record.date)
    record.attachments = _attachments(obj)
    record.contact = _contact(obj)
    if not record.doc_type:
        record.doc_type = metadata.doc_type_of(record.title, doc_types)
    return record


def _string(obj: dict[str, Any], name: str, numbers: bool = False) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise RecordLineError(f"{name} must be a string, not {type(value).__name__}")
    return value.strip() or None


def _list(obj: dict[str, Any], name: str) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        parts = [value]
        for separator in _LIST_SEPARATORS:
            parts = [p for part in parts for p in part.split(separator)]
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise RecordLineError(f"{name} must be a list of strings (or one string)")


def _date(obj: dict[str, Any]) -> str | None:
    raw = _string(obj, "date")
    if raw is None:
        return None
    parts = raw.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        iso = metadata.parse_date(f"{parts[0]}年{parts[1]}月{parts[2]}日")
    else:
        iso = metadata.parse_date(raw)
    if iso is None:
        raise RecordLineError(f"date must be YYYY-MM-DD (or as printed, 2024年3月5日), not {raw!r}")
    return iso


def _year(obj: dict[str, Any], date: str | None) -> int | None:
    value = obj.get("year")
    if value is None or value == "":
        return int(date[:4]) if date else None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2100:
        raise RecordLineError(f"year must be a year such as 2024, not {value!r}")
    if date and int(date[:4]) != value:
        raise RecordLineError(f"year {value} does not match date {date}")
    return value


def _attachments(obj: dict[str, Any]) -> list[Attachment]:
    value = obj.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordLineError("attachments must be a list of titles or of {label, title, text} objects")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(Attachment(label="附件", title=item))
        elif isinstance(item, dict) and set(item) <= {"label", "title", "text"} and isinstance(
            item.get("title"), str
        ):
            out.append(Attachment(label=str(item.get("label") or "附件"), title=item["title"],
                                  text=str(item.get("text") or "")))
        else:
            raise RecordLineError("attachments must be a list of titles or of {label, title, text} objects")
    return out


def _contact(obj: dict[str, Any]) -> Contact | None:
    value = obj.get("contact")
    if value is None:
        return None
    if isinstance(value, dict) and set(value) <= {"name", "phone"}:
        return Contact(name=_string(value, "name"), phone=_string(value, "phone"))
    raise RecordLineError("contact must be an object {name, phone}")
