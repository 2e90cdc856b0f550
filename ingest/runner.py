"""Run `read_document` over many files in worker processes, each file with its own time and memory limit.

A few long-lived workers (one per core) read files in turn, one job queued ahead so a worker never waits
for the parent; a file that hangs, loops or explodes gets its worker killed and reported, its queued
neighbours go to a fresh worker, and the rest of the batch goes on. A dispatcher thread keeps the
workers fed while the caller stores and indexes, and results stream back as they finish.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import resource
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.record import DocumentRecord
from ingest.settings import Settings


@dataclass
class FileOutcome:
    """What happened to one file: a record, or a plain-words error."""

    path: Path
    doc_id: str
    record: DocumentRecord | None
    error: str | None
    seconds: float
    extra: Any = None  # what the caller's `prepare` made of the record in the worker

    @property
    def pages(self) -> int:
        return self.record.page_count if self.record else 0


Job = tuple[Path, str]


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    jobs: Connection  # parent → worker: a job, or None for "exit"
    results: Connection  # worker → parent: start, progress, done, error
    sent: deque[Job] = field(default_factory=deque)  # handed over, not finished; sent[0] is being read
    assigned: int = 0
    finished: int = 0
    reading: bool = False  # the worker said "start" for sent[0]
    started: float = 0.0
    last_progress: float = 0.0  # when the worker last finished a page; a stall past the limit kills it
    retiring: bool = False

    def deadline(self, stall_s: float, total_s: float) -> float:
        return min(self.last_progress + stall_s, self.started + total_s)


ProgressCallback = Callable[[Path, str, int], None]  # (file, event, count): "page" events for OCR
# Runs in the worker on each record read (the caller's extra work, e.g. the indexer's word cuts).
Prepare = Callable[[DocumentRecord], Any]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def preload_cmaps(cmaps: Iterable[str], unicode_maps: Iterable[str]) -> None:
    """Load pdfminer's CJK character maps once in the parent, so every forked worker inherits them.

    pdfminer caches them per process; without this each worker re-reads them for every file that uses a
    non-embedded CID font (STSong-Light, SimSun …), which measured about 0.4 s per file.
    """
    from pdfminer.cmapdb import CMapDB

    for name in cmaps:
        try:
            CMapDB.get_cmap(name)
        except CMapDB.CMapNotFound:
            logging.getLogger(__name__).warning("pdfminer has no CMap named %s (preload_cmaps)", name)
    for collection in unicode_maps:
        for vertical in (False, True):
            try:
                CMapDB.get_unicode_map(collection, vertical)
            except CMapDB.CMapNotFound:
                logging.getLogger(__name__).warning("pdfminer has no unicode map %s", collection)


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(
    settings: Settings, jobs: Connection, results: Connection, inherited: list[Connection],
    prepare: Prepare | None = None,
) -> None:
    """Read the files the parent sends, one at a time, until told to stop or the parent is gone."""
    for conn in inherited:  # other workers' pipe ends: holding them would hide the parent's death
        conn.close()
    # pdfminer warns about every odd font ("Could not get FontBBox"); the file's outcome is what matters.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    _limit_memory(int(settings["ingest"]["file_memory_mb"]))
    try:
        while True:
            try:
                job = jobs.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            results.send(("start", None))
            if not _read_one(job, settings, results, prepare):
                return  # after a memory or library failure the next file deserves a fresh process
    finally:
        results.close()


def _read_one(job: Job, settings: Settings, conn: Connection, prepare: Prepare | None) -> bool:
    """Read one file and send its outcome; False when the worker should not be trusted with another."""
    from ingest.pipeline import read_document

    path, doc_id = job
    try:
        record = read_document(path, settings, doc_id=doc_id, on_page=lambda n: conn.send(("progress", n)))
        conn.send(("done", (record.to_json(), _prepared(prepare, record))))
        return True
    except IngestError as exc:
        conn.send(("error", str(exc)))
        return True
    except MemoryError:
        conn.send(("error", _memory_message(settings)))
    except RecursionError:
        conn.send(("error", "damaged PDF: objects nested too deeply"))
    except Exception as exc:  # noqa: BLE001 - any library failure becomes a per-file error
        if _reached_memory_limit():
            # C code that fails to allocate at the address-space limit may raise anything (e.g.
            # "SystemError: error return without exception set"); the limit is the real reason.
            conn.send(("error", _memory_message(settings)))
        else:
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            conn.send(("error", f"could not read PDF: {detail}"))
    return False


def _memory_message(settings: Settings) -> str:
    return f"needs more than {settings['ingest']['file_memory_mb']} MiB of memory"


# Peak address space within this share of RLIMIT_AS counts as having hit the limit.
_NEAR_LIMIT = 0.9


def _reached_memory_limit() -> bool:
    """Whether this process's peak address space came within reach of its RLIMIT_AS."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return False
    return peak_kb * 1024 >= _NEAR_LIMIT * limit


