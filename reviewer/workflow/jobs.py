"""The work a queue task does, outside Celery: re-fetch by id, scan, store the result. Workers call these.

Scanning runs outside any database transaction (a big document must not hold the SQLite write lock). Any failure
of the scanner or of loading the rules records `scan_failed` with the reason: fail closed, never approvable.
Database and broker errors propagate so the task retries them (transient)."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from reviewer.document import scan_document
from reviewer.errors import ReviewerError
from reviewer.scan.model import ScanResult
from reviewer.settings import BUILTIN_RULES_DIR, Settings
from reviewer.store.session import Database
from reviewer.workflow import callbacks, render_check, rescan, scanning

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.scan.scanner import Scanner

log = logging.getLogger(__name__)


class ScannerCache:
    """One loaded Scanner per process, reloaded when a rule file changes (so `rescan --released` sees new rules)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._scanner: Scanner | None = None
        self._fingerprint: tuple[Any, ...] | None = None

    def _current_fingerprint(self) -> tuple[Any, ...]:
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

        for root in [BUILTIN_RULES_DIR, *self.settings.rules_paths]:
            if root.is_file():
                try:
                    st = root.stat()
                except OSError:
                    continue
                stamps.append((str(root), st.st_mtime_ns, st.st_size))
            elif root.is_dir():
                walk(str(root))
        return tuple(stamps)

    def get(self) -> Scanner:
        from reviewer import Scanner

        fingerprint = self._current_fingerprint()
        with self._lock:
            if self._scanner is None or fingerprint != self._fingerprint:
                # defaults: the built-in rules/ plus the settings' REVIEWER_RULES_PATH directories
                self._scanner = Scanner.load(defaults=True, settings=self.settings)
                self._fingerprint = fingerprint
            return self._scanner


def _failure_reason(prefix: str, exc: BaseException) -> str:
    # Domain errors carry a Chinese message about rules or formats; other exceptions may quote the draft, so only
    # their type is recorded.
    if isinstance(exc, ReviewerError):
        return f"{prefix}：{exc.message}"
    return f"{prefix}（{type(exc).__name__}）"


def run_scan(db: Database, scanners: ScannerCache, item_id: int) -> str:
    """Scan one item. Returns what happened: skipped | scanned | failed."""
    with db.session() as session:
        item = scanning.start_scan(session, item_id)
        if item is None:
            return "skipped"
        data, file_name = item.content, item.file_name
    try:
        scanner = scanners.get()
    except Exception as exc:  # noqa: BLE001 - fail closed: any rules load failure makes the item scan_failed
        log.error("rules failed to load for item %s: %s", item_id, type(exc).__name__)
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, _failure_reason("规则加载失败", exc))
        return "failed"
    try:
        result: ScanResult = scan_document(scanner, data, file_name)
    except Exception as exc:  # noqa: BLE001 - fail closed: a scanner exception never lets a draft through
        log.error("scan of item %s raised %s", item_id, type(exc).__name__)
        with db.session() as session:
            scanning.record_scan_failure(session, item_id, _failure_reason("扫描程序异常", exc), scanner.rules_version)
        return "failed"
    if result.error and render_check.reads_images(data, file_name):
        # an image (a scan, a photographed page) has no text to extract: the render check reads it (OCR) and the item
        # cannot be approved before that has finished (render_check.approval_blocker)
        result = ScanResult(rules_version=scanner.rules_version)
    with db.session() as session:
        scanning.record_scan(session, item_id, result)
        render_check.request(session, item_id)  # the render queue's task follows; approval waits for it
    return "failed" if result.error else "scanned"


def run_render(db: Database, scanners: ScannerCache, item_id: int) -> str:
    """The render check of one item (reviewer.render). Returns skipped | rendered | failed; any failure is recorded."""
    with db.session() as session:
        got = render_check.start(session, item_id)
    if got is None:
        return "skipped"
    data, file_name = got
    try:
        from reviewer.render.check import scan_rendered

        _result, report = scan_rendered(scanners.get(), data, file_name)
    except Exception as exc:  # noqa: BLE001 - fail closed: a crashed render check never lets a draft through
        log.error("render check of item %s raised %s", item_id, type(exc).__name__)
        with db.session() as session:
            render_check.record_failure(session, item_id, _failure_reason("渲染核对异常", exc))
        return "failed"
    with db.session() as session:
        render_check.record(session, item_id, report)
    return "failed" if report.error else "rendered"


def run_rescan(db: Database, scanners: ScannerCache, item_id: int) -> str:
    with db.session() as session:
        item = session.get(rescan.Item, item_id)
        if item is None or item.state != rescan.RELEASED:
            return "skipped"
        data, file_name = item.content, item.file_name
    scanner = scanners.get()
    try:
        result = scan_document(scanner, data, file_name)
    except Exception as exc:  # noqa: BLE001 - an unreadable re-scan is itself a reason to look again
        result = ScanResult(rules_version=scanner.rules_version, error=_failure_reason("复扫异常", exc))
    with db.session() as session:
        alert = rescan.record_rescan(session, item_id, result)
    return "alert" if alert is not None else "clean"


def run_callback(db: Database, delivery_id: int) -> str:
    """One delivery attempt; returns delivered | pending | failed | skipped."""
    with db.session() as session:
        attempt = callbacks.prepare(session, delivery_id)
    if attempt is None:
        return "skipped"
    error = callbacks.post(attempt)
    with db.session() as session:
        return callbacks.record_attempt(session, delivery_id, error)


__all__ = ["ScannerCache", "run_scan", "run_render", "run_rescan", "run_callback"]
