"""Units, users and API tokens. Tokens are random, shown once, stored as SHA-256; passwords as argon2 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from reviewer.accounts.actor import SYSTEM, Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from reviewer.store.models import ROLES, ApiToken, Unit, User, utcnow

TOKEN_PREFIX = "rvw_"
_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.active:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_unit(session: Session, code: str) -> Unit:
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    return unit


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def create_unit(session: Session, code: str, name: str, *, block_policy: str = "revise", callback_url: str | None = None,
                actor: Actor | User = SYSTEM) -> Unit:
    if session.execute(select(Unit.id).where(Unit.code == code)).first():
        raise Conflict(f"单位 {code} 已存在")
    if block_policy not in ("revise", "officer"):
        raise InvalidInput("block_policy 必须是 revise 或 officer")
    unit = Unit(code=code, name=name, block_policy=block_policy, created_at=utcnow())
    session.add(unit)
    session.flush()
    audit.append(session, "unit_created", actor, unit_code=code, data={"unit_id": unit.id, "block_policy": block_policy})
    if callback_url:
        set_callback(session, unit, callback_url, actor=actor)
    return unit


def set_block_policy(session: Session, unit: Unit, policy: str, *, actor: Actor | User = SYSTEM) -> None:
    if policy not in ("revise", "officer"):
        raise InvalidInput("block_policy 必须是 revise 或 officer")
    unit.block_policy = policy
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"block_policy": policy})


def set_callback(session: Session, unit: Unit, url: str | None, *, actor: Actor | User = SYSTEM) -> str | None:
    """Register (or clear) the unit's callback URL; returns the new HMAC secret (shown once)."""
    if url and not url.startswith(("http://", "https://")):
        raise InvalidInput("回调地址必须以 http:// 或 https:// 开头")
    unit.callback_url = url or None
    unit.callback_secret = secrets.token_hex(32) if url else None
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"callback": bool(url)})
    return unit.callback_secret


def create_user(session: Session, username: str, unit_code: str, role: str, *, display_name: str = "", password: str | None = None,
                actor: Actor | User = SYSTEM) -> User:
    if role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"用户 {username} 已存在")
    unit = get_unit(session, unit_code)
    user = User(username=username, display_name=display_name or username, unit_id=unit.id, unit=unit, role=role,
                password_hash=hash_password(password) if password else None, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.append(session, "user_created", actor, unit_code=unit.code, data={"user_id": user.id, "username": username, "role": role})
    return user


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str  # shown once, never stored
    record: ApiToken


def create_token(session: Session, *, user: User | None = None, unit: Unit | None = None, client_name: str | None = None,
                 actor: Actor | User = SYSTEM) -> NewToken:
    """A person's token (role of the user) or a publishing-system client token (role publisher, bound to a unit)."""
    if user is None and (unit is None or not client_name):
        raise InvalidInput("令牌须指定用户，或指定单位和客户端名称")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if user is not None:
        record = ApiToken(token_hash=token_hash(token), prefix=token[:12], unit_id=user.unit_id, user_id=user.id, role=user.role,
                          client_name=client_name, created_at=utcnow())
        unit_code = user.unit.code
    else:
        assert unit is not None
        record = ApiToken(token_hash=token_hash(token), prefix=token[:12], unit_id=unit.id, user_id=None, role="publisher",
                          client_name=client_name, created_at=utcnow())
        unit_code = unit.code
    session.add(record)
    session.flush()
    audit.append(session, "token_created", actor, unit_code=unit_code,
                 data={"token_id": record.id, "prefix": record.prefix, "role": record.role, "user_id": record.user_id,
                       "client": client_name})
    return NewToken(token, record)


def revoke_token(session: Session, token_id: int | None = None, *, prefix: str | None = None, actor: Actor | User = SYSTEM) -> ApiToken:
    query = select(ApiToken)
    query = query.where(ApiToken.id == token_id) if token_id is not None else query.where(ApiToken.prefix == prefix)
    found = list(session.execute(query).scalars())
    if len(found) != 1:
        raise NotFound("令牌不存在（或前缀不唯一）")
    record = found[0]
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.append(session, "token_revoked", actor, unit_code=record.unit.code, data={"token_id": record.id, "prefix": record.prefix})
    return record


def authenticate(session: Session, token: str) -> Actor:
    """Bearer token → actor. Revoked tokens and deactivated users fail at once (checked on every request)."""
    query = select(ApiToken).where(ApiToken.token_hash == token_hash(token)).options(
        joinedload(ApiToken.unit), joinedload(ApiToken.user).joinedload(User.unit)
    )
    record = session.execute(query).scalar_one_or_none()
    if record is None or record.revoked_at is not None or (record.user is not None and not record.user.active):
        raise AuthenticationFailed("令牌无效或已被吊销")
    return Actor.of_token(record)


def actor_of(user: User) -> Actor:
    return as_actor(user)


def set_publisher_counts(session: Session, unit: Unit, enabled: bool, *, actor: Actor | User = SYSTEM) -> None:
    """Opt the unit's publishing systems in (or out) to seeing how many findings of each severity a scan had —
    never the findings themselves (api.views)."""
    unit.publisher_counts = bool(enabled)
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"publisher_counts": bool(enabled)})
