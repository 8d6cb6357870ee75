"""The work a queue task does, outside Celery: re-fetch by id, scan, store the result. Workers call these.

Scanning runs outside any database transaction (a big document must not hold the SQLite write lock). Any failure
of the scanner or of loading the rules records `scan_failed` with the reason: fail closed, never approvable.
Database and broker errors propagate so the task retries them (transient).

Time limit and lease: the scan runs in a long-lived forked child process (it inherits the loaded scanner, nothing is
reloaded; a scan costs a pipe round trip) that is killed — and replaced at the next scan — when a scan runs longer
than `settings.scan_time_limit` seconds — one library call that never
returns to the extractors' own deadline checks (a pathological PDF page inside pypdf) cannot hold a worker. A
killed scan ends `scan_failed` with a Chinese reason, never pass. While the child runs, the item holds a lease
(`scan_lease_until`, LEASE_SECONDS ahead, renewed every RENEW_SECONDS): the sweeper and redelivered messages leave
a leased item alone, so a slow scan is not started a second time on another worker; a dead worker's lease simply
runs out and the sweeper sends the item again."""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select

from reviewer.document import scan_document
from reviewer.errors import ReviewerError, exception_zh
from reviewer.extract import Members
from reviewer.scan.model import ScanResult
from reviewer.settings import BUILTIN_RULES_DIR, Settings
from reviewer.store.models import SCANNING, Item, utcnow
from reviewer.store.session import Database
from reviewer.workflow import callbacks, fairshare, render_check, rescan, rulelog, scanning, scopes
from reviewer.workflow.scopes import Scope

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

log = logging.getLogger(__name__)