def _prepared(prepare: Prepare | None, record: DocumentRecord) -> Any:
    if prepare is None:
        return None
    try:
        return prepare(record)
    except Exception:  # noqa: BLE001 - extra work is an optimisation: the caller does it itself instead
        logging.getLogger(__name__).exception("prepare failed for %s", record.filename)
        return None


class _Dispatcher:
    """Keeps up to `workers` processes busy with jobs and puts outcomes on a queue for the caller."""

    def __init__(
        self, jobs: Iterable[Job], settings: Settings, workers: int, prepare: Prepare | None = None
    ) -> None:
        cfg = settings["ingest"]
        self.settings = settings
        self.prepare = prepare
        self.workers = workers
        # A file may take `file_timeout_s` between two finished pages (a loop or a bomb stalls), and at
        # most `file_max_s` in all (a long scan progresses page by page and must not be cut off early).
        self.stall_s = float(cfg["file_timeout_s"])
        self.total_s = max(self.stall_s, float(cfg["file_max_s"]))
        self.ahead = max(1, int(cfg.get("jobs_ahead", 1)))
        self.max_files = int(cfg.get("worker_max_files", 0))
        self.pending: deque[Job] = deque(jobs)
        self.retry: deque[Job] = deque()  # queued at a worker that died before starting them
        self.running: dict[Connection, _Worker] = {}
        self.out: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=256)
        self.stop = threading.Event()
        self.context = multiprocessing.get_context("fork")

    # --- jobs and workers ---------------------------------------------------------------------------

    @property
    def exhausted(self) -> bool:
        return not self.pending

    def _next_job(self) -> Job | None:
        if self.retry:
            return self.retry.popleft()
        return self.pending.popleft() if self.pending else None

    def _depth(self) -> int:
        """Jobs a worker may hold: its own and `ahead` more, fewer once the rest would not go round."""
        left = len(self.pending) + len(self.retry)
        return 1 + min(self.ahead, left // max(1, self.workers))

    def _spawn(self) -> _Worker:
        job_recv, job_send = self.context.Pipe(duplex=False)
        result_recv, result_send = self.context.Pipe(duplex=False)
        inherited = [c for w in self.running.values() for c in (w.jobs, w.results)] + [job_send, result_recv]
        process = self.context.Process(
            target=_worker_main,
            args=(self.settings, job_recv, result_send, inherited, self.prepare),
            daemon=True,
        )
        process.start()
        job_recv.close()
        result_send.close()
        worker = _Worker(process, job_send, result_recv)
        self.running[result_recv] = worker
        return worker

    def _feed(self) -> None:
        for worker in list(self.running.values()):
            self._top_up(worker)
            if not worker.sent and not worker.retiring and self.exhausted and not self.retry:
                self._retire(worker)  # nothing left to read: let it exit now, not at the end
        while len(self.running) < self.workers and (self.retry or not self.exhausted):
            job = self._next_job()
            if job is None:
                break
            worker = self._spawn()
            self._send(worker, job)
            self._top_up(worker)

    def _top_up(self, worker: _Worker) -> None:
        while not worker.retiring and (not worker.sent or len(worker.sent) < self._depth()):
            if self.max_files and worker.assigned >= self.max_files:
                self._retire(worker)
                return
            job = self._next_job()
            if job is None:
                return
            self._send(worker, job)

    def _send(self, worker: _Worker, job: Job) -> None:
        if not worker.sent:
            worker.started = worker.last_progress = time.monotonic()
        worker.sent.append(job)
        worker.assigned += 1
        try:
            worker.jobs.send(job)
        except OSError:
            pass  # the worker is gone; its EOF on the result pipe hands the job on

    def _retire(self, worker: _Worker) -> None:
        worker.retiring = True
        try:
            worker.jobs.send(None)
        except OSError:
            pass

    def _drop(self, worker: _Worker, kill: bool) -> None:
        if kill:
            worker.process.kill()
        worker.process.join()
        worker.jobs.close()
        worker.results.close()
        del self.running[worker.results]
        # Jobs the worker never started go to the front of the line, in their order.
        unstarted = list(worker.sent)[1:] if worker.reading else list(worker.sent)
        self.retry.extendleft(reversed(unstarted))
        worker.sent.clear()

    # --- the loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._loop()
            self.out.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.out.put(("raise", exc))
        finally:
            for worker in list(self.running.values()):
                self._drop(worker, kill=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            self._feed()
            if not self.running:
                return
            now = time.monotonic()
            busy = [w for w in self.running.values() if w.sent]
            next_deadline = min((w.deadline(self.stall_s, self.total_s) for w in busy), default=now + 1.0)
            # Wake at least every second to notice `stop`.
            timeout = min(1.0, max(0.0, next_deadline - now))
            for conn in wait(list(self.running), timeout=timeout):
                self._receive(self.running[conn])  # type: ignore[index]
            now = time.monotonic()
            for worker in [w for w in self.running.values() if w.sent]:
                if now >= worker.deadline(self.stall_s, self.total_s):
                    path, doc_id = worker.sent[0]
                    reason = self._timeout_reason(worker, now)
                    worker.reading = True  # its first job is the one that failed
                    self._drop(worker, kill=True)
                    self._emit(FileOutcome(path, doc_id, None, reason, now - worker.started))

    def _emit(self, outcome: FileOutcome) -> None:
        self._put(("outcome", outcome))

    def _put(self, item: tuple[str, Any]) -> None:
        while not self.stop.is_set():
            try:
                self.out.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _timeout_reason(self, worker: _Worker, now: float) -> str:
        if now - worker.started >= self.total_s:
            return f"took longer than {self.total_s:g} s in all; stopped"
        return f"took longer than {self.stall_s:g} s without finishing a page; stopped"

    def _receive(self, worker: _Worker) -> None:
        try:
            kind, payload = worker.results.recv()
        except (EOFError, OSError):
            self._worker_gone(worker)
            return
        now = time.monotonic()
        if kind == "start":
            worker.reading = True
            worker.started = worker.last_progress = now
            return
        path, doc_id = worker.sent[0]
        if kind == "progress":
            worker.last_progress = now
            self._put(("progress", (path, int(payload))))
            return
        worker.sent.popleft()
        worker.reading = False
        worker.finished += 1
        elapsed = now - worker.started
        worker.started = worker.last_progress = now  # the queued job's clock, until it says "start"
        if kind == "done":
            record_json, extra = payload
            self._emit(FileOutcome(path, doc_id, DocumentRecord.from_json(record_json), None, elapsed, extra))
        else:
            self._emit(FileOutcome(path, doc_id, None, str(payload), elapsed))

    def _worker_gone(self, worker: _Worker) -> None:
        # A worker that dies before reading anything would die again: its first job fails, not loops.
        if worker.sent and not worker.finished:
            worker.reading = True
        failed = worker.sent[0] if worker.reading and worker.sent else None
        elapsed = time.monotonic() - worker.started
        self._drop(worker, kill=False)
        if failed is not None:
            code = worker.process.exitcode
            reason = "worker ran out of memory" if code in (-9, -6) else f"worker died (exit code {code})"
            self._emit(FileOutcome(failed[0], failed[1], None, reason, elapsed))


def run_files(
    jobs: Iterable[Job],
    settings: Settings,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    prepare: Prepare | None = None,
) -> Iterator[FileOutcome]:
    """Read `(path, doc_id)` pairs in parallel; yield a `FileOutcome` per file as each finishes.

    `prepare(record)`, when given, runs in the worker after each record is read; its result (picklable)
    comes back as `FileOutcome.extra`, None if it raised.
    """
    workers = workers or int(settings["ingest"]["workers"]) or default_workers()
    cfg = settings["ingest"]
    preload_cmaps(cfg.get("preload_cmaps", []), cfg.get("preload_unicode_maps", []))
    dispatcher = _Dispatcher(jobs, settings, workers, prepare)
    thread = threading.Thread(target=dispatcher.run, name="ingest-dispatcher", daemon=True)
    thread.start()
    try:
        while True:
            kind, payload = dispatcher.out.get()
            if kind == "outcome":
                yield payload
            elif kind == "progress":
                if on_progress:
                    on_progress(payload[0], "page", payload[1])
            elif kind == "raise":
                raise payload
            else:
                return
    finally:
        dispatcher.stop.set()
        thread.join()
