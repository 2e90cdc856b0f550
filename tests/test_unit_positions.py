"""`UnitPositions` writes exactly the postings Whoosh's own `Positions` format writes for our tokenizers."""

from __future__ import annotations

import pytest
from whoosh.formats import Positions

from bench.truth_records import CORPUS, truth_records
from index.analysis import BigramTokenizer, JiebaTokenizer, UnitPositions
from index.schema import record_content
from ingest.settings import load_settings

ODD = ["ＡＢＣ１２３ 臺灣 ﬁ e\u0301 测试", "", "   ", "〔2024〕12号；A1-3"]


@pytest.mark.parametrize("kind", ["words", "bigrams"])
def test_same_postings_as_whoosh_positions(kind):
    userdict = load_settings(environ={})["index"]["userdict"]
    analyzer = JiebaTokenizer(userdict) if kind == "words" else BigramTokenizer()
    texts = [record_content(record) for _truth, record in truth_records(CORPUS)[:30]] + ODD
    for text in texts:
        expected = sorted(Positions(field_boost=1.5).word_values(text, analyzer, mode="index"))
        assert sorted(UnitPositions(field_boost=1.5).word_values(text, analyzer, mode="index")) == expected
