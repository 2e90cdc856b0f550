"""Uploads through the admin page and `POST /api/documents`: the real ingest pipeline, then searchable."""

from __future__ import annotations

import io
import re

from tests.web_library import CORPUS, load_truth

ADMIN = "upload-admin-9d1c"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


def a_text_document() -> tuple[dict, bytes]:
    truth = next(t for t in load_truth() if t["kind"] == "text" and t["file"].startswith("docs/"))
    return truth, (CORPUS / truth["file"]).read_bytes()


def test_api_upload_then_search_then_unchanged(make_app) -> None:
    app = make_app(admin_token=ADMIN)
    client = app.test_client()
    truth, data = a_text_document()
    response = client.post("/api/documents", data={"file": (io.BytesIO(data), "答复函.pdf")}, headers=AUTH)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "added" and re.fullmatch(r"[0-9a-f]{64}", body["id"])
    doc_id = body["id"]

    document = client.get(f"/api/documents/{doc_id}").get_json()
    assert document["filename"] == "答复函.pdf"
    assert "source_path" not in document
    assert truth["body"][:12].replace("\n", "") in document["text"].replace("\n", "")
    pdf = client.get(f"/documents/{doc_id}.pdf")
    assert pdf.data == data
    pdf.close()
    found = client.get("/api/search", query_string={"q": truth["title"]}).get_json()
    assert doc_id in [hit["id"] for hit in found["results"]]

    again = client.post("/api/documents", data={"file": (io.BytesIO(data), "again.pdf")}, headers=AUTH)
    assert again.status_code == 200 and again.get_json() == {**body, "status": "unchanged"}
    assert not list((app.config["INDEX_DIR"] / "uploads").glob("*"))  # temporary files removed


def test_admin_page_upload_and_failures(make_app) -> None:
    client = make_app(admin_token=ADMIN).test_client()
    page = client.get("/admin", headers=AUTH).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    broken = (CORPUS / "bad" / "truncated.pdf").read_bytes()
    response = client.post(
        "/admin/upload",
        data={"csrf_token": csrf, "file": (io.BytesIO(broken), "坏文件<b>.pdf")},
        headers=AUTH,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "未导入" in html and "坏文件&lt;b&gt;.pdf" in html and "<b>.pdf" not in html
    failures = client.get("/admin", headers=AUTH).get_data(as_text=True)
    assert "导入失败的文件" in failures and "坏文件" in failures
