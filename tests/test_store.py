"""The record store keeps originals safe: leftovers of a copy killed midway are swept, live copies kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingest.store import STALE_TEMP_AGE_S, TEMP_PREFIX, RecordStore


def test_opening_a_store_removes_only_stale_copy_leftovers(tmp_path: Path) -> None:
    with RecordStore(tmp_path) as store:
        originals = store.originals_dir
    stale = originals / f"{TEMP_PREFIX}killed"
    stale.write_bytes(b"%PDF-1.4 half a copy")
    old = time.time() - STALE_TEMP_AGE_S - 60
    os.utime(stale, (old, old))
    in_progress = originals / f"{TEMP_PREFIX}copying"
    in_progress.write_bytes(b"%PDF-1.4 being copied now")
    kept = originals / ("a" * 64 + ".pdf")
    kept.write_bytes(b"%PDF-1.4 an original")
    os.utime(kept, (old, old))

    with RecordStore(tmp_path):
        pass

    assert not stale.exists()
    assert in_progress.exists() and kept.exists()
