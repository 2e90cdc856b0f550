"""Runs a rewritten Whoosh query as set algebra over bulk posting dicts, once per search.

Each node yields the set of documents it matches and the scoring leaves under it; a document's score is
the sum of the BM25 scores of the leaves it matches (what Whoosh's And/Or/AndMaybe matchers compute).
A bigram phrase takes the documents holding all its bigrams, accepts those whose word field holds the
phrase as one jieba word (the word is a substring of the same text), and checks only the rest: by a
substring search in the folded text (`phrasetext`) or, for fields an older index did not store, Whoosh's
phrase positions.

A search gets a deadline: once it passes, every node not yet evaluated matches nothing and phrase checks
stop, so a hostile query returns the partial result it has (`timed_out`) instead of running on.
"""

from __future__ import annotations

import heapq
import math
import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from whoosh import query as Q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from index.facets import FacetTable
from index.normalize import CJK_CLASS
from index.phrasetext import FieldRuns
from index.postings import Postings, SnapshotPostings
from index.querying import BigramPhrase

_CJK_ONLY = re.compile(rf"^[{CJK_CLASS}]+$")
# The jieba field over the same text as a bigram field: its words prove a phrase without checking.
WORD_FIELD = {"title_bg": "title", "content_bg": "content", "meta_bg": "meta"}


@dataclass
class Leaf:
    """One scored unit of a query: the documents it matches and their term frequency."""

    docs: Collection[int]
    tf: Callable[[int], int | None]  # None or 0: the document does not hold it
    idf: float
    norms: list[float]
    boost: float
    # Set on a leaf whose `docs` is a superset (a scoring-only phrase left unchecked): makes `tf` exact
    # for the given documents before they are scored.
    resolve: Callable[[list[int]], None] | None = None
    cacheable: bool = True  # False when `resolve` depends on the search it was made in

    def score(self, docnum: int, k1: float) -> float:
        tf = self.tf(docnum) or 0
        return self.boost * self.idf * (tf * (k1 + 1)) / (tf + self.norms[docnum]) if tf else 0.0


@dataclass
class Matched:
    docs: set[int] | frozenset[int]
    leaves: list[Leaf] = field(default_factory=list)


_NONE = Matched(frozenset())


