"""Decision callbacks to a unit's publishing system: HMAC-SHA256-signed POSTs, delivered by a Celery task with
retries. The decision is committed before any delivery is attempted, so a dead receiver never blocks or loses it.

Receiver check: hex(HMAC-SHA256(callback_secret, raw body)) == header `X-Reviewer-Signature` (after "sha256=").

Where callbacks may go (checked when the URL is registered and again, after resolving the host, at every delivery;
redirects are not followed): https only (http when REVIEWER_CALLBACK_ALLOW_HTTP=1); no user name or password in
the URL; no host that is or resolves to a loopback, link-local (incl. the cloud metadata address 169.254.169.254),
unspecified, multicast or reserved address — unless the administrator lists the host in
REVIEWER_CALLBACK_ALLOW_HOSTS (names, addresses or CIDR ranges, comma-separated). Private intranet addresses
(10/8, 172.16/12, 192.168/16) are allowed: the publishing systems of a government network live there."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER
from reviewer.accounts.callback_url import UrlPolicy, check_url, policy_of  # noqa: F401 - re-exported
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput
from reviewer.store.models import CallbackDelivery, Item, Review, Unit, utcnow
from reviewer.workflow.runtime import enqueue

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5.0


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def queue_decision(session: Session, item: Item, review: Review) -> CallbackDelivery | None:
    unit = item.unit
    return queue_event(session, item, {
        "event": "decision", "item_id": item.id, "external_id": item.external_id, "version": item.version,
        "unit": unit.code, "state": item.state, "decision": review.decision, "stage": review.stage,
        "content_sha256": item.content_sha256, "rules_version": item.rules_version,
        "reviewer": review.reviewer.username, "comment": review.comment, "at": review.created_at.isoformat(),
    })


def queue_event(session: Session, item: Item, body: dict[str, object]) -> CallbackDelivery | None:
    """Queue one signed callback about `item` to its unit's publishing system (None: the unit has no callback URL)."""
    unit = item.unit
    if not unit.callback_url:
        return None
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True)
    delivery = CallbackDelivery(unit_id=unit.id, item_id=item.id, url=unit.callback_url, payload=payload)
    session.add(delivery)
    session.flush()
    enqueue(session, "deliver_callback", delivery.id)
    return delivery


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    policy: UrlPolicy = UrlPolicy()


def prepare(session: Session, delivery_id: int) -> Attempt | None:
    """Read what to send (short transaction). None: nothing to do (delivered, given up, unknown)."""
    delivery = session.get(CallbackDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return None
    unit = session.get(Unit, delivery.unit_id)
    body = delivery.payload.encode("utf-8")
    secret = (unit.callback_secret if unit else None) or ""
    headers = {"Content-Type": "application/json", "X-Reviewer-Signature": "sha256=" + signature(secret, body),
               "X-Reviewer-Delivery": str(delivery.id)}
    return Attempt(delivery.id, delivery.url, body, headers, policy_of(session))


def post(attempt: Attempt) -> str | None:
    """Send outside any transaction (a slow receiver must not hold database locks). Returns an error or None.
    Delivery is at least once: receivers de-duplicate by `X-Reviewer-Delivery`. The URL is checked again, with its
    host resolved, before every attempt; a refused URL is an error like a dead receiver (retried, then `failed`)."""
    try:
        check_url(attempt.url, attempt.policy, resolve=True)
    except InvalidInput as exc:
        return exc.message
    try:
        response = httpx.post(attempt.url, content=attempt.body, headers=attempt.headers, timeout=TIMEOUT_SECONDS,
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def record_attempt(session: Session, delivery_id: int, error: str | None) -> str:
    """Returns the new status: delivered | pending (retry later) | failed (gave up) | skipped."""
    delivery = session.get(CallbackDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return "skipped"
    delivery.attempts += 1
    item = session.get(Item, delivery.item_id)
    unit_code = item.unit.code if item else ""
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.last_error = None
        audit.append(session, "callback_delivered", WORKER, unit_code=unit_code, item_id=delivery.item_id,
                     data={"delivery_id": delivery.id, "attempts": delivery.attempts})
        return "delivered"
    delivery.last_error = error
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        audit.append(session, "callback_failed", WORKER, unit_code=unit_code, item_id=delivery.item_id,
                     data={"delivery_id": delivery.id, "attempts": delivery.attempts, "error": error})
        return "failed"
    return "pending"
