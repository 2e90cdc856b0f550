"""Word cuts made in the ingest workers: the parent indexes with them, loads no jieba, and writes the
same terms as an index that cut everything itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import text_corpus_files

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: another test may have loaded jieba into this one already.
SCRIPT = r"""
import json, sys
from functools import partial
from pathlib import Path
from index import analysis
from index.precut import precut_record
from index.writer import DocumentIndex, open_index
from ingest.runner import run_files
from ingest.settings import load_settings
from ingest.store import RecordStore

root, seeded = Path(sys.argv[1]), sys.argv[2] == "seeded"
files = [Path(p) for p in json.loads(sys.argv[3])]
settings = load_settings(environ={}).with_overrides({("storage", "index_dir"): str(root)})
prepare = partial(precut_record, settings=settings) if seeded else None
store = RecordStore(root)
ids = []
for outcome in run_files([(p, p.name) for p in files], settings, workers=2, prepare=prepare):
    assert outcome.record is not None, outcome.error
    if seeded:
        analysis.seed_block_cuts(outcome.extra["userdict"], outcome.extra["blocks"])
    store.put(outcome.record)
    ids.append(outcome.record.id)
DocumentIndex(root, settings).apply(store, ids, [])
terms = {}
with open_index(root, settings).reader() as reader:
    for field, text in reader.all_terms():
        word = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        terms.setdefault(field, []).append(word)
print(json.dumps({"jieba_loaded": bool(analysis._jieba_instances), "terms": terms}))
"""


def _index(tmp_path: Path, mode: str, files: list[Path]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / mode), mode, json.dumps([str(f) for f in files])],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_seeded_cuts_index_the_same_terms_without_jieba_in_the_parent(tmp_path: Path) -> None:
    files = text_corpus_files(4)
    seeded = _index(tmp_path, "seeded", files)
    plain = _index(tmp_path, "plain", files)
    assert not seeded["jieba_loaded"], "the parent loaded jieba although every cut was handed to it"
    assert plain["jieba_loaded"]
    assert seeded["terms"] == plain["terms"]
    assert len(seeded["terms"]["content"]) > 100  # a real vocabulary, not two empty indexes
