"""Fault injection for tests/reliability/test_scan_failure.py: the real Celery app (workers.app), with the document
scanner replaced by one that raises for drafts containing FAULT_MARKER. Started as `celery -A tests.reliability.faulty_worker`."""

from __future__ import annotations

from typing import Any

from reviewer.workflow import jobs
from workers.app import app  # noqa: F401 - Celery finds `app` here

FAULT_MARKER = b"INJECT-SCANNER-FAULT"
_real_scan_document = jobs.scan_document


def _faulty_scan_document(scanner: Any, data: bytes, file_name: str, **kwargs: Any) -> Any:
    if FAULT_MARKER in data:
        raise RuntimeError("injected scanner fault: " + data.decode("utf-8", "replace"))  # quotes the draft on purpose
    return _real_scan_document(scanner, data, file_name, **kwargs)


jobs.scan_document = _faulty_scan_document
