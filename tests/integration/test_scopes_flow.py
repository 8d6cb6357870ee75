"""Rule scopes through the real stack (Redis, API server, a Celery worker process): `reviewer units set U1 --rules`
makes U1's own list scan U1's drafts only; the same text from U2 is not flagged by it, and U2's reviewer reads
nothing of U1's list in the API answer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.test_flow import settled
from tests.services import PYTHON, REPO, Stack


def test_a_units_own_list_flags_only_its_drafts(stack: Stack, tmp_path: Path) -> None:
    rules = tmp_path / "u1-rules"
    rules.mkdir()
    (rules / "u1-codes.yaml").write_text("id: u1-codes\ntitle: 第一单位代号表\nkind: terms\nseverity: block\n"
                                         "category: 项目代号\nmessage: 本单位项目代号\nterms: [青松工程]\n", encoding="utf-8")
    out = subprocess.run([PYTHON, "-m", "reviewer", "units", "set", "U1", "--rules", str(rules)], env=stack.env, cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    stack.worker()
    text = "关于青松工程进展情况的通报。"
    one = stack.client("cms1").post("/api/v1/items", json={"external_id": "s-1", "content": text}).json()
    two = stack.client("cms2").post("/api/v1/items", json={"external_id": "s-2", "content": text}).json()
    b1, b2 = settled(stack.client("rev1"), one["id"]), settled(stack.client("rev2"), two["id"])
    assert b1["verdict"] == "block" and [f["match"] for f in b1["findings"] if f["rule"] == "u1-codes"] == ["青松工程"]
    assert b2["state"] == "awaiting_review" and b2["verdict"] == "pass", b2["findings"]
    assert b1["rules_version"] != b2["rules_version"]
    answer = json.dumps(b2, ensure_ascii=False)
    assert "u1-codes" not in answer and "第一单位代号表" not in answer
