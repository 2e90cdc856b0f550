"""Query by document: the distinctive words of a pasted text (or a stored document) → one weighted OR query.

The text is cut by the index's own jieba tokenizer, each word kept once, stop words and government
boilerplate (`index/data/stopwords.txt`, `boilerplate.txt`) removed, and the words ranked by TF-IDF against
the index's own document frequencies; the top ones become a Whoosh `Or` of `Term`s with boosts, scored by
BM25F over the snapshot's cached posting dicts. No query string is ever built, so a 10,000-character text
never meets the parser or its length cap.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import query as Q
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F

from index.analysis import cut, load_word_list
from index.normalize import fold, is_cjk
from index.phrasetext import FOLDED_TEXT
from index.postings import SnapshotPostings
from index.results import Hit, QueryError, SearchRequest, SearchResult
from ingest.settings import Settings

if TYPE_CHECKING:
    from index.search import SearchEngine, _Snapshot

# A word worth comparing has a letter or an ideograph; pure numbers (years, amounts, 第3号) say nothing
# about the matter of a letter.
_HAS_LETTER = re.compile(r"[^\W\d_]")

NOT_ENOUGH_WORDS = (
    "not enough distinctive words to find similar documents: the text holds only stop words and "
    "boilerplate (现将…答复如下, 高度重视 …); paste the proposal's own content"
)


class NotEnoughWords(QueryError):
    """The text has too few distinctive words to compare (boilerplate only, or empty)."""

    def __init__(self, found: int, needed: int) -> None:
        super().__init__("text", f"{NOT_ENOUGH_WORDS} ({found} distinctive words, at least {needed} needed)")
        self.found = found
        self.needed = needed


@dataclass
class SimilarHit(Hit):
    shared_terms: list[str] = field(default_factory=list)  # key terms of the text found in this document


@dataclass
class SimilarResult(SearchResult):
    """A search result whose `terms` are the text's key terms, heaviest first."""

    def to_dict(self) -> dict:
        payload = super().to_dict()
        payload["terms"] = list(self.terms)
        return payload


@dataclass(frozen=True)
class KeyTerm:
    word: str
    weight: float  # TF-IDF of the word in the text against the index
    doc_frequency: int


@dataclass
class SimilarQuery:
    query: Q.Query
    terms: list[KeyTerm]

    @property
    def words(self) -> list[str]:
        return [t.word for t in self.terms]


@dataclass(frozen=True)
class SimilarOptions:
    """The ranking knobs, chosen by `bench/similar_eval.py` on the shared corpus."""

    terms: int = 10  # key terms kept
    max_chars: int = 200_000  # longer texts are refused (a text this long is not one proposal)
    min_words: int = 3  # fewer distinctive words than this → NotEnoughWords
    max_df: float = 0.5  # words in more than this share of the documents are not distinctive here
    tf_power: float = 1.0  # weight of a word = tf**tf_power × idf
    boost_power: float = 2.0  # boost of a term = (weight / top weight) ** boost_power; 0 → all equal
    title_boost: float = 0.0  # also match key terms in titles with this boost (0: content only)
    bm25_b: float = 0.5
    bm25_k1: float = 1.2

    @classmethod
    def from_settings(cls, settings: Settings) -> SimilarOptions:
        section = settings.as_dict().get("index", {})
        defaults = cls()
        return cls(
            terms=int(section.get("similar_terms", defaults.terms)),
            max_chars=int(section.get("similar_max_chars", defaults.max_chars)),
            min_words=int(section.get("similar_min_words", defaults.min_words)),
            max_df=float(section.get("similar_max_df", defaults.max_df)),
            tf_power=float(section.get("similar_tf_power", defaults.tf_power)),
            boost_power=float(section.get("similar_boost_power", defaults.boost_power)),
            title_boost=float(section.get("similar_title_boost", defaults.title_boost)),
            bm25_b=float(section.get("similar_bm25_b", defaults.bm25_b)),
            bm25_k1=float(section.get("similar_bm25_k1", defaults.bm25_k1)),
        )


