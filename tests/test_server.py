"""`gongwen serve` caps glibc's malloc arenas (Debian's libc) when configured, and leaves them alone at 0."""

from __future__ import annotations

from ingest.settings import load_settings
from webapp.server import limit_malloc_arenas


def test_malloc_arenas_are_capped_on_glibc_and_untouched_at_zero() -> None:
    assert limit_malloc_arenas(0) is False
    assert limit_malloc_arenas(int(load_settings(environ={})["web"]["malloc_arenas"])) is True
