"""Serving the app on waitress, the production WSGI server: `serve` for `gongwen serve`, and a
background server on a free port for browser tests and benchmarks."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import waitress
from flask import Flask
from waitress.server import create_server


def _options(app: Flask, threads: int) -> dict:
    max_body = int(app.config.get("MAX_CONTENT_LENGTH") or 50 * 1024 * 1024) + 1024 * 1024
    return {
        "threads": max(1, threads),
        "ident": "gongwen",
        "max_request_body_size": max_body,
        # Proxy headers are ignored unless a deployment configures trusted proxies itself.
        "clear_untrusted_proxy_headers": True,
        "channel_timeout": 60,
    }


# glibc's mallopt parameter number for the most malloc arenas (malloc.h: M_ARENA_MAX).
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas before the server's threads start; False where that is not glibc.

    glibc gives each thread that allocates under contention an arena of its own and rarely hands their
    free pages back, so a threaded server's RSS grows with its thread count rather than its data
    (100k documents, 8 threads: peak 731 MiB with the default, 565 MiB with 2 arenas).
    """
    if arenas <= 0:
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def serve(app: Flask, host: str, port: int, threads: int, malloc_arenas: int = 0) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); `malloc_arenas` > 0 caps glibc's arenas first."""
    limit_malloc_arenas(malloc_arenas)
    waitress.serve(app, host=host, port=port, **_options(app, threads))


@contextmanager
def background_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> Iterator[str]:
    """Run the app in a thread on `port` (0 = a free one); yields its base URL, stops on exit."""
    server = create_server(app, host=host, port=port, **_options(app, threads))
    thread = threading.Thread(target=server.run, name="gongwen-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)
