"""The officer's page: registers uploaded documents (a Word file among them), lists names only, refuses reviewers
and forms without the CSRF token, and shows the refusal of a duplicate id in Chinese. A registration is named in
Chinese (a 文号) without any browser-side pattern, lists people by name, and can be replaced, retired and deleted —
each logged, each refused to another unit's officer."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from reviewer.scan import fingerprints as fp
from reviewer.store.models import AuditEvent, FingerprintSet
from reviewer.web import names
from reviewer.workflow import fingerprints as registry
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
    assert "2025年第2次党组会议纪要" in listing.text and "notice" in listing.text and "已登记“unit-secrets”" in listing.text
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


def _events(web: Web, action: str) -> list[AuditEvent]:  # noqa: F811
    with web.db.session() as s:
        rows = list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars())
        s.expunge_all()
        return rows


def _file(name: str, text: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, text.encode(), "text/plain"))]


def test_a_chinese_document_number_is_a_name_not_an_english_bubble(web: Web) -> None:  # noqa: F811
    c = web.client()
    login(c, "off1")
    form = c.get("/fingerprints")
    # no browser-side validation on the form (its bubble speaks the browser's language, e.g. "Please match the
    # requested format."): the server checks and answers in Chinese
    register_form = form.text[form.text.index('<section id="register"'):]
    assert "pattern=" not in register_form and " required" not in register_form and "novalidate" in register_form
    assert 'type="email"' not in register_form and 'type="url"' not in register_form
    # the 文号 typed where the tester typed it (the id field), and in the name field
    for field, name in (("rule_id", "〔2024〕12号"), ("name", "办公室〔2024〕13号通报")):
        resp = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text), field: name},
                      files=_file("a.txt", texts()["law-0150.txt"]))
        assert resp.status_code == 303, resp.text[-800:]
        listing = c.get(resp.headers["location"])
        assert f"已登记“{name}”" in listing.text
        with web.db.session() as s:
            row = s.execute(select(FingerprintSet).order_by(FingerprintSet.id.desc())).scalars().first()
            assert row is not None and row.rule_id.isascii() and row.rule_id.startswith("reg-")
            assert name in row.documents  # the name reviewers see (the finding's title) is the 文号
    # the same 文号 again: refused in the name's terms
    again = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text), "name": "办公室〔2024〕13号通报"},
                   files=_file("b.txt", texts()["law-0151.txt"]))
    assert again.status_code == 409 and "“办公室〔2024〕13号通报”已登记过" in again.text
    # nothing named: a Chinese message, nothing registered
    empty = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text)}, files=_file("c.txt", texts()["law-0152.txt"]))
    assert empty.status_code == 422 and "请填写登记名称或文号" in empty.text
    bad = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text), "name": "通报", "rule_id": "Bad ID!"},
                 files=_file("c.txt", texts()["law-0152.txt"]))
    assert bad.status_code == 422 and "规则编号" in bad.text and "不合法" in bad.text
    with web.db.session() as s:
        assert len(list(s.execute(select(FingerprintSet.id)))) == 2


def test_the_page_is_in_the_navigation_and_shows_people_by_name(web: Web) -> None:  # noqa: F811
    import re

    for who, shown in (("off1", True), ("adm", True), ("rev1", False), ("aud", False)):
        c = web.client()
        login(c, who)
        home = c.get("/fingerprints" if shown else ("/audit" if who == "aud" else "/review"))
        assert ('href="/fingerprints"' in home.text) is shown, who
        nav = home.text[home.text.index("<nav"):home.text.index("</nav>")]
        for link in re.findall(r'href="([^"#]+)', nav):  # every link in the navigation opens for this role
            assert c.get(link).status_code == 200, (who, link)
    c = web.client()
    login(c, "off1")
    form = c.get("/fingerprints")
    resp = c.post("/fingerprints", data={"csrf_token": csrf_of(form.text), "name": "会议纪要"},
                  files=_file("a.txt", texts()["law-0150.txt"]))
    listing = c.get(resp.headers["location"])
    row = listing.text[listing.text.index('id="registered-list"'):]
    assert "OFF1（off1）" in row  # the seeded display name of off1, with the username


def test_replace_retire_and_delete_are_logged_and_stay_in_the_unit(web: Web) -> None:  # noqa: F811
    c = web.client()
    login(c, "off1")
    token = csrf_of(c.get("/fingerprints").text)
    for name, doc in (("甲通报", "law-0150.txt"), ("乙纪要", "law-0151.txt")):
        assert c.post("/fingerprints", data={"csrf_token": token, "name": name},
                      files=_file("x.txt", texts()[doc])).status_code == 303
    with web.db.session() as s:
        first, second = (r.id for r in s.execute(select(FingerprintSet).order_by(FingerprintSet.id)).scalars())
        digest = s.get(FingerprintSet, first).data_sha256  # type: ignore[union-attr]
        scanned = registry.stamp(s)
    assert len(scanned) == 2
    # another unit's officer: not found, nothing changed, nothing logged
    other = web.client()
    login(other, "off2")
    before = len(_events(web, "fingerprints_retired"))
    r = other.post(f"/fingerprints/{first}/retire", data={"csrf_token": csrf_of(other.get("/fingerprints").text),
                                                          "reason": "不是我单位的"})
    assert r.status_code == 404 and "甲通报" not in r.text and len(_events(web, "fingerprints_retired")) == before
    # replace: new fingerprints under the same rule, the old names and the new in the log
    r = c.post(f"/fingerprints/{first}/replace", data={"csrf_token": token, "name": "甲通报（修订稿）", "reason": "文件修订"},
               files=_file("y.txt", texts()["law-0152.txt"]))
    assert r.status_code == 303, r.text[-600:]
    with web.db.session() as s:
        row = s.get(FingerprintSet, first)
        assert row is not None and row.data_sha256 != digest and "甲通报（修订稿）" in row.documents
    replaced = _events(web, "fingerprints_replaced")[-1]
    assert replaced.actor == "off1" and "甲通报" in replaced.data and "甲通报（修订稿）" in replaced.data
    sentence = names.event_sentence(replaced.action, replaced.data)
    assert sentence.startswith("替换登记文件") and "原文件名称 甲通报" in sentence and "其他" not in sentence
    # retire: a reason is required (Chinese); then the registration is listed as retired and scans nothing
    r = c.post(f"/fingerprints/{first}/retire", data={"csrf_token": token, "reason": " "})
    assert r.status_code == 400 and "请写明停用的理由" in r.text
    r = c.post(f"/fingerprints/{first}/retire", data={"csrf_token": token, "reason": "文件已公开"})
    assert r.status_code == 303
    listing = c.get(r.headers["location"])
    assert "已停用“甲通报（修订稿）”" in listing.text
    retired = listing.text[listing.text.index('id="retired-list"'):]
    assert "甲通报（修订稿）" in retired and "OFF1（off1）" in retired
    with web.db.session() as s:
        assert [rule for rule, _ in registry.stamp(s)] == [s.get(FingerprintSet, second).rule_id]  # type: ignore[union-attr]
    event = _events(web, "fingerprints_retired")[-1]
    assert "文件已公开" in event.data and names.event_sentence(event.action, event.data).startswith("停用登记文件")
    # a retired registration cannot be replaced
    r = c.post(f"/fingerprints/{first}/replace", data={"csrf_token": token}, files=_file("z.txt", texts()["law-0153.txt"]))
    assert r.status_code == 409 and "已经停用" in r.text
    # delete: gone, with who, which names and why in the log
    r = c.post(f"/fingerprints/{second}/delete", data={"csrf_token": token, "reason": "登记错误"})
    assert r.status_code == 303
    with web.db.session() as s:
        assert s.get(FingerprintSet, second) is None
    event = _events(web, "fingerprints_deleted")[-1]
    assert event.actor == "off1" and "乙纪要" in event.data and "登记错误" in event.data
    # forged form: refused, nothing deleted
    r = c.post(f"/fingerprints/{first}/delete", data={"csrf_token": "forged", "reason": "x"})
    assert r.status_code == 403
    with web.db.session() as s:
        assert s.get(FingerprintSet, first) is not None
    # a reviewer cannot manage at all
    rev = web.client()
    login(rev, "rev1")
    r = rev.post(f"/fingerprints/{first}/delete", data={"csrf_token": csrf_of(rev.get("/review").text), "reason": "x"})
    assert r.status_code == 403
