"""The 巡检 pages: the officer sees the own unit's last run, its problems and their evidence (signed version beside the
live content, the difference, the findings) and handles a problem with a reason; auditors see every unit but change
nothing; other units' officers and reviewers see nothing; the alert is in the same list as the rescan's."""

from __future__ import annotations

import json

from sqlalchemy import select

from reviewer.monitor.model import Difference, Report, Resource, Status
from reviewer.scan.model import Finding, Severity, Verdict
from reviewer.store.models import Alert, AuditEvent, MonitorResult
from reviewer.workflow import monitoring
from tests.web.conftest import Web
from tests.web.helpers import csrf_of, login, make_item

LEAK = Finding("classification-marking", "密级标志", Severity.BLOCK, 0, 6, "机密★10年", "机密★10年", "出现密级标志", location="正文")


def _run(web: Web) -> tuple[int, int]:
    item_id = make_item(web.db, "市政务服务中心自2024年4月1日起实行延时服务。", title="关于延时服务的通知")
    report = Report(rules_version="rv-now", resources=[
        Resource("https://www.example.gov.cn/a2.html", "page", Status.CHANGED, Verdict.PASS, [], item_id,
                 "正文与批准的版本大部分相同，但有改动", "关于延时服务的通知",
                 [Difference("replace", "2024年4月1日起", "2024年5月1日起")], "市政务服务中心自2024年5月1日起实行延时服务。"),
        Resource("https://www.example.gov.cn/leak.html", "page", Status.UNSIGNED, Verdict.BLOCK, [LEAK], None,
                 "正文与任何批准的版本都不相同", "边境巡逻", live_text="机密★10年 边境巡逻路线"),
        Resource("https://www.example.gov.cn/ok.html", "page", Status.SIGNED, Verdict.PASS, [], item_id, "一致"),
    ])
    with web.db.session() as s:
        unit_id = s.execute(select(monitoring.Unit.id).where(monitoring.Unit.code == "U1")).scalar_one()
        run = monitoring.start_run(s, unit_id, "schedule", ["https://www.example.gov.cn/"])
        monitoring.record(s, run.id, report)
        changed = s.execute(select(MonitorResult.id).where(MonitorResult.url.like("%a2.html"))).scalar_one()
    return run.id, changed


def test_officer_sees_evidence_and_handles_a_problem(web: Web) -> None:
    _run_id, changed = _run(web)
    c = web.client()
    login(c, "off1")
    overview = c.get("/monitor")
    assert overview.status_code == 200
    assert "签署后被改动 1" in overview.text and "a2.html" in overview.text and "leak.html" in overview.text
    assert "ok.html" not in overview.text  # signed and passing: not a problem
    evidence = c.get(f"/monitor/results/{changed}")
    assert "<del>2024年4月1日起</del>" in evidence.text and "<ins>2024年5月1日起</ins>" in evidence.text
    assert "2024年4月1日起实行延时服务" in evidence.text  # the signed version beside the live content
    empty = c.post(f"/monitor/results/{changed}/handle", data={"csrf_token": csrf_of(evidence.text), "reason": " "})
    assert empty.status_code == 422 and "处理说明" in empty.text
    done = c.post(f"/monitor/results/{changed}/handle", data={"csrf_token": csrf_of(evidence.text), "reason": "已恢复签署版本"})
    assert done.status_code == 303
    assert "已恢复签署版本" in c.get(f"/monitor/results/{changed}").text
    with web.db.session() as s:
        assert s.execute(select(Alert).where(Alert.monitor_result_id == changed)).scalar_one().resolved_at is not None
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "monitor_handled")).scalar_one()
        assert event.actor == "off1" and json.loads(event.data)["monitor_result_id"] == changed


def test_who_sees_what(web: Web) -> None:
    _run_id, changed = _run(web)
    other = web.client()
    login(other, "off2")
    assert other.get(f"/monitor/results/{changed}").status_code == 404
    assert "a2.html" not in other.get("/monitor").text
    reviewer = web.client()
    login(reviewer, "rev1")
    assert reviewer.get("/monitor").status_code == 403
    queue = reviewer.get("/review").text  # the alert list the rescan uses
    assert f"/monitor/results/{changed}" in queue
    auditor = web.client()
    login(auditor, "aud")
    page = auditor.get(f"/monitor/results/{changed}")
    assert page.status_code == 200 and "标记为已处理" not in page.text
    assert auditor.get("/monitor?unit=U1").status_code == 200
    assert auditor.post(f"/monitor/results/{changed}/handle",
                        data={"csrf_token": csrf_of(page.text) if "csrf_token" in page.text else "", "reason": "x"}
                        ).status_code == 403


def test_yearly_statistics_count_the_monitor(web: Web) -> None:
    from datetime import datetime

    from reviewer.audit.statistics import UNIT_COLUMNS, Period, compute

    _run_id, changed = _run(web)
    with web.db.session() as s:
        from reviewer.store.models import User

        officer = s.execute(select(User).where(User.username == "off1")).scalar_one()
        monitoring.handle(s, changed, officer, "已处理")
    with web.db.session() as s:
        st = compute(s, Period(datetime.now().year))
    u1 = next(u for u in st.units if u.unit_code == "U1")
    assert (u1.monitor_runs, u1.monitor_pages, u1.monitor_problems, u1.monitor_handled) == (1, 3, 2, 1)
    assert st.total.monitor_runs == 1
    assert ("monitor_runs", "网站巡检次数") in UNIT_COLUMNS
