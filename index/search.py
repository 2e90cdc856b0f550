"""The read side of the index: search with filters, facets, snippets, more-like-this and suggestions.

One `SearchEngine` serves every thread of the web server. It keeps one Whoosh searcher and its facet table
and swaps both for fresh ones when a commit (or a rebuild) lands; requests in flight keep the snapshot they
started with. Requests on one snapshot take turns: Whoosh's posting readers seek and read a shared file
object, so two threads in one searcher corrupt each other's reads.
"""

from __future__ import annotations

import heapq
import math
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex
from whoosh.reading import ReaderClosed
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from index.execute import Executor
from index.facets import FacetCache, FacetTable
from index.normalize import fold
from index.phrasetext import FOLDED_TEXT, FieldRuns, PhraseTexts
from index.postings import SnapshotPostings, leaves
from index.postingstore import STORE_FILE, SegmentPostingStore
from index.querying import BuiltQuery, QueryBuilder
from index.results import FACET_FIELDS, SORTS, FacetCount, Hit, QueryError, SearchRequest, SearchResult
from index.segcache import SegmentCache, remove_orphan_files, segment_ids
from index.similar import SimilarQueryBuilder, run_similar
from index.snippets import Highlighter
from index.writer import open_index, whoosh_folder
from ingest.settings import Settings


@dataclass
class _Snapshot:
    """A searcher, its facet table, posting dicts and phrase texts, all of one index generation."""

    searcher: Searcher
    table: FacetTable
    postings: SnapshotPostings
    texts: dict[str, FieldRuns]
    folder: Path
    generation: int
    users: int = 0
    retired: bool = False
    reading: threading.RLock = field(default_factory=threading.RLock)


def _close_quietly(searcher: Searcher) -> None:
    """Close a searcher that close() or a refresh may already have closed."""
    try:
        searcher.close()
    except ReaderClosed:
        pass


