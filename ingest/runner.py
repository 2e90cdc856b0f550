"""Run `read_document` over many files in worker processes, each with its own time and memory limit.

One forked process per file: a file that hangs, loops or explodes is killed and reported, and the
rest of the batch goes on. Results stream back as they finish.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

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

    @property
    def pages(self) -> int:
        return self.record.page_count if self.record else 0


@dataclass
class _Job:
    path: Path
    doc_id: str
    process: multiprocessing.process.BaseProcess
    conn: Connection
    started: float
    last_progress: float  # when the worker last finished a page; a stall past the limit kills it

    def deadline(self, stall_s: float, total_s: float) -> float:
        return min(self.last_progress + stall_s, self.started + total_s)


ProgressCallback = Callable[[Path, str, int], None]  # (file, event, count): "page" events for OCR


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


def _child(path: Path, doc_id: str, settings: Settings, conn: Connection) -> None:
    from ingest.pipeline import read_document

    # pdfminer warns about every odd font ("Could not get FontBBox"); the file's outcome is what matters.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        _limit_memory(int(settings["ingest"]["file_memory_mb"]))
        record = read_document(path, settings, doc_id=doc_id, on_page=lambda n: conn.send(("progress", n)))
        conn.send(("done", record.to_json()))
    except IngestError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("error", f"needs more than {settings['ingest']['file_memory_mb']} MiB of memory"))
    except RecursionError:
        conn.send(("error", "damaged PDF: objects nested too deeply"))
    except Exception as exc:  # noqa: BLE001 - any library failure becomes a per-file error
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        conn.send(("error", f"could not read PDF: {detail}"))
    finally:
        conn.close()


def run_files(
    jobs: Iterable[tuple[Path, str]],
    settings: Settings,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[FileOutcome]:
    """Read `(path, doc_id)` pairs in parallel; yield a `FileOutcome` per file as each finishes."""
    workers = workers or int(settings["ingest"]["workers"]) or default_workers()
    # A file may take `file_timeout_s` between two finished pages (a loop or a bomb stalls), and at most
    # `file_max_s` in all (a long scan progresses page by page and must not be cut off early).
    timeout = float(settings["ingest"]["file_timeout_s"])
    total = max(timeout, float(settings["ingest"]["file_max_s"]))
    cfg = settings["ingest"]
    preload_cmaps(cfg.get("preload_cmaps", []), cfg.get("preload_unicode_maps", []))
    context = multiprocessing.get_context("fork")
    pending = iter(jobs)
    running: dict[Connection, _Job] = {}
    exhausted = False
    while True:
        while not exhausted and len(running) < workers:
            try:
                path, doc_id = next(pending)
            except StopIteration:
                exhausted = True
                break
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(path, doc_id, settings, sender), daemon=True)
            process.start()
            sender.close()
            now = time.monotonic()
            running[receiver] = _Job(path, doc_id, process, receiver, now, now)
        if not running:
            return
        now = time.monotonic()
        next_deadline = min(job.deadline(timeout, total) for job in running.values())
        ready = wait(list(running), timeout=max(0.0, next_deadline - now))
        for conn in ready:
            job = running[conn]
            outcome = _collect(job, on_progress)
            if outcome is not None:
                del running[conn]
                yield outcome
        now = time.monotonic()
        for conn, job in list(running.items()):
            if now >= job.deadline(timeout, total):
                job.process.kill()
                job.process.join()
                conn.close()
                del running[conn]
                yield FileOutcome(
                    job.path, job.doc_id, None, _timeout_reason(job, now, timeout, total), now - job.started
                )


def _timeout_reason(job: _Job, now: float, stall_s: float, total_s: float) -> str:
    if now - job.started >= total_s:
        return f"took longer than {total_s:g} s in all; stopped"
    return f"took longer than {stall_s:g} s without finishing a page; stopped"


def _collect(job: _Job, on_progress: ProgressCallback | None) -> FileOutcome | None:
    """Read one message from a worker; return the outcome once the worker is finished."""
    elapsed = time.monotonic() - job.started
    try:
        kind, payload = job.conn.recv()
    except (EOFError, OSError):
        job.process.join()
        job.conn.close()
        code = job.process.exitcode
        reason = "worker ran out of memory" if code in (-9, -6) else f"worker died (exit code {code})"
        return FileOutcome(job.path, job.doc_id, None, reason, elapsed)
    if kind == "progress":
        job.last_progress = time.monotonic()
        if on_progress:
            on_progress(job.path, "page", int(payload))
        return None
    job.process.join()
    job.conn.close()
    if kind == "done":
        return FileOutcome(job.path, job.doc_id, DocumentRecord.from_json(payload), None, elapsed)
    return FileOutcome(job.path, job.doc_id, None, str(payload), elapsed)
