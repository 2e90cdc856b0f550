"""The Whoosh schema (what each field holds) and how a stored `DocumentRecord` becomes an index document.

Every text is indexed twice: as jieba words (`title`, `content`, `meta`) for ranking and as CJK bigrams
(`*_bg`) for exact substring matching. Facet values are sortable columns read into memory by `facets.py`.
"""

from __future__ import annotations

from typing import Any

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from index.analysis import UnitPositions, bigram_analyzer, word_analyzer
from index.normalize import canonical_doc_number
from ingest.record import DocumentRecord
from ingest.settings import Settings

# Separates the values of a multi-valued column (a joint document's issuers).
MULTI_SEP = "\x1f"


def _text(analyzer: Any, stored: bool = False) -> TEXT:
    """A phrase-capable text field whose postings are built by `UnitPositions` (same bytes as Whoosh's)."""
    field = TEXT(analyzer=analyzer, stored=stored, phrase=True)
    field.format = UnitPositions(field_boost=field.format.field_boost)
    return field


def build_schema(settings: Settings) -> Schema:
    userdict = settings.get("index", "userdict")
    t2s = bool(settings.get("index", "traditional_to_simplified", True))
    words = word_analyzer(userdict, t2s)
    bigrams = bigram_analyzer(t2s)
    return Schema(
        id=ID(unique=True, stored=True, sortable=True),
        revision=NUMERIC(int, bits=64, stored=True, sortable=True),
        # ranking fields (jieba words) and substring fields (bigrams), with positions for phrases
        title=_text(words, stored=True),
        title_bg=_text(bigrams),
        content=_text(words),
        content_bg=_text(bigrams),
        # 发文字号, issuers, proposer, addressee, session, proposal number: short metadata text, stored so
        # that a phrase over it is checked in memory (phrasetext) rather than through positions
        meta=_text(words, stored=True),
        meta_bg=_text(bigrams),
        issuer_bg=_text(bigrams),
        doc_number_id=ID(),  # canonical 〔〕 form, for exact matches of a pasted number
        # filters and facets (columns), sort key
        issuer_list=ID(sortable=True),
        year=NUMERIC(int, stored=True, sortable=True),
        category=ID(stored=True, sortable=True),
        category_class=ID(),
        doc_type=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        # shown in hits
        doc_number=STORED(),
        issuer=STORED(),
        issuers=STORED(),
        filename=STORED(),
        text=STORED(),  # clean original text, for snippets
    )


def record_content(record: DocumentRecord) -> str:
    """The searchable text of a record: its clean full text, else its body plus attachments."""
    if record.text.strip():
        return record.text
    parts = [record.body] + [f"{a.title}\n{a.text}" for a in record.attachments]
    return "\n".join(p for p in parts if p)


def record_meta(record: DocumentRecord) -> str:
    parts = [record.doc_number or "", *record.issuers, record.issuer or "", record.proposer or ""]
    parts += [record.addressee or "", record.session or ""]
    if record.proposal_number:
        parts.append(f"第{record.proposal_number}号")
    parts += record.cc
    return "\n".join(dict.fromkeys(p for p in parts if p))


def category_class(category: str | None) -> str | None:
    """The class letter of a reply code: A1 → A, B → B."""
    if not category:
        return None
    return category.strip()[:1].upper() or None


def index_fields(record: DocumentRecord, revision: int) -> dict[str, Any]:
    """The keyword arguments of `writer.update_document` for one stored record."""
    issuers = [i for i in (record.issuers or ([record.issuer] if record.issuer else [])) if i]
    content = record_content(record)
    meta = record_meta(record)
    fields: dict[str, Any] = {
        "id": record.id,
        "revision": revision,
        "title": record.title or "",
        "title_bg": record.title or "",
        "content": content,
        "content_bg": content,
        "meta": meta,
        "meta_bg": meta,
        "issuer_bg": "\n".join(issuers),
        "issuer_list": MULTI_SEP.join(issuers),
        "doc_number": record.doc_number,
        "issuer": record.issuer or (issuers[0] if issuers else None),
        "issuers": issuers,
        "filename": record.filename,
        "text": content,
        "date": record.date or "",
        "category": (record.category or "").strip().upper(),
        "doc_type": record.doc_type or "",
    }
    canonical = canonical_doc_number(record.doc_number) if record.doc_number else None
    if canonical:
        fields["doc_number_id"] = canonical
    year = record.year or (int(record.date[:4]) if record.date and record.date[:4].isdigit() else None)
    if year:
        fields["year"] = year
    letter = category_class(record.category)
    if letter:
        fields["category_class"] = letter
    return fields