class ScannerCache:
    """Compiled scanners by rule scope (workflow/scopes.py): one per distinct set of rule directories and registered
    documents, loaded lazily at the first draft of a unit in that scope and reloaded when a rule file changes (so
    `rescan --released` sees new rules). Least recently used scanners are evicted once the terms they hold exceed
    REVIEWER_SCANNER_CACHE_TERMS (the most recent one always stays)."""

    def __init__(self, settings: Settings, max_terms: int | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        # key -> (scanner, fingerprint of its files, weight)
        self._cache: OrderedDict[tuple[Any, ...], tuple[Scanner, tuple[Any, ...], int]] = OrderedDict()
        env = os.environ.get("REVIEWER_SCANNER_CACHE_TERMS", "")
        self.max_terms = max_terms if max_terms is not None else (int(env) if env.isdigit() else 400_000)
        self.loads = 0  # scanners compiled (tests, bench)
        self._layered: dict[tuple[int, int], scopes.LayeredScanner] = {}
        self.logged: dict[str, str] = {}  # unit code -> the rule-set version this process last saw logged

    @staticmethod
    def _stamps(roots: tuple[Path, ...]) -> tuple[Any, ...]:
        # Checked before every scan: (path, mtime, size) of every rule file and directory, with os.scandir (the
        # pathlib rglob version cost ~0.3 ms per task).
        stamps: list[tuple[str, int, int]] = []

        def walk(directory: str) -> None:
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                return
            for entry in entries:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                stamps.append((entry.path, st.st_mtime_ns, st.st_size))
                if entry.is_dir():
                    walk(entry.path)

        for root in roots:
            if root.is_file():
                try:
                    st = root.stat()
                except OSError:
                    continue
                stamps.append((str(root), st.st_mtime_ns, st.st_size))
            elif root.is_dir():
                walk(str(root))
        return tuple(stamps)

    def _default_dirs(self) -> tuple[Path, ...]:
        return (BUILTIN_RULES_DIR, *self.settings.rules_paths)

    def scope(self, db: Database, item_id: int) -> Scope:
        """The rules in scope for the item's unit (database errors propagate: the task is retried)."""
        with db.session() as session:
            return scopes.scope_for_item(session, self.settings, item_id)

    def registered(self, db: Database, scope: Scope | None = None) -> tuple[Path, ...]:
        """The directory of the documents registered in the database (workflow/fingerprints.py) that scan `scope`'s
        unit, as rule files (all of them without a scope). Database errors propagate: the task is retried."""
        from reviewer.workflow import fingerprints as registry

        with db.session() as session:
            stored = registry.materialise(session, self.settings,
                                          scopes=scope.registrations if scope is not None else None)
        return (stored,) if stored is not None else ()

    def get(self, db: Database | None = None, registered: tuple[Path, ...] | None = None,
            scope: Scope | None = None) -> Scanner:
        """The scanner of `scope` (without one: the built-in rules, REVIEWER_RULES_PATH and every registration).
        A unit with rules of its own (directories, registrations) gets a LayeredScanner: the layer it shares with
        other units is compiled once for all of them, only its own small layer is compiled for it."""
        extra = registered if registered is not None else (self.registered(db, scope) if db is not None else ())
        if scope is None:
            return self._compiled(self._default_dirs(), extra)
        if not scope.own and not extra:
            return self._compiled(scope.dirs, ())
        shared = self._compiled(scope.shared, ())
        own = self._compiled(scope.own, extra)
        key = (id(shared), id(own))
        with self._lock:
            layered = self._layered.get(key)
            if layered is None or layered.layers[0] is not shared or layered.layers[1] is not own:
                layered = self._layered[key] = scopes.LayeredScanner(shared, own)  # a duplicate rule id: RuleError
            return cast("Scanner", layered)

    def for_unit(self, db: Database, unit_id: int) -> Scanner:
        """The scanner of a unit's rule scope (the website monitor scans a unit's site with that unit's rules only)."""
        from reviewer.store.models import Unit

        with db.session() as session:
            unit = session.get(Unit, unit_id)
            if unit is None:
                raise ReviewerError(f"单位 {unit_id} 不存在")
            scope = scopes.scope_for(session, self.settings, unit.code)
        return self.get(db, scope=scope)

    def _compiled(self, dirs: tuple[Path, ...], extra: tuple[Path, ...]) -> Scanner:
        from reviewer import Scanner

        key = (dirs, extra)
        fingerprint = self._stamps(dirs)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[1] == fingerprint:
                self._cache.move_to_end(key)
                return cached[0]
        scanner = Scanner.load(*dirs, *extra, defaults=False)  # outside the lock: other scopes keep scanning
        weight = sum(len(lr.terms) + 1 for lr in scanner.ruleset.rules)
        with self._lock:
            self.loads += 1
            self._cache[key] = (scanner, fingerprint, weight)
            self._cache.move_to_end(key)
            while len(self._cache) > 1 and sum(w for _s, _f, w in self._cache.values()) > self.max_terms:
                self._cache.popitem(last=False)
            live = {id(c[0]) for c in self._cache.values()} | {id(scanner)}
            self._layered = {k: v for k, v in self._layered.items()
                             if all(id(layer) in live for layer in v.layers)}  # evicted layers go with their pairs
            return scanner

    def cached(self) -> int:
        with self._lock:
            return len(self._cache)


def _failure_reason(prefix: str, exc: BaseException) -> str:
    # Domain errors carry a Chinese message about rules or formats; other exceptions may quote the draft, so only
    # their type is recorded.
    if isinstance(exc, ReviewerError):
        return f"{prefix}：{exc.message}"
    return f"{prefix}（{exception_zh(exc)}）"


LEASE_SECONDS = 20.0
RENEW_SECONDS = 5.0


class ScanTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def timeout_reason(seconds: float) -> str:
    return f"扫描超过时间上限 {seconds:g} 秒（文档可能过大或结构异常），已强制终止，按扫描失败处理（不得批准）"


def _serve(scanner: Scanner, conn: Any, parent_end: Any) -> None:
    """The scan child: scan what the parent sends until the pipe closes (the parent exited or replaced us)."""
    parent_end.close()
    # The fork inherits the worker's signal handlers (Celery's warm-shutdown handler ignores SIGTERM outside its main
    # process): without this the child outlives a stopping worker, whose exit then waits on it.
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides, we follow it
    while True:
        try:
            data, file_name, seconds, render_follows = conn.recv()
        except (EOFError, OSError):
            return
        # The child dies on its own shortly after the limit even if its parent was killed (no orphaned busy scans).
        signal.alarm(max(1, int(seconds) + 5))
        try:
            # render_follows: the render check reads archives' image members (an issue here, not an error)
            scanned = scan_document(scanner, data, file_name, members=Members()) if render_follows else \
                scan_document(scanner, data, file_name)
            outcome: tuple[str, Any] = ("ok", scanned)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails closed
            outcome = ("error", _failure_reason("扫描程序异常", exc))
        signal.alarm(0)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


class _Forked:
    """A forked child by pid: alive, kill, join, exit code (what the scan child needs of a process object)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.exitcode: int | None = None

    def _reap(self, flags: int) -> bool:
        if self.exitcode is not None:
            return True
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # reaped elsewhere
            self.exitcode = -1
            return True
        if pid == 0:
            return False
        self.exitcode = os.waitstatus_to_exitcode(status)
        return True

    def is_alive(self) -> bool:
        return not self._reap(os.WNOHANG)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._reap(os.WNOHANG) and time.monotonic() < deadline:
            time.sleep(0.01)


class _ScanChild:
    """One long-lived forked child per worker thread, holding the loaded scanner: a scan costs a pipe round trip,
    not a fork. Replaced when the scanner changes (new rules) and after it was killed for running too long."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.conn: Any = None
        self.scanner: Scanner | None = None

    def _start(self, scanner: Scanner) -> None:
        self.stop()
        # os.fork, not multiprocessing.Process: a Celery prefork pool process is daemonic, and multiprocessing refuses
        # daemonic processes children (every scan in `reviewer worker`'s default pool failed with AssertionError).
        parent_end, child_end = multiprocessing.Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # the child: serve, then leave without running the worker's atexit handlers
            code = 0
            try:
                _serve(scanner, child_end, parent_end)
            except BaseException:  # noqa: BLE001 - nothing to report to: the parent sees EOF
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        self.proc = _Forked(pid)
        self.conn, self.scanner = parent_end, scanner

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(5)
        self.proc = self.conn = self.scanner = None

    def scan(self, scanner: Scanner, data: bytes, file_name: str, seconds: float,
             heartbeat: Callable[[], None] | None, render_follows: bool = False) -> ScanResult:
        if self.proc is None or self.scanner is not scanner or not self.proc.is_alive():
            self._start(scanner)
        deadline = time.monotonic() + seconds
        try:
            self.conn.send((data, file_name, seconds, render_follows))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.stop()
                    raise ScanTimeout(seconds)
                if self.conn.poll(min(left, RENEW_SECONDS)):
                    kind, value = self.conn.recv()
                    if kind == "ok":
                        return value  # type: ignore[no-any-return]
                    return ScanResult(rules_version=scanner.rules_version, error=str(value))
                if heartbeat is not None:
                    heartbeat()
        except (EOFError, BrokenPipeError, ConnectionResetError):  # the child died without answering (killed, OOM)
            code = None
            if self.proc is not None:
                self.proc.join(1)
                code = self.proc.exitcode
            self.stop()
            return ScanResult(rules_version=scanner.rules_version,
                              error=f"扫描进程异常退出（退出码 {code}），按扫描失败处理（不得批准）")
        except BaseException:
            self.stop()  # an interrupted exchange leaves the pipe out of step: never reuse it
            raise


_children = threading.local()
_all_children: list[tuple[int, _ScanChild]] = []  # (owner pid, child): every thread's child, stopped at shutdown
_all_lock = threading.Lock()


def stop_scan_children() -> None:
    """Stop this process's scan children (worker shutdown; also registered with atexit). Children a forked process
    inherited the list of belong to its parent and are left alone."""
    with _all_lock:
        mine = [c for pid, c in _all_children if pid == os.getpid()]
        _all_children[:] = [(pid, c) for pid, c in _all_children if pid != os.getpid()]
    for child in mine:
        child.stop()


atexit.register(stop_scan_children)


def scan_isolated(scanner: Scanner, data: bytes, file_name: str, seconds: float,
                  heartbeat: Callable[[], None] | None = None, render_follows: bool = False) -> ScanResult:
    """scan_document in this thread's scan child, killed after `seconds`. Raises ScanTimeout; a scanner exception
    comes back as ScanResult.error (fail closed). `render_follows`: the item's render check follows and reads what
    text extraction cannot (an archive's image members become `extract.image_member` notes, not an error)."""
    child = getattr(_children, "child", None)
    if child is None or getattr(_children, "pid", None) != os.getpid():
        child = _children.child = _ScanChild()  # a forked worker process starts its own
        _children.pid = os.getpid()
        with _all_lock:
            _all_children.append((os.getpid(), child))
    result: ScanResult = child.scan(scanner, data, file_name, seconds, heartbeat, render_follows)
    return result


def _renew_lease(db: Database, item_id: int) -> None:
    try:
        with db.session() as session:
            item = session.get(Item, item_id, with_for_update=True)
            if item is not None and item.state == SCANNING:
                item.scan_lease_until = utcnow() + timedelta(seconds=LEASE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a missed renewal only shortens the lease
        log.warning("稿件 %s 的扫描租约未能续期（%s），租约仍按原到期时间计算，扫描继续", item_id, type(exc).__name__)


def _leased(session: Any, item_id: int) -> bool:
    row = session.execute(select(Item.state, Item.scan_lease_until).where(Item.id == item_id).with_for_update()).first()
    if row is None or row.state != SCANNING or row.scan_lease_until is None:
        return False
    until = row.scan_lease_until if row.scan_lease_until.tzinfo else row.scan_lease_until.replace(tzinfo=utcnow().tzinfo)
    return bool(until > utcnow())


def scope_key(scope: Scope) -> str:
    """Whose rule-set version a scan logs: the unit's own when it has a rule scope of its own (its version differs from
    the other units'), else "" — the deployment-wide set every unit without a scope shares."""
    own_registrations = any(r is not None for r in scope.registrations)
    return scope.unit_code if (scope.own or scope.scopes or own_registrations) else ""


def log_rules(db: Database, scanners: ScannerCache, scanner: Scanner, unit_code: str = "") -> None:
    """Before a scan: its rule-set version is in the review log (workflow.rulelog), as the version in force for the
    drafting unit (units with their own rule scope have versions of their own)."""
    if scanners.logged.get(unit_code) == scanner.rules_version:
        return
    with db.session() as session:
        rulelog.ensure_logged(session, scanners.settings, scanner.ruleset, unit_code=unit_code)
    scanners.logged[unit_code] = scanner.rules_version


_Started = tuple[bytes, str, dict[str, str], bool]


def _start(session: Any, item_id: int) -> _Started | str:
    """Move the item to `scanning` with a lease (under its row lock); what to scan, or why not (leased | skipped)."""
    if _leased(session, item_id):
        return "leased"  # another worker is scanning it right now
    item = scanning.start_scan(session, item_id)
    if item is None:
        return "skipped"
    item.scan_lease_until = utcnow() + timedelta(seconds=LEASE_SECONDS)
    meta = {"title": item.title, "channel": item.channel, "file_name": item.file_name}
    return item.content, item.file_name, meta, scanning.expression_checks(session, item_id)


def run_scan(db: Database, scanners: ScannerCache, item_id: int) -> str:
    """Scan one item. Returns what happened: skipped | leased | scanned | failed."""
    with db.session() as session:
        started = _start(session, item_id)
    if isinstance(started, str):
        return started
    return _scan_started(db, scanners, item_id, started)


def run_next_scan(db: Database, scanners: ScannerCache, lane: str | None, hint: int) -> tuple[int | None, str]:
    """A scan queue's work token (workflow/fairshare.py): claim the waiting draft of the unit the lane served least
    recently and scan it. The token was sent for draft `hint`; when its lane has nothing left to claim, the token
    still looks at `hint` itself (a draft the lane's SQL and the router disagree on is never stranded).
    Returns (the item scanned or None, what happened: as run_scan, or idle)."""
    settings = scanners.settings
    with db.session() as session:
        if lane not in fairshare.SCAN_LANES:
            lane = _lane_of_item(session, settings, hint)
        claimed = fairshare.claim_scan(session, settings, lane)
        started = _start(session, claimed) if claimed is not None else None
    if claimed is None:
        with db.session() as session:
            started = _start(session, hint)
        if isinstance(started, str):
            return None, "idle"
        claimed = hint
    if started is None or isinstance(started, str):
        return claimed, started or "skipped"
    return claimed, _scan_started(db, scanners, claimed, started)


def _lane_of_item(session: Any, settings: Settings, item_id: int) -> str:
    row = session.execute(select(func.length(Item.content), Item.file_name).where(Item.id == item_id)).first()
    return fairshare.lane_of(settings, int(row[0] or 0), row[1] or "") if row is not None else fairshare.SCAN_LANE


def _scan_started(db: Database, scanners: ScannerCache, item_id: int, started: _Started) -> str:
    data, file_name, meta, pack_on = started
    scope = scanners.scope(db, item_id)  # the drafting unit's rules, exactly (workflow/scopes.py)
    try:
        registered = scanners.registered(db, scope)  # a damaged stored rule is a RuleError: fail closed below
    except ReviewerError as exc:
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, _failure_reason("规则加载失败", exc))
        return "failed"
    try:
        scanner = scanners.get(registered=registered, scope=scope)
    except Exception as exc:  # noqa: BLE001 - fail closed: any rules load failure makes the item scan_failed
        log.error("稿件 %s 的规则加载失败（%s），该稿件记为扫描失败", item_id, type(exc).__name__)
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, _failure_reason("规则加载失败", exc))
        return "failed"
    log_rules(db, scanners, scanner, scope_key(scope))
    limit = scanners.settings.scan_time_limit
    try:
        result: ScanResult = scanning.with_metadata(
            scanner, scan_isolated(scanner, data, file_name, limit, heartbeat=lambda: _renew_lease(db, item_id),
                                   render_follows=True), **meta)
    except ScanTimeout as exc:
        log.error("稿件 %s 扫描超过 %g 秒，已强制终止，该稿件记为扫描失败", item_id, exc.seconds)
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, timeout_reason(exc.seconds), scanner.rules_version)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - fail closed: a scanner exception never lets a draft through
        log.error("稿件 %s 扫描时程序异常（%s），该稿件记为扫描失败", item_id, type(exc).__name__)
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, _failure_reason("扫描程序异常", exc), scanner.rules_version)
        return "failed"
    if not pack_on:  # the unit switched the built-in expression pack off (units.expression_checks)
        result = scanning.without_rules(result, scanner.expression_pack)
    # An image (a scan, a photographed page) is read: its metadata by the text scan, its pixels by the render check
    # (OCR; approval waits for it). An error of the text scan is therefore a real one (damaged picture, metadata that
    # could not be read) and stays: the item is scan_failed, never handed to OCR as if nothing had gone wrong.
    with db.session() as session:
        scanning.record_scan(session, item_id, result)
        render_check.request(session, item_id)  # the render queue's task follows; approval waits for it
    return "failed" if result.error else "scanned"


