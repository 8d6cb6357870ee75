"""The item state machine: named states and the only transitions allowed between them."""

from __future__ import annotations

from reviewer.errors import InvalidTransition
from reviewer.store.models import (
    APPROVED,
    AWAITING_OFFICER,
    AWAITING_REVIEW,
    QUEUED,
    REJECTED,
    RELEASED,
    RETURNED,
    SCAN_FAILED,
    SCANNING,
    STATE_LABEL,
    SUPERSEDED,
    Item,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({SCANNING, SCAN_FAILED, SUPERSEDED}),
    SCANNING: frozenset({SCANNING, AWAITING_REVIEW, SCAN_FAILED, SUPERSEDED}),
    AWAITING_REVIEW: frozenset({AWAITING_OFFICER, APPROVED, REJECTED, RETURNED, SUPERSEDED}),
    AWAITING_OFFICER: frozenset({APPROVED, REJECTED, RETURNED, SUPERSEDED}),
    SCAN_FAILED: frozenset({RETURNED, REJECTED, SUPERSEDED}),  # fail closed: never approvable; returned, rejected or replaced
    APPROVED: frozenset({RELEASED, SUPERSEDED}),
    REJECTED: frozenset({SUPERSEDED}),
    RETURNED: frozenset({SUPERSEDED}),
    SUPERSEDED: frozenset(),
    RELEASED: frozenset(),  # a newer version of a released draft sets superseded_by_id, the record stays `released`
}

PENDING_SCAN = (QUEUED, SCANNING)
OPEN_FOR_REVIEW = (AWAITING_REVIEW, AWAITING_OFFICER)


def move(item: Item, target: str) -> str:
    """Change the item's state if the transition is allowed; returns the previous state."""
    current = item.state
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"稿件当前状态为“{STATE_LABEL.get(current, current)}”，不能变为“{STATE_LABEL.get(target, target)}”")
    item.state = target
    return current
