"""Query strings → Whoosh queries over the word and bigram fields.

Whoosh's own `QueryParser` reads the syntax (AND by default, "phrases", OR, NOT/-, field:value, wildcards,
parentheses); every leaf it produces is then rewritten: a word matches as a jieba word OR as a bigram phrase
(so recall never depends on jieba's cut), a quoted phrase is an exact bigram phrase, a pasted 发文字号 is
an exact match on the canonical number, synonyms from `synonyms.toml` are OR-ed in, wildcards are bounded.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import query as Q
from whoosh.analysis import IDTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import PlusMinusPlugin, QueryParser
from whoosh.reading import IndexReader

from index.analysis import RUNS, bigram_units, cut, load_word_list
from index.normalize import canonical_doc_number, find_doc_numbers, fold, is_cjk
from index.phrasetext import needle
from index.results import QueryError
from ingest.settings import Settings

_WORDLIKE = re.compile(r"[^\W_]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|(?:^|\s)[+-]|[()]|\w:")
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(?:\.\.|-|~|至)\s*(\d{4}))?\s*$")
# Fields a user may name in a query, and what they search.
PARSE_FIELDS = ("text", "title", "issuer", "doc_number", "year", "category", "doc_type")


class BigramPhrase(Q.Phrase):
    """A phrase over a bigram field that remembers the folded text it was made from."""

    def __init__(
        self, fieldname: str, words: list[str], literal: str, boost: float = 1.0, closed_end: bool = False
    ) -> None:
        super().__init__(fieldname, words, boost=boost)
        self.literal = literal
        self.closed_end = closed_end  # the phrase continues with another unit run (cut before digits)
        self.needle = needle(literal, closed_end)

    def normalize(self) -> Q.Query:
        return self

    def copy(self) -> BigramPhrase:
        return BigramPhrase(self.fieldname, list(self.words), self.literal, self.boost, self.closed_end)


class QuotedText(Q.Phrase):
    """A quoted string kept whole until the rewrite (a one-word `Phrase` would normalize to a `Term`)."""

    def normalize(self) -> Q.Query:
        return self


def _parse_schema() -> Schema:
    keep_whole = IDTokenizer()
    return Schema(**{name: TEXT(analyzer=keep_whole) if name != "year" else ID() for name in PARSE_FIELDS})


@dataclass
class Boosts:
    title: float = 4.0
    meta: float = 1.5
    word: float = 2.0
    phrase_bonus: float = 2.0
    doc_number: float = 50.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Boosts:
        section = settings["index"] if "index" in settings.as_dict() else {}
        return cls(
            title=float(section.get("title_boost", cls.title)),
            meta=float(section.get("meta_boost", cls.meta)),
            word=float(section.get("word_boost", cls.word)),
            phrase_bonus=float(section.get("phrase_bonus", cls.phrase_bonus)),
            doc_number=float(section.get("doc_number_boost", cls.doc_number)),
        )


@dataclass
class BuiltQuery:
    query: Q.Query
    highlight: list[str] = field(default_factory=list)  # folded literal strings to mark in snippets
    terms: list[str] = field(default_factory=list)  # the words as the user typed them
    empty: bool = False  # nothing to search for: list documents by date
    # The words of a plain multi-word query (no operators): when too few documents hold them all, the
    # engine adds documents holding some of them, ranked after.
    clauses: list[Q.Query] = field(default_factory=list)


class Synonyms:
    """Groups of interchangeable names; a query word containing one member also tries the others."""

    def __init__(self, groups: list[list[str]], max_variants: int = 6) -> None:
        self.max_variants = max_variants
        self._members: list[tuple[str, list[str]]] = []
        for group in groups:
            folded = [fold(g) for g in group if g]
            for member in folded:
                self._members.append((member, [m for m in folded if m != member]))
        self._members.sort(key=lambda item: len(item[0]), reverse=True)

    @classmethod
    def load(cls, path: Path | None) -> Synonyms:
        if path is None or not Path(path).is_file():
            return cls([])
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
        return cls([list(g) for g in data.get("groups", [])])

    def variants(self, word: str) -> list[str]:
        out = [word]
        covered: list[str] = []
        for member, others in self._members:
            # 中国人民政治协商会议 contains no shorter member, but a long one found first hides its parts.
            if member in word and not any(member in c for c in covered):
                covered.append(member)
                for other in others:
                    candidate = word.replace(member, other)
                    if candidate not in out:
                        out.append(candidate)
            if len(out) >= self.max_variants:
                break
        return out[: self.max_variants]


@dataclass(frozen=True)
class _FieldGroup:
    word: str  # jieba field
    bigram: str  # bigram field
    boost: float


class QueryBuilder:
    """Turns a user's query string into a Whoosh query (thread-safe; keeps no per-query state)."""

    def __init__(self, settings: Settings) -> None:
        section = settings["index"]
        self.userdict = section.get("userdict")
        self.t2s = bool(section.get("traditional_to_simplified", True))
        self.boosts = Boosts.from_settings(settings)
        self.max_wildcard_terms = int(section.get("max_wildcard_terms", 64))
        self.synonyms = Synonyms.load(Path(section["synonyms"]) if section.get("synonyms") else None)
        stop_path = section.get("stopwords")
        self.stopwords = load_word_list(Path(stop_path)) if stop_path else frozenset()
        self.parser = QueryParser("text", _parse_schema(), phraseclass=QuotedText)
        self.parser.add_plugin(PlusMinusPlugin())
        b = self.boosts
        self.groups = {
            "text": (
                _FieldGroup("title", "title_bg", b.title),
                _FieldGroup("content", "content_bg", 1.0),
                _FieldGroup("meta", "meta_bg", b.meta),
            ),
            "title": (_FieldGroup("title", "title_bg", 1.0),),
        }

    # --- entry point --------------------------------------------------------------------------------

    def build(self, text: str, reader: IndexReader | None = None) -> BuiltQuery:
        text = (text or "").translate(_QUOTES).strip()
        if not text:
            return BuiltQuery(Q.Every(), empty=True)
        text = self._mark_doc_numbers(text)
        parsed = self.parser.parse(text)
        built = BuiltQuery(Q.NullQuery)
        built.query = self._rewrite(parsed, built, reader).normalize()
        if isinstance(parsed, Q.Every):
            built.empty = True
        elif isinstance(built.query, Q.And) and not _OPERATORS.search(text):
            built.clauses = list(built.query.subqueries)
        return built

    def _mark_doc_numbers(self, text: str) -> str:
        """Turn pasted 发文字号 into `doc_number:` terms before the parser reads () and [] as syntax."""
        out = []
        cursor = 0
        for start, end, canonical in find_doc_numbers(text):
            if text[:start].count('"') % 2 == 1:
                continue  # inside a quoted phrase: stays literal
            before = text[cursor:start]
            if before.endswith("doc_number:"):
                out.append(before + canonical)
            else:
                out.append(f"{before} doc_number:{canonical} ")
            cursor = end
        out.append(text[cursor:])
        return "".join(out)

    def title_phrase(self, text: str) -> Q.Query:
        """Titles containing `text` literally (for suggestions)."""
        return self._bigram_query("title_bg", text)

    # --- rewriting ----------------------------------------------------------------------------------

    def _rewrite(self, node: Q.Query, built: BuiltQuery, reader: IndexReader | None) -> Q.Query:
        if isinstance(node, Q.Phrase):
            return self._field_text(node.fieldname, " ".join(node.words), built, quoted=True)
        if isinstance(node, (Q.Wildcard, Q.Prefix)):
            return self._wildcard(node, built, reader)
        if isinstance(node, Q.Every):
            return Q.Every()
        if isinstance(node, Q.TermRange):
            if node.fieldname == "year":
                return self._year(f"{node.start}..{node.end}")
            words = [w for w in (node.start, node.end) if w]
            return Q.Or([self._field_text(node.fieldname, w, built) for w in words])
        if isinstance(node, Q.Term):
            return self._field_text(node.fieldname, str(node.text), built)
        if node.is_leaf():
            text = getattr(node, "text", None)
            return self._field_text(node.field() or "text", str(text), built) if text else Q.NullQuery
        return node.apply(lambda child: self._rewrite(child, built, reader))

    def _field_text(self, fieldname: str, text: str, built: BuiltQuery, quoted: bool = False) -> Q.Query:
        text = text.strip().strip('"')
        if not text:
            return Q.NullQuery
        if fieldname == "year":
            return self._year(text)
        if fieldname == "category":
            value = text.strip().upper()
            return Q.Term("category_class" if len(value) == 1 else "category", value)
        if fieldname == "doc_type":
            return Q.Term("doc_type", text.strip())
        built.terms.append(text)
        if fieldname == "doc_number":
            return self._doc_number(text, built)
        if fieldname == "issuer":
            built.highlight.append(fold(text, self.t2s))
            return self._bigram_query("issuer_bg", text)
        groups = self.groups.get(fieldname, self.groups["text"])
        if quoted:
            built.highlight.append(fold(text, self.t2s))
            return self._phrase_any(text, groups, 1.0)
        variants = self.synonyms.variants(fold(text, self.t2s))
        clauses = [self._word(v, groups, built) for v in variants]
        return clauses[0] if len(clauses) == 1 else Q.Or(clauses)

    def _word(self, word: str, groups: tuple[_FieldGroup, ...], built: BuiltQuery) -> Q.Query:
        """A word: each jieba piece as a word or a bigram phrase, plus a bonus for the whole run intact."""
        pieces = [w.strip() for w, _s, _e in cut(word, self.userdict) if _WORDLIKE.search(w)]
        built.highlight.append(word)
        if len(pieces) <= 1:
            return self._piece(pieces[0] if pieces else word, groups)
        keep = [p for p in pieces if p not in self.stopwords and not (len(p) == 1 and is_cjk(p))]
        if not keep:
            # Only single characters and function words (提出的): the whole run, intact, is what was meant.
            return self._piece(word, groups)
        built.highlight.extend(keep)
        # A run typed up to a number (申办20 for 申办2011) may stop inside it: its last digits are a prefix.
        open_end = keep[-1] == pieces[-1] and not is_cjk(keep[-1][-1]) and word.endswith(keep[-1])
        clauses = [self._piece(p, groups, open_end and i == len(keep) - 1) for i, p in enumerate(keep)]
        core = Q.And(clauses) if len(clauses) > 1 else clauses[0]
        return Q.AndMaybe(core, self._phrase_any(word, groups, self.boosts.phrase_bonus))

    def _piece(self, piece: str, groups: tuple[_FieldGroup, ...], open_end: bool = False) -> Q.Query:
        subs: list[Q.Query] = []
        for group in groups:
            subs.append(Q.Term(group.word, piece, boost=group.boost * self.boosts.word))
            subs.append(self._bigram_query(group.bigram, piece, group.boost, open_end))
        return Q.Or(subs)

    def _phrase_any(self, text: str, groups: tuple[_FieldGroup, ...], boost: float) -> Q.Query:
        return Q.Or([self._bigram_query(g.bigram, text, g.boost * boost) for g in groups])

    def _bigram_query(self, fieldname: str, text: str, boost: float = 1.0, open_end: bool = False) -> Q.Query:
        """Exact substring match of `text` in a bigram field: one phrase of bigrams and edge characters.

        Only a lone character needs a prefix (it may sit inside any bigram). With `open_end`, a short
        final run of digits may continue in the document (申办20 → 申办2011): it becomes a prefix and
        the rest stays a phrase beside it.
        """
        units = [u for u, _s, _e in bigram_units(fold(text, self.t2s), query=True)]
        if not units:
            return Q.NullQuery
        if len(units) == 1:
            only = units[0]
            if len(only) == 1 and is_cjk(only):
                return Q.Prefix(fieldname, only, boost=boost)
            if open_end and len(only) < 4:
                return Q.Prefix(fieldname, only, boost=boost)
            return Q.Term(fieldname, only, boost=boost)
        if open_end and not is_cjk(units[-1][-1]) and len(units[-1]) < 4:
            rest = units[:-1]
            folded = fold(text, self.t2s)
            last_run = list(RUNS.finditer(folded))[-1]
            literal = folded[: last_run.start()]
            head: Q.Query = (
                Q.Term(fieldname, rest[0])
                if len(rest) == 1
                else BigramPhrase(fieldname, rest, literal, closed_end=True)
            )
            return Q.And([head, Q.Prefix(fieldname, units[-1])], boost=boost)
        return BigramPhrase(fieldname, units, fold(text, self.t2s), boost=boost)

    def _doc_number(self, text: str, built: BuiltQuery) -> Q.Query:
        canonical = canonical_doc_number(text)
        built.highlight.append(fold(text, self.t2s))
        fallback = self._bigram_query("meta_bg", text)
        if canonical is None:
            return fallback
        built.highlight.append(fold(canonical, self.t2s))
        return Q.Or([Q.Term("doc_number_id", canonical, boost=self.boosts.doc_number), fallback])

    def _year(self, text: str) -> Q.Query:
        match = _YEAR.match(text)
        if not match:
            raise QueryError("q", f"year must be a year like 2024 or a range like 2020..2023, not {text!r}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first > last:
            first, last = last, first
        return Q.NumericRange("year", first, last)

    def _wildcard(self, node: Q.Query, built: BuiltQuery, reader: IndexReader | None) -> Q.Query:
        """A bounded expansion over the word fields; too short a literal prefix falls back to a plain word."""
        pattern = fold(str(node.text) + ("*" if isinstance(node, Q.Prefix) else ""), self.t2s)
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        long_enough = literal and (is_cjk(literal[0]) or len(literal) >= 2)
        if not long_enough or reader is None:
            plain = re.sub(r"[*?]", "", pattern)
            return self._field_text(node.fieldname, plain, built) if plain else Q.NullQuery
        groups = self.groups.get(node.fieldname, self.groups["text"])
        regex = re.compile(fnmatch.translate(pattern))
        terms: list[Q.Query] = []
        for group in groups:
            found = 0
            scanned = 0
            for raw in reader.expand_prefix(group.word, literal):
                scanned += 1
                if scanned > self.max_wildcard_terms * 50:
                    break  # a huge lexicon under a short prefix: stop scanning, keep what we have
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if regex.match(term):
                    terms.append(Q.Term(group.word, term, boost=group.boost))
                    built.highlight.append(term)
                    found += 1
                    if found >= self.max_wildcard_terms:
                        break
        built.terms.append(str(node.text))
        return Q.Or(terms) if terms else Q.NullQuery
