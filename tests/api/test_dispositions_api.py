"""Dispositions through the HTTP API (issue 20): the values and their meaning are in the OpenAPI contract, `confirmed`
keeps working as 须修改, crafted values and missing reasons are refused, and a 须修改 finding is never approved without
the exception path (reason + confirmation + the officer's own co-sign)."""

from __future__ import annotations

from tests.api.test_api import DRAFT, Api, api  # noqa: F401  (the fixture)


def _item(api: Api, *severities: str, ext: str = "d-1") -> tuple[dict, list[int]]:  # type: ignore[type-arg]  # noqa: F811
    item = api.post("/api/v1/items", "cms1", json={**DRAFT, "external_id": ext}).json()
    api.scan(item["id"], *severities)
    full = api.get(f"/api/v1/items/{item['id']}", "rev1").json()
    return item, [f["id"] for f in full["findings"]]


def _review(api: Api, who: str, item: dict, decision: str, findings: list[dict], **extra: object):  # type: ignore[type-arg,no-untyped-def]  # noqa: F811
    return api.post(f"/api/v1/items/{item['id']}/review", who,
                    json={"content_sha256": item["content_sha256"], "decision": decision, "findings": findings, **extra})


def test_the_contract_names_every_value_in_chinese(api: Api) -> None:  # noqa: F811
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["DispositionBody"]
    prop = schema["properties"]["disposition"]
    assert set(prop["enum"]) == {"must_fix", "public_ok", "false_positive", "fixed", "confirmed"}
    for words in ("须修改", "属实但可公开", "误报", "已修改", "例外批准", "保密员复核"):
        assert words in prop["description"], words
    assert "必填" in schema["properties"]["reason"]["description"]


def test_crafted_and_reasonless_dispositions_are_refused(api: Api) -> None:  # noqa: F811
    item, (fid,) = _item(api, "review")
    for bad in ("bogus", "CONFIRMED", "确认", None, 1):
        r = _review(api, "rev1", item, "return", [{"finding_id": fid, "disposition": bad, "reason": "x"}])
        assert r.status_code == 422, (bad, r.text)
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "fixed", "reason": "已删"}])
    assert r.status_code == 422 and "已修改" in r.json()["detail"]
    for value in ("public_ok", "false_positive"):
        r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": value}])
        assert r.status_code == 422 and "须写明理由" in r.json()["detail"], r.text
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "public_ok", "reason": "原文秘密★5年可公开"}])
    assert r.status_code == 422 and "秘密" not in r.text  # the reason is scanned like a comment
    assert api.get(f"/api/v1/items/{item['id']}", "rev1").json()["state"] == "awaiting_review"


def test_confirmed_is_must_fix_and_goes_to_the_officer(api: Api) -> None:  # noqa: F811
    item, (fid,) = _item(api, "review")
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "confirmed", "reason": ""}])
    assert r.status_code == 422 and "例外批准" in r.json()["detail"]
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "confirmed", "reason": "经主管领导同意"}])
    assert r.status_code == 422 and "勾选确认" in r.json()["detail"]
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "confirmed", "reason": "经主管领导同意"}],
                exception_confirmed=True)
    assert r.status_code == 200 and r.json()["item"]["state"] == "awaiting_officer", r.text
    assert [d["disposition"] for d in r.json()["item"]["reviews"][0]["dispositions"]] == ["must_fix"]
    assert _review(api, "off1", item, "approve", []).status_code == 422
    r = _review(api, "off1", item, "approve", [], exception_confirmed=True)
    assert r.status_code == 200 and r.json()["item"]["state"] == "approved"


def test_withdrawal_through_the_api(api: Api) -> None:  # noqa: F811
    item, (fid,) = _item(api, "review", ext="w-1")
    r = _review(api, "rev1", item, "approve", [{"finding_id": fid, "disposition": "false_positive", "reason": "公开号码"}])
    assert r.status_code == 200 and r.json()["item"]["state"] == "approved"
    review_id = r.json()["review_id"]
    assert api.get(f"/api/v1/items/{item['id']}/receipt", "cms1").status_code == 200
    assert api.post(f"/api/v1/reviews/{review_id}/withdraw", "rev1b", json={"reason": "我来撤"}).status_code == 403
    assert api.post(f"/api/v1/reviews/{review_id}/withdraw", "rev1", json={"reason": ""}).status_code == 422
    r = api.post(f"/api/v1/reviews/{review_id}/withdraw", "rev1", json={"reason": "附件需再核"})
    assert r.status_code == 200 and r.json()["item"]["state"] == "awaiting_review"
    assert r.json()["item"]["reviews"][0]["withdrawn_at"]
    assert api.get(f"/api/v1/items/{item['id']}/receipt", "cms1").status_code == 404  # revoked
    check = api.post("/api/v1/release-check", "cms1", json={"external_id": "w-1", "content": DRAFT["content"],
                                                          "title": DRAFT["title"], "channel": DRAFT["channel"]}).json()
    assert check["approved"] is False
    assert api.post(f"/api/v1/reviews/{review_id}/withdraw", "rev1", json={"reason": "再撤"}).status_code == 409
