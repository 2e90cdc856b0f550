"""The Chinese labels the pages show, read from `webapp/data/labels.toml` (editable by a domain person)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LABELS_FILE = Path(__file__).resolve().parent / "data" / "labels.toml"


@lru_cache(maxsize=1)
def load_labels() -> dict[str, dict[str, Any]]:
    with LABELS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def category_meaning(category: str | None) -> str | None:
    if not category:
        return None
    return load_labels()["categories"].get(category[:1].upper())
