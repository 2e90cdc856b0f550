"""The application factory: settings in, a configured Flask app with every blueprint out.

Nothing happens at import time; `create_app` reads the settings, prepares the per-index secret key and
wires the resources (`resources`), the safety layer (`security`), error pages (`errors`) and the views.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from ingest.settings import Settings, load_settings
from webapp import errors, resources, security
from webapp.converters import DocumentIdConverter
from webapp.secret import load_or_create_secret_key
from webapp.urls import register_template_helpers


def create_app(settings: Settings | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `settings` (default: `load_settings()`); `test_config` overrides Flask config."""
    settings = settings if settings is not None else load_settings()
    index_dir = Path(settings["storage"]["index_dir"])
    index_dir.mkdir(parents=True, exist_ok=True)
    web = settings["web"]

    app = Flask(__name__)
    app.config.from_mapping(
        GONGWEN_SETTINGS=settings,
        INDEX_DIR=index_dir,
        SECRET_KEY=load_or_create_secret_key(index_dir),
        MAX_CONTENT_LENGTH=int(float(web["max_upload_mb"]) * 1024 * 1024),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="gongwen_session",
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["docid"] = DocumentIdConverter
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    resources.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    register_template_helpers(app)

    from webapp.views import admin, api, documents, search, similar, widget

    app.register_blueprint(search.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(widget.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(similar.bp)
    return app
