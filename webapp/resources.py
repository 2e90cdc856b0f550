"""The app's handles on the index and the record store, as in Flask's tutorial `get_db()`.

One `SearchEngine` per app (it is thread-safe and refreshes its searcher when the index changes) and one
`RecordStore` connection per request, kept on `g` and closed by `teardown_appcontext`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g

from ingest.settings import Settings
from ingest.store import RecordStore

if TYPE_CHECKING:
    from index.search import SearchEngine

_ENGINE_LOCK = threading.Lock()


def settings() -> Settings:
    return current_app.config["GONGWEN_SETTINGS"]


def web_setting(key: str, default: Any = None) -> Any:
    return settings().get("web", key, default)


def get_engine() -> SearchEngine:
    """The app's search engine, opened on first use (the index may not exist when the app is built)."""
    state = current_app.extensions["gongwen"]
    engine = state.get("engine")
    if engine is None:
        with _ENGINE_LOCK:
            engine = state.get("engine")
            if engine is None:
                from index.search import SearchEngine

                engine = SearchEngine(current_app.config["INDEX_DIR"], settings())
                state["engine"] = engine
    return engine


def get_store() -> RecordStore:
    """This request's record-store connection."""
    if "store" not in g:
        g.store = RecordStore(current_app.config["INDEX_DIR"])
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def close_app(app: Flask) -> None:
    """Release the app's engine (open index files); for tests and orderly shutdown."""
    engine = app.extensions.get("gongwen", {}).pop("engine", None)
    if engine is not None:
        engine.close()


def init_app(app: Flask) -> None:
    app.extensions["gongwen"] = {}
    app.teardown_appcontext(close_store)
