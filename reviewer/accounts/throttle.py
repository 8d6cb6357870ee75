"""Password login with throttling: temporary lockout per account and per client address, and a small bound on
concurrent password checks so that guessing never starves the other requests.

- Per account (stored on the user, so every process sees it): after ACCOUNT_MAX_FAILURES consecutive failures the
  account is locked for ACCOUNT_LOCK; while locked even the right password is refused, without checking it.
  A success resets the count; `reviewer users unlock` or `reset-password` ends a lockout.
- Per client address (in this process): more than ADDRESS_MAX_FAILURES failures within ADDRESS_WINDOW lock the
  address for ADDRESS_LOCK, for every username (spraying one password over many accounts is caught here).
- The argon2 check costs ~50 ms of CPU. At most VERIFY_CONCURRENCY run at once; a request that would wait behind
  more than VERIFY_QUEUE others is refused at once with 429 instead of queueing (login floods stay cheap).

Every failure, lockout and refusal of a locked account is written to the review log."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import passwords
from reviewer.audit import events as audit
from reviewer.errors import TooManyRequests
from reviewer.store.models import User, utcnow
from reviewer.store.session import Database

ACCOUNT_MAX_FAILURES = 5
ACCOUNT_LOCK = timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = 15 * 60.0
ADDRESS_LOCK = 15 * 60.0
VERIFY_CONCURRENCY = 2
VERIFY_QUEUE = 6
MAX_ADDRESSES = 10_000

BUSY = "登录请求过多，请稍后再试"


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


class AddressThrottle:
    """Failures per client address in a sliding window (bounded memory: the least recently seen addresses go)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._locked: dict[str, float] = {}

    def locked_for(self, address: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            until = self._locked.get(address)
            if until is None:
                return 0.0
            if until <= now:
                del self._locked[address]
                self._failures.pop(address, None)
                return 0.0
            return until - now

    def failed(self, address: str, now: float | None = None) -> bool:
        """Count a failure; True when the address is now locked."""
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._failures.pop(address, None) or deque()
            window.append(now)
            while window and window[0] < now - ADDRESS_WINDOW:
                window.popleft()
            self._failures[address] = window
            while len(self._failures) > MAX_ADDRESSES:
                self._failures.popitem(last=False)
            if len(window) >= ADDRESS_MAX_FAILURES:
                self._locked[address] = now + ADDRESS_LOCK
                return True
            return False

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked.clear()


class VerifyGate:
    """At most `concurrency` password checks at once, at most `queue` waiting; beyond that, refuse at once."""

    def __init__(self, concurrency: int = VERIFY_CONCURRENCY, queue: int = VERIFY_QUEUE) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._pending = 0
        self.limit = concurrency + queue

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._pending >= self.limit:
                raise TooManyRequests(BUSY)
            self._pending += 1
        try:
            if not self._slots.acquire(timeout=10):
                raise TooManyRequests(BUSY)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._pending -= 1


class PhantomAccounts:
    """Failure counts for usernames that do not exist, kept like a real account's, so that the fifth wrong password
    answers the same (429, "locked") whether or not the username exists: the answers reveal no usernames."""

    def __init__(self, size: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()  # username -> (failures, locked until, monotonic)
        self.size = size

    def locked_for(self, username: str) -> float:
        with self._lock:
            _, until = self._seen.get(username, (0, 0.0))
        return max(0.0, until - time.monotonic())

    def failed(self, username: str) -> int:
        with self._lock:
            count, until = self._seen.pop(username, (0, 0.0))
            count += 1
            if count >= ACCOUNT_MAX_FAILURES:
                until = time.monotonic() + ACCOUNT_LOCK.total_seconds()
            self._seen[username] = (count, until)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return count


ADDRESSES = AddressThrottle()
GATE = VerifyGate()
PHANTOMS = PhantomAccounts()


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    user_id: int | None
    error: str = ""
    status: int = 200  # 401 wrong credentials, 429 throttled


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def account_locked_for(user: User, now: datetime | None = None) -> float:
    if user.locked_until is None:
        return 0.0
    left = (_aware(user.locked_until) - (now or utcnow())).total_seconds()
    return max(0.0, left)


WRONG = "用户名或密码错误"


def password_login(db: Database, username: str, password: str, address: str, *, channel: str = "web",
                   addresses: AddressThrottle = ADDRESSES, gate: VerifyGate = GATE) -> LoginOutcome:
    """Check a username and password under the throttles, in three steps so that no database lock is held while
    the password is checked: read the account (read-only), verify (no transaction), record the outcome."""
    wait = addresses.locked_for(address)
    if wait:
        return LoginOutcome(None, f"该地址登录失败次数过多，已临时限制，请 {_minutes(wait)} 分钟后再试", 429)
    user_id: int | None = None
    password_hash: str | None = None
    locked = 0.0
    with db.read_session() as reader:
        user = reader.execute(select(User).where(User.username == username)).scalar_one_or_none() if username else None
        if user is not None:
            user_id, password_hash = user.id, (user.password_hash if user.active else None)
            locked = account_locked_for(user)
    if user_id is None and username:
        locked = PHANTOMS.locked_for(username)
    if locked:
        # Counts against the address too: hammering a locked account soon locks the address (and stops the log events).
        addresses.failed(address)
        if user_id is not None:
            with db.session() as s:
                audit.append(s, "login_refused_locked", _user(s, user_id), data={"channel": channel})
        return LoginOutcome(None, f"该账号连续登录失败次数过多，已临时锁定，请 {_minutes(locked)} 分钟后再试，或联系管理员解锁", 429)
    try:
        with gate.slot():
            if password_hash is None:
                passwords.verify_dummy(password)  # same cost: the response time does not tell which usernames exist
                ok = False
            else:
                ok = passwords.verify_hash(password_hash, password)
    except TooManyRequests as exc:
        return LoginOutcome(None, exc.message, 429)
    if ok and user_id is not None:
        with db.session() as s:
            user = _user(s, user_id)
            if not user.active or user.password_hash != password_hash:  # deactivated or reset meanwhile
                return LoginOutcome(None, WRONG, 401)
            if user.failed_logins or user.locked_until is not None:
                user.failed_logins = 0
                user.locked_until = None
        return LoginOutcome(user_id)
    address_locked = addresses.failed(address)
    if user_id is not None:
        with db.session() as s:
            user = _user(s, user_id)
            user.failed_logins = (user.failed_logins or 0) + 1
            audit.append(s, "login_failed", user, data={"channel": channel, "failures": user.failed_logins})
            if user.failed_logins >= ACCOUNT_MAX_FAILURES and user.active:
                user.locked_until = utcnow() + ACCOUNT_LOCK
                minutes = int(ACCOUNT_LOCK.total_seconds() // 60)
                audit.append(s, "account_locked", user, data={"channel": channel, "failures": user.failed_logins, "minutes": minutes})
                return LoginOutcome(None, f"连续 {ACCOUNT_MAX_FAILURES} 次登录失败，该账号已临时锁定 {minutes} 分钟，请稍后再试或联系管理员", 429)
    elif username and PHANTOMS.failed(username) >= ACCOUNT_MAX_FAILURES:
        minutes = int(ACCOUNT_LOCK.total_seconds() // 60)
        return LoginOutcome(None, f"连续 {ACCOUNT_MAX_FAILURES} 次登录失败，该账号已临时锁定 {minutes} 分钟，请稍后再试或联系管理员", 429)
    if address_locked:
        return LoginOutcome(None, f"该地址登录失败次数过多，已临时限制 {_minutes(ADDRESS_LOCK)} 分钟", 429)
    return LoginOutcome(None, WRONG, 401)


def _user(session: Session, user_id: int) -> User:
    user = session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()
    _ = user.unit  # the audit event names the unit
    return user
