"""Who is working on an item (审查中): a signer who opens an item open for signing claims it for CLAIM_MINUTES,
renewed while the page is used. The claim is soft — a second signer is told who has it open and since when, and
can still read it — because a hard lock held by someone who went home would stop the unit's work. Nothing here is
evidence: the review log records sign-offs, not who looked.

    touch(session, item, user) -> ItemClaim | None     claim or renew; returns another person's live claim, if any
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from reviewer.store.models import Item, ItemClaim, User, utcnow

CLAIM_MINUTES = 15


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def touch(session: Session, item: Item, user: User) -> ItemClaim | None:
    now = utcnow()
    claim = session.get(ItemClaim, item.id)
    if claim is not None and claim.user_id != user.id and _aware(claim.expires_at) > now:
        _ = claim.user
        return claim  # someone else has it open: theirs stands, this person is told
    if claim is None:
        session.add(ItemClaim(item_id=item.id, user_id=user.id, claimed_at=now,
                              expires_at=now + timedelta(minutes=CLAIM_MINUTES)))
    else:
        if claim.user_id != user.id:
            claim.user_id, claim.claimed_at = user.id, now
        claim.expires_at = now + timedelta(minutes=CLAIM_MINUTES)
    session.flush()
    return None


def release(session: Session, item: Item, user: User) -> None:
    claim = session.get(ItemClaim, item.id)
    if claim is not None and claim.user_id == user.id:
        session.delete(claim)
        session.flush()
