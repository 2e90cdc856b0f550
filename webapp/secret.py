"""The Flask secret key: generated once per index folder and kept there, never written in code."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

SECRET_FILE = "web_secret_key"


def load_or_create_secret_key(index_dir: Path) -> bytes:
    """Read `index_dir/web_secret_key`, creating it (mode 0600) on first use.

    The key is written to a temporary file and hard-linked into place, so the file is never seen empty
    and two servers starting together agree on one key.
    """
    path = index_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".secret-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return path.read_bytes().strip()
