"""Uploaded files → `webapp.intake.ingest_upload`, after checking name, type and size.

The upload is written to a private temporary file inside the index folder (never under the name the
client chose) and removed afterwards; the store keeps its own copy of what it ingests.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from werkzeug.datastructures import FileStorage

from webapp.resources import settings

if TYPE_CHECKING:
    from webapp.intake import UploadOutcome

PDF_MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024  # the PDF spec tolerates junk before the header; pdfminer looks this far too
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UploadRefused(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def clean_filename(raw: str | None) -> str:
    """A display name for the upload: the last path component, control and path characters replaced."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = UNSAFE.sub("_", name).strip(" .")[:200]
    return name or "upload.pdf"


def ingest_uploaded_file(file: FileStorage) -> UploadOutcome:
    """Check and ingest one uploaded file; raises `UploadRefused` for what is not a PDF."""
    name = clean_filename(file.filename)
    if not name.lower().endswith(".pdf"):
        raise UploadRefused(415, "unsupported_media_type", f"{name}: only PDF files (.pdf) are accepted")
    head = file.stream.read(MAGIC_WINDOW)
    if PDF_MAGIC not in head:
        raise UploadRefused(415, "unsupported_media_type", f"{name}: not a PDF (no %PDF header)")
    # Imported here: the ingest pipeline (pdfminer, OCR) is only needed by the few requests that upload.
    from webapp.intake import ingest_upload

    with spooled_upload(file, head, ".upload-") as path:
        return ingest_upload(path, name, settings())


@contextmanager
def spooled_upload(file: FileStorage, head: bytes, prefix: str) -> Iterator[Path]:
    """The upload (whose first bytes `head` were already read) as a temporary file in the index folder,
    removed afterwards."""
    upload_dir = Path(current_app.config["INDEX_DIR"]) / "uploads"
    upload_dir.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=upload_dir, prefix=prefix, suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(head)
            while block := file.stream.read(1 << 20):
                handle.write(block)
        yield Path(tmp)
    finally:
        os.unlink(tmp)
