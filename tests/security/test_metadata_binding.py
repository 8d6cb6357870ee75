"""What is signed: every field a reader sees is scanned, signed and bound.

A CMS publishes a headline, a channel and a file name next to the body. Before this change only the body was scanned
and bound: a title naming a classified project passed, and a receipt for approved content let a CMS publish any
headline over it. Now the title, channel and file name are scanned like the body (findings located `标题`, `栏目`,
`文件名`), a change to any of them is a new version, the receipt and the reviewer's sign-off carry the document hash
over body + metadata, and release-check and `/released` refuse a different title, channel or file name."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reviewer.audit.binding import document_sha256
from reviewer.workflow import jobs
from reviewer.workflow.receipts import verify as verify_receipt
from tests.reliability._helpers import figures, terminal
from tests.security.conftest import App, make_app
from tests.services import Stack, Worker

TERM = "玄鸟三型"  # a term of the rule written by these tests
RULE = f"id: meta-term\nkind: terms\nseverity: block\ncategory: 测试涉密词\nmessage: 测试用涉密项目代号\nterms: [{TERM}]\n"
BODY = "本周全市开展节前安全生产大检查，重点检查人员密集场所。"


def _rules(tmp: Path) -> Path:
    d = tmp / "rules"
    d.mkdir(exist_ok=True)
    (d / "meta-term.yaml").write_text(RULE, encoding="utf-8")
    return d


@pytest.fixture
def scanning_app(sqlite_database_url: str, tmp_path: Path) -> Iterator[App]:
    a = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(_rules(tmp_path)))
    try:
        yield a
    finally:
        a.db.dispose()


def _scan(a: App, item_id: int) -> dict:  # type: ignore[type-arg]
    """The worker's job, in process, with the real scanner (built-in rules + the test rule)."""
    assert jobs.run_scan(a.db, jobs.ScannerCache(a.settings), item_id) in ("scanned", "failed")
    return a.client("rev1").get(f"/api/v1/items/{item_id}").json()


