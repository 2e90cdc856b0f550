"""Access levels: an optional read token for the whole site and an admin token for writes.

Tokens come from `[web] read_token` / `admin_token` (or `GONGWEN_WEB_*`); there is never a default, and
an empty admin token switches the admin pages off. A token is accepted as `Authorization: Bearer …` or
through the login form, which stores only an HMAC fingerprint of it in the signed session cookie, so
changing the token in the config logs everyone out. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request, session

from webapp.resources import web_setting

READ = "read"
ADMIN = "admin"


def _fingerprint(token: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def _matches(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def admin_enabled() -> bool:
    return bool(web_setting("admin_token", ""))


def read_protected() -> bool:
    return bool(web_setting("read_token", ""))


def has_level(level: str) -> bool:
    """Whether this request carries a token (header or session) good for `level`."""
    admin_token = web_setting("admin_token", "") or ""
    read_token = web_setting("read_token", "") or ""
    candidates = [admin_token] if level == ADMIN else [admin_token, read_token]
    candidates = [c for c in candidates if c]
    if not candidates:
        return level == READ  # an open site: everyone may read
    token = bearer_token()
    if token is not None:
        return any(_matches(token, c) for c in candidates)
    stored = session.get("auth")
    if isinstance(stored, str):
        return any(hmac.compare_digest(stored, _fingerprint(c)) for c in candidates)
    return False


def log_in(token: str) -> str | None:
    """Check a token typed into the login form; on success remember it in the session."""
    for level, expected in ((ADMIN, web_setting("admin_token", "")), (READ, web_setting("read_token", ""))):
        if expected and _matches(token, expected):
            session.clear()
            session["auth"] = _fingerprint(expected)
            session.permanent = False
            return level
    return None


def log_out() -> None:
    session.clear()


def csrf_token() -> str:
    """A per-session token that every form posting with the session cookie must send back."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    """Bearer-authenticated requests are not forgeable by another site; cookie ones need the form token."""
    if bearer_token() is not None:
        return True
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given)