class Executor:
    """Evaluates queries on one snapshot (not thread-safe: one per search)."""

    def __init__(
        self, postings: SnapshotPostings, texts: dict[str, FieldRuns], searcher: Searcher,
        table: FacetTable,
        deadline: float = math.inf,
        defer_above: float = math.inf,
    ) -> None:
        self.postings = postings
        self.texts = texts
        self.searcher = searcher
        self.table = table
        self.deadline = deadline  # a `time.perf_counter()` value
        self.timed_out = False
        # A scoring-only phrase (the optional side of AndMaybe) with more candidates than this is checked
        # only on the documents that get scored (`top` scores a pool of at most `score_all`).
        self.defer_above = defer_above
        self._defer = False
        self._memo: dict[int, Matched] = {}

    def out_of_time(self) -> bool:
        """True once the deadline has passed (and from then on, without looking at the clock again)."""
        if not self.timed_out and time.perf_counter() > self.deadline:
            self.timed_out = True
        return self.timed_out

    # --- matching -----------------------------------------------------------------------------------

    def run(self, node: Q.Query, within: Collection[int] | None = None, boost: float = 1.0) -> Matched:
        """The documents matching `node` (only those in `within`, when given, are guaranteed checked)."""
        if within is None and boost == 1.0:
            key = id(node)
            found = self._memo.get(key)
            if found is None:
                found = self._memo[key] = self._run(node, None, 1.0)
            return found
        return self._run(node, within, boost)

    def _run(self, node: Q.Query, within: Collection[int] | None, boost: float) -> Matched:
        if self.out_of_time():
            return _NONE
        key = _result_key(node, boost) if within is None or not _uses_within(node) else None
        if key is not None:
            found = self.postings.recall(key)
            if found is not None:
                return found  # type: ignore[return-value]
        found = self._evaluate(node, within, boost)
        if key is not None and not self.timed_out and all(leaf.cacheable for leaf in found.leaves):
            # A result keeps its leaves' posting dicts alive even after the posting cache drops them,
            # so they count against the result budget too.
            self.postings.remember(key, found, len(found.docs) + sum(len(leaf.docs) for leaf in found.leaves))
        return found

    def _evaluate(self, node: Q.Query, within: Collection[int] | None, boost: float) -> Matched:
        boost *= getattr(node, "boost", 1.0) or 1.0
        if isinstance(node, BigramPhrase):
            return self._phrase(node, within, boost)
        if isinstance(node, Q.Term):
            return self._term(node.fieldname, str(node.text), boost)
        if isinstance(node, Q.Prefix):
            return self._prefix(node.fieldname, str(node.text), boost)
        if node is Q.NullQuery or isinstance(node, type(Q.NullQuery)):
            return _NONE
        if isinstance(node, Q.Every):
            return Matched(self.table.live)
        if isinstance(node, Q.NumericRange) and node.fieldname == "year":
            first = node.start if node.start is not None else 1900
            last = node.end if node.end is not None else 2100
            return Matched(self.table.docs_in_years(int(first), int(last)))
        if isinstance(node, Q.Not):
            return Matched(self.table.live - self.run(node.query).docs)
        if isinstance(node, Q.And):
            return self._and(node.subqueries, within, boost)
        if isinstance(node, (Q.Or, Q.DisjunctionMax)):
            parts = [self._run(sub, within, boost) for sub in node.subqueries]
            return Matched(set().union(*(p.docs for p in parts)), [leaf for p in parts for leaf in p.leaves])
        if isinstance(node, Q.AndMaybe):
            required = self._run(node.a, within, boost)
            outer, self._defer = self._defer, len(required.docs) > self.defer_above
            try:
                optional = self._run(node.b, required.docs, boost)
            finally:
                self._defer = outer
            return Matched(required.docs, required.leaves + optional.leaves)
        if isinstance(node, Q.AndNot):
            positive = self._run(node.a, within, boost)
            return Matched(positive.docs - self.run(node.b).docs, positive.leaves)
        if isinstance(node, Q.Require):
            scored = self._run(node.a, within, boost)
            return Matched(scored.docs & self._run(node.b, scored.docs, boost).docs, scored.leaves)
        # Anything else the parser may produce: Whoosh's own matcher, unscored.
        return Matched(set(self.searcher.docs_for_query(node)) & self.table.live)

    def _and(self, subqueries: Iterable[Q.Query], within: Collection[int] | None, boost: float) -> Matched:
        docs: set[int] | frozenset[int] | None = None
        leaves: list[Leaf] = []
        for sub in subqueries:
            part = self._run(sub, docs if docs is not None else within, boost)
            docs = set(part.docs) if docs is None else docs & part.docs
            leaves += part.leaves
            if not docs:
                return _NONE
        return Matched(docs if docs is not None else frozenset(), leaves)

    def _term(self, fieldname: str, text: str, boost: float) -> Matched:
        posting = self.postings.get(fieldname, text)
        if not posting:
            return _NONE
        return Matched(posting.keys(), [self._leaf(fieldname, posting, boost)])

    def _leaf(self, fieldname: str, posting: Postings, boost: float) -> Leaf:
        norms = self.postings.norms(fieldname)
        return Leaf(posting.keys(), posting.get, self.postings.idf(len(posting)), norms, boost)

    def _prefix(self, fieldname: str, text: str, boost: float) -> Matched:
        merged: dict[int, int] = {}
        for term in self.postings.expand_prefix(fieldname, text):
            if self.out_of_time():
                break
            merged.update(self.postings.get(fieldname, term))
        if not merged:
            return _NONE
        return Matched(merged.keys(), [self._leaf(fieldname, merged, boost)])

    def _phrase(self, node: BigramPhrase, within: Collection[int] | None, boost: float) -> Matched:
        fieldname = node.fieldname
        texts = self.texts.get(fieldname)
        if texts is None or node.needle is None:
            return self._phrase_by_positions(node, within, boost)
        postings = self.postings
        # Rarest unit first: its documents are the candidates, every other unit's posting is read only if
        # it is in memory already (a text check costs less than decoding a long posting list).
        by_rarity = sorted((postings.doc_frequency(fieldname, u), u) for u in node.words)
        if not by_rarity or by_rarity[0][0] == 0:
            return _NONE
        candidates: set[int]
        if within is not None and len(within) < by_rarity[0][0]:
            candidates = set(within)
        else:
            candidates = set(postings.get(fieldname, by_rarity[0][1]).keys())
            if within is not None:
                candidates = candidates.intersection(within)
        for _df, unit in by_rarity[1:]:
            if not candidates:
                return _NONE
            cached = postings.peek(fieldname, unit)
            if cached is not None:
                candidates.intersection_update(cached.keys())
        tf: dict[int, int] = {}
        word_field = WORD_FIELD.get(fieldname)
        if candidates and word_field and not node.closed_end and _CJK_ONLY.match(node.literal):
            # The phrase as one jieba word proves it without a text check; its frequency stands for the
            # phrase's (a bigram candidate's posting always holds the word where the word field does).
            if postings.doc_frequency(word_field, node.literal):
                words = postings.get(word_field, node.literal)
                tf = {d: words[d] for d in candidates.intersection(words.keys())}
                candidates.difference_update(tf)
        if candidates and self._defer and len(candidates) + len(tf) > self.defer_above:
            return self._deferred(node, texts, tf, candidates, boost)
        # Beyond `defer_above` matches only a pool is scored: occurrences are counted for it alone.
        counting = len(candidates) + len(tf) <= self.defer_above
        if candidates:
            tf.update(self._verify(node, texts, candidates, counting))
        if not tf:
            return _NONE
        resolve = None if counting else _counter(texts, str(node.needle), tf, set(tf) - set(candidates))
        return Matched(tf.keys(), [Leaf(tf.keys(), tf.get, postings.idf(len(tf)), postings.norms(fieldname),
                                        boost, resolve)])

    def _deferred(
        self, node: BigramPhrase, texts: FieldRuns, tf: dict[int, int], candidates: set[int], boost: float
    ) -> Matched:
        """A phrase whose documents only add to scores: its candidates stand for its documents (and their
        number for its document frequency) until `top` asks for the documents it scores."""
        pending = set(candidates)

        def resolve(docs: list[int]) -> None:
            wanted = pending.intersection(docs)
            if wanted:
                tf.update(self._verify(node, texts, wanted))
                pending.difference_update(wanted)

        docs = candidates.union(tf)
        postings = self.postings
        return Matched(docs, [Leaf(docs, tf.get, postings.idf(len(docs)), postings.norms(node.fieldname),
                                   boost, resolve, cacheable=False)])

    def _verify(
        self, node: BigramPhrase, texts: FieldRuns, candidates: set[int], counting: bool = True
    ) -> dict[int, int]:
        """`{docnum: occurrences}` of the candidates whose runs hold the phrase's needle (1 for each
        without `counting`)."""
        found, unstored = texts.find(candidates, str(node.needle), self.out_of_time, counting)
        if unstored:  # an index written before the field was stored
            verified = self._verify_positions(node.fieldname, node.words, unstored)
            found.update({d: 1 for d in verified})
        return found

    def _phrase_by_positions(
        self, node: BigramPhrase, within: Collection[int] | None, boost: float
    ) -> Matched:
        """A phrase over a field without stored text: all units' documents, then their positions."""
        fieldname = node.fieldname
        units = [self.postings.get(fieldname, u) for u in node.words]
        if not all(units):
            return _NONE
        units.sort(key=len)
        candidates = set(units[0].keys())
        for other in units[1:]:
            candidates.intersection_update(other.keys())
        if within is not None:
            candidates = candidates.intersection(within)
        proven = self._verify_positions(fieldname, node.words, candidates) if candidates else set()
        if not proven:
            return _NONE
        tf = {d: min(u[d] for u in units) for d in proven}
        return Matched(tf.keys(), [Leaf(tf.keys(), tf.get, self.postings.idf(len(tf)),
                                        self.postings.norms(fieldname), boost)])

    def _verify_positions(self, fieldname: str, units: list[str], candidates: set[int]) -> set[int]:
        """Candidates where the units stand at consecutive positions (metadata fields, not in memory)."""
        found: set[int] = set()
        for leaf, offset in self.postings.leaves:
            if self.out_of_time():
                break
            local = {d - offset for d in candidates if offset <= d < offset + leaf.doc_count_all()}
            try:
                positions = [_positions(leaf.postings(fieldname, u), local) for u in units]
            except TermNotFound:
                continue  # a unit absent from this segment: none of its documents match
            for docnum in local:
                starts = set(positions[0].get(docnum, ()))
                for shift, by_doc in enumerate(positions[1:], start=1):
                    starts &= {p - shift for p in by_doc.get(docnum, ())}
                    if not starts:
                        break
                if starts:
                    found.add(docnum + offset)
        return found

    # --- ranking ------------------------------------------------------------------------------------

    def top(
        self, docs: Collection[int], leaves: list[Leaf], wanted: int, score_all: int
    ) -> list[tuple[float, int]]:
        """The `wanted` best (score, docnum) of `docs`. Beyond `score_all` documents only a pool is scored:
        the documents of the rarest leaves (title, metadata, exact number, rare words) up to `score_all`.
        """
        k1 = self.postings.k1
        docs = docs if isinstance(docs, (set, frozenset)) else set(docs)
        pool: Collection[int] = docs
        if len(docs) > score_all:
            chosen: set[int] = set()
            for leaf in sorted(leaves, key=lambda item: len(item.docs)):
                if len(leaf.docs) > score_all:
                    break
                chosen |= docs.intersection(leaf.docs)
                if len(chosen) >= score_all:
                    break
            if len(chosen) < wanted:
                for docnum in docs:
                    chosen.add(docnum)
                    if len(chosen) >= score_all:
                        break
            pool = chosen
        scores = dict.fromkeys(pool, 0.0)
        for leaf in leaves:
            held = leaf.docs
            if len(pool) < len(held):
                common = [d for d in pool if d in held]
            else:
                common = [d for d in held if d in scores]
            if leaf.resolve is not None:
                leaf.resolve(common)
            tf, norms = leaf.tf, leaf.norms
            weight = leaf.boost * leaf.idf * (k1 + 1)
            for d in common:
                t = tf(d)
                if t:
                    scores[d] += weight * t / (t + norms[d])
        ranked = ((v, d) for d, v in scores.items())
        return heapq.nlargest(wanted, ranked, key=lambda item: (item[0], -item[1]))