def _submit(a: App, ext: str, **fields: str) -> dict:  # type: ignore[type-arg]
    r = a.client("cms1").post("/api/v1/items", json={"external_id": ext, "content": BODY, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def test_title_channel_and_file_name_are_scanned(scanning_app: App) -> None:
    cases = {"标题": {"title": f"{TERM}项目进展通报"}, "栏目": {"channel": f"{TERM}专栏"}}
    found = {}
    for where, fields in cases.items():
        item = _submit(scanning_app, f"m-{where}", **fields)
        full = _scan(scanning_app, item["id"])
        hits = [f for f in full["findings"] if f["rule"] == "meta-term"]
        assert full["verdict"] == "block" and [f["location"] for f in hits] == [where], full
        text_ = next(iter(fields.values()))
        assert text_[hits[0]["start"]:hits[0]["end"]] == TERM  # offsets index the field itself
        found[where] = len(hits)
    # an uploaded file whose name names the project: the body is harmless, the name is not
    r = scanning_app.client("cms1").post("/api/v1/items", data={"external_id": "m-file", "title": "附件"},
                                         files={"file": (f"{TERM}试验报告.txt", BODY.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    full = _scan(scanning_app, r.json()["id"])
    assert [f["location"] for f in full["findings"] if f["rule"] == "meta-term"] == ["文件名"], full["findings"]
    found["文件名"] = 1
    # a clean body with clean metadata stays clean: the metadata scan adds nothing of its own
    clean = _scan(scanning_app, _submit(scanning_app, "m-clean", title="节前安全检查通知", channel="通知公告")["id"])
    assert clean["verdict"] == "pass" and clean["findings"] == []
    figures("metadata_scanned", **{k: v for k, v in zip(("title", "channel", "file_name"), found.values(), strict=True)})


def test_changed_title_channel_or_file_name_is_a_new_version(scanning_app: App) -> None:
    first = _submit(scanning_app, "v-1", title="节前安全检查通知", channel="通知公告")
    again = _submit(scanning_app, "v-1", title="节前安全检查通知", channel="通知公告")
    assert again["created"] is False and again["id"] == first["id"]
    versions = [first]
    for change in ({"title": "节前安全检查通知（更正）", "channel": "通知公告"}, {"title": "节前安全检查通知（更正）", "channel": "工作动态"}):
        r = scanning_app.client("cms1").post("/api/v1/items", json={"external_id": "v-1", "content": BODY, **change})
        assert r.status_code == 201 and r.json()["created"] is True, r.text
        versions.append(r.json())
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert len({v["content_sha256"] for v in versions}) == 1 and len({v["document_sha256"] for v in versions}) == 3
    states = [scanning_app.client("cms1").get(f"/api/v1/items/{v['id']}").json()["state"] for v in versions]
    assert states == ["superseded", "superseded", "queued"]


def _approve(a: App, item: dict) -> None:  # type: ignore[type-arg]
    full = _scan(a, item["id"])
    assert full["findings"] == [], full["findings"]
    r = a.client("rev1").post(f"/api/v1/items/{item['id']}/review",
                              json={"content_sha256": item["document_sha256"], "decision": "approve"})
    assert r.status_code == 200, r.text


def test_release_check_and_released_bind_the_metadata(scanning_app: App) -> None:
    meta = {"title": "节前安全检查通知", "channel": "通知公告"}
    item = _submit(scanning_app, "r-1", **meta)
    _approve(scanning_app, item)
    cms = scanning_app.client("cms1")

    def check(**override: str) -> dict:  # type: ignore[type-arg]
        return cms.post("/api/v1/release-check", json={"external_id": "r-1", "content": BODY, **{**meta, **override}}).json()

    ok = check()
    assert ok["approved"] is True and ok["is_current"] is True and ok["document_sha256"] == item["document_sha256"], ok
    refused = {
        "another headline": check(title=f"{TERM}项目进展通报"),
        "one character": check(title="节前安全检查通知。"),
        "another channel": check(channel="工作动态"),
        "a file name": check(file_name="通知.docx"),
    }
    for name, answer in refused.items():
        assert answer["approved"] is False, (name, answer)
    assert "标题" in refused["another headline"]["reason"] and "栏目" in refused["another channel"]["reason"]
    assert "文件名" in refused["a file name"]["reason"]
    wrong = document_sha256(item["content_sha256"], "另一个标题", meta["channel"], "content.txt")
    assert cms.post(f"/api/v1/items/{item['id']}/released", json={"document_sha256": wrong}).status_code == 409
    r = cms.post(f"/api/v1/items/{item['id']}/released", json={"document_sha256": item["document_sha256"]})
    assert r.status_code == 200 and r.json()["state"] == "released"
    figures("metadata_bound", refused=len(refused), accepted=1)


def test_receipt_and_sign_off_carry_the_metadata(scanning_app: App) -> None:
    meta = {"title": "节前安全检查通知", "channel": "通知公告"}
    item = _submit(scanning_app, "s-1", **meta)
    _approve(scanning_app, item)
    receipt = scanning_app.client("cms1").get(f"/api/v1/items/{item['id']}/receipt").json()
    body = json.loads(receipt["payload"])
    assert {k: body[k] for k in ("title", "channel", "file_name")} == {**meta, "file_name": "content.txt"}
    assert body["document_sha256"] == item["document_sha256"] == document_sha256(item["content_sha256"], meta["title"], meta["channel"],
                                                                                  "content.txt")
    assert body["purpose"] == "reviewer-release-receipt"
    key = scanning_app.client().get("/api/v1/keys").json()["keys"][0]["public_key_pem"]
    assert verify_receipt(key, receipt["payload"], receipt["signature"])
    # a CMS that swaps the headline in the receipt breaks its signature
    swapped = receipt["payload"].replace(meta["title"], "另一个标题")
    assert not verify_receipt(key, swapped, receipt["signature"])
    full = scanning_app.client("rev1").get(f"/api/v1/items/{item['id']}").json()
    assert full["reviews"][0]["document_sha256"] == item["document_sha256"]
    assert base64.b64decode(receipt["signature"])  # a real signature, not an empty string
    assert hashlib.sha256(BODY.encode()).hexdigest() == body["content_sha256"]


def test_term_in_title_with_real_worker(stack: Stack, tmp_path: Path) -> None:
    env = dict(stack.env, REVIEWER_RULES_PATH=str(_rules(tmp_path)))
    worker = Worker(env, stack.log_dir, name="meta")
    stack.workers.append(worker)
    worker.start()
    with httpx.Client(base_url=stack.api.url, timeout=30) as c:  # type: ignore[union-attr]
        c.headers["Authorization"] = f"Bearer {stack.seed.tokens['cms1']}"
        item = c.post("/api/v1/items", json={"external_id": "w-1", "title": f"关于{TERM}试验情况的通报", "content": BODY}).json()
        c.headers["Authorization"] = f"Bearer {stack.seed.tokens['rev1']}"
        full = terminal(c, item["id"])
    assert full["verdict"] == "block" and [f["location"] for f in full["findings"] if f["rule"] == "meta-term"] == ["标题"], full
    figures("metadata_real_worker", database=stack.database_url.split(":")[0], title_term_found=1)