def run_render(db: Database, scanners: ScannerCache, item_id: int) -> str:
    """The render check of one item (reviewer.render). Returns skipped | rendered | failed; any failure is recorded."""
    with db.session() as session:
        got = render_check.start(session, item_id)
        pack_on = scanning.expression_checks(session, item_id)
    if got is None:
        return "skipped"
    return _render_started(db, scanners, item_id, got, pack_on)


def run_next_render(db: Database, scanners: ScannerCache) -> tuple[int | None, str]:
    """The render queue's work token: claim (lease) the pending check of the unit served least recently and run it.
    Returns (the item or None, rendered | failed | skipped | idle)."""
    with db.session() as session:
        item_id = fairshare.claim_render(session, scanners.settings)
        got = render_check.start(session, item_id) if item_id is not None else None
        pack_on = scanning.expression_checks(session, item_id) if item_id is not None else True
    if item_id is None:
        return None, "idle"
    if got is None:
        return item_id, "skipped"
    return item_id, _render_started(db, scanners, item_id, got, pack_on)


def _render_started(db: Database, scanners: ScannerCache, item_id: int, got: tuple[bytes, str], pack_on: bool) -> str:
    data, file_name = got
    try:
        from reviewer.render.check import RenderLimits, scan_rendered
        from reviewer.render.glyphs import GLYPH_MEMORY_FILE

        limits = RenderLimits(max_seconds=scanners.settings.render_time_limit,
                              max_pages=scanners.settings.render_max_pages,
                              glyph_memory=str(scanners.settings.data_dir / GLYPH_MEMORY_FILE))
        scope = scanners.scope(db, item_id)
        scanner = scanners.get(db, scope=scope)
        log_rules(db, scanners, scanner, scope_key(scope))
        _result, report = scan_rendered(scanner, data, file_name, limits)
        if not pack_on:  # the unit switched the built-in expression pack off
            report.findings = [f for f in report.findings if f.rule not in scanner.expression_pack]
    except Exception as exc:  # noqa: BLE001 - fail closed: a crashed render check never lets a draft through
        log.error("稿件 %s 渲染核对时程序异常（%s），该核对记为失败", item_id, type(exc).__name__)
        with db.session() as session:
            render_check.record_failure(session, item_id, _failure_reason("渲染核对异常", exc))
        return "failed"
    with db.session() as session:
        render_check.record(session, item_id, report)
    return "failed" if report.error else "rendered"


