"""Whoosh tokenizers for Chinese: jieba words and CJK character bigrams, both with sequential positions.

`JiebaTokenizer` gives the word field (precise mode, government user dictionary); `BigramTokenizer` gives the
substring field, where any run of two or more Chinese characters is a phrase of bigrams. Both fold the text
(NFKC, lower case, optional traditional → simplified) and report character offsets into the original text.
"""

from __future__ import annotations

import marshal
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.formats import Positions

from index.normalize import CJK_CLASS, fold_with_offsets

_jieba_lock = threading.Lock()
_jieba_instances: dict[str, Any] = {}

# A token worth indexing has at least one letter, digit or ideograph; punctuation and spaces are dropped.
_WORDLIKE = re.compile(r"[^\W_]")
# Bigram field units: a run of CJK characters, or a run of other letters/digits (kept whole: 2024, a1).
RUNS = re.compile(rf"(?P<cjk>[{CJK_CLASS}]+)|(?P<word>[^\W_{CJK_CLASS}]+)")


class _WholeFileMarshal:
    """`marshal` for jieba's dictionary cache, reading the file whole before unmarshalling it.

    `marshal.load` on a file object reads it object by object: 2.0 s for jieba's 9 MB cache, against
    0.36 s for `marshal.loads` of the same bytes. The result is the same object.
    """

    @staticmethod
    def load(handle: Any) -> Any:
        return marshal.loads(handle.read())

    dump = staticmethod(marshal.dump)


def jieba_tokenizer(userdict: str | None) -> Any:
    """One shared `jieba.Tokenizer` per user dictionary (loading one costs about half a second)."""
    key = userdict or ""
    with _jieba_lock:
        instance = _jieba_instances.get(key)
        if instance is None:
            import jieba

            jieba.marshal = _WholeFileMarshal  # type: ignore[attr-defined]
            jieba.setLogLevel(60)
            instance = jieba.Tokenizer()
            instance.initialize()
            if userdict and Path(userdict).is_file():
                # jieba opens a path itself and never closes it (a ResourceWarning); hand it a file.
                with open(userdict, "rb") as handle:
                    instance.load_userdict(handle)
            _jieba_instances[key] = instance
    return instance


@lru_cache(maxsize=4096)
def _cut_cached(userdict: str, text: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(_cut_blocks(text, userdict or None))


def _cut_blocks(text: str, userdict: str | None) -> list[tuple[str, int, int]]:
    """What `jieba.Tokenizer.tokenize(text)` gives, cutting each distinct block only once.

    jieba splits a text at `re_han_default` and cuts every block on its own, so a block's words never
    depend on its neighbours; government texts repeat their set clauses (现将办理情况答复如下), so most
    blocks of a new document have been cut before.
    """
    from jieba import re_han_default

    tokenizer = None  # loaded on the first block not cut before (blocks may come from `seed_block_cuts`)
    cache = _block_cache.setdefault(userdict or "", {})
    out: list[tuple[str, int, int]] = []
    start = 0
    for block in re_han_default.split(text):
        if not block:
            continue
        words = cache.get(block)
        if words is None:
            tokenizer = tokenizer or jieba_tokenizer(userdict)
            words = tuple(tokenizer.cut(block, HMM=True))
            if len(cache) >= BLOCK_CACHE_ENTRIES:
                cache.clear()  # a bound on memory; refilling costs one jieba pass per block
            cache[block] = words
        for word in words:
            end = start + len(word)
            out.append((word, start, end))
            start = end
    return out


# Distinct jieba blocks (clauses between punctuation) remembered per user dictionary, about 10 MB.
BLOCK_CACHE_ENTRIES = 50_000
_block_cache: dict[str, dict[str, tuple[str, ...]]] = {}


def block_cuts(text: str, userdict: str | None) -> dict[str, tuple[str, ...]]:
    """jieba's words for every block of already folded `text`, as `seed_block_cuts` takes them."""
    from jieba import re_han_default

    _cut_blocks(text, userdict)
    cache = _block_cache.get(userdict or "", {})
    return {block: cache[block] for block in re_han_default.split(text) if block in cache}


def seed_block_cuts(userdict: str | None, blocks: dict[str, tuple[str, ...]]) -> None:
    """Remember blocks cut elsewhere (an ingest worker), so that indexing them needs no jieba here."""
    cache = _block_cache.setdefault(userdict or "", {})
    if len(cache) + len(blocks) > BLOCK_CACHE_ENTRIES:
        cache.clear()
    cache.update(blocks)


def cut(text: str, userdict: str | None) -> list[tuple[str, int, int]]:
    """jieba precise-mode `(word, start, end)` over already folded text; short texts (queries) are cached."""
    if len(text) <= 64:
        return list(_cut_cached(userdict or "", text))
    return _cut_blocks(text, userdict)


def _map(origin: list[int] | None, index: int) -> int:
    return index if origin is None else origin[index]


class _FoldingTokenizer(Tokenizer):
    """Folds the text, asks `_units` for `(text, start, end)` over it, numbers them 0, 1, 2 …"""

    t2s: bool

    def _units(self, folded: str) -> list[tuple[str, int, int]]:
        raise NotImplementedError

    def unit_texts(self, value: str) -> list[str]:
        """The texts of the tokens `__call__` yields for `value`, in position order (no Token objects)."""
        return [text for text, _start, _end in self._units(fold_with_offsets(value, self.t2s)[0])]

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        folded, origin = fold_with_offsets(value, self.t2s)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end) in enumerate(self._units(folded), start=start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[_map(origin, start) : _map(origin, end)]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + _map(origin, start)
                token.endchar = start_char + _map(origin, end)
            yield token


class JiebaTokenizer(_FoldingTokenizer):
    """jieba words with sequential positions (0, 1, 2 …) and character offsets into the original text.

    `jieba.analyse.ChineseAnalyzer` uses character offsets as positions, which breaks every phrase query;
    here position n is the n-th kept word.
    """

    def __init__(self, userdict: str | None = None, t2s: bool = True) -> None:
        self.userdict = userdict
        self.t2s = t2s

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JiebaTokenizer) and other.userdict == self.userdict and other.t2s == self.t2s
        )

    def __hash__(self) -> int:
        return hash((JiebaTokenizer, self.userdict, self.t2s))

    def _units(self, folded: str) -> list[tuple[str, int, int]]:
        return [(w.strip(), s, e) for w, s, e in cut(folded, self.userdict) if _WORDLIKE.search(w)]


