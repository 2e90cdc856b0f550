"""A small real library for the web tests: corpus PDFs through the real pipeline into a store and index.

Built once per test session (about 20 documents). Metadata the pipeline did not find is filled in from
the corpus truth so that facet and filter tests have something to click; the text, pages and original
PDFs are always the pipeline's. One extra document is hostile: its title and text carry
`<script>alert(1)</script>` and `javascript:` URLs, to prove every page escapes them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from index.writer import DocumentIndex
from ingest.extract import iter_raw_pages
from ingest.record import DocumentRecord, Page
from ingest.settings import Settings, load_settings
from ingest.store import RecordStore

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"
LIBRARY_SIZE = 20
XSS_TITLE = "关于<script>alert(1)</script>问题的答复"
XSS_LINK = "javascript:alert(document.cookie)"
XSS_BODY = [
    "经研究，现将<script>alert(1)</script>有关情况答复如下：",
    f"一、请勿点击 {XSS_LINK} 这样的链接，也不要打开<img src=x onerror=alert(2)>图片。",
    "二、我局将持续做好网络安全宣传工作，感谢您对网络安全工作的关心和支持。",
]
FILLED_FIELDS = ("title", "doc_number", "issuer", "issuers", "date", "year", "category", "doc_type")


@dataclass
class Library:
    index_dir: Path
    records: dict[str, DocumentRecord] = field(default_factory=dict)  # id → record as stored
    files: dict[str, Path] = field(default_factory=dict)  # id → source PDF
    xss_id: str = ""

    def any_with(self, name: str) -> DocumentRecord:
        return next(r for r in self.records.values() if getattr(r, name) and r.id != self.xss_id)


def load_truth() -> list[dict]:
    with (CORPUS / "truth.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def make_settings(index_dir: Path, **web: object) -> Settings:
    """Shipped defaults, isolated from the environment, on `index_dir`, with `[web]` overrides."""
    overrides: dict[tuple[str, str], object] = {("storage", "index_dir"): str(index_dir)}
    overrides[("ocr", "enabled")] = False
    overrides.update({("web", key): value for key, value in web.items()})
    return load_settings(environ={}).with_overrides(overrides)


def pick_documents(truth: list[dict], size: int = LIBRARY_SIZE) -> list[dict]:
    """Text-layer documents from several issuers, doc types and years (scans need OCR: too slow here)."""
    text_docs = [t for t in truth if t["kind"] == "text" and t["file"].startswith("docs/")]
    chosen: list[dict] = []
    seen: set[tuple] = set()
    for t in text_docs:  # first pass: one of each (issuer, doc_type) pair
        key = (t["issuer"], t["doc_type"])
        if key not in seen:
            seen.add(key)
            chosen.append(t)
        if len(chosen) >= size:
            break
    for t in text_docs:
        if len(chosen) >= size:
            break
        if t not in chosen:
            chosen.append(t)
    return chosen


def write_xss_pdf(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "samples" / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_samples", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    module.write_document(
        {
            "header": "景川市网络安全和信息化办公室",
            "doc_number": "景网信函〔2025〕9号",
            "category": "A1",
            "title_lines": [XSS_TITLE],
            "addressee": "尊敬的测试委员：",
            "body": XSS_BODY,
            "signature": ["景川市网络安全和信息化办公室"],
            "date_text": "2025年3月3日",
        },
        path,
    )


def read_pdf(path: Path, settings: Settings) -> DocumentRecord:
    """The real pipeline; while parts of it are still missing, pdfminer's raw pages (still real text)."""
    try:
        from ingest.pipeline import read_document
    except ImportError:
        pass
    else:
        return read_document(path, settings)
    pages = [Page(number=p.number, text=p.text) for p in iter_raw_pages(path)]
    doc_id = hashlib.sha256(path.read_bytes()).hexdigest()
    return DocumentRecord(
        id=doc_id,
        filename=path.name,
        sha256=doc_id,
        size=path.stat().st_size,
        pages=pages,
        text="\n".join(p.text for p in pages),
    )


def _fill_from_truth(record: DocumentRecord, truth: dict) -> None:
    for name in FILLED_FIELDS:
        if getattr(record, name) in (None, "", []) and truth.get(name) not in (None, "", []):
            setattr(record, name, truth[name])


def build_library(index_dir: Path, work_dir: Path, size: int = LIBRARY_SIZE) -> Library:
    settings = make_settings(index_dir)
    library = Library(index_dir=index_dir)
    sources: list[tuple[Path, dict | None]] = [
        (CORPUS / t["file"], t) for t in pick_documents(load_truth(), size)
    ]
    xss_pdf = work_dir / "xss_reply.pdf"
    write_xss_pdf(xss_pdf)
    sources.append((xss_pdf, None))
    with RecordStore(index_dir) as store:
        for path, truth in sources:
            record = read_pdf(path, settings)
            if truth is not None:
                _fill_from_truth(record, truth)
            else:
                library.xss_id = record.id
                if "<script>" not in (record.title or ""):
                    record.title = XSS_TITLE  # the test is about escaping, not title extraction
                record.issuer = record.issuer or "景川市网络安全和信息化办公室"
                record.issuers = record.issuers or [record.issuer]
            store.put(record, original=path)
            library.records[record.id] = record
            library.files[record.id] = path
        DocumentIndex(index_dir, settings).apply(store, list(library.records), [])
    return library
