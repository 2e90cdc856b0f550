"""One error shape: `{"error": {"code", "message"}}` for JSON paths, a Chinese error page otherwise.

Every failure goes through here, so a client never sees an HTML traceback, and a bad parameter is a 400
that names the parameter (`index.results.QueryError`).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from index.results import QueryError

log = logging.getLogger(__name__)

# Stable machine-readable codes; the message is for people.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

MESSAGES_ZH = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "未找到该页面或文档",
    405: "不支持该请求方法",
    413: "上传的文件太大",
    415: "不支持的文件类型",
    422: "文件无法处理",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


class ApiError(HTTPException):
    """An HTTP error with our own code and message (and optionally the parameter at fault)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code or CODES.get(status, "error")
        self.param = param
        self.extra_headers = headers or {}

    def get_headers(self, *args, **kwargs) -> list[tuple[str, str]]:  # type: ignore[override]
        return [*super().get_headers(*args, **kwargs), *self.extra_headers.items()]


def wants_json() -> bool:
    """JSON paths answer errors in JSON: the API, the `.json` twins and the health check."""
    path = request.path
    return path.startswith("/api/") or path.endswith(".json") or path == "/healthz"


def error_payload(status: int, message: str, code: str | None = None, param: str | None = None) -> dict:
    error: dict[str, str] = {"code": code or CODES.get(status, "error"), "message": message}
    if param is not None:
        error["param"] = param
    return {"error": error}


def error_response(
    status: int, message: str, code: str | None = None, param: str | None = None, html: bool | None = None
) -> Response:
    html = (not wants_json()) if html is None else html
    if html:
        body = render_template(
            "error.html", status=status, title=MESSAGES_ZH.get(status, "出错了"), message=message
        )
        response = Response(body, status=status, mimetype="text/html")
    else:
        response = jsonify(error_payload(status, message, code, param))
        response.status_code = status
    return response


def handle_query_error(exc: QueryError) -> Response:
    return error_response(400, f"{exc.param}: {exc.message}", "bad_parameter", exc.param)


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, ApiError):
        response = error_response(status, exc.description or "", exc.error_code, exc.param)
    else:
        response = error_response(status, _describe(exc))
    # Keep headers the exception carries (Allow on 405, Retry-After on 429, WWW-Authenticate on 401).
    for name, value in exc.get_headers():
        if name in ("Allow", "Retry-After", "WWW-Authenticate"):
            response.headers[name] = value
    return response


def _describe(exc: HTTPException) -> str:
    if exc.code == 404:
        return "not found: no such page or document"
    if exc.code == 405:
        return f"method {request.method} is not allowed here"
    if exc.code == 413:
        return "request body too large"
    return exc.description or exc.name


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError("internal error; the server log has the details"))


def init_app(app: Flask) -> None:
    app.register_error_handler(QueryError, handle_query_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
