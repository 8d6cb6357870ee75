"""The HTTP API in-process (TestClient) on SQLite; scans are recorded directly. The real worker is in tests/integration."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reviewer.api.app import create_app
from reviewer.settings import Settings
from reviewer.workflow import scanning
from tests.services import Seed, free_port, seed
from tests.workflow.conftest import RecordingEnqueuer, result


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str], enqueuer: RecordingEnqueuer) -> None:
        self.client, self.tokens, self.enqueuer = client, tokens, enqueuer

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str, **kw):  # noqa: ANN003, ANN201
        return self.client.get(path, headers=self.h(who), **kw)

    def post(self, path: str, who: str, **kw):  # noqa: ANN003, ANN201
        return self.client.post(path, headers=self.h(who), **kw)

    def scan(self, item_id: int, *severities: str, error: str | None = None) -> None:
        db = self.client.app.state.db  # type: ignore[attr-defined]
        with db.session() as s:
            scanning.start_scan(s, item_id)
        with db.session() as s:
            scanning.record_scan(s, item_id, result(*severities, error=error))


@pytest.fixture
def api(sqlite_database_url: str, tmp_path: Path) -> Iterator[Api]:
    data = tmp_path / "data"
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(data),
                                  "REVIEWER_MAX_UPLOAD_BYTES": "100000"})
    tokens: Seed = seed(sqlite_database_url, data)
    enqueuer = RecordingEnqueuer()
    with TestClient(create_app(settings, enqueuer=enqueuer)) as client:
        yield Api(client, tokens.tokens, enqueuer)


DRAFT = {"external_id": "cms-1", "title": "通知", "channel": "通知公告", "author": "张三", "content": "关于开展检查的通知"}


def test_publisher_flow_and_redaction(api: Api) -> None:
    r = api.post("/api/v1/items", "cms1", json=DRAFT)
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["state"] == "queued" and item["created"] is True
    assert api.enqueuer.sent == [("scan_item", item["id"])]
    again = api.post("/api/v1/items", "cms1", json=DRAFT).json()
    assert again["id"] == item["id"] and again["created"] is False
    api.scan(item["id"], "review")
    pub = api.get(f"/api/v1/items/{item['id']}", "cms1").json()
    # the CMS sees the state, never the scanner's findings (rule ids, positions, verdict, counts without the unit's opt-in)
    assert pub["state"] == "awaiting_review" and not {"findings", "counts", "verdict"} & set(pub)
    assert "机密" not in str(pub) and "rule.0" not in str(pub)
    full = api.get(f"/api/v1/items/{item['id']}", "rev1").json()
    assert full["findings"][0]["match"] == "机密"
    queue = api.get("/api/v1/review-queue", "rev1").json()["items"]
    assert [i["id"] for i in queue] == [item["id"]]
    assert api.get("/api/v1/review-queue", "rev2").json()["items"] == []
    assert api.get(f"/api/v1/items/{item['id']}", "rev2").status_code == 404
    assert api.get(f"/api/v1/items/{item['id']}", "cms2").status_code == 404

    body = {"content_sha256": "0" * 64, "decision": "approve", "comment": "",
            "findings": [{"finding_id": full["findings"][0]["id"], "disposition": "false_positive", "reason": "公开信息"}]}
    r = api.post(f"/api/v1/items/{item['id']}/review", "rev1", json=body)
    assert r.status_code == 409 and "content_sha256" in r.json()["detail"]
    body["content_sha256"] = item["content_sha256"]
    assert api.post(f"/api/v1/items/{item['id']}/review", "cms1", json=body).status_code == 403
    assert api.post(f"/api/v1/items/{item['id']}/review", "rev2", json=body).status_code == 403
    r = api.post(f"/api/v1/items/{item['id']}/review", "rev1", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["item"]["state"] == "approved"
    pub = api.get(f"/api/v1/items/{item['id']}", "cms1").json()
    assert pub["reviews"][0]["reviewer"] == "rev1" and pub["reviews"][0]["decision"] == "approve" and "dispositions" not in pub["reviews"][0]

    receipt = api.get(f"/api/v1/items/{item['id']}/receipt", "cms1").json()
    keys = api.client.get("/api/v1/keys").json()["keys"]
    from reviewer.workflow.receipts import verify

    assert verify(keys[0]["public_pem"] if "public_pem" in keys[0] else keys[0]["public_key_pem"], receipt["payload"], receipt["signature"])
    meta = {"title": DRAFT["title"], "channel": DRAFT["channel"]}
    check = api.post("/api/v1/release-check", "cms1", json={"external_id": "cms-1", "content": DRAFT["content"], **meta}).json()
    assert check["approved"] is True
    check = api.post("/api/v1/release-check", "cms1", json={"external_id": "cms-1", "content": DRAFT["content"] + " ", **meta}).json()
    assert check["approved"] is False
    r = api.post(f"/api/v1/items/{item['id']}/released", "cms1", json={"content_sha256": item["content_sha256"]})
    assert r.status_code == 200 and r.json()["state"] == "released"


def test_new_version_supersedes(api: Api) -> None:
    first = api.post("/api/v1/items", "cms1", json=DRAFT).json()
    second = api.post("/api/v1/items", "cms1", json={**DRAFT, "content": "修改后的通知"}).json()
    assert second["version"] == 2
    assert api.get(f"/api/v1/items/{first['id']}", "cms1").json()["state"] == "superseded"
    r = api.post(f"/api/v1/items/{first['id']}/review", "rev1",
                 json={"content_sha256": first["content_sha256"], "decision": "approve"})
    assert r.status_code == 409


def test_multipart_upload(api: Api) -> None:
    data = "附件内容".encode()
    r = api.post("/api/v1/items", "cms1", data={"external_id": "f-1", "title": "附件"},
                 files={"file": ("../../evil/附件.txt", data, "text/plain")})
    assert r.status_code == 201, r.text
    item = api.get(f"/api/v1/items/{r.json()['id']}", "cms1").json()
    assert item["file_name"] == "附件.txt" and item["content_sha256"] == hashlib.sha256(data).hexdigest()
    r = api.post("/api/v1/items", "cms1", json={"external_id": "b", "content_base64": base64.b64encode(data).decode(), "file_name": "a.txt"})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("who", "method", "path", "kw", "status"),
    [
        (None, "get", "/api/v1/review-queue", {}, 401),
        ("bad", "get", "/api/v1/review-queue", {}, 401),
        ("cms1", "get", "/api/v1/review-queue", {}, 403),
        ("aud", "post", "/api/v1/items", {"json": DRAFT}, 403),
        ("rev1", "get", "/api/v1/items/999", {}, 404),
        ("cms1", "post", "/api/v1/items", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 422),
        ("cms1", "post", "/api/v1/items", {"json": {"title": "x"}}, 422),
        ("cms1", "post", "/api/v1/items", {"json": {**DRAFT, "content": "x" * 300_000}}, 413),
        ("rev1", "post", "/api/v1/items/1/review", {"json": {"content_sha256": "a" * 64, "decision": "bulk"}}, 422),
    ],
)
def test_errors_are_json_in_chinese(api: Api, who, method, path, kw, status) -> None:  # noqa: ANN001
    headers = dict(kw.pop("headers", {}))
    if who == "bad":
        headers["Authorization"] = "Bearer nope"
    elif who:
        headers.update(api.h(who))
    r = getattr(api.client, method)(path, headers=headers, **kw)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and not detail.isascii()


def test_database_unavailable_is_503(tmp_path: Path) -> None:
    settings = Settings.from_env({"REVIEWER_DATABASE_URL": f"postgresql+psycopg://x:y@127.0.0.1:{free_port()}/none",
                                  "REVIEWER_DATA_DIR": str(tmp_path)})
    with TestClient(create_app(settings, enqueuer=RecordingEnqueuer())) as client:
        r = client.post("/api/v1/items", headers={"Authorization": "Bearer rvw_x"}, json=DRAFT)
        assert r.status_code == 503 and "数据库" in r.json()["detail"]


def test_openapi_lists_the_contract(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for p in ["/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/review-queue", "/api/v1/items/{item_id}/review",
              "/api/v1/items/{item_id}/receipt", "/api/v1/keys", "/api/v1/release-check", "/api/v1/items/{item_id}/released"]:
        assert p in paths
