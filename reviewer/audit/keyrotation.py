"""Rotating a signing key, marking one compromised, and checking the keyring against the review log.

`rotate`: a new key replaces the current one of its purpose (receipt or checkpoint); the old one is retired but its
public key stays in the keyring (old receipts and checkpoints still verify), and a `key_rotated` event records both
key ids and the new public key's hash — in the same transaction, so a rotation whose event did not commit is undone.
A checkpoint rotation signs a checkpoint of the head with the new key at once (re-anchoring).

`compromise`: from a given time on, signatures by a retired key are not trusted (`key_compromised` event).

`problems`: what verify reports when the data directory's keys are not the ones the log accounts for — a key file
that is not the keyring's current key (swapped in), a keyring key that no rotation introduced, a rotation whose key
the keyring lost, a compromise mark removed from the keyring. The first key of each purpose is the one the keyring
starts with; someone who can rewrite the database *and* the data directory can forge that too, which only an
outside witness (REVIEWER_CHECKPOINT_DIR on other storage, the public keys kept by `reviewer keys show`) catches."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.actor import Actor
from reviewer.audit import events as audit
from reviewer.audit import keyring
from reviewer.audit.keyring import PURPOSE_LABEL, PURPOSES, KeyEntry
from reviewer.audit.keys import load_existing_key
from reviewer.settings import Settings
from reviewer.store.models import AuditEvent


def public_sha256(entry: KeyEntry) -> str:
    return hashlib.sha256(entry.public_key_pem.strip().encode("utf-8")).hexdigest()


def rotate(session: Session, settings: Settings, purpose: str, actor: Actor) -> keyring.Rotation:
    """Rotate and log; commits. Raises when the commit fails (the key files and keyring are put back first)."""
    from reviewer.audit import checkpoints
    from reviewer.audit.keys import load_or_create_key

    data_dir = settings.data_dir
    load_or_create_key(data_dir, PURPOSES[purpose])  # an install from before the keyring records its current key
    plan = keyring.plan_rotation(data_dir, purpose)
    audit.append(session, "key_rotated", actor,
                 data={"purpose": purpose, "old_key_id": plan.old.key_id if plan.old else None,
                       "new_key_id": plan.new.key_id, "public_key_sha256": public_sha256(plan.new)})
    before_key, before_entries = keyring.apply_rotation(data_dir, plan)
    try:
        if purpose == "checkpoint":
            checkpoints.checkpoint_now(session, force=True)  # re-anchor: the head, signed with the new key
        session.commit()
    except BaseException:
        session.rollback()
        keyring.undo_rotation(data_dir, purpose, before_key, before_entries)
        raise
    return plan


def compromise(session: Session, settings: Settings, purpose: str, key_id: str, since: datetime, actor: Actor) -> KeyEntry:
    """Mark a retired key compromised from `since`; logs and commits."""
    before = keyring.read_entries(settings.data_dir)
    entry = keyring.mark_compromised(settings.data_dir, purpose, key_id, since)
    try:
        audit.append(session, "key_compromised", actor,
                     data={"purpose": purpose, "key_id": key_id, "since": entry.compromised_at})
        session.commit()
    except BaseException:
        session.rollback()
        if before is not None:
            with keyring.locked(settings.data_dir):
                keyring._write(settings.data_dir, before)
        raise
    return entry


def _key_events(session: Session) -> list[tuple[int, str, dict[str, object]]]:
    rows = session.execute(select(AuditEvent.seq, AuditEvent.action, AuditEvent.data)
                           .where(AuditEvent.action.in_(("key_rotated", "key_compromised"))).order_by(AuditEvent.seq))
    out = []
    for seq, action, raw in rows:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        out.append((int(seq), str(action), data if isinstance(data, dict) else {}))
    return out


def problems(session: Session, data_dir: Path) -> list[str]:
    """The keyring and key files against the log's key events (Chinese; empty: they agree)."""
    out: list[str] = []
    try:
        entries = keyring.read_entries(data_dir)
    except ValueError as exc:
        return [str(exc)]
    events = _key_events(session)
    if entries is None:
        if events:
            out.append("审查日志记录了密钥轮换或泄露标记，但数据目录中没有密钥登记册（keyring.json 被删除）")
        return out
    for purpose, file_name in PURPOSES.items():
        label = PURPOSE_LABEL[purpose]
        mine = [e for e in entries if e.purpose == purpose]
        rotations = {str(d.get("new_key_id")): (seq, d) for seq, a, d in events if a == "key_rotated" and d.get("purpose") == purpose}
        for seq, d in rotations.values():
            for key_id in (d.get("new_key_id"), d.get("old_key_id")):
                if key_id and not any(e.key_id == key_id for e in mine):
                    out.append(f"第 {seq} 号事件记录的{label} {key_id} 不在密钥登记册中（登记册被改写，旧签名将无法验证）")
        for n, entry in enumerate(mine):
            if entry.public is None:
                out.append(f"密钥登记册中{label} {entry.key_id} 的公钥与其编号不符（登记册被改动）")
            if n == 0:
                continue
            event = rotations.get(entry.key_id)
            if event is None:
                out.append(f"密钥登记册中的{label} {entry.key_id} 没有对应的轮换事件（不是经 reviewer keys rotate 加入的）")
            elif event[1].get("public_key_sha256") != public_sha256(entry):
                out.append(f"密钥登记册中{label} {entry.key_id} 的公钥与第 {event[0]} 号轮换事件记录的不一致")
        for seq, a, d in events:
            if a != "key_compromised" or d.get("purpose") != purpose:
                continue
            marked_entry = next((e for e in mine if e.key_id == d.get("key_id")), None)
            logged = keyring.parse_time(d.get("since"))
            marked = keyring.parse_time(marked_entry.compromised_at) if marked_entry else None
            if marked_entry is None or marked is None or (logged is not None and marked > logged):
                out.append(f"第 {seq} 号事件把{label} {d.get('key_id')} 标为泄露，但密钥登记册中的泄露标记被去除或推迟")
        current = next((e for e in reversed(mine) if not e.retired_at), None)
        try:
            key = load_existing_key(data_dir, file_name)
        except ValueError:
            key = None
            out.append(f"{label}文件 {data_dir / file_name} 不是有效的 Ed25519 私钥")
        if key is None:
            if mine:
                out.append(f"{label}文件 {data_dir / file_name} 缺失：请从备份恢复")
        elif current is None or key.key_id != current.key_id:
            out.append(f"{label}文件中的密钥（编号 {key.key_id}）不是密钥登记册记录的当前密钥"
                       f"{'（' + current.key_id + '）' if current else ''}：密钥文件可能被替换")
    return out
