"""Indexing speed: documents/s of `DocumentIndex.rebuild` over the first N records of a benchmark store,
with a cProfile breakdown on request (where the time of one rebuild goes: jieba, bigrams, Whoosh).

    .venv/bin/python bench/index_speed.py --n 2000 [--source /work/benchdata/speed4k] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import BENCHDATA, self_peak_rss_mb  # noqa: E402


def copy_records(source: Path, target: Path, n: int) -> int:
    """The first `n` records (by id) of the store under `source`, put into a new store under `target`."""
    from ingest.store import RecordStore

    with RecordStore(source) as src, RecordStore(target) as dst:
        ids = sorted(src.revisions())[:n]
        for record, _revision in src.iter_records(ids):
            dst.put(record)
        return len(ids)


def main(argv: list[str] | None = None) -> int:
    from index.writer import DocumentIndex
    from ingest.settings import load_settings
    from ingest.store import RecordStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--source", type=Path, default=BENCHDATA / "speed4k")
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongwen-index-speed-") as tmp:
        root = Path(tmp)
        count = copy_records(args.source, root, args.n)
        settings = load_settings().with_overrides({("storage", "index_dir"): str(root / "index")})
        index = DocumentIndex(root / "index", settings)
        profiler = cProfile.Profile() if args.profile else None
        with RecordStore(root) as store:
            started = time.perf_counter()
            cpu_started = time.process_time()
            if profiler:
                profiler.enable()
            index.rebuild(store)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        index.close()
        # CPU seconds as well as wall seconds: on a shared machine the CPU figure is the steadier one.
        print(f"rebuild of {count} records: {seconds:.1f} s wall, {count / seconds:.1f} docs/s; "
              f"{cpu:.1f} s CPU, {count / cpu:.1f} docs per CPU second; "
              f"peak RSS {self_peak_rss_mb():.0f} MiB")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
