"""One file → one `DocumentRecord`: check, extract, OCR the unusable pages, clean, pull out metadata.

This runs inside a worker process (see `runner.py`); it touches no store and no index.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException

from ingest import clean, metadata, ocr
from ingest.errors import EncryptedPDFError, IngestError, LimitExceededError, NotAPDFError
from ingest.extract import RawPage, iter_raw_pages
from ingest.quality import assess_page
from ingest.record import DocumentRecord, Page
from ingest.settings import Settings

PDF_MAGIC = b"%PDF-"


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_pdf_file(path: Path, max_file_mb: float) -> None:
    """Refuse, with a reason, what is not worth opening: empty, too big, or not a PDF at all."""
    size = path.stat().st_size
    if size == 0:
        raise NotAPDFError("empty file (0 bytes)")
    if size > max_file_mb * 1024 * 1024:
        raise LimitExceededError(f"file is {size / 1048576:.0f} MiB, over the {max_file_mb:g} MiB limit")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if PDF_MAGIC not in head:
        raise NotAPDFError("not a PDF (no %PDF header)")


def read_raw_pages(path: Path, settings: Settings) -> list[RawPage]:
    cfg = settings["ingest"]
    max_pages = int(cfg["max_pages"])
    pages: list[RawPage] = []
    try:
        for page in iter_raw_pages(path, cfg["line_margin"], cfg["word_margin"], max_pages + 1):
            pages.append(page)
            if len(pages) > max_pages:
                raise LimitExceededError(f"more than {max_pages} pages")
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise EncryptedPDFError("encrypted PDF (password-protected); cannot read its text") from exc
    except (PDFSyntaxError, PSException) as exc:
        raise IngestError(f"damaged PDF: {exc or type(exc).__name__}") from exc
    except RecursionError as exc:
        raise IngestError("damaged PDF: objects nested too deeply") from exc
    if not pages:
        raise IngestError("damaged PDF: no pages could be read")
    return pages


def read_document(
    path: str | os.PathLike[str],
    settings: Settings,
    doc_id: str | None = None,
    on_page: Callable[[int], None] | None = None,
) -> DocumentRecord:
    """Turn one PDF into a record. Raises `IngestError` with a plain-words reason on bad input.

    `on_page(n)` is called as each page is finished (OCR pages are slow; the progress bar shows them).
    """
    path = Path(path)
    check_pdf_file(path, float(settings["ingest"]["max_file_mb"]))
    doc_id = doc_id or sha256_file(path)
    raw_pages = read_raw_pages(path, settings)
    cfg = settings["ingest"]

    methods: list[str] = []
    confidences: list[float | None] = []
    unreadable: list[int] = []
    warnings: list[str] = []
    for index, page in enumerate(raw_pages):
        quality = assess_page(page.text, int(cfg["min_page_chars"]), float(cfg["min_cjk_ratio"]))
        if on_page is not None:
            on_page(page.number)
        if quality.usable:
            methods.append("text")
            confidences.append(None)
            continue
        result = ocr.read_page(path, page, quality, settings)
        if result is None:
            raw_pages[index] = RawPage(page.number, page.width, page.height, [])
            methods.append("none")
            confidences.append(None)
            if quality.reason != "no text layer" or ocr.page_has_images(path, page.number):
                unreadable.append(page.number)
                warnings.append(f"page {page.number}: {quality.reason}; not read")
            continue
        raw_pages[index] = result.page
        methods.append("ocr")
        confidences.append(result.confidence)
        warnings.extend(result.warnings)
        if not result.page.lines:  # OCR timed out or failed: the page is still unread
            unreadable.append(page.number)

    if unreadable and (reason := ocr.ocr_unavailable(settings)):
        warnings.insert(0, reason)
    cleaned = clean.clean_document(raw_pages)
    fields = metadata.extract_metadata(cleaned, settings, ocr="ocr" in methods)
    ocr_conf = [c for c, m in zip(confidences, methods, strict=True) if m == "ocr" and c is not None]
    record = DocumentRecord(
        id=doc_id,
        filename=path.name,
        source_path=str(path.resolve()),
        sha256=doc_id,
        size=path.stat().st_size,
        pages=[
            Page(number=p.number, text=t, method=m, confidence=c)
            for p, t, m, c in zip(raw_pages, cleaned.page_texts, methods, confidences, strict=True)
        ],
        text=cleaned.text,
        ocr_pages=[p.number for p, m in zip(raw_pages, methods, strict=True) if m == "ocr"],
        ocr_confidence=round(sum(ocr_conf) / len(ocr_conf), 1) if ocr_conf else None,
        unreadable_pages=unreadable,
        warnings=warnings,
    )
    metadata.apply_to_record(fields, record)
    return record
