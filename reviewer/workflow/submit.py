"""Submission of a draft version by a publishing system (or a publisher).

The row and its audit event are committed first; the scan task is sent after commit (runtime.enqueue). Re-posting
identical content *and metadata* (title, channel, file name: audit.binding.document_sha256) for the same external
id returns the existing version; a change to any of them makes a new version and the earlier open versions become
`superseded` (they can no longer be approved or pass the release check). A changed title is a new version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts import identity
from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.audit.binding import document_sha256
from reviewer.errors import InvalidInput, PermissionDenied
from reviewer.store.models import QUEUED, RELEASED, SUPERSEDED, Item, Unit, User, utcnow
from reviewer.store.session import lock
from reviewer.workflow.runtime import enqueue
from reviewer.workflow.states import move

SUBMITTER_ROLES = ("publisher", "admin")


@dataclass(frozen=True, slots=True)
class Submitted:
    item: Item
    created: bool  # False: identical content was already submitted for this external id


def safe_file_name(name: str | None) -> str:
    """Keep only the last path component (no traversal, no directories) of an uploaded file name."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip().replace("\x00", "")
    if base in {"", ".", ".."}:
        return "content.txt"
    return base[:300]


def submit(
    session: Session,
    actor: Actor | User,
    *,
    external_id: str,
    content: bytes,
    title: str = "",
    channel: str = "",
    author: str = "",
    file_name: str = "content.txt",
    unit: Unit | None = None,
    author_id: str = "",
) -> Submitted:
    who = as_actor(actor)
    if who.role not in SUBMITTER_ROLES:
        raise PermissionDenied("只有发布系统或发布员可以提交稿件")
    unit = unit or session.get(Unit, who.unit_id)
    if unit is None or (who.role != "admin" and unit.id != who.unit_id):
        raise PermissionDenied("只能为本单位提交稿件")
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 200:
        raise InvalidInput("external_id 不能为空，且不超过 200 个字符")
    sha = hashlib.sha256(content).hexdigest()
    title, channel, file_name = title[:500], channel[:200], safe_file_name(file_name)
    doc_sha = document_sha256(sha, title, channel, file_name)

    lock(session, f"reviewer:submit:{unit.id}:{external_id}")
    versions = list(
        session.execute(
            select(Item).where(Item.unit_id == unit.id, Item.external_id == external_id).order_by(Item.version).with_for_update(of=Item)
        ).scalars()
    )
    if versions and versions[-1].content_sha256 == sha and versions[-1].document_sha256 in (doc_sha, None) and (
        (versions[-1].title, versions[-1].channel, versions[-1].file_name) == (title, channel, file_name)
    ):
        return Submitted(versions[-1], created=False)

    item = Item(
        external_id=external_id,
        version=(versions[-1].version + 1) if versions else 1,
        unit_id=unit.id,
        title=title,
        channel=channel,
        author=author[:200],
        author_id=(author_id or "").strip()[:200],
        file_name=safe_file_name(file_name),
        content=content,
        content_sha256=sha,
        document_sha256=doc_sha,
        state=QUEUED,
        submitted_by_token_id=who.token_id,
        submitted_at=utcnow(),
        enqueued_at=utcnow(),
    )
    session.add(item)
    session.flush()
    superseded = []
    for old in versions:
        if old.superseded_by_id is None and old.state != SUPERSEDED:
            old.superseded_by_id = item.id
            if old.state != RELEASED:
                move(old, SUPERSEDED)
            superseded.append(old)
    audit.append(
        session, "submit", who, unit_code=unit.code, item_id=item.id,
        data={"external_id": external_id, "version": item.version, "content_sha256": sha, "document_sha256": doc_sha,
              "bytes": len(content), "author_id_sha256": identity.key_digest(item.author_id),
              "author_id_raw_sha256": identity.raw_digest(item.author_id), "author_sha256": identity.raw_digest(item.author)},
    )
    for old in superseded:
        audit.append(session, "superseded", who, unit_code=unit.code, item_id=old.id,
                     data={"superseded_by": item.id, "version": old.version, "state": old.state})
    enqueue(session, "scan_item", item.id)
    return Submitted(item, created=True)
