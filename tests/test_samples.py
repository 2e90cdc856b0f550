"""The bundled samples: the committed PDFs are what `samples/make_samples.py` makes from `specs.toml`."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTFigure, LTImage
from PIL import Image, ImageChops, ImageStat

from ingest.extract import iter_raw_pages

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def _load_generator() -> ModuleType:
    # samples/ is a folder of data, not an installed package: load the script by path.
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


make_samples = _load_generator()
SPECS = make_samples.load_specs()
TEXT_SPECS = [s for s in SPECS if s.get("kind", "text") == "text"]
SCANNED_SPECS = [s for s in SPECS if s.get("kind") == "scanned"]


def _text(path: Path) -> list[str]:
    return [page.text for page in iter_raw_pages(path)]


def _page_images(path: Path) -> list[Image.Image]:
    images = []
    for page in extract_pages(path):
        stack = list(page)
        while stack:
            item = stack.pop(0)
            if isinstance(item, LTFigure):
                stack[:0] = list(item)
            elif isinstance(item, LTImage):
                images.append(Image.open(io.BytesIO(item.stream.get_data())).convert("L"))
    return images


def _squash(text: str) -> str:
    return "".join(text.split())


def test_every_spec_has_a_committed_pdf_and_nothing_else() -> None:
    committed = {p.name for p in SAMPLES.glob("*.pdf")}
    assert committed == {s["file"] for s in SPECS}
    assert 10 <= len(SPECS) <= 15
    assert len(SCANNED_SPECS) >= 2


@pytest.mark.parametrize("spec", TEXT_SPECS, ids=lambda s: s["file"])
def test_text_sample_matches_generator(spec: dict, tmp_path: Path) -> None:
    fresh = tmp_path / spec["file"]
    make_samples.write_document(spec, fresh)
    assert _text(fresh) == _text(SAMPLES / spec["file"])


@pytest.mark.parametrize("spec", TEXT_SPECS, ids=lambda s: s["file"])
def test_text_sample_contains_its_title_and_number(spec: dict) -> None:
    text = _squash("\n".join(_text(SAMPLES / spec["file"])))
    assert _squash("".join(spec["title_lines"])) in text
    if spec.get("doc_number"):
        assert spec["doc_number"] in text
    # The first body paragraph survives extraction too (line breaks aside).
    first_paragraph = next(p for p in spec["body"].splitlines() if p.strip())
    assert _squash(first_paragraph) in text


@pytest.mark.parametrize("spec", SCANNED_SPECS, ids=lambda s: s["file"])
def test_scanned_sample_is_image_only_and_matches_generator(spec: dict, tmp_path: Path) -> None:
    committed = SAMPLES / spec["file"]
    assert all(not text.strip() for text in _text(committed))
    fresh = tmp_path / spec["file"]
    pages = make_samples.write_document(spec, fresh)
    old, new = _page_images(committed), _page_images(fresh)
    assert len(old) == len(new) == pages
    for before, after in zip(old, new, strict=True):
        assert before.size == after.size
        # Same drawing; tolerate a different JPEG encoder build on another machine.
        assert ImageStat.Stat(ImageChops.difference(before, after)).mean[0] < 2.0


def test_generator_rejects_incomplete_spec(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="title_lines and body"):
        make_samples.write_document({"body": "正文"}, tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="unknown"):
        spec = {"title_lines": ["标题"], "body": "正文", "colour": "red"}
        make_samples.write_document(spec, tmp_path / "y.pdf")


def test_long_paragraph_flows_onto_more_pages(tmp_path: Path) -> None:
    paragraph = "梧岭市陶瓷产业发展情况，" * 60
    spec = {"title_lines": ["关于陶瓷产业的报告"], "body": [paragraph] * 4, "page_numbers": "alt"}
    pages = make_samples.write_document(spec, tmp_path / "long.pdf")
    assert pages >= 3
    texts = _text(tmp_path / "long.pdf")
    assert len(texts) == pages
    assert all(f"— {n} —" in page for n, page in enumerate(texts, start=1))
    # No line starts with closing punctuation (避头).
    for page in iter_raw_pages(tmp_path / "long.pdf"):
        assert not any(line.text.lstrip()[:1] in "，。、；：" for line in page.lines)


@pytest.mark.ocr
def test_scanned_sample_is_legible_to_tesseract(tmp_path: Path) -> None:
    if shutil.which("tesseract") is None or shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tesseract and pdftoppm are required in CI")
        pytest.skip("tesseract or pdftoppm not installed")
    spec = next(s for s in SCANNED_SPECS if "陶瓷" in s["body"])
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-f", "1", "-l", "1", str(SAMPLES / spec["file"]),
                    str(tmp_path / "page")], check=True, timeout=120)
    image = next(tmp_path.glob("page*.pgm"))
    result = subprocess.run(["tesseract", str(image), "-", "-l", "chi_sim"], capture_output=True, text=True,
                            check=True, timeout=120)
    assert "陶瓷" in _squash(result.stdout)
    assert _squash(spec["title_lines"][0]) in _squash(result.stdout)
