"""Who wrote a draft, as an identity rather than a name: no self-approval (谁撰稿谁不审).

The publishing system (CMS) sends the drafter's stable account id with every submission (`author_id`, e.g. the CMS
user number). An administrator maps CMS ids to reviewer accounts of the same unit (`cms_accounts`, set with
`reviewer users add … --cms-id ID` or `reviewer users link USER --cms-id ID`). At sign-off:

- the author id maps to the signer's own account → refused (the author never signs their own draft, at any stage);
- the author id maps to another account → one reviewer of the unit may approve (the usual 一事一审);
- the author id is empty or maps to no account → the author is *unknown*: the system cannot tell whether the
  signer wrote it, so approval needs a second person: a reviewer's approval moves the item to `awaiting_officer`
  and a secrecy officer who is not the first signer co-signs (the same two-person stage as block findings).
  A unit whose CMS cannot send ids yet may be switched to `unknown_author = "reviewer"` by an administrator
  (`reviewer units set CODE --unknown-author reviewer`, logged): one reviewer then approves, names still compared.

The free-text `author` is display only. It is still compared, after folding (NFKC width, case, spaces and invisible
characters, traditional → simplified), with the signer's username and name as a second guard: a match is refused.
CMS ids are folded the same way before lookup, so `Wang.Li`, `ｗａｎｇ.ｌｉ` and `wang.li\u200b` are one id."""

from __future__ import annotations

import hashlib
import unicodedata
from enum import StrEnum
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import SYSTEM, Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import Conflict, InvalidInput, PermissionDenied
from reviewer.store.models import CmsAccount, Item, User, utcnow

SELF_REVIEW = "稿件作者不能审查本人撰写的稿件"


class Authorship(StrEnum):
    OTHER = "other"  # the author is a known account other than the signer
    UNKNOWN = "unknown"  # no author id, or one that maps to no account: a second person must co-sign
    UNKNOWN_ACCEPTED = "unknown_accepted"  # unknown, but the unit's administrator accepts one reviewer (logged policy)


@cache
def _t2s():  # noqa: ANN202 - opencc has no type information
    import opencc

    return opencc.OpenCC("t2s")


def fold(value: str) -> str:
    """The comparison key of a name or id: NFKC, case-folded, traditional → simplified, without spaces, invisible
    (format) characters and separators."""
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("Z", "C") and ch not in "·・.-_'’ ")
    if any(ord(ch) > 0x2E80 for ch in text):
        text = _t2s().convert(text)
    return text.casefold()


def cms_key(cms_id: str) -> str:
    key = fold(cms_id)
    if not key:
        raise InvalidInput("CMS 账号标识不能为空")
    if len(key) > 200:
        raise InvalidInput("CMS 账号标识不能超过 200 个字符")
    return key


def key_digest(cms_id: str) -> str:
    """What the review log records of an author id: the SHA-256 of its folded key ("" when there is none). The log
    replays the CMS-id links and the submissions with it, so an id changed in the database is found by verify."""
    try:
        return hashlib.sha256(cms_key(cms_id).encode("utf-8")).hexdigest()
    except InvalidInput:
        return ""


def raw_digest(value: str) -> str:
    return hashlib.sha256((value or "").encode("utf-8")).hexdigest()


def link(session: Session, user: User, cms_id: str, *, actor: Actor | User = SYSTEM) -> CmsAccount:
    """Map a CMS author id to `user` (in the user's unit). An id already mapped to another person is a conflict."""
    key = cms_key(cms_id)
    existing = session.execute(
        select(CmsAccount).where(CmsAccount.unit_id == user.unit_id, CmsAccount.cms_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.user_id != user.id:
            raise Conflict(f"CMS 账号标识 {cms_id} 已对应本单位另一用户，请先核实")
        return existing
    record = CmsAccount(unit_id=user.unit_id, cms_id=cms_id.strip()[:200], cms_key=key, user_id=user.id, created_at=utcnow())
    session.add(record)
    session.flush()
    audit.append(session, "cms_id_linked", actor, unit_code=user.unit.code,
                 data={"user_id": user.id, "username": user.username, "cms_account_id": record.id,
                       "cms_key_sha256": hashlib.sha256(key.encode("utf-8")).hexdigest()})
    return record


def links_of(session: Session, user: User) -> list[str]:
    return list(session.execute(select(CmsAccount.cms_id).where(CmsAccount.user_id == user.id).order_by(CmsAccount.id)).scalars())


def author_account(session: Session, item: Item) -> int | None:
    """The user id the item's author id maps to (in the item's unit), or None when unknown."""
    try:
        key = cms_key(item.author_id or "")
    except InvalidInput:
        return None
    return session.execute(
        select(CmsAccount.user_id).where(CmsAccount.unit_id == item.unit_id, CmsAccount.cms_key == key)
    ).scalar_one_or_none()


def decision_record(session: Session, item: Item, signer: Actor | User, authorship: Authorship) -> dict[str, object]:
    """What a sign-off event records of the identity decision it relied on (verify recomputes it from the log)."""
    who = as_actor(signer)
    return {"signer_id": who.user_id, "credential": who.credential(), "authorship": str(authorship),
            "author_user_id": author_account(session, item), "author_id_sha256": key_digest(item.author_id or ""),
            "author_sha256": raw_digest(item.author or ""),
            "policy": {"block_policy": item.unit.block_policy, "unknown_author": getattr(item.unit, "unknown_author", "officer")}}


def check_signer(session: Session, item: Item, signer: Actor | User) -> Authorship:
    """Raise PermissionDenied when the signer is the item's author; otherwise say whether the author is known."""
    who = as_actor(signer)
    author_user = author_account(session, item)
    if author_user is not None and author_user == who.user_id:
        raise PermissionDenied(SELF_REVIEW)
    written = fold(item.author or "")
    if written and written in {fold(who.name), fold(who.display_name)} - {""}:
        raise PermissionDenied(SELF_REVIEW)
    if author_user is not None:
        return Authorship.OTHER
    return Authorship.UNKNOWN_ACCEPTED if getattr(item.unit, "unknown_author", "officer") == "reviewer" else Authorship.UNKNOWN
