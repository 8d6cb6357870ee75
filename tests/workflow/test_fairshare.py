"""A fair share of the scan and render queues per unit (workflow/fairshare.py): a queue task claims the waiting draft
of the unit its lane served least recently, atomically, never one another worker holds. The real Celery test is
tests/integration/test_fair_queues.py; these call the claim directly on a fresh SQLite database."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from reviewer.store.models import Item, RenderCheck, Unit, utcnow
from reviewer.store.session import Database
from reviewer.workflow import fairshare, jobs, submit
from reviewer.workflow.runtime import runtime_of
from tests.workflow.conftest import result
from tests.workflow.helpers import client, scanned


def _submit(db: Database, cms: str, n: int, prefix: str, file_name: str = "content.txt", size: int = 0) -> list[int]:
    ids = []
    with db.session() as s:
        for i in range(n):
            body = ("正文" + "字" * size + str(i)).encode()
            ids.append(submit.submit(s, client(s, cms), external_id=f"{prefix}-{i}", content=body, title="标题",
                                     file_name=file_name).item.id)
    return ids


def _take(db: Database, lane: str) -> int | None:
    """What a worker's token does first: claim and move the draft to scanning with its lease, in one transaction."""
    with db.session() as s:
        item_id = fairshare.claim_scan(s, runtime_of(s).settings, lane)
        if item_id is not None:
            started = jobs._start(s, item_id)
            assert not isinstance(started, str), started
    return item_id


def _unit_of(db: Database, item_ids: list[int]) -> list[str]:
    with db.session() as s:
        units = dict(s.execute(select(Item.id, Unit.code).join(Unit, Unit.id == Item.unit_id)).all())
    return [units[i] for i in item_ids]


def test_a_unit_with_many_drafts_does_not_hold_another_units_draft_behind_them(db: Database) -> None:
    a = _submit(db, "cms1", 8, "a")
    b = _submit(db, "cms2", 2, "b")  # submitted after all of A's
    order = []
    while (item_id := _take(db, fairshare.SCAN_LANE)) is not None:
        order.append(item_id)
    # every draft once, nothing lost, nothing twice
    assert sorted(order) == sorted(a + b)
    units = _unit_of(db, order)
    # FIFO would take B's first draft 9th; round robin takes it at the next turn and alternates while both wait
    assert units[:4] == ["U1", "U2", "U1", "U2"], units
    # within a unit: oldest first
    assert [i for i in order if i in a] == a and [i for i in order if i in b] == b


def test_the_unit_served_least_recently_goes_first_even_when_it_arrives_late(db: Database) -> None:
    _submit(db, "cms2", 1, "b0")
    assert _unit_of(db, [_take(db, fairshare.SCAN_LANE) or 0]) == ["U2"]  # U2 was just served
    a = _submit(db, "cms1", 3, "a")
    b = _submit(db, "cms2", 1, "b1")
    first = _take(db, fairshare.SCAN_LANE)
    assert first == a[0]  # U1 was never served: its turn, although U2's draft is … not older, but U2 had one
    assert _take(db, fairshare.SCAN_LANE) == b[0]  # then U2 again, before A's second and third


def test_a_claimed_draft_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    [only] = _submit(db, "cms1", 1, "x")
    assert _take(db, fairshare.SCAN_LANE) == only
    assert _take(db, fairshare.SCAN_LANE) is None  # being scanned: no second worker takes it
    with db.session() as s:
        item = s.get(Item, only)
        assert item is not None
        item.scan_lease_until = utcnow() - timedelta(seconds=1)  # its worker died
    assert _take(db, fairshare.SCAN_LANE) == only


