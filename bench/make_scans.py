"""Make hold-out scans: rasterise text-layer PDFs of a corpus set into image-only PDFs with scanner damage.

The truth of the source files carries over (`truth.jsonl` in the output folder, `kind` = scanned), so
`bench/eval_ingest.py --scans DIR` measures OCR on documents whose text layer it never sees. The
damage is calibrated on the corpus's own scans (see `damage` and `grey`); `--harsh` makes scans ten
times as dusty, a stress test rather than a forecast.

    .venv/bin/python bench/make_scans.py --set docs --count 30 --seed cal1 --out /tmp/scans/docs
    .venv/bin/python bench/eval_ingest.py --scans /tmp/scans/docs [--known-from-text]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_ingest import SETS, load_truth  # noqa: E402


def damage(page: Image.Image, rng: random.Random, harsh: bool = False) -> Image.Image:
    """What a flatbed scan of a printout adds: a grey cast, a slight turn, blur, sensor grain, dust.

    Calibrated on the corpus's own scans (`../shared/corpus`, 90 scanned pages, measured with
    scipy on the decoded JPEGs): background level 225, high-pass grain sd 0.8-3.7 (median 1.8),
    10-36 isolated specks per page (median 23), JPEG quality 55-75, some pages with a dark edge
    where the lid did not close. `harsh` is ten times the dust and no grain (the first version of
    this maker: much dirtier than any corpus scan).
    """
    page = page.point(lambda v: int(v * rng.uniform(0.85, 0.91) + rng.uniform(0, 6)))
    page = page.rotate(rng.uniform(-0.7, 0.7), resample=Image.Resampling.BICUBIC, fillcolor=225)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    width, height = page.size
    if not harsh:
        grain = Image.effect_noise((width, height), rng.uniform(2.5, 7.0))
        page = ImageChops.add(page, grain, scale=1.0, offset=-128)
        if rng.random() < 0.3:
            edge = Image.linear_gradient("L").rotate(90).resize((rng.randint(15, 45), height))
            shadow = edge.point(lambda v: int(v * rng.uniform(0.5, 0.8)))
            left = rng.random() < 0.5
            box = (0, 0) if left else (width - shadow.width, 0)
            strip = page.crop((*box, box[0] + shadow.width, height))
            page.paste(ImageChops.subtract(strip, shadow if left else shadow.transpose(
                Image.Transpose.FLIP_LEFT_RIGHT)), box)
    pixels = page.load()
    for _ in range(rng.randint(150, 600) if harsh else rng.randint(15, 45)):
        x, y = rng.randrange(width - 3), rng.randrange(height - 3)
        shade = rng.randint(40, 150)
        for dx in range(rng.randint(1, 3)):
            for dy in range(rng.randint(1, 3)):
                pixels[x + dx, y + dy] = shade
    return page


# A grey scanner sees red a little lighter than its luma: the corpus scans' seals and red mastheads
# sit at grey 120 (median over their 13 seal-bearing pages), luma alone puts them at 107.
_RED_LIFT = 0.11


def grey(page: Image.Image) -> Image.Image:
    """The page in grey as the corpus scans show it: luma, with red ink lifted towards its red channel."""
    rgb = page.convert("RGB")
    luma = rgb.convert("L")
    lift = ImageChops.subtract(rgb.getchannel("R"), luma).point(lambda v: round(v * _RED_LIFT))
    return ImageChops.add(luma, lift)


def make_scan(source: Path, target: Path, dpi: int, seed: str, harsh: bool = False) -> None:
    """Render every page of `source` at `dpi`, damage it, and write an image-only PDF to `target`."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gongwen-scan-") as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), str(source), f"{tmp}/p"], check=True,
                       capture_output=True)
        pages = [damage(grey(Image.open(p)), rng, harsh) for p in sorted(Path(tmp).glob("p*.ppm"))]
        target.parent.mkdir(parents=True, exist_ok=True)
        jpegs = []
        for page in pages:
            buffer = Path(tmp) / f"j{len(jpegs)}.jpg"
            page.save(buffer, quality=rng.randint(55, 75))
            jpegs.append(Image.open(buffer))
        jpegs[0].save(target, save_all=True, append_images=jpegs[1:], resolution=float(dpi))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="set_name", choices=("docs", "real", "published"), default="docs")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--seed", default="holdout")
    parser.add_argument("--harsh", action="store_true",
                        help="ten times the dust of the corpus scans, no grain")
    parser.add_argument("--out", type=Path, required=True, help="folder for the scans (outside the repo)")
    args = parser.parse_args(argv)
    rows = load_truth(args.set_name, "text")
    random.Random(args.seed).shuffle(rows)
    chosen = rows[: args.count]
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "truth.jsonl", "w", encoding="utf-8") as truth:
        for row in chosen:
            make_scan(SETS[args.set_name] / row["file"], args.out / row["file"], args.dpi,
                      f"{args.seed}:{row['file']}", args.harsh)
            truth.write(json.dumps({**row, "kind": "scanned", "scanned_from": args.set_name},
                                   ensure_ascii=False) + "\n")
    print(f"{len(chosen)} scans of {args.set_name} in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
