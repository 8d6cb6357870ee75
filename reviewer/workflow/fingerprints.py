"""Registered documents on the running system (docs/fingerprints.md): an admin or secrecy officer registers
documents; the fingerprint rule is stored in the database so every worker has it; registering changes the rule-set
version and re-scans every released item (a released draft that copied the newly registered document raises a
post-release alert through workflow/rescan.py).

Workers materialise the stored rules as rule files under `<data_dir>/fingerprints/<digest>/` (written to a
temporary directory and renamed, so concurrent workers never read a half-written rule) and load them like any
other rule directory."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import Conflict, NotFound, PermissionDenied, ReviewerError, RuleError
from reviewer.ruleset.model import RULE_ID
from reviewer.scan.fingerprints import Builder, write_rule_files
from reviewer.settings import Settings
from reviewer.store.models import FingerprintSet, User, utcnow
from reviewer.store.session import lock
from reviewer.workflow import rescan, scopes

REGISTRARS = ("officer", "admin")  # who may register documents
_LOCK = "reviewer:fingerprints"


@dataclass(frozen=True)
class Registered:
    rule_id: str
    documents: int
    rescans: int
    public_share: float | None = None
    released_share: float | None = None


@dataclass(frozen=True)
class SetInfo:
    rule_id: str
    severity: str
    documents: int
    labels: list[str]
    created_by: str
    created_at: datetime
    public_share: float | None = None  # share of the registration found in public text and left out (None: not measured)
    released_share: float | None = None  # share found in the unit's released items (left out only on request)
    id: int = 0
    scope: str | None = None
    retired_at: datetime | None = None
    retired_by: str | None = None

    @property
    def public_text(self) -> str:
        from reviewer.scan.fingerprints import public_share_text

        text = public_share_text(self.public_share)
        if self.released_share:
            text += f"；已发布稿件中 {int(self.released_share * 100 + 0.5)}%"
        return text


def released_public_hashes(session: Session) -> np.ndarray:
    """Public hashes of the winnowed selections of every released item's text: what the unit has published is public,
    and a registration leaves it out (docs/fingerprints.md). An item that cannot be read completely adds nothing."""
    from reviewer.extract import extract
    from reviewer.scan.fingerprints import public_hashes_of
    from reviewer.store.models import Item
    from reviewer.workflow.rescan import released_item_ids

    texts: list[str] = []
    for item_id in released_item_ids(session):
        item = session.get(Item, item_id)
        if item is None:
            continue
        extraction = extract(item.content, item.file_name)
        if not extraction.error:
            texts.append("\n".join(part.text for part in extraction.parts if not part.spans_only))
    return public_hashes_of(texts)


def register(session: Session, rule_id: str, sources: Sequence[tuple[str, Sequence[str]]], *, severity: str = "block",
             message: str = "", common: np.ndarray | None = None, actor: Actor | User | None = None,
             actor_name: str = "admin", public: np.ndarray | None = None, exclude_released: bool = False,
             scope: str | None = None) -> Registered:
    """Build the fingerprints of `sources` ((label, paragraphs) each) and store them as rule `rule_id`; then queue a
    re-scan of every released item of the units it covers (sent after commit). The audit log records who registered
    which labels. `scope` (workflow/scopes.py): the registering person's unit by default, or a group including it;
    "all" (every unit) only from the command line.
    Passages found in public text are left out: `public` (a public reference list's hashes) and, with
    `exclude_released`, the unit's released items. The share of each document found in public text and the share found
    in released items are stored and listed either way (a registered passage that a released item already contains is
    left in by default: the re-scan of released items then raises the post-release alert for it)."""
    who = as_actor(actor) if actor is not None else Actor(actor_name, "admin", None, "")
    if who.role not in REGISTRARS:
        raise PermissionDenied("只有保密员或管理员可以登记文件")
    if not re.match(RULE_ID, rule_id):
        raise ReviewerError(f"规则 id “{rule_id}” 不合法：只能用小写字母、数字、点、下划线和连字符")
    if severity not in ("block", "review"):
        raise ReviewerError("级别只能是 block（禁止发布）或 review（需人工审查）")
    if not sources:
        raise ReviewerError("没有要登记的文件")
    owner = scopes.registration_scope(session, who, scope)
    lock(session, _LOCK)
    if session.execute(select(FingerprintSet.id).where(FingerprintSet.rule_id == rule_id)).first() is not None:
        raise Conflict(f"规则 id “{rule_id}” 已登记过；请换一个 id（登记文件不保存原文，无法在原规则上追加）")
    builder, blob, documents = _build(session, sources, common, public, exclude_released)
    row = FingerprintSet(rule_id=rule_id, severity=severity, message=message, documents=json.dumps(documents, ensure_ascii=False),
                         document_count=len(documents), data=blob, data_sha256=hashlib.sha256(blob).hexdigest(),
                         secret=builder.key, created_by=who.name, created_at=utcnow(), scope=owner)
    session.add(row)
    session.flush()
    covered = scopes.units_of(session, owner)
    # the event belongs to the registering unit's log (or, from the command line, to the scope's unit)
    event_unit = who.unit_code or (covered[0] if covered and len(covered) == 1 else None)
    audit.append(session, "fingerprints_registered", who, unit_code=event_unit,
                 data={"rule_id": rule_id, "documents": len(documents), "labels": [d["label"] for d in documents][:200],
                       "severity": severity, "public_share": builder.public_share,
                       "released_share": builder.released_share, "scope": owner or "all"})
    ids = rescan.fan_out(session, units=covered)
    return Registered(rule_id, len(documents), len(ids), builder.public_share, builder.released_share)


def _build(session: Session, sources: Sequence[tuple[str, Sequence[str]]], common: np.ndarray | None,
           public: np.ndarray | None, exclude_released: bool) -> tuple[Builder, bytes, list[dict[str, object]]]:
    released = released_public_hashes(session)
    known = [public] if public is not None else []
    if exclude_released:
        known.append(released)
    builder = Builder(common=common if common is not None else np.zeros(0, np.uint64),
                      public=np.unique(np.concatenate(known)) if known else None, released=released)
    for label, paragraphs in sources:
        builder.add(label, paragraphs)
    blob = builder.encoded()
    documents: list[dict[str, object]] = [
        {"label": d.label, "paragraphs": d.paragraphs,
         **({"public_share": round(d.public_share, 4)} if d.public_share is not None else {}),
         **({"released_share": round(d.released_share, 4)} if d.released_share is not None else {})}
        for d in builder.documents]
    return builder, blob, documents


def rule_id_for(name: str, scope: str | None) -> str:
    """A rule id for a registration named in Chinese (办公室〔2024〕12号通报): rule ids are file names, so ASCII; the
    name stays what people read. The same name registered twice in one scope gets the same id (refused as a duplicate)."""
    return "reg-" + hashlib.sha256(f"{scope or 'all'}\n{name.strip()}".encode()).hexdigest()[:12]


def managed(session: Session, who: Actor, set_id: int) -> FingerprintSet:
    """The registration `set_id`, if `who` may retire, replace or delete it: a secrecy officer or admin whose unit the
    registration covers (its own unit's or a group including it); one made for every unit, the command line only."""
    if who.role not in REGISTRARS:
        raise PermissionDenied("只有保密员或管理员可以管理登记文件")
    row = session.get(FingerprintSet, set_id)
    if row is None:
        raise NotFound("没有这条登记")
    if who.unit_code:  # a person on the pages: only what their unit's scope holds (another unit's is not even named)
        if row.scope is None:
            raise PermissionDenied("对所有单位生效的登记只能由管理员在命令行上管理")
        if row.scope not in scopes.unit_scope_names(session, who.unit_code):
            raise NotFound("没有这条登记")
    return row


def _labels(row: FingerprintSet) -> list[str]:
    return [str(d["label"]) for d in json.loads(row.documents)][:200]


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewerError(f"请写明{what}的理由（记入审查日志）")
    return reason[:500]


def retire(session: Session, set_id: int, actor: Actor | User, reason: str) -> str:
    """停用: the registration stays listed (and in the log) but scans nothing from now on. Returns the rule id."""
    who = as_actor(actor)
    lock(session, _LOCK)
    row = managed(session, who, set_id)
    if row.retired_at is not None:
        raise Conflict("这条登记已经停用")
    why = _reason(reason, "停用")
    row.retired_at, row.retired_by = utcnow(), who.name
    audit.append(session, "fingerprints_retired", who, data={"rule_id": row.rule_id, "labels": _labels(row),
                                                               "scope": row.scope or "all", "reason": why})
    return row.rule_id


def delete(session: Session, set_id: int, actor: Actor | User, reason: str) -> str:
    """删除: the fingerprints and their key are gone for good (the log keeps who deleted which names, and why)."""
    who = as_actor(actor)
    lock(session, _LOCK)
    row = managed(session, who, set_id)
    why = _reason(reason, "删除")
    audit.append(session, "fingerprints_deleted", who, data={"rule_id": row.rule_id, "labels": _labels(row),
                                                               "documents": row.document_count, "scope": row.scope or "all",
                                                               "reason": why})
    session.delete(row)
    session.flush()
    return row.rule_id


def replace(session: Session, set_id: int, sources: Sequence[tuple[str, Sequence[str]]], actor: Actor | User, *,
            reason: str = "", common: np.ndarray | None = None, public: np.ndarray | None = None,
            exclude_released: bool = False) -> Registered:
    """替换: new files (a revised version of the document) under the same rule and scope; the old fingerprints and key
    are dropped. Released items of the covered units are re-scanned, as after a registration."""
    who = as_actor(actor)
    if not sources:
        raise ReviewerError("没有要登记的文件")
    lock(session, _LOCK)
    row = managed(session, who, set_id)
    if row.retired_at is not None:
        raise Conflict("这条登记已经停用，不能替换；请重新登记")
    why = (reason or "").strip()[:500]
    old_labels = _labels(row)
    builder, blob, documents = _build(session, sources, common, public, exclude_released)
    row.data, row.data_sha256, row.secret = blob, hashlib.sha256(blob).hexdigest(), builder.key
    row.documents, row.document_count = json.dumps(documents, ensure_ascii=False), len(documents)
    row.created_by, row.created_at = who.name, utcnow()
    session.flush()
    audit.append(session, "fingerprints_replaced", who,
                 data={"rule_id": row.rule_id, "previous_labels": old_labels, "labels": [str(d["label"]) for d in documents][:200],
                       "documents": len(documents), "scope": row.scope or "all", "reason": why or None,
                       "public_share": builder.public_share, "released_share": builder.released_share})
    ids = rescan.fan_out(session, units=scopes.units_of(session, row.scope))
    return Registered(row.rule_id, len(documents), len(ids), builder.public_share, builder.released_share)


def registered_titles(session: Session) -> dict[str, str]:
    """rule id → the name people read (登记文件比对（办公室〔2024〕12号通报）) of every stored registration: they live in
    the database, not in the rule directories the pages read titles from. Callers hide what a viewer may not see."""
    from reviewer.scan.fingerprints import fingerprint_title

    return {str(rule_id): fingerprint_title([str(d["label"]) for d in json.loads(docs)])
            for rule_id, docs in session.execute(select(FingerprintSet.rule_id, FingerprintSet.documents))}


def list_sets(session: Session, viewer_unit: str | None = None, *, everything: bool = False) -> list[SetInfo]:
    """The registrations whose scope includes `viewer_unit` (every unit's registrations, the command line: `everything`)."""
    from reviewer.scan.fingerprints.building import weighted

    query = select(FingerprintSet).order_by(FingerprintSet.id)
    if not everything:
        names = scopes.unit_scope_names(session, viewer_unit)
        named = [n for n in names if n]
        query = query.where(FingerprintSet.scope.is_(None) | FingerprintSet.scope.in_(named))
    out = []
    for r in session.execute(query).scalars():
        docs = json.loads(r.documents)
        public = weighted((d.get("public_share"), int(d["paragraphs"])) for d in docs)
        released = weighted((d.get("released_share"), int(d["paragraphs"])) for d in docs)
        out.append(SetInfo(r.rule_id, r.severity, r.document_count, [d["label"] for d in docs], r.created_by,
                           r.created_at, public, released, r.id, r.scope, r.retired_at, r.retired_by))
    return out


def _in_scopes(query, scopes_: Sequence[str | None] | None):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
    query = query.where(FingerprintSet.retired_at.is_(None))  # a retired registration scans nothing
    if scopes_ is None:
        return query
    named = [s for s in scopes_ if s]
    if None in scopes_:
        return query.where(FingerprintSet.scope.is_(None) | FingerprintSet.scope.in_(named))
    return query.where(FingerprintSet.scope.in_(named))


def stamp(session: Session, scopes_: Sequence[str | None] | None = None) -> tuple[tuple[str, str], ...]:
    """What identifies the stored rules (cheap: ids and digests only), checked before each scan."""
    rows = session.execute(_in_scopes(select(FingerprintSet.rule_id, FingerprintSet.data_sha256), scopes_)
                           .order_by(FingerprintSet.rule_id))
    return tuple((str(r[0]), str(r[1])) for r in rows)


def materialise(session: Session, settings: Settings, scopes: Sequence[str | None] | None = None) -> Path | None:
    """The directory holding the stored fingerprint rules of `scopes` (FingerprintSet.scope values; None: all) as rule
    files (None when nothing is registered there). One directory per distinct set of registrations."""
    scopes_ = scopes
    current = stamp(session, scopes_)
    if not current:
        return None
    digest = hashlib.sha256(repr(current).encode()).hexdigest()[:24]
    root = settings.data_dir / "fingerprints"
    final = root / digest
    if (final / ".complete").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        for row in session.execute(_in_scopes(select(FingerprintSet), scopes_).order_by(FingerprintSet.rule_id)).scalars():
            if hashlib.sha256(row.data).hexdigest() != row.data_sha256:
                raise RuleError("数据库中登记文件的指纹数据与记录的 SHA-256 不符（被改动或损坏）；请重新登记",
                                path=f"数据库 fingerprint_sets/{row.rule_id}")
            documents = [(d["label"], int(d["paragraphs"]), d.get("public_share")) for d in json.loads(row.documents)]
            write_rule_files(tmp, row.rule_id, row.data, row.secret, documents, severity=row.severity, message=row.message)
        (tmp / ".complete").write_text(digest, encoding="ascii")
        os.chmod(tmp, 0o700)
        try:
            os.replace(tmp, final)
        except OSError:  # another worker got there first: its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
