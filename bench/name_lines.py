"""Score the reading of people's names on scanned hold-out sets: first look, names model, settled.

`--dump` reads every name line (contact lines, salutations) of the first and last page of each scan
once, in all the readings the OCR makes of it: the page's first look, and the fast and the names
model each in the four renderings of `ingest.ocr_vote.renderings`. `--score` then replays the rules
offline on those readings and counts the lines whose name (the truth's contact or proposer) comes
out exactly, so a change to `ocr_vote.settle_names` is measured in seconds, not in hours of OCR:

    .venv/bin/python bench/name_lines.py --dump /tmp/names.jsonl /tmp/s15/docs /tmp/s14/docs
    .venv/bin/python bench/name_lines.py --score /tmp/names.jsonl /tmp/s15/docs /tmp/s14/docs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ingest import ocr, ocr_vote  # noqa: E402
from ingest.settings import load_settings  # noqa: E402

_NAME_SEPARATORS = re.compile(r"[、，,等]")


def _readings(words: list[ocr_vote.Word]) -> list[list[Any]]:
    return [[w.text, w.conf] for w in sorted(words, key=lambda w: (w.line_key, w.left))]


def dump_page(spec: tuple[str, int]) -> list[dict[str, Any]]:
    """The name lines of one page with all their readings (words as [text, confidence])."""
    path, page = spec
    settings = load_settings()
    cfg = settings["ocr"]
    fast, names = ocr.ocr_model(settings), ocr.names_model(settings)
    if names is None:
        raise SystemExit("the names model is switched off ([ocr] names_tessdata_dir)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        image = ocr.render_page(Path(path), page, int(cfg["dpi"]), workdir, float(cfg["page_timeout_s"]))
        words = ocr.run_tesseract(image, fast, int(cfg["psm"]), workdir, float(cfg["page_timeout_s"]))
        groups = ocr_vote.name_lines(words, ocr._NAME_LINE_MAX_CHARS, int(cfg["name_lines"]))
        if not groups:
            return []
        crops = [image.crop(ocr_vote.line_box(group, image.size)) for group in groups]
        shown = [render(crop) for render in ocr_vote.renderings(float(cfg["reread_scale"])) for crop in crops]
        found = {name: ocr.run_tesseract_many(shown, model, 6, workdir, float(cfg["page_timeout_s"]))
                 for name, model in (("fast", fast), ("names", names))}
    renderings = len(shown) // len(crops)

    def per_rendering(name: str, i: int) -> list[list[list[Any]]]:
        return [_readings(found[name][k * len(crops) + i]) for k in range(renderings)]

    return [{"file": path, "page": page, "first": _readings(group),
             "fast": per_rendering("fast", i), "names": per_rendering("names", i)}
            for i, group in enumerate(groups)]


def _reading(words: list[list[Any]]) -> ocr_vote.Reading:
    return ocr_vote.Reading("".join(t for t, _ in words), [c for t, c in words for _ in t])


def settled(line: dict[str, Any], settle: bool = True) -> str:
    """The line as `ocr._reread_name_lines` reads it from these readings (`settle`: with settle_names)."""
    first = _reading(line["first"])
    second = [_reading(words) for words in line["names"]]
    outcome = ocr_vote.merged_name_line(first, second, ocr._NAME_SURER_BY, ocr._NAME_MERGE_SURE_RATIO)
    if settle:
        outcome = ocr_vote.settle_names(first, outcome, [_reading(w) for w in line["fast"]], second,
                                        ocr_vote.load_surnames(), ocr._NAME_FAST_SURE)
    return "".join(outcome)


def truth_names(folders: list[Path]) -> dict[str, set[str]]:
    """Each scan's people: its contact and its proposers, by the path the dump records."""
    names: dict[str, set[str]] = {}
    for folder in folders:
        for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            people = {row["contact"]["name"]} if row.get("contact") else set()
            people |= {p for p in _NAME_SEPARATORS.split(row.get("proposer") or "") if p}
            names[str(folder / row["file"])] = people
    return names


def _about(text: str, people: set[str]) -> str | None:
    """The person a line names: the truth name sharing all but at most one character with it."""
    best = None
    for name in people:
        shared = sum(ch in text for ch in name)
        if shared >= max(1, len(name) - 1) and (best is None or shared > best[0]):
            best = (shared, name)
    return best[1] if best else None


def score(dump: Path, folders: list[Path]) -> None:
    lines = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    people = truth_names(folders)
    ways = {"first look": lambda ln: _reading(ln["first"]).text,
            "names model merged": lambda ln: settled(ln, settle=False),
            "settled": settled}
    counted = {way: 0 for way in ways}
    total = 0
    for line in lines:
        known = people.get(line["file"], set())
        name = _about(_reading(line["first"]).text, known) or _about(settled(line), known)
        if not name:
            continue
        total += 1
        for way, read in ways.items():
            counted[way] += name in read(line)
    print(f"{len(lines)} name lines, {total} naming a person the truth gives")
    for way, right in counted.items():
        print(f"  {way:20s} {right:4d} right ({right / total:.1%})" if total else f"  {way}: -")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--dump", type=Path, help="write the readings of the folders' name lines here")
    action.add_argument("--score", type=Path, help="score the rules on readings written by --dump")
    parser.add_argument("folders", nargs="+", type=Path, help="scanned sets (with truth.jsonl)")
    args = parser.parse_args(argv)
    if args.score:
        score(args.score, args.folders)
        return 0
    specs = []
    for folder in args.folders:
        for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            specs += [(str(folder / row["file"]), page) for page in sorted({1, int(row["pages"])})]
    with ProcessPoolExecutor(2) as pool, open(args.dump, "w", encoding="utf-8") as out:
        for found in pool.map(dump_page, specs):
            for line in found:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
