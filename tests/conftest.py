"""Shared test plumbing lives in tests/services.py (real Redis, Celery workers, API server, fresh databases)."""

pytest_plugins = ["tests.services"]