def test_lanes_stay_separate_and_the_sql_agrees_with_the_router(db: Database) -> None:
    with db.session() as s:
        settings = runtime_of(s).settings
    small = _submit(db, "cms1", 1, "s")
    pdf = _submit(db, "cms1", 1, "p", file_name="通知.PDF")
    docx = _submit(db, "cms2", 1, "d", file_name="报告.docx")
    big = _submit(db, "cms2", 1, "g", size=settings.large_draft_bytes // 3 + 10)  # UTF-8: 3 bytes a character
    with db.session() as s:
        for item_id in small + pdf + docx + big:
            item = s.get(Item, item_id)
            assert item is not None
            expected = fairshare.LARGE_LANE if item_id not in small else fairshare.SCAN_LANE
            assert fairshare.lane_of(settings, len(item.content), item.file_name) == expected
    assert _take(db, fairshare.SCAN_LANE) == small[0]
    assert _take(db, fairshare.SCAN_LANE) is None  # the large drafts are not the small lane's
    large = [_take(db, fairshare.LARGE_LANE) for _ in range(3)]
    assert sorted(i for i in large if i) == sorted(pdf + docx + big) and _take(db, fairshare.LARGE_LANE) is None


def test_a_token_whose_lane_has_nothing_scans_its_own_draft(db: Database) -> None:
    """A draft the SQL and the router put in different lanes is never stranded: its own token falls back to it."""
    [odd] = _submit(db, "cms1", 1, "o")
    with db.session() as s:
        settings = runtime_of(s).settings
        item = s.get(Item, odd)
        assert item is not None
        item.file_name = "dir/.pdf"  # (submit keeps base names) router: no suffix, small lane; SQL: ends in .pdf
        assert fairshare.lane_of(settings, len(item.content), item.file_name) == fairshare.SCAN_LANE
    with db.session() as s:
        assert fairshare.claim_scan(s, settings, fairshare.SCAN_LANE) is None
    scanned, outcome = jobs.run_next_scan(db, jobs.ScannerCache(settings), fairshare.SCAN_LANE, odd)
    assert (scanned, outcome) == (odd, "scanned")
    assert jobs.run_next_scan(db, jobs.ScannerCache(settings), fairshare.SCAN_LANE, odd) == (None, "idle")


def _pending_render(db: Database, cms: str, n: int, prefix: str) -> list[int]:
    ids = _submit(db, cms, n, prefix, file_name="a.html")
    for item_id in ids:
        scanned(db, item_id, result())  # awaiting review: the text scan is there, the render check waits
    with db.session() as s:
        for item_id in ids:
            s.add(RenderCheck(item_id=item_id, state="pending", kind="html", page_hashes="[]"))
    return ids


def test_render_checks_are_claimed_by_unit_in_turn_and_leased(db: Database) -> None:
    a = _pending_render(db, "cms1", 5, "ra")
    b = _pending_render(db, "cms2", 1, "rb")
    with db.session() as s:
        settings = runtime_of(s).settings
    order = []
    while True:
        with db.session() as s:
            item_id = fairshare.claim_render(s, settings)
        if item_id is None:
            break
        order.append(item_id)
    assert sorted(order) == sorted(a + b)  # each once: a leased check is not claimed again
    assert order.index(b[0]) == 1, _unit_of(db, order)  # FIFO: 6th
    with db.session() as s:
        check = s.get(RenderCheck, a[0])
        assert check is not None and check.lease_until is not None
        check.lease_until = utcnow() - timedelta(seconds=1)  # the render worker died
    with db.session() as s:
        assert fairshare.claim_render(s, settings) == a[0]


def test_waits_per_unit_and_lane(db: Database) -> None:
    _submit(db, "cms1", 3, "w")
    _submit(db, "cms2", 1, "w2", file_name="x.pdf")
    _pending_render(db, "cms2", 2, "wr")
    with db.session() as s:
        waits = fairshare.waits(s, runtime_of(s).settings)
    got = {(w.unit, w.lane): w.waiting for w in waits}
    assert got == {("U1", "celery"): 3, ("U2", "scan_large"): 1, ("U2", "render"): 2}
    assert all(w.oldest_seconds >= 0 and w.unit_name and w.lane_label for w in waits)
    assert _take(db, fairshare.SCAN_LANE) is not None
    with db.session() as s:
        after = {(w.unit, w.lane): w.waiting for w in fairshare.waits(s, runtime_of(s).settings)}
    assert after[("U1", "celery")] == 2  # a draft being scanned no longer waits


def test_concurrent_workers_never_take_the_same_draft(database_url: str, tmp_path: Path) -> None:
    """Four threads claim at once (each its own session, as worker processes do), on SQLite and on PostgreSQL
    (`FOR UPDATE SKIP LOCKED`): every draft is taken exactly once."""
    from reviewer.accounts import manage as accounts
    from reviewer.accounts.actor import Actor
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env({"REVIEWER_DATABASE_URL": database_url, "REVIEWER_DATA_DIR": str(tmp_path / "data")})
    db = open_database(settings, pool_size=6)
    try:
        with db.session() as s:
            cms = []
            for code in ("A", "B", "C"):
                unit = accounts.create_unit(s, code, f"单位{code}")
                cms.append(Actor.of_token(accounts.create_token(s, unit=unit, client_name=f"cms-{code}").record))
        with db.session() as s:
            ids = [submit.submit(s, cms[i % 3], external_id=f"c-{i}", content=f"正文{i}".encode()).item.id
                   for i in range(24)]
        taken: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with db.session() as s:
                    item_id = fairshare.claim_scan(s, settings, fairshare.SCAN_LANE)
                    if item_id is not None:
                        started = jobs._start(s, item_id)
                        assert not isinstance(started, str), started
                if item_id is None:
                    return
                with lock:
                    taken.append(item_id)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(taken) == sorted(ids)  # each once: none twice, none left
    finally:
        db.dispose()