class SimilarQueryBuilder:
    """Builds the more-like-this query of a text (thread-safe; keeps no per-query state)."""

    def __init__(self, settings: Settings, options: SimilarOptions | None = None) -> None:
        section = settings["index"]
        self.userdict = section.get("userdict")
        self.t2s = bool(section.get("traditional_to_simplified", True))
        lists = [section.get("stopwords"), section.get("similar_stopwords")]
        self.stopwords = frozenset().union(*(load_word_list(Path(p)) for p in lists if p))
        self.options = options or SimilarOptions.from_settings(settings)

    def weighting(self) -> BM25F:
        return BM25F(B=self.options.bm25_b, K1=self.options.bm25_k1)

    def distinctive_words(self, text: str) -> Counter[str]:
        """jieba words of `text` with their counts, minus stop words, single characters and numbers."""
        folded = fold(text or "", self.t2s)
        counts: Counter[str] = Counter()
        for word, _start, _end in cut(folded, self.userdict):
            word = word.strip()
            if not word or not _HAS_LETTER.search(word) or word in self.stopwords:
                continue
            if len(word) == 1 and is_cjk(word):
                continue  # a lone character (市, 局, 的…) matches nearly everything
            counts[word] += 1
        return counts

    def key_terms(self, text: str, reader: IndexReader, fieldname: str = "content") -> list[KeyTerm]:
        """The top words of `text` by TF-IDF against `reader`; raises `NotEnoughWords` for boilerplate."""
        counts = self.distinctive_words(text)
        if len(counts) < self.options.min_words:
            raise NotEnoughWords(len(counts), self.options.min_words)
        total = max(1, reader.doc_count())
        ceiling = self.options.max_df * total
        scored: list[KeyTerm] = []
        for word, tf in counts.items():
            df = reader.doc_frequency(fieldname, word)
            # Unknown words cannot match; ubiquitous ones only add noise (a small index keeps them all).
            if df == 0 or (total >= 20 and df > ceiling):
                continue
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
            scored.append(KeyTerm(word, tf**self.options.tf_power * idf, df))
        scored.sort(key=lambda t: (-t.weight, t.word))
        return scored[: self.options.terms]

    def build(self, text: str, reader: IndexReader) -> SimilarQuery:
        """The weighted OR query of the text's key terms (an empty `Or` when none occurs in the index)."""
        terms = self.key_terms(text, reader)
        if not terms:
            return SimilarQuery(Q.NullQuery, [])
        top = terms[0].weight
        clauses: list[Q.Query] = []
        for term in terms:
            boost = (term.weight / top) ** self.options.boost_power if top > 0 else 1.0
            clauses.append(Q.Term("content", term.word, boost=boost))
            if self.options.title_boost > 0:
                clauses.append(Q.Term("title", term.word, boost=boost * self.options.title_boost))
        return SimilarQuery(Q.Or(clauses), terms)

    def shared_terms(self, similar: SimilarQuery, document_text: str) -> list[str]:
        """The key terms that occur in a document's text, heaviest first (shown next to each hit)."""
        folded = fold(document_text or "", self.t2s)
        return [word for word in similar.words if word in folded]


