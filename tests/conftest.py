"""Shared pytest fixtures: the repo root on sys.path, and a web app on a fresh temporary index folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def settings(tmp_path: Path):
    """Shipped defaults (environment ignored) on an empty index folder under tmp_path."""
    from tests.web_library import make_settings

    return make_settings(tmp_path / "index")


@pytest.fixture
def app(settings):
    from webapp import create_app
    from webapp.resources import close_app

    application = create_app(settings, {"TESTING": True})
    yield application
    close_app(application)


@pytest.fixture
def client(app) -> Iterator:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture(scope="session")
def web_library(tmp_path_factory: pytest.TempPathFactory):
    """About 20 corpus documents plus a hostile one, ingested once per session (read-only for tests)."""
    from tests.web_library import build_library

    work = tmp_path_factory.mktemp("web-library")
    return build_library(work / "index", work)


@pytest.fixture
def library_app(web_library):
    from tests.web_library import make_settings
    from webapp import create_app
    from webapp.resources import close_app

    application = create_app(make_settings(web_library.index_dir, rate_limit_per_minute=0), {"TESTING": True})
    yield application
    close_app(application)


@pytest.fixture
def library_client(library_app) -> Iterator:
    with library_app.test_client() as test_client:
        yield test_client


@pytest.fixture
def make_app(tmp_path: Path):
    """A factory: `make_app(admin_token="…", cors_origins=[…])` → an app on a fresh index, closed after."""
    from tests.web_library import make_settings
    from webapp import create_app
    from webapp.resources import close_app

    made = []

    def factory(index_dir: Path | None = None, **web: object):
        application = create_app(
            make_settings(index_dir or tmp_path / f"index-{len(made)}", **web), {"TESTING": True}
        )
        made.append(application)
        return application

    yield factory
    for application in made:
        close_app(application)
