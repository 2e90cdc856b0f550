"""HTTP → calls on `index/`: the Flask UI, the JSON API, the widget, and the `gongwen` command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from ingest.settings import Settings


def create_app(settings: Settings | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application (see `webapp.app.create_app`); imported lazily so the CLI starts fast."""
    from webapp.app import create_app as _create_app

    return _create_app(settings, test_config)
