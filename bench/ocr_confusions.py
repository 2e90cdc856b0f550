"""Count which Chinese characters Tesseract reads as which: the error model of the OCR title repair.

Reads scanned sets whose OCR results are already in a store's cache (a run of `bench/eval_ingest.py
--scans DIR` with `GONGWEN_STORAGE_INDEX_DIR=STORE`), aligns each document's body with its truth, and
counts the one-for-one substitutions of Chinese characters, and how often each true character
occurs. Writes the table `ingest/ocr_words.py` reads (`ingest/data/ocr_confusions.tsv`):

    .venv/bin/python bench/ocr_confusions.py --scans DIR=STORE [--scans DIR=STORE …] --out FILE
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_ingest import load_truth, real_body  # noqa: E402

_HAN = re.compile(r"[\u4e00-\u9fff]")


def han_only(text: str) -> str:
    return "".join(_HAN.findall(text))


def count_pairs(truth: str, found: str, pairs: Counter[tuple[str, str]], totals: Counter[str]) -> None:
    """Add `found`'s one-for-one misreadings of `truth` (Chinese characters only) to `pairs`."""
    for t_para, f_para in _paired_paragraphs(truth, found):
        a, b = han_only(t_para), han_only(f_para)
        totals.update(a)
        for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "replace" and a2 - a1 == b2 - b1 <= 2:
                pairs.update(zip(a[a1:a2], b[b1:b2], strict=True))


def _paired_paragraphs(truth: str, found: str) -> list[tuple[str, str]]:
    t_lines = [line for line in truth.split("\n") if line.strip()]
    f_lines = [line for line in found.split("\n") if line.strip()]
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, t_lines, f_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend((line, line) for line in t_lines[i1:i2])
        else:
            out.append(("".join(t_lines[i1:i2]), "".join(f_lines[j1:j2])))
    return out


class _NotCached(Exception):
    """A page no store holds: this script reads caches, it does not OCR."""


def _read_any_cached_version(ocr: object) -> None:
    """Make `ingest.ocr` find a page under the newest ENGINE_VERSION its cache holds, never OCR it."""
    key_of, cached = ocr.cache_key, ocr._cache_get
    current = int(ocr.ENGINE_VERSION)

    def any_key(file_sha256: str, page_number: int, settings: object) -> str:
        for version in range(current, 0, -1):
            ocr.ENGINE_VERSION = str(version)
            key = key_of(file_sha256, page_number, settings)
            if cached(settings, key) is not None:
                return key
        raise _NotCached(file_sha256)

    ocr.cache_key = any_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scans", action="append", required=True,
                        help="DIR=STORE (a scanned set, its store)")
    parser.add_argument("--any-engine-version", action="store_true",
                        help="read pages cached by any ENGINE_VERSION (the newest found); skip the rest")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from ingest import ocr
    from ingest.pipeline import read_document
    from ingest.settings import load_settings

    if args.any_engine_version:
        _read_any_cached_version(ocr)
    pairs: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    documents = 0
    for spec in args.scans:
        folder, store = spec.split("=", 1)
        os.environ["GONGWEN_STORAGE_INDEX_DIR"] = store
        settings = load_settings()
        is_real = "real" in Path(folder).name
        for row in load_truth("docs", "scanned", root=Path(folder)):
            try:
                record = read_document(Path(folder) / row["file"], settings)
            except _NotCached:
                continue
            if not record.ocr_pages:
                continue
            found = real_body(record) if is_real else record.body
            count_pairs(row.get("body") or "", found, pairs, totals)
            documents += 1
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(f"# true\tread\tcount\ttrue_total  ({documents} scanned documents; "
                  "bench/ocr_confusions.py)\n")
        for (true, read), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
            out.write(f"{true}\t{read}\t{n}\t{totals[true]}\n")
    print(f"{documents} documents, {sum(pairs.values())} substitutions, {len(pairs)} pairs, "
          f"{sum(totals.values())} characters -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