class SearchEngine:
    def __init__(self, index_dir: Path, settings: Settings) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        section = settings["index"]
        web = settings.as_dict().get("web", {})
        self.max_query_chars = int(section.get("max_query_chars", 256))
        self.time_limit_s = float(section.get("query_time_limit_s", 5.0))
        self.max_per_page = int(web.get("max_per_page", 100))
        self.facet_limit = int(section.get("facet_limit", 50))
        self.relax_below = int(section.get("relax_below", 10))
        self.builder = QueryBuilder(settings)
        self.highlighter = Highlighter(
            section.get("userdict"),
            bool(section.get("traditional_to_simplified", True)),
            fragment_chars=int(section.get("snippet_chars", 120)),
            fragments=int(section.get("snippet_fragments", 2)),
        )
        self.weighting = BM25F(B=float(section.get("bm25_b", 0.75)), K1=float(section.get("bm25_k1", 1.2)))
        self.similar_builder = SimilarQueryBuilder(settings)
        self.postings_cache_entries = int(section.get("postings_cache_entries", 2_000_000))
        self.result_cache_entries = int(section.get("result_cache_entries", 500_000))
        self.score_all_below = int(section.get("score_all_below", 2000))
        self.bm25 = (float(section.get("bm25_k1", 1.2)), float(section.get("bm25_b", 0.75)))
        self._facets = FacetCache()
        self.posting_store_min_docs = int(section.get("posting_store_min_docs", 128))
        self._posting_stores: SegmentCache[SegmentPostingStore] = SegmentCache()
        self._texts = PhraseTexts(
            bool(section.get("traditional_to_simplified", True)),
            bool(section.get("phrase_text_files", True)),
            int(section.get("phrase_read_chunk_kb", 1024)) * 1024,
            int(float(section.get("phrase_text_memory_mb", 96)) * (1 << 20)),
        )
        self._lock = threading.Lock()
        self._ix: FileIndex | None = None
        self._snapshot: _Snapshot | None = None

    # --- snapshots ----------------------------------------------------------------------------------

    def _current(self) -> _Snapshot:
        """The snapshot for a new request, held for this thread alone until `_release`."""
        snap = self._acquire_snapshot()
        # Counted as a user already, so it is neither refreshed nor closed while this thread waits.
        snap.reading.acquire()
        return snap

    def _acquire_snapshot(self) -> _Snapshot:
        """The snapshot for a new request, refreshed if the index changed on disk."""
        link = whoosh_folder(self.index_dir)
        with self._lock:
            snap = self._snapshot
            folder = link.resolve() if link.exists() else None
            if snap is not None and folder == snap.folder:
                try:
                    fresh = snap.searcher.up_to_date()
                except OSError:
                    fresh = False
                if fresh:
                    snap.users += 1
                    return snap
            if self._ix is None or folder != (snap.folder if snap else None):
                self._ix = open_index(self.index_dir, self.settings, for_search=True)
                searcher = self._ix.searcher(weighting=self.weighting)
                folder = link.resolve()
            else:
                # Not `searcher.refresh()`: in whoosh3 3.54 its reader reuse appends the old reader's
                # segments to the new ones, so after a delete + update the refreshed searcher counted
                # 7 documents instead of 5 (test_apply_reconcile_rebuild_and_searcher_refresh). A new
                # searcher costs one TOC read; facet values of unchanged segments are reused anyway.
                searcher = self._ix.searcher(weighting=self.weighting)
            generation = searcher.reader().generation() or 0
            reader = searcher.reader()
            stores = self._stores(reader, folder)
            postings = SnapshotPostings(
                reader, self.postings_cache_entries, *self.bm25, stores, self.result_cache_entries
            )
            texts = self._texts.table(reader, folder)
            new = _Snapshot(searcher, self._facets.table(reader), postings, texts, folder, generation)
            # An engine dropped without close() still releases its segment files (open ones when mmap is off).
            weakref.finalize(new, _close_quietly, searcher)
            if snap is not None:
                snap.retired = True
                self._release_locked(snap, 0)
            new.users = 1
            self._snapshot = new
            return new

    def _stores(self, reader: Any, folder: Path | None) -> list[SegmentPostingStore | None]:
        """Each segment's store of decoded long postings (None for all when `posting_store` is off)."""
        if self.posting_store_min_docs <= 0 or folder is None:
            return [None] * len(leaves(reader))

        def open_store(leaf: Any) -> SegmentPostingStore:
            name = STORE_FILE.format(segment=leaf.segment().segment_id()) if leaf.segment() else None
            return SegmentPostingStore(folder / name if name else None, self.posting_store_min_docs)

        parts = self._posting_stores.per_segment(reader, open_store)
        remove_orphan_files(folder, STORE_FILE.split("{segment}")[0], segment_ids(parts))
        return [store for _leaf, _offset, store in parts]

    def _release(self, snap: _Snapshot) -> None:
        snap.reading.release()
        with self._lock:
            self._release_locked(snap, 1)

    @staticmethod
    def _release_locked(snap: _Snapshot, count: int) -> None:
        snap.users -= count
        if snap.retired and snap.users <= 0:
            snap.searcher.close()

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.retired = True
                self._release_locked(self._snapshot, 0)
                self._snapshot = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None

    # --- search -------------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        self._validate(request)
        snap = self._current()
        try:
            return self._search(snap, request, started)
        finally:
            self._release(snap)

    def facets(self, request: SearchRequest) -> dict[str, list[FacetCount]]:
        self._validate(request)
        snap = self._current()
        try:
            built = self.builder.build(request.q, snap.searcher.reader())
            matched, _ = self._matched(snap, built, self._allowed(snap.table, request), time.perf_counter())
            return snap.table.count(matched, self.facet_limit)
        finally:
            self._release(snap)

    def _validate(self, request: SearchRequest) -> None:
        if len(request.q or "") > self.max_query_chars:
            raise QueryError("q", f"the query is longer than {self.max_query_chars} characters")
        if not isinstance(request.page, int) or request.page < 1:
            raise QueryError("page", "page must be a whole number from 1")
        if not isinstance(request.per_page, int) or not 1 <= request.per_page <= self.max_per_page:
            raise QueryError("per_page", f"per_page must be between 1 and {self.max_per_page}")
        if request.sort not in SORTS:
            raise QueryError("sort", f"sort must be one of {', '.join(SORTS)}")
        if request.year:
            _year_range(request.year)

    def _allowed(self, table: FacetTable, request: SearchRequest) -> frozenset[int] | None:
        """Document numbers passing the filters, or None when there are no filters."""
        sets: list[frozenset[int]] = []
        if request.issuer:
            sets.append(table.docs_with("issuer", request.issuer.strip()))
        if request.year:
            sets.append(table.docs_in_years(*_year_range(request.year)))
        if request.category:
            sets.append(table.docs_with("category", request.category.strip().upper()))
        if request.doc_type:
            sets.append(table.docs_with("doc_type", request.doc_type.strip()))
        if not sets:
            return None
        sets.sort(key=len)
        result = sets[0]
        for other in sets[1:]:
            result = result & other
        return result

    def _executor(self, snap: _Snapshot, started: float) -> Executor:
        deadline = started + self.time_limit_s if self.time_limit_s > 0 else math.inf
        return Executor(snap.postings, snap.texts, snap.searcher, snap.table, deadline, self.score_all_below)

    def _matched(
        self, snap: _Snapshot, built: BuiltQuery, allowed: frozenset[int] | None, started: float
    ) -> tuple[list[int], bool]:
        """Every live document number matching the query and filters; True if the time limit cut it short."""
        if built.empty:
            docs = snap.table.live if allowed is None else allowed
            return list(docs), False
        executor = self._executor(snap, started)
        docs = executor.run(built.query, allowed).docs
        return list(_filtered(docs, snap.table.live, allowed)), executor.timed_out

    def _search(self, snap: _Snapshot, request: SearchRequest, started: float) -> SearchResult:
        searcher = snap.searcher
        try:
            built = self.builder.build(request.q, searcher.reader())
        except QueryError:
            raise
        except Exception as exc:  # Whoosh's parser rejects some inputs with assorted errors
            raise QueryError("q", f"the query could not be read: {exc}") from exc
        allowed = self._allowed(snap.table, request)
        executor = self._executor(snap, started)
        if built.empty:
            exact = set(snap.table.live if allowed is None else allowed)
            leaves: list = []
        else:
            found = executor.run(built.query, allowed)
            exact = _filtered(found.docs, snap.table.live, allowed)
            leaves = found.leaves
        exact_total = len(exact)
        partial: list[set[int]] = []
        if built.clauses and exact_total < self.relax_below:
            partial = self._partial(snap, executor, built, allowed, exact)
        wanted = request.page * request.per_page
        scores: dict[int, float | None] = {}
        if built.empty or request.sort == "date":
            date = snap.table.date
            everything = list(exact) + [n for bucket in partial for n in bucket]
            ordered = heapq.nlargest(wanted, everything, key=lambda n: (date[n], -n))
        else:
            ordered = []
            relaxed = [leaf for c in built.clauses for leaf in executor.run(c).leaves] if partial else []
            for bucket, bucket_leaves in [(exact, leaves)] + [(b, relaxed) for b in partial]:
                if len(ordered) >= wanted:
                    break
                if bucket:
                    top = executor.top(bucket, bucket_leaves, wanted - len(ordered), self.score_all_below)
                    ordered += [d for _s, d in top]
                    scores.update({d: round(s, 4) for s, d in top})
        matched = list(exact) + [n for bucket in partial for n in bucket]
        page_docs = ordered[(request.page - 1) * request.per_page : wanted]
        pattern = self.highlighter.matcher(built.highlight) if request.highlight else None
        folded = snap.texts.get(FOLDED_TEXT)
        hits = [self._hit(searcher, n, scores.get(n), pattern, folded) for n in page_docs]
        result = SearchResult(
            query=request.q,
            total=len(matched),
            page=request.page,
            per_page=request.per_page,
            took_ms=0.0,
            hits=hits,
            facets=snap.table.count(matched, self.facet_limit),
            terms=list(dict.fromkeys(built.terms)),
        )
        result.timed_out = executor.timed_out
        result.exact_total = exact_total
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _partial(
        self, snap: _Snapshot, executor: Executor, built: BuiltQuery, allowed: frozenset[int] | None,
        exact: set[int],
    ) -> list[set[int]]:
        """Documents matching some but not all words, best covered first.

        A document's coverage is the sum of the rarity (log inverse document frequency) of the words it
        holds, so one rare word outweighs a word every document has (通知, 办理情况). Documents of equal
        coverage form a bucket that BM25F then orders.
        """
        live = max(1, len(snap.table.live))
        coverage: dict[int, float] = {}
        for clause in built.clauses:
            docs = _filtered(executor.run(clause).docs, snap.table.live, allowed)
            weight = math.log(1 + live / max(1, len(docs)))
            for docnum in docs - exact:
                coverage[docnum] = coverage.get(docnum, 0.0) + weight
        buckets: dict[float, set[int]] = {}
        for docnum, value in coverage.items():
            buckets.setdefault(round(value, 6), set()).add(docnum)
        return [buckets[value] for value in sorted(buckets, reverse=True)]

    def _hit(
        self, searcher: Searcher, docnum: int, score: float | None, pattern: Any,
        folded: FieldRuns | None = None,
    ) -> Hit:
        stored = searcher.stored_fields(docnum)
        text = stored.get("text") or ""
        known = folded.text(docnum) if folded is not None and pattern is not None and text else None
        snippet = self.highlighter.snippet(text, pattern, known)
        return Hit(
            id=stored["id"],
            title=stored.get("title") or None,
            doc_number=stored.get("doc_number"),
            issuer=stored.get("issuer"),
            issuers=list(stored.get("issuers") or []),
            date=stored.get("date") or None,
            year=stored.get("year"),
            category=stored.get("category") or None,
            doc_type=stored.get("doc_type") or None,
            filename=stored.get("filename") or "",
            snippet=snippet,
            score=score,
        )

    # --- more like this, suggestions, stats ---------------------------------------------------------

    def similar(
        self, doc_id: str, limit: int = 10, request_filters: SearchRequest | None = None
    ) -> SearchResult:
        """Documents like the stored `doc_id`, ranked as `similar_text` ranks its title and text."""
        snap = self._current()
        try:
            docnum = snap.searcher.document_number(id=doc_id)
            if docnum is None:
                return SearchResult(query="", total=0, page=1, per_page=limit, took_ms=0.0)
            stored = snap.searcher.stored_fields(docnum)
            text = f"{stored.get('title') or ''}\n{stored.get('text') or ''}"
            return run_similar(self, snap, text, limit, request_filters, exclude=docnum)
        finally:
            self._release(snap)

    def similar_text(
        self, text: str, limit: int = 10, request_filters: SearchRequest | None = None
    ) -> SearchResult:
        """Documents like a pasted text of any length (query by document, `index.similar`)."""
        snap = self._current()
        try:
            return run_similar(self, snap, text, limit, request_filters)
        finally:
            self._release(snap)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions for `prefix`: issuers and titles containing it, then frequent words beginning it."""
        prefix = (prefix or "").strip()[: self.max_query_chars]
        if not prefix:
            return []
        snap = self._current()
        try:
            folded = fold(prefix)
            table = snap.table
            issuers = {v for v in table.issuer if v}
            issuers.update(v for values in table.extra_issuers.values() for v in values)
            out = sorted(
                (i for i in issuers if folded in fold(i)), key=lambda i: (not fold(i).startswith(folded), i)
            )
            searcher = snap.searcher
            titles = searcher.search(self.builder.title_phrase(prefix), limit=limit)
            out += [hit["title"] for hit in titles if hit.get("title")]
            out += self._frequent_words(searcher.reader(), folded, limit)
            return list(dict.fromkeys(out))[:limit]
        finally:
            self._release(snap)

    @staticmethod
    def _frequent_words(reader: Any, folded: str, limit: int) -> list[str]:
        words: list[tuple[int, str]] = []
        for raw in reader.expand_prefix("content", folded):
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if len(term) > len(folded):
                words.append((reader.doc_frequency("content", term), term))
            if len(words) > 2000:
                break  # a one-character prefix over a large lexicon: the first words are enough
        words.sort(key=lambda item: (-item[0], item[1]))
        return [w for _f, w in words[:limit]]

    def stats(self) -> dict[str, Any]:
        snap = self._current()
        try:
            folder = snap.folder
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
            tocs = list(folder.glob("_*.toc"))
            last_commit = max((f.stat().st_mtime for f in tocs), default=None)
            return {
                "documents": snap.searcher.doc_count(),
                "index_bytes": size,
                "last_commit": last_commit,
                "generation": snap.generation,
                "folder": os.fspath(folder),
            }
        finally:
            self._release(snap)

    def _opt(self, key: str, default: Any) -> Any:
        return self.settings.get("index", key, default)


def _filtered(docs: Any, live: frozenset[int], allowed: frozenset[int] | None) -> set[int] | frozenset[int]:
    """`docs` restricted to live documents passing the filters (the smaller set is iterated); never
    changed by callers, since it may be a cached sub-query's set."""
    if allowed is None:
        # Every node matches live documents only (postings leave deletions out, `within` sets are live).
        return docs if isinstance(docs, (set, frozenset)) else set(docs)
    keep = allowed
    if isinstance(docs, (set, frozenset)):
        return set(docs & keep)
    return set(keep & docs) if len(keep) < len(docs) else {d for d in docs if d in keep}


def _year_range(value: str | int) -> tuple[int, int]:
    text = str(value).strip()
    parts = text.split("..")
    try:
        if len(parts) == 1:
            year = int(parts[0])
            first, last = year, year
        elif len(parts) == 2:
            first, last = int(parts[0]), int(parts[1])
        else:
            raise ValueError(text)
    except ValueError as exc:
        raise QueryError("year", f"year must be like 2024 or 2020..2023, not {text!r}") from exc
    if not (1900 <= first <= 2100 and 1900 <= last <= 2100):
        raise QueryError("year", f"year out of range: {text!r}")
    return (first, last) if first <= last else (last, first)


__all__ = ["SearchEngine", "FACET_FIELDS"]