def run_similar(
    engine: SearchEngine,
    snap: _Snapshot,
    text: str,
    limit: int,
    request: SearchRequest | None,
    exclude: int | None = None,
) -> SimilarResult:
    """The engine's query-by-text path on one snapshot: rank, count, facet and highlight like a search.

    `total` and the facets cover every document sharing at least one key term (within the filters);
    `exclude` (the document asked about) is never returned.
    """
    started = time.perf_counter()
    request = request or SearchRequest()
    if not 1 <= limit <= engine.max_per_page:
        raise QueryError("limit", f"limit must be between 1 and {engine.max_per_page}")
    engine._validate(request)  # a bad filter is named before any work on the text
    builder: SimilarQueryBuilder = engine.similar_builder
    if len(text or "") > builder.options.max_chars:
        raise QueryError("text", f"the text is longer than {builder.options.max_chars} characters")
    reader = snap.searcher.reader()
    similar = builder.build(text, reader)
    allowed = engine._allowed(snap.table, request)
    deadline = started + max(0.05, engine.time_limit_s)
    scores, timed_out = score_clauses(snap.postings, reader, similar, builder.options, deadline)
    if exclude is not None:
        scores.pop(exclude, None)
    if allowed is not None:
        scores = {n: s for n, s in scores.items() if n in allowed}
    # Ties broken by document number, as Whoosh's collector did.
    ordered = heapq.nsmallest(limit, scores, key=lambda n: (-scores[n], n))
    pattern = engine.highlighter.matcher(similar.words) if request.highlight else None
    hits: list[Hit] = []
    folded = snap.texts.get(FOLDED_TEXT)
    for docnum in ordered:
        hit = engine._hit(snap.searcher, docnum, round(scores[docnum], 4), pattern, folded)
        stored_text = snap.searcher.stored_fields(docnum).get("text") or ""
        hits.append(SimilarHit(**hit.__dict__, shared_terms=builder.shared_terms(similar, stored_text)))
    return SimilarResult(
        query="",
        total=len(scores),
        page=1,
        per_page=limit,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=hits,
        facets=snap.table.count(scores.keys(), engine.facet_limit),
        terms=similar.words,
        timed_out=timed_out,
    )


def score_clauses(
    postings: SnapshotPostings,
    reader: IndexReader,
    similar: SimilarQuery,
    options: SimilarOptions,
    deadline: float,
) -> tuple[dict[int, float], bool]:
    """BM25F of the weighted OR over every document holding a key term: `{docnum: score}`, timed out?

    The same sum Whoosh's `BM25F(B, K1)` gives for `similar.query`, computed over the snapshot's cached
    posting dicts: a term's score is a dict pass instead of a chain of matchers per posting (at 20k
    documents 3,000–8,000 documents share a key term, and walking them through Whoosh cost ~200 ms).
    """
    k1 = options.bm25_k1
    doc_count_all = max(1, reader.doc_count_all())
    scores: dict[int, float] = {}
    for clause in _clauses(similar.query):
        if time.perf_counter() > deadline:
            return scores, True
        posting = postings.get(clause.fieldname, clause.text)
        if not posting:
            continue
        idf = math.log(doc_count_all / (reader.doc_frequency(clause.fieldname, clause.text) + 1)) + 1
        factor = clause.boost * idf * (k1 + 1)
        norms = length_norms(postings, clause.fieldname, k1, options.bm25_b)
        get = scores.get
        for docnum, tf in posting.items():
            scores[docnum] = get(docnum, 0.0) + factor * tf / (tf + norms[docnum])
    return scores, False


def _clauses(query: Q.Query) -> list[Q.Term]:
    if isinstance(query, Q.Term):
        return [query]
    if isinstance(query, Q.Or):
        return [t for sub in query.subqueries for t in _clauses(sub)]
    return []


# BM25 denominators `k1 * ((1 - b) + b * length / average)` per (snapshot, field, k1, b): find similar
# has its own b and k1, so the engine's own norms (`SnapshotPostings.norms`) do not fit.
_norms: weakref.WeakKeyDictionary[SnapshotPostings, dict[tuple[str, float, float], list[float]]] = (
    weakref.WeakKeyDictionary()
)
_norms_lock = threading.Lock()


def length_norms(postings: SnapshotPostings, fieldname: str, k1: float, b: float) -> list[float]:
    """The BM25 length denominator of every document (global numbers) of one snapshot's field."""
    key = (fieldname, k1, b)
    with _norms_lock:
        found = _norms.get(postings, {}).get(key)
    if found is not None:
        return found
    reader = postings.reader
    total = reader.field_length(fieldname)
    average = (total / max(1, reader.doc_count())) if total else 1.0
    norms: list[float] = []
    for leaf, _offset in postings.leaves:
        length = leaf.doc_field_length
        # Whoosh's scorer reads a missing length as 1; a document without the field (a scan read without
        # OCR) has None.
        norms.extend(
            k1 * ((1 - b) + b * (length(n, fieldname, 1) or 1) / average) for n in range(leaf.doc_count_all())
        )
    with _norms_lock:
        _norms.setdefault(postings, {})[key] = norms
    return norms
