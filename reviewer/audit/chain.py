"""The hash chain of the review log, shared by the writer (audit.append) and the verifier.

hash_n = sha256(prev_hash_n + "\n" + canonical JSON of {seq, at, actor, actor_role, unit_code, item_id, action, data}).
The first event's prev_hash is GENESIS."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    actor_role: str,
    unit_code: str,
    item_id: int | None,
    action: str,
    data: str,
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "actor_role": actor_role,
            "unit_code": unit_code,
            "item_id": item_id,
            "action": action,
            "data": data,
        }
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()
