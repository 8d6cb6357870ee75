"""Issue 17, "drop a term for one scan": the officer's page shows rule-set changes (tests/security/test_insider_rules.py);
the auditor's log page shows them too, in words — each version the scans used, which file changed and how many terms
it gained or lost, never a term. Before, the log page showed the event as “其他 {'change': 'changed', …}”."""

from __future__ import annotations

import re
from pathlib import Path

from reviewer.workflow.jobs import ScannerCache, log_rules
from tests.security.conftest import App, make_app
from tests.web.helpers import login

TERMS = ("鹊桥十二号", "鹊桥十三号")
RULE = """id: org-codes
title: 本单位项目代号
kind: terms
severity: block
category: 本单位涉密事项
message: 出现本单位涉密项目代号，不得公开
boundary: any
terms:
"""


def test_the_auditor_sees_each_rule_set_version_and_what_changed_without_terms(sqlite_database_url: str,
                                                                             tmp_path: Path) -> None:
    rules = tmp_path / "org-rules"
    rules.mkdir()
    rule_file = rules / "org-codes.yaml"
    rule_file.write_text(RULE + "".join(f"  - {t}\n" for t in TERMS), encoding="utf-8")
    a: App = make_app(sqlite_database_url, tmp_path / "data", REVIEWER_RULES_PATH=str(rules))
    try:
        scanners = ScannerCache(a.settings)
        log_rules(a.db, scanners, scanners.get())
        rule_file.write_text(RULE + f"  - {TERMS[0]}\n", encoding="utf-8")  # a term dropped
        log_rules(a.db, scanners, scanners.get())
        page = a.client()
        assert login(page, "aud").status_code == 303  # type: ignore[arg-type]
        shown = page.get("/audit/log", params={"action": "rules_loaded"}).text
        texts = re.findall(r'class="event-text">([^<]*)<', shown)
        assert len(texts) == 2 and all(t.startswith("启用规则集版本 ") for t in texts), texts
        # in words a person reads (before: "其他 {'change': 'changed', 'file': …, 'lost': 1 …}")
        assert "org-codes.yaml 修改（+0 / −1" in texts[0] and "上一版本" in texts[0], texts[0]
        assert "org-codes.yaml 新增（+2 / −0" in texts[1] and "首次登记" in texts[1], texts[1][:300]
        assert not any(w in t for t in texts for w in ("其他", "{", "'change'", "gained")), texts
        assert not any(t in shown for t in TERMS)
    finally:
        a.db.dispose()