def run_rescan(db: Database, scanners: ScannerCache, item_id: int) -> str:
    with db.session() as session:
        item = session.get(rescan.Item, item_id)
        if item is None or item.state not in rescan.RESCANNED_STATES or item.superseded_by_id is not None:
            return "skipped"
        if item.purged_at is not None:
            return "skipped"  # content purged by retention: nothing to scan (never an empty, clean scan)
        data, file_name, meta = item.content, item.file_name, {"title": item.title, "channel": item.channel, "file_name": item.file_name}
        pack_on = scanning.expression_checks(session, item_id)
    scope = scanners.scope(db, item_id)
    scanner = scanners.get(db, scope=scope)
    log_rules(db, scanners, scanner, scope_key(scope))
    try:
        # render_follows: an archive's image members are notes (as at intake), which record_rescan knows were read
        result = scanning.with_metadata(scanner, scan_isolated(scanner, data, file_name, scanners.settings.scan_time_limit,
                                                               render_follows=True), **meta)
    except ScanTimeout as exc:
        result = ScanResult(rules_version=scanner.rules_version, error=timeout_reason(exc.seconds))
    except Exception as exc:  # noqa: BLE001 - an unreadable re-scan is itself a reason to look again
        result = ScanResult(rules_version=scanner.rules_version, error=_failure_reason("复扫异常", exc))
    if not result.error:
        result = _rescan_pages(db, scanner, item_id, result)
    if not pack_on:
        result = scanning.without_rules(result, scanner.expression_pack)
    with db.session() as session:
        alert = rescan.record_rescan(session, item_id, result)
    return "alert" if alert is not None else "clean"


