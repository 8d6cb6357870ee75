"""The officer's page: registers uploaded documents (a Word file among them), lists names only, refuses reviewers
and forms without the CSRF token, and shows the refusal of a duplicate id in Chinese."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from reviewer.scan import fingerprints as fp
from reviewer.store.models import FingerprintSet
from tests.fingerprints.helpers import texts
from tests.web.conftest import Web
from tests.web.conftest import web as web  # noqa: F401 - the `web` fixture of tests/web, used by name
from tests.web.helpers import csrf_of, login


def _docx(paragraphs: list[str]) -> bytes:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_officer_registers_documents(web: Web) -> None:  # noqa: F811
    c = web.client()
    assert login(c, "off1").status_code == 303
    form = c.get("/fingerprints")
    assert form.status_code == 200 and "尚未登记任何文件" in form.text
    paras = [p for p in fp.paragraphs_of(texts()["law-0150.txt"]) if len(p) > 60][:5]
    files = [("files", ("纪要.docx", _docx(paras), "application/octet-stream")),
             ("files", ("notice.txt", texts()["law-0151.txt"].encode(), "text/plain"))]
    resp = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text), "rule_id": "unit-secrets", "severity": "review",
                                         "labels": "2025年第2次党组会议纪要\n"}, files=files)
    assert resp.status_code == 303, resp.text
    listing = c.get(resp.headers["location"])
    assert "2025年第2次党组会议纪要" in listing.text and "notice" in listing.text and "已登记规则" in listing.text
    assert "公开部分" in listing.text  # the column of the public share (issue 22)
    for p in paras:  # names only: none of the registered text on the page
        assert p[:12] not in listing.text
    with web.db.session() as s:
        row = s.execute(select(FingerprintSet)).scalar_one()
        assert row.severity == "review" and row.document_count == 2 and row.created_by == "off1"
    again = c.post("/fingerprints", data={"csrf_token": csrf_of(listing.text), "rule_id": "unit-secrets"},
                   files=[("files", ("x.txt", "第一段内容。".encode(), "text/plain"))])
    assert again.status_code == 409 and "已登记过" in again.text


def test_reviewer_cannot_register_and_csrf_is_checked(web: Web) -> None:  # noqa: F811
    c = web.client()
    login(c, "rev1")
    assert c.get("/fingerprints").status_code == 403
    officer = web.client()
    login(officer, "off1")
    resp = officer.post("/fingerprints", data={"csrf_token": "forged", "rule_id": "x"},
                        files=[("files", ("a.txt", texts()["law-0150.txt"].encode(), "text/plain"))])
    assert resp.status_code == 403
    broken = officer.post("/fingerprints", data={"csrf_token": csrf_of(officer.get("/fingerprints").text), "rule_id": "x"},
                          files=[("files", ("坏文件.docx", b"PK\x03\x04broken", "application/octet-stream"))])
    assert broken.status_code == 400 and "无法完整读取" in broken.text
    with web.db.session() as s:
        assert s.execute(select(FingerprintSet)).first() is None
