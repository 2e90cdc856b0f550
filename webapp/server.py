"""Serving the app on waitress, the production WSGI server: `serve` for `gongwen serve`, and a
background server on a free port for browser tests and benchmarks."""

from __future__ import annotations

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


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
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