def _rescan_pages(db: Database, scanner: Scanner, item_id: int, result: ScanResult) -> ScanResult:
    """What the render check read on the pages (OCR text too), scanned again with the current rules: a term added
    after release that only a scanned page or an image shows raises the alert as one in the text does."""
    with db.session() as session:
        records, missing = rescan.visible_pages(session, item_id)
    if records:
        from reviewer.render.check import rescan_visible

        try:
            result.findings.extend(rescan_visible(scanner, records, result.findings))
        except (ValueError, KeyError, TypeError) as exc:
            missing = f"渲染核对保存的显示文字无法读取（{type(exc).__name__}），复扫未能按当前规则复核页面上显示的文字"
    if missing:
        result.error = f"{result.error}；{missing}" if result.error else missing
    return result


def run_callback(db: Database, delivery_id: int) -> str:
    """One delivery attempt; returns delivered | pending | failed | skipped."""
    with db.session() as session:
        attempt = callbacks.prepare(session, delivery_id)
    if attempt is None:
        return "skipped"
    error = callbacks.post(attempt)
    with db.session() as session:
        return callbacks.record_attempt(session, delivery_id, error)


__all__ = ["ScannerCache", "ScanTimeout", "run_scan", "run_next_scan", "run_render", "run_next_render", "run_rescan", "run_callback", "scan_isolated"]
