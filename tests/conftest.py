"""Shared test plumbing lives in tests/services.py (real Redis, Celery workers, API server, fresh databases).

PostgreSQL in the default run: every test parametrized over the database runs on SQLite by default. Of the slowest
end-to-end files (a whole stack per test: Redis, Celery workers, API server, a fresh database), the PostgreSQL variant
runs by default for a representative sample (PG_DEFAULT below: the whole flow, two workers on one Redis, the render
check's gate, the fair queue) and in the `slow` set for the others — `scripts/test.sh --all` runs them all. Every other
file runs its PostgreSQL variants by default."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.services"]

# files whose PostgreSQL variants are sampled in the default run
PG_SAMPLED = ("tests/integration/test_flow.py", "tests/render/test_pipeline.py", "tests/integration/test_scopes_flow.py",
              "tests/integration/test_fair_queues.py")
PG_DEFAULT = {
    "tests/integration/test_flow.py::test_submit_scan_review_receipt_release",
    "tests/integration/test_flow.py::test_two_workers_share_one_redis",
    "tests/integration/test_flow.py::test_rescan_of_released_items_raises_an_alert_under_new_rules",
    "tests/render/test_pipeline.py::test_render_check_gates_approval_and_binds_the_pages",
    "tests/integration/test_fair_queues.py::test_another_units_draft_is_scanned_within_a_bounded_number_of_turns",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("database_url") != "postgresql":
            continue
        path, _, rest = item.nodeid.partition("::")
        if path in PG_SAMPLED and f"{path}::{rest.split('[', 1)[0]}" not in PG_DEFAULT:
            item.add_marker(pytest.mark.slow)
