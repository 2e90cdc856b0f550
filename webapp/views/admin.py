"""Login, and the admin page: upload PDFs through the ingest pipeline and see ingest failures.

The admin page exists only when `[web] admin_token` (or `GONGWEN_WEB_ADMIN_TOKEN`) is set; otherwise
it answers 403 and says how to switch it on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from webapp import auth
from webapp.errors import ApiError, error_response
from webapp.resources import get_store
from webapp.uploads import UploadRefused, ingest_uploaded_file

bp = Blueprint("admin", __name__)

DISABLED_MESSAGE = (
    "管理功能未启用：请在 config.toml 的 [web] admin_token "
    "或环境变量 GONGWEN_WEB_ADMIN_TOKEN 中设置管理令牌。"
)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: `/x`, never `//evil.example` or `https://…` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("search.index")


def _require_admin() -> Any | None:
    if not auth.admin_enabled():
        return error_response(403, DISABLED_MESSAGE, "admin_disabled")
    if not auth.has_level(auth.ADMIN):
        if auth.bearer_token() is not None:
            return error_response(401, "令牌无效")
        return redirect(url_for("admin.login", next=request.path))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = _safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        if not auth.csrf_ok():
            return error_response(400, "表单已过期，请重新提交。", "bad_csrf_token")
        level = auth.log_in(request.form.get("token", ""))
        if level is not None:
            return redirect(next_url)
        error = "令牌不正确。"
    status = 401 if error else 200
    return render_template("login.html", next_url=next_url, error=error), status


@bp.post("/logout")
def logout() -> Any:
    if not auth.csrf_ok():
        return error_response(400, "表单已过期，请重新提交。", "bad_csrf_token")
    auth.log_out()
    return redirect(url_for("search.index"))


@bp.get("/admin")
def admin() -> Any:
    refusal = _require_admin()
    if refusal is not None:
        return refusal
    store = get_store()
    return render_template("admin.html", failures=store.failures(), count=store.count(), outcomes=None)


@bp.post("/admin/upload")
def upload() -> Any:
    refusal = _require_admin()
    if refusal is not None:
        return refusal
    if not auth.csrf_ok():
        return error_response(400, "表单已过期，请刷新页面后重新上传。", "bad_csrf_token")
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise ApiError(400, "请选择要上传的 PDF 文件。", "bad_parameter", "file")
    outcomes = []
    for file in files:
        try:
            outcome = ingest_uploaded_file(file)
            outcomes.append(
                {
                    "name": file.filename,
                    "status": outcome.status,
                    "doc_id": outcome.doc_id,
                    "error": outcome.error,
                }
            )
        except UploadRefused as exc:
            outcomes.append(
                {"name": file.filename, "status": "refused", "doc_id": None, "error": exc.message}
            )
    store = get_store()
    failed = any(o["status"] in {"failed", "refused"} for o in outcomes)
    body = render_template("admin.html", failures=store.failures(), count=store.count(), outcomes=outcomes)
    return body, (422 if failed and len(outcomes) == 1 else 200)
