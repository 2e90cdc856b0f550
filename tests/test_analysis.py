"""The analysis chain: jieba words and CJK bigrams with sequential positions, offsets and folding."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.fields import ID, TEXT, Schema

from index.analysis import BigramTokenizer, JiebaTokenizer, bigram_units
from index.normalize import canonical_doc_number, fold, fold_with_offsets
from index.schema import build_schema
from ingest.settings import load_settings

USERDICT = str(Path(__file__).resolve().parents[1] / "index" / "data" / "userdict.txt")
TEXT_WITH_PHRASE = "关于加强农村人居环境整治的提案，现答复如下。"


def tokens(tokenizer, text: str) -> list[tuple[str, int, int, int]]:
    return [(t.text, t.pos, t.startchar, t.endchar) for t in tokenizer(text, positions=True, chars=True)]


def test_jieba_positions_are_sequential_and_offsets_point_into_the_original():
    text = "景川市人民政府办公室：关于２０２４年人居环境整治的答复"
    out = tokens(JiebaTokenizer(USERDICT), text)
    assert [pos for _t, pos, _s, _e in out] == list(range(len(out)))
    for word, _pos, start, end in out:
        assert fold(text[start:end]) == word
    assert "2024" in [w for w, *_ in out]  # full-width digits folded
    assert "：" not in [w for w, *_ in out]  # punctuation is not a token


def test_traditional_characters_fold_to_simplified_without_moving_offsets():
    text = "臺灣發展"
    folded, origin = fold_with_offsets(text)
    assert folded == "台湾发展" and origin is None
    words = [w for w, *_ in tokens(JiebaTokenizer(USERDICT), text)]
    assert "".join(words) == "台湾发展"


def test_folding_that_changes_length_keeps_a_map_back():
    text = "面积㎡为"
    folded, origin = fold_with_offsets(text)
    assert folded == "面积m2为"
    assert origin is not None and origin[folded.index("为")] == text.index("为")


def test_bigram_units_cover_runs_and_keep_latin_digit_runs_whole():
    units = [u for u, _s, _e in bigram_units(fold("景教字〔2024〕12号A1类"))]
    assert units == ["景", "景教", "教字", "字", "2024", "12", "号", "a1", "类"]
    # the query form leaves out the edge characters of runs that a document may continue
    assert [u for u, *_ in bigram_units("人居环境", query=True)] == ["人居", "居环", "环境"]
    assert [u for u, *_ in bigram_units("人居环境")] == ["人", "人居", "居环", "环境", "境"]
    assert [u for u, *_ in bigram_units("2022年", query=True)] == ["2022", "年"]
    assert [u for u, *_ in bigram_units("教字〔2024〕", query=True)] == ["教字", "字", "2024"]


def test_bigram_positions_are_sequential():
    out = tokens(BigramTokenizer(), "人居环境，整治")
    assert [pos for _t, pos, _s, _e in out] == list(range(len(out)))
    first = [(t, s, e) for t, _p, s, e in out][:4]
    assert first == [("人", 0, 1), ("人居", 0, 2), ("居环", 1, 3), ("环境", 2, 4)]


@pytest.mark.parametrize(
    "pasted",
    [
        "景教字〔2024〕12号",
        "景教字[2024]12号",
        "景教字(2024)12号",
        "景教字（2024）12号",
        "景教字［２０２４］１２号",
        "景教字〔2024〕012号",
    ],
)
def test_doc_number_variants_have_one_canonical_form(pasted: str):
    assert canonical_doc_number(pasted) == "景教字〔2024〕12号"


def _phrase_hits(folder: Path, analyzer, phrase: str) -> int:
    """Index TEXT_WITH_PHRASE with `analyzer` and count the hits of `phrase` as a Whoosh phrase query."""
    folder.mkdir()
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=analyzer, phrase=True))
    ix = whoosh_index.create_in(str(folder), schema)
    with ix.writer() as writer:
        writer.add_document(id="1", body=TEXT_WITH_PHRASE)
    words = [t.text for t in analyzer(phrase)]
    with ix.searcher() as searcher:
        return len(searcher.search(Q.Phrase("body", words)))


CHINESE_ANALYZER_PROBE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from jieba.analyse import ChineseAnalyzer
from tests.test_analysis import _phrase_hits
print(_phrase_hits(Path(sys.argv[2]), ChineseAnalyzer(), "人居环境整治的提案"))
"""


def test_phrase_queries_work_where_jieba_chinese_analyzer_fails(tmp_path: Path):
    """The measured failure: ChineseAnalyzer stores character offsets as positions, so phrases never match.

    jieba.analyse leaves its IDF file unclosed at import (a ResourceWarning, an error under this suite's
    warning rules), so the anchor runs in a child interpreter.
    """
    assert _phrase_hits(tmp_path / "ours", JiebaTokenizer(USERDICT), "人居环境整治的提案") == 1
    root = str(Path(__file__).resolve().parents[1])
    probe = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", CHINESE_ANALYZER_PROBE, root, str(tmp_path / "theirs")],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert probe.stdout.strip().splitlines()[-1] == "0"


def test_schema_never_uses_the_chinese_analyzer_and_every_text_field_has_positions():
    schema = build_schema(load_settings(environ={}))
    for name in ("title", "content", "meta", "title_bg", "content_bg", "meta_bg", "issuer_bg"):
        field = schema[name]
        assert field.format.supports("positions"), name
        tokenizer = field.analyzer
        assert isinstance(tokenizer, (JiebaTokenizer, BigramTokenizer)), name
        positions = [t.pos for t in tokenizer("对市政协十四届二次会议第134号提案的答复", positions=True)]
        assert positions == list(range(len(positions))), name