def _counter(
    texts: FieldRuns, needle: str, tf: dict[int, int], known: set[int]
) -> Callable[[list[int]], None]:
    """A `Leaf.resolve` putting the phrase's occurrences into `tf` for the documents about to be scored
    (`known`: documents whose frequency came from elsewhere, the word field)."""
    counted = set(known)

    def resolve(docs: list[int]) -> None:
        todo = [d for d in docs if d in tf and d not in counted]
        if todo:
            # 0 only for a document checked through positions (its text not stored): it keeps its 1.
            tf.update({d: n for d, n in texts.count(todo, needle).items() if n})
            counted.update(todo)

    return resolve


def _result_key(node: Q.Query, boost: float) -> tuple | None:
    """What identifies a cacheable sub-query's result on a snapshot: an OR of a word's fields (the unit
    shared by many queries) or a bigram phrase; None for anything else."""
    if isinstance(node, Q.Or):
        parts = tuple(_leaf_key(sub) for sub in node.subqueries)
        return None if None in parts else ("or", boost, node.boost, parts)
    if isinstance(node, BigramPhrase):
        return ("phrase", boost, _leaf_key(node))
    return None


def _leaf_key(node: Q.Query) -> tuple | None:
    if isinstance(node, BigramPhrase):
        return ("p", node.fieldname, tuple(node.words), node.needle, node.closed_end, node.boost)
    if isinstance(node, (Q.Term, Q.Prefix)):
        return (type(node).__name__, node.fieldname, node.text, node.boost)
    return None


def _uses_within(node: Q.Query) -> bool:
    """True if `within` can change the node's result (a phrase checks only the documents within)."""
    if isinstance(node, BigramPhrase):
        return True
    return any(_uses_within(sub) for sub in node.children()) if not node.is_leaf() else False


def _positions(matcher: object, wanted: set[int]) -> dict[int, list[int]]:
    """`{docnum: positions}` of a leaf matcher for the wanted documents, decoded block by block."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deleted documents are never wanted (candidates come from live postings)
    out: dict[int, list[int]] = {}
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher.id() in wanted:
                out[matcher.id()] = list(matcher.value_as("positions"))
            matcher.next()
        return out
    decode = matcher.format.decoder("positions")
    while matcher.is_active():
        matcher._read_ids()
        ids = matcher._ids
        hits = [i for i, d in enumerate(ids) if d in wanted]
        if hits:
            matcher._read_values()
            values = matcher._values
            for i in hits:
                out[ids[i]] = decode(values[i])
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return out
