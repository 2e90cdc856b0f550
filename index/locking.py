"""Write locks on the index: one writer at a time across processes, and no lock outlives its process.

Whoosh 3's `MAIN_WRITELOCK` is an `fcntl.flock` on a file that is never deleted: the kernel releases the
lock when its holder dies, so only a dead writer's temporary files need clearing. We also hold our own
flock around updates and rebuilds (with the holder's pid inside, for the error message).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


class IndexLockedError(RuntimeError):
    """Another live process kept the index's write lock for longer than the timeout."""


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


@contextmanager
def writer_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive flock on `path`, waiting at most `timeout_s` for a live holder to finish."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while not _try_flock(fd):
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                raise IndexLockedError(
                    f"the index at {path.parent} is being written by another process (pid {holder});"
                    f" gave up after {timeout_s:g} s"
                )
            time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def clear_stale_whoosh_lock(index_folder: Path) -> bool:
    """Clear what a dead Whoosh writer left behind (its temporary posting pool); True if anything was.

    Whoosh's lock file (`MAIN_WRITELOCK`) is an flock, released by the kernel when its holder dies, so
    the file itself is never stale and stays: deleting it could let two writers lock two different
    files. We take that flock ourselves while clearing, so no Whoosh writer can start meanwhile; a lock
    held by a live process (ours or a foreign Whoosh writer) is left alone. Call it while holding
    `writer_lock`.
    """
    # Whoosh names the lock after the index (`MAIN_WRITELOCK`); plain `WRITELOCK` is the old name.
    lock_files = sorted(index_folder.glob("*WRITELOCK"))
    if not lock_files:
        return False
    held: list[int] = []
    try:
        for lock_file in lock_files:
            fd = os.open(lock_file, os.O_RDWR)
            held.append(fd)
            if not _try_flock(fd):
                return False
        leftovers = list(index_folder.glob("*.tmp"))
        for leftover in leftovers:
            # A dead writer's posting pool; never part of a committed generation.
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    finally:
        for fd in held:
            os.close(fd)  # closing releases the flock
    if leftovers:
        log.warning("cleared the temporary files of a dead index writer in %s", index_folder)
    return bool(leftovers)
