"""The record: what `ingest/` produces for one document and `index/` consumes (the contract between them).

A record is plain data. It round-trips through JSON (the SQLite store keeps it that way), so adding a
field means adding it here with a default; readers of older stored records get the default.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

RECORD_VERSION = 1


@dataclass
class Page:
    """One page of a document after cleaning."""

    number: int  # 1-based, as printed by a PDF viewer
    text: str  # clean text of this page (paragraphs joined with "\n")
    method: str = "text"  # "text" (PDF text layer), "ocr" (Tesseract) or "none" (nothing usable)
    confidence: float | None = None  # mean OCR word confidence 0-100, None for text-layer pages


@dataclass
class Attachment:
    """An attachment named in the 附件 line or printed after the signature."""

    label: str  # as printed: 附件, 附件1 …
    title: str
    text: str = ""


@dataclass
class Contact:
    name: str | None = None
    phone: str | None = None


@dataclass
class DocumentRecord:
    """A government document with its GB/T 9704-2012 elements and clean text."""

    id: str  # SHA-256 of the original file's bytes (hex)
    filename: str  # file name as the user gave it
    source_path: str = ""  # where it was ingested from (informational; originals are copied)
    sha256: str = ""
    size: int = 0
    pages: list[Page] = field(default_factory=list)
    text: str = ""  # clean full text, pages joined with "\n"
    body: str = ""  # main text only: without title, number, addressee, signature, date, 抄送, contact
    # GB/T 9704-2012 elements
    doc_number: str | None = None  # 发文字号 in the 〔〕 form: 景国试管办案字〔2025〕6号
    category: str | None = None  # reply class as printed after 分类: A1, B …
    title: str | None = None  # one line
    addressee: str | None = None  # 主送 or salutation
    issuer: str | None = None  # 发文机关署名 (first one for joint documents)
    issuers: list[str] = field(default_factory=list)
    date: str | None = None  # 成文日期, ISO YYYY-MM-DD
    year: int | None = None
    doc_type: str | None = None  # 文种: 函, 答复, 通知, 意见, 批复, 报告 …
    proposal_number: str | None = None  # 059
    session: str | None = None  # 市政协十四届五次会议
    proposer: str | None = None
    cc: list[str] = field(default_factory=list)  # 抄送
    attachments: list[Attachment] = field(default_factory=list)
    contact: Contact | None = None
    # provenance
    ocr_pages: list[int] = field(default_factory=list)  # 1-based numbers of pages read by OCR
    ocr_confidence: float | None = None  # mean over OCR'd pages
    unreadable_pages: list[int] = field(default_factory=list)  # flagged pages with no usable text
    warnings: list[str] = field(default_factory=list)
    producer: str | None = None  # the PDF's Producer/Creator, for diagnostics
    version: int = RECORD_VERSION

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["pages"] = [Page(**p) if isinstance(p, dict) else p for p in values.get("pages", [])]
        values["attachments"] = [
            Attachment(**a) if isinstance(a, dict) else a for a in values.get("attachments", [])
        ]
        contact = values.get("contact")
        values["contact"] = Contact(**contact) if isinstance(contact, dict) else contact
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> DocumentRecord:
        return cls.from_dict(json.loads(text))


METADATA_FIELDS = (
    "doc_number",
    "category",
    "title",
    "addressee",
    "issuer",
    "issuers",
    "date",
    "year",
    "doc_type",
    "proposal_number",
    "session",
    "proposer",
    "cc",
    "attachments",
    "contact",
)
