"""Per-token submission rate limits (the `limits` library, moving window; memory or Redis storage).

One submission of many candidate names must not be repeatable at will: each publishing token may submit at most
`settings.submit_rate` drafts (e.g. "60/minute;1000/hour"). A refused submission answers 429 in Chinese with
Retry-After. With Redis storage every API process shares the counters; if Redis cannot be reached the process
falls back to its own memory counters (a limit is still enforced; nothing submitted is lost)."""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from reviewer.errors import RateLimited
from reviewer.settings import Settings

log = logging.getLogger(__name__)

PERIOD_LABEL = {"second": "秒", "minute": "分钟", "hour": "小时", "day": "天"}


def describe(item: RateLimitItem) -> str:
    unit = PERIOD_LABEL.get(item.GRANULARITY.name, item.GRANULARITY.name)
    per = f"{item.multiples} {unit}" if item.multiples != 1 else unit
    return f"每{per}最多 {item.amount} 次"


class SubmitLimiter:
    def __init__(self, settings: Settings) -> None:
        self.items = list(parse_many(settings.submit_rate)) if settings.submit_rate.strip() else []
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        uri = settings.rate_limit_storage or "memory://"
        if not uri.startswith("memory://"):
            storage = storage_from_string(uri)
            assert isinstance(storage, Storage)
            self._shared = MovingWindowRateLimiter(storage)
        self._lock = threading.Lock()

    def _limiter(self) -> MovingWindowRateLimiter:
        return self._shared or self._memory

    def hit(self, key: str) -> None:
        """Count one submission for `key`; raise RateLimited (429) when any window is full."""
        for item in self.items:
            try:
                ok = self._limiter().hit(item, "submit", key)
                limiter = self._limiter()
            except Exception as exc:  # noqa: BLE001 - shared storage down: count locally instead
                log.warning("提交频率限制的共享计数存储不可用（%s），本次提交改在本进程内存中计数", type(exc).__name__)
                with self._lock:
                    ok = self._memory.hit(item, "submit", key)
                limiter = self._memory
            if not ok:
                try:
                    reset = limiter.get_window_stats(item, "submit", key).reset_time
                except Exception:  # noqa: BLE001
                    reset = time.time() + item.get_expiry()
                wait = max(1, math.ceil(reset - time.time()))
                raise RateLimited(f"提交过于频繁：本令牌{describe(item)}，请在 {wait} 秒后重试（本次提交未被接收）", retry_after=wait)
