"""Password guessing against the running pages (real API server, real database), as an insider would try it.

- 60 wrong passwords, then the right one: the account locks after 5 failures; the right password is refused while
  it is locked (without being checked), from any address; the attacking address is locked after 20 attempts;
  `reviewer users unlock` ends the account's lock.
- Spraying many usernames from one address locks the address for every username; another address is unaffected.
- 16 parallel guessers (from 16 addresses, so the address lock comes late) do not starve the pages: password checks
  run at most a few at a time, the rest are refused at once (429) instead of queueing for the CPU.
Every failure and lockout is in the review log."""

from __future__ import annotations

import statistics
import subprocess
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from reviewer.store.models import AuditEvent
from tests.reliability._helpers import figures, open_db
from tests.services import PYTHON, REPO, Stack
from tests.web.helpers import login

pytestmark = pytest.mark.integration
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _client(stack: Stack, address: str = "127.0.0.1") -> httpx.Client:
    assert stack.api is not None
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=stack.api.url, transport=transport, timeout=60)


def _actions(stack: Stack) -> dict[str, int]:
    db = open_db(stack.database_url, stack.data_dir)
    try:
        with db.session() as s:
            rows = s.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all()
    finally:
        db.dispose()
    return {a: int(n) for a, n in rows}


@SQLITE_ONLY
def test_sixty_wrong_passwords_then_the_right_one_does_not_log_in(stack: Stack) -> None:
    statuses: list[int] = []
    with _client(stack) as c:
        for i in range(60):
            statuses.append(login(c, "rev1", f"wrong-guess-{i:03d}").status_code)
        right = login(c, "rev1")
        assert right.status_code == 429 and ("锁定" in right.text or "限制" in right.text), right.text[:300]
        assert right.headers.get("location") is None and "rv_session" not in right.headers.get("set-cookie", "")
    assert statuses[:4] == [401] * 4 and set(statuses[5:]) == {429}, statuses
    # From another address the account is still locked (the lock is the account's, not the address's) …
    with _client(stack, "127.0.0.2") as c:
        again = login(c, "rev1")
        assert again.status_code == 429 and "账号" in again.text and "锁定" in again.text
        out = subprocess.run([PYTHON, "-m", "reviewer", "users", "unlock", "rev1"], env=stack.env, cwd=REPO,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        ok = login(c, "rev1")  # … until an administrator unlocks it
        assert ok.status_code == 303 and "rv_session" in ok.headers.get("set-cookie", ""), ok.text[:300]
    actions = _actions(stack)
    assert actions.get("account_locked") == 1 and actions.get("login_failed") == 5
    # refusals of the locked account count against the address: after 20 the address is locked and nothing is logged
    assert 15 <= actions.get("login_refused_locked", 0) <= 17 and actions.get("user_unlocked") == 1
    figures("login_lockout", wrong_passwords=60, accepted_after=0, locked_after_failures=5, statuses=sorted(set(statuses)))


@SQLITE_ONLY
def test_spraying_usernames_locks_the_address_not_the_others(stack: Stack) -> None:
    names = ["rev1", "rev1b", "off1", "aud", "rev2", "off2", "adm"] + [f"nobody{i}" for i in range(20)]
    statuses = []
    with _client(stack, "127.0.0.5") as c:
        for i, name in enumerate(names):
            statuses.append(login(c, name, f"Spring-{2020 + i}!").status_code)
        refused = login(c, "off2")  # the right password, from the spraying address
        assert refused.status_code == 429 and "地址" in refused.text
    assert statuses[:19] == [401] * 19 and statuses[19:] == [429] * (len(names) - 19), statuses
    with _client(stack, "127.0.0.6") as c:
        assert login(c, "off2").status_code == 303  # another address is not affected
    figures("login_spraying", usernames=len(names), address_locked_after=20, other_address_ok=True)


@SQLITE_ONLY
def test_sixteen_parallel_guessers_do_not_starve_the_pages(stack: Stack) -> None:
    with _client(stack, "127.0.0.3") as page:
        assert login(page, "rev2").status_code == 303

        def page_latency(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t = time.monotonic()
                assert page.get("/review").status_code == 200
                out.append(time.monotonic() - t)
            return out

        baseline = statistics.median(page_latency(10))
        stop = threading.Event()
        results: list[int] = []

        def guesser(k: int) -> None:
            with _client(stack, f"127.0.1.{k + 10}") as c:
                i = 0
                while not stop.is_set():
                    i += 1
                    results.append(login(c, f"ghost{k}-{i}", f"guess-{k}-{i}-xyz").status_code)

        threads = [threading.Thread(target=guesser, args=(k,), daemon=True) for k in range(16)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        during = page_latency(20)
        stop.set()
        for t in threads:
            t.join(30)
    median = statistics.median(during)
    figures("login_flood", guessers=16, guesses=len(results), refused_429=results.count(429), wrong_401=results.count(401),
            page_median_s=round(median, 3), page_max_s=round(max(during), 3), page_baseline_median_s=round(baseline, 3))
    assert results.count(429) > 0, "no guess was refused: the password checks queued up"
    # Before: 16 guessers pushed page latency to ~3 s. Now the page stays well under a second.
    assert median < 1.0, f"page median {median:.2f}s under a login flood (baseline {baseline:.3f}s)"
