"""The 巡检 on a schedule in the running system: a real Celery worker with its embedded beat (`-B`) on a real Redis
claims the unit's due run, crawls the loopback site, and stores the run (time, rules version, results), the alerts
and the review-log events. A second tick does not start a second run before the interval has passed."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reviewer.accounts import manage as accounts
from reviewer.accounts.actor import SYSTEM
from reviewer.settings import Settings
from reviewer.store.models import APPROVED, Alert, AuditEvent, Item, MonitorResult, MonitorRun, Review, User
from reviewer.workflow import monitoring
from reviewer.workflow.runtime import open_database
from tests.monitor import site
from tests.services import PYTHON, REPO, RedisServer, Worker, seed, service_env, wait_for

pytestmark = pytest.mark.integration


class BeatWorker(Worker):
    """`reviewer worker -B`: the worker runs the beat schedule too."""

    def start(self, wait: bool = True) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "workers.app", "worker", "-B", "--pool=solo", "-c", "1", "-n", f"{self.name}@%h",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        if wait:
            wait_for(lambda: self._ready(), 60, 0.1, what="celery worker with beat")
        return self


def test_beat_runs_the_unit_monitor_and_stores_it(redis_server: RedisServer, sqlite_database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seed(sqlite_database_url, data_dir)
    db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": sqlite_database_url, "REVIEWER_DATA_DIR": str(data_dir)}))
    root = site.write(tmp_path / "site", site.pages())
    with site.serve(root) as srv:
        with db.session() as s:
            unit = accounts.get_unit(s, "U1")
            rev = s.execute(select(User).where(User.username == "rev1")).scalar_one()
            for a in site.APPROVED:
                item = Item(external_id=f"doc-{a.item_id}", unit_id=unit.id, title=a.title, file_name=a.file_name,
                            content=a.content, content_sha256=hashlib.sha256(a.content).hexdigest(), state=APPROVED,
                            verdict="pass", rules_version="old")
                s.add(item)
                s.flush()
                s.add(Review(item_id=item.id, reviewer_id=rev.id, decision="approve", content_sha256=item.content_sha256,
                             rules_version="old"))
            monitoring.configure(s, unit, [srv.base + "/"], 3600, SYSTEM)
        env = service_env(sqlite_database_url, redis_server.url, data_dir, REVIEWER_MONITOR_BEAT="1", REVIEWER_MONITOR_INTERVAL="0")
        worker = BeatWorker(env, tmp_path / "logs").start()
        try:
            def finished() -> MonitorRun | None:
                with db.session() as s:
                    run = s.execute(select(MonitorRun).where(MonitorRun.state == "done")).scalar_one_or_none()
                    if run is not None:
                        s.expunge(run)
                    return run

            run = wait_for(finished, 120, 0.5, what="scheduled monitor run")
            time.sleep(3)  # more beat ticks: the next run is an hour away, so none starts
        finally:
            worker.stop()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MonitorRun)) == 1
        assert run.trigger == "schedule" and run.rules_version and run.finished_at is not None
        assert (run.pages, run.attachments, run.signed, run.changed, run.unsigned, run.unreadable) == (11, 3, 4, 3, 6, 1)
        assert s.scalar(select(func.count()).select_from(MonitorResult).where(MonitorResult.run_id == run.id)) == 14
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.monitor_result_id.is_not(None))) >= 4
        events = {e.action: e for e in s.execute(select(AuditEvent)).scalars()}
        assert events["monitor_run"].actor == "worker" and "alert" in events
    db.dispose()
