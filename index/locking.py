"""Write locks on the index: one writer at a time across processes, and no lock outlives its process.

Whoosh 3's `WRITELOCK` is an `fcntl.flock` on a file that is never deleted: the kernel releases the lock
when its holder dies, so a lock file nobody holds is stale and can go. We also hold our own flock around
updates and rebuilds (with the holder's pid inside, for the error message) and clear a dead writer's
temporary files.
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
    """Remove a `WRITELOCK` (and temp folders) left by a dead writer; True if one was cleared.

    Call it while holding `writer_lock`, so no writer of ours can be starting at the same moment. A lock
    held by a live process (ours or a foreign Whoosh writer) is left alone.
    """
    lock_file = index_folder / "WRITELOCK"
    if not lock_file.exists():
        return False
    fd = os.open(lock_file, os.O_RDWR)
    try:
        if not _try_flock(fd):
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    lock_file.unlink(missing_ok=True)
    leftovers = list(index_folder.glob("*.tmp"))
    for leftover in leftovers:
        # A dead writer's posting pool; never part of a committed generation.
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    if leftovers:
        log.warning("cleared the write lock and temporary files of a dead writer in %s", index_folder)
    return True