def bigram_units(folded: str, query: bool = False) -> list[tuple[str, int, int]]:
    """The bigram field's units `(text, start, end)` over folded text, in position order.

    A CJK run of n ≥ 2 characters gives its first character, its n-1 bigrams and its last character;
    a one-character run gives that character. The edge unigrams make a phrase that crosses a digit
    run exact (`字〔2024〕`, `2022年` before 年度) without prefix expansion. With `query`, the first
    run's leading unigram and the last run's trailing one are left out, because in a document those
    runs may continue to the left and right.
    """
    units: list[tuple[str, int, int]] = []
    matches = list(RUNS.finditer(folded))
    for number, match in enumerate(matches):
        start, end = match.span()
        if match.group("word"):
            units.append((match.group(0), start, end))
            continue
        run = match.group(0)
        if len(run) == 1:
            units.append((run, start, end))
            continue
        if not (query and number == 0):
            units.append((run[0], start, start + 1))
        for i in range(len(run) - 1):
            units.append((run[i : i + 2], start + i, start + i + 2))
        if not (query and number == len(matches) - 1):
            units.append((run[-1], end - 1, end))
    return units


class BigramTokenizer(_FoldingTokenizer):
    """Overlapping CJK character bigrams (plus each run's edge characters) and whole Latin/digit runs."""

    def __init__(self, t2s: bool = True) -> None:
        self.t2s = t2s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BigramTokenizer) and other.t2s == self.t2s

    def __hash__(self) -> int:
        return hash((BigramTokenizer, self.t2s))

    def _units(self, folded: str) -> list[tuple[str, int, int]]:
        return bigram_units(folded)


class UnitPositions(Positions):
    """Whoosh's `Positions` format, writing the same postings from a folding tokenizer's unit texts
    directly: indexing skips a Token object and two generator steps per unit (a third of writer time
    outside jieba).
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        if not isinstance(value, str) or not isinstance(analyzer, _FoldingTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        for pos, text in enumerate(analyzer.unit_texts(value)):
            found = positions.get(text)
            if found is None:
                positions[text] = [pos]
            else:
                found.append(pos)
        boost = self.field_boost
        encode = self.encode
        for text, found in positions.items():
            yield (text, len(found), len(found) * boost, encode(found))


def word_analyzer(userdict: str | None, t2s: bool = True) -> JiebaTokenizer:
    return JiebaTokenizer(userdict, t2s)


def bigram_analyzer(t2s: bool = True) -> BigramTokenizer:
    return BigramTokenizer(t2s)


def load_word_list(path: Path) -> frozenset[str]:
    """A data file of one word per line; `#` starts a comment."""
    if not path.is_file():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(line)
    return frozenset(words)
