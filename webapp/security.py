"""The safety layer around every request: read-token gate, API rate limit, CORS and security headers.

Pages carry a CSP with no inline script (all JavaScript is in static files) and refuse to be framed,
except `/embed`, which the origins in `[web] frame_ancestors` may frame.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, redirect, request, url_for

from webapp import auth
from webapp.errors import ApiError, wants_json
from webapp.ratelimit import RateLimiter
from webapp.resources import web_setting

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
EMBED_PATHS = ("/embed",)
# Reachable without the read token: logging in, the stylesheet of the login page, the health check,
# and the widget's code (it holds no data; its API calls carry the token).
OPEN_PREFIXES = ("/login", "/static/", "/healthz", "/widget.js")


def _allowed_origin(origin: str | None) -> str | None:
    if not origin:
        return None
    allowed = list(web_setting("cors_origins", []) or [])
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def gate() -> Response | None:
    """Before every request: answer CORS preflights, enforce the read token and the API budget."""
    if request.method == "OPTIONS" and wants_json():
        return Response(status=204)
    if auth.read_protected() and not request.path.startswith(OPEN_PREFIXES) and not auth.has_level(auth.READ):
        if wants_json() or request.method != "GET":
            raise ApiError(401, "a read token is required (Authorization: Bearer <token>)")
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    if wants_json() and request.path != "/healthz":
        limiter: RateLimiter = current_app.extensions["gongwen"]["rate_limiter"]
        retry_after = limiter.hit(request.remote_addr or "unknown")
        if retry_after is not None:
            raise ApiError(
                429,
                f"too many requests; at most {limiter.per_minute} per minute",
                headers={"Retry-After": str(int(retry_after))},
            )
    return None


def add_headers(response: Response) -> Response:
    """After every request: security headers, frame rules and CORS."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    is_json = response.mimetype == "application/json"
    if request.path in EMBED_PATHS:
        ancestors = " ".join(["'self'", *(web_setting("frame_ancestors", []) or [])])
        headers["Content-Security-Policy"] = f"{PAGE_CSP}; frame-ancestors {ancestors}"
        headers.pop("X-Frame-Options", None)
    else:
        headers["Content-Security-Policy"] = JSON_CSP if is_json else f"{PAGE_CSP}; frame-ancestors 'none'"
        headers["X-Frame-Options"] = "DENY"
    if wants_json():
        headers.add("Vary", "Origin")
        origin = _allowed_origin(request.headers.get("Origin"))
        if origin is not None:
            headers["Access-Control-Allow-Origin"] = origin
            if request.method == "OPTIONS":
                headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
                headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app: Flask) -> None:
    app.extensions["gongwen"]["rate_limiter"] = RateLimiter(
        int(app.config["GONGWEN_SETTINGS"].get("web", "rate_limit_per_minute", 0) or 0)
    )
    app.before_request(gate)
    app.after_request(add_headers)
