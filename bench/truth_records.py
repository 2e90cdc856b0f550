"""Records built straight from a corpus's `truth.jsonl`, for index tests and the relevance benchmark.

They stand in for what `ingest/` extracts: the printed elements and body are joined the way a clean text
layer reads, and the id is the SHA-256 of the PDF, as the real pipeline computes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ingest.record import Attachment, Contact, DocumentRecord, Page

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def load_truth(corpus: Path = CORPUS) -> list[dict]:
    with (corpus / "truth.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def file_id(corpus: Path, relative: str) -> str:
    return hashlib.sha256((corpus / relative).read_bytes()).hexdigest()


def truth_record(corpus: Path, truth: dict) -> DocumentRecord:
    """A `DocumentRecord` holding exactly what the truth says the document prints."""
    lines = [truth.get("doc_number") or "", truth.get("category_text") or ""]
    lines += truth.get("title_lines") or [truth.get("title") or ""]
    if truth.get("addressee"):
        lines.append(f"{truth['addressee']}：")
    lines.append(truth.get("body") or "")
    attachments = []
    for item in truth.get("attachments") or []:
        if isinstance(item, dict):
            attachments.append(
                Attachment(
                    label=item.get("label", "附件"), title=item.get("title", ""), text=item.get("text", "")
                )
            )
        else:
            attachments.append(Attachment(label="附件", title=str(item)))
    lines += [f"{a.label}：{a.title}\n{a.text}" for a in attachments]
    lines += truth.get("issuers") or ([truth["issuer"]] if truth.get("issuer") else [])
    lines.append(truth.get("date_text") or "")
    if truth.get("cc"):
        lines.append("抄送：" + "，".join(truth["cc"]))
    contact = truth.get("contact") or None
    text = "\n".join(line for line in lines if line)
    return DocumentRecord(
        id=file_id(corpus, truth["file"]),
        filename=Path(truth["file"]).name,
        source_path=str(corpus / truth["file"]),
        pages=[Page(number=1, text=text)],
        text=text,
        body=truth.get("body") or "",
        doc_number=truth.get("doc_number_canonical") or truth.get("doc_number"),
        category=truth.get("category"),
        title=truth.get("title"),
        addressee=truth.get("addressee"),
        issuer=truth.get("issuer"),
        issuers=truth.get("issuers") or ([truth["issuer"]] if truth.get("issuer") else []),
        date=truth.get("date"),
        year=truth.get("year"),
        doc_type=truth.get("doc_type"),
        proposal_number=truth.get("proposal_number"),
        session=truth.get("session"),
        proposer=truth.get("proposer"),
        cc=truth.get("cc") or [],
        attachments=attachments,
        contact=Contact(**contact) if isinstance(contact, dict) else None,
    )


def truth_records(corpus: Path = CORPUS) -> list[tuple[dict, DocumentRecord]]:
    return [(truth, truth_record(corpus, truth)) for truth in load_truth(corpus)]
