"""URL converter for document ids, so only a SHA-256 hex string ever reaches a view (or the disk)."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class DocumentIdConverter(BaseConverter):
    """Matches exactly 64 lowercase hex digits; anything else (`../`, `%2e`, absolute paths) is a 404."""

    regex = "[0-9a-f]{64}"
