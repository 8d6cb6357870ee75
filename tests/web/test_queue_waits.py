"""Queue waits per unit (workflow/fairshare.py) on the officer's page (各单位排队等待) and in /metrics: drafts not yet
taken by a worker and the oldest one's wait, per unit and queue — counts and ages only, never a title."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from reviewer.store.models import Item, utcnow
from reviewer.workflow import submit
from tests.web.conftest import Web
from tests.web.helpers import login
from tests.workflow.helpers import client as cms_actor


def _waiting(web: Web) -> None:
    with web.db.session() as s:
        for i in range(3):
            submit.submit(s, cms_actor(s, "cms1"), external_id=f"w-{i}", content=f"正文{i}".encode(), title="秘密标题甲")
        submit.submit(s, cms_actor(s, "cms2"), external_id="w-pdf", content=b"%PDF-1.4 x", title="秘密标题乙",
                      file_name="a.pdf")
        s.execute(update(Item).values(submitted_at=utcnow() - timedelta(minutes=125)).where(Item.external_id == "w-0"))


def test_the_officer_sees_the_queue_waits_of_every_unit(web: Web) -> None:
    _waiting(web)
    c = web.client()
    login(c, "off1")
    html = c.get("/officer").text
    assert "各单位排队等待" in html
    section = html[html.index('id="queue-waits"'):]
    section = section[:section.index("</section>")]
    assert "第一单位（U1）" in section and "第二单位（U2）" in section
    assert "<td>文本扫描</td><td>3</td>" in section and "<td>大稿件扫描</td><td>1</td>" in section
    assert "2 小时 5 分" in section  # the oldest of U1's has waited 2 h 5 min
    assert "秘密标题" not in section
    login(c, "rev1")
    assert "各单位排队等待" not in c.get("/review").text  # the officer's page only


def test_metrics_carry_queue_waits_per_unit(web: Web) -> None:
    _waiting(web)
    text = web.client().get("/metrics").text
    lines = {ln.rsplit(" ", 1)[0]: float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines() if ln and not ln.startswith("#")}
    assert lines['reviewer_unit_queue_waiting{unit="U1",queue="celery"}'] == 3
    assert lines['reviewer_unit_queue_waiting{unit="U2",queue="scan_large"}'] == 1
    assert lines['reviewer_unit_queue_wait_seconds{unit="U1",queue="celery"}'] >= 125 * 60
    assert "秘密标题" not in text
