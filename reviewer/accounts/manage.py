"""Units, users and API tokens. Tokens are random, shown once, stored as SHA-256, and expire (default
REVIEWER_TOKEN_DAYS = 90 days; rotate with `reviewer tokens rotate`); passwords are argon2 hashes and follow the
policy of accounts/passwords.py. Offboarding: `deactivate_user` ends the person's sessions and tokens at once
(they are also refused on every request because the user is inactive); a role change or a password reset ends them
too. Every change is written to the review log."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from reviewer.accounts import passwords
from reviewer.accounts.actor import SYSTEM, Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from reviewer.store.models import ROLES, ApiToken, Unit, User, WebSession, utcnow

TOKEN_PREFIX = "rvw_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650

# Labels of the account events (the review log shows them).
ACCOUNT_ACTIONS = {
    "user_deactivated": "停用用户",
    "user_role_changed": "变更角色",
    "password_reset": "重置口令",
    "user_unlocked": "解除登录锁定",
    "token_rotated": "轮换令牌",
    "cms_id_linked": "关联发布系统账号",
    "account_locked": "账号临时锁定",
    "login_refused_locked": "锁定期间登录被拒",
}
for _action, _label in ACCOUNT_ACTIONS.items():
    audit.ACTIONS.setdefault(_action, _label)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return passwords.hash_password(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.active:
        return False
    return passwords.verify_hash(user.password_hash, password)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def _token_days(session: Session) -> int:
    runtime = session.info.get("runtime")
    settings = getattr(runtime, "settings", None)
    return int(getattr(settings, "token_days", DEFAULT_TOKEN_DAYS) or DEFAULT_TOKEN_DAYS)


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


UNKNOWN_AUTHOR_POLICIES = ("officer", "reviewer")


def create_unit(session: Session, code: str, name: str, *, block_policy: str = "revise", callback_url: str | None = None,
                unknown_author: str = "officer", actor: Actor | User = SYSTEM) -> Unit:
    if session.execute(select(Unit.id).where(Unit.code == code)).first():
        raise Conflict(f"单位 {code} 已存在")
    if block_policy not in ("revise", "officer"):
        raise InvalidInput("block_policy 必须是 revise 或 officer")
    if unknown_author not in UNKNOWN_AUTHOR_POLICIES:
        raise InvalidInput("unknown_author 必须是 officer 或 reviewer")
    unit = Unit(code=code, name=name, block_policy=block_policy, unknown_author=unknown_author, created_at=utcnow())
    session.add(unit)
    session.flush()
    audit.append(session, "unit_created", actor, unit_code=code,
                 data={"unit_id": unit.id, "block_policy": block_policy, "unknown_author": unknown_author})
    if callback_url:
        set_callback(session, unit, callback_url, actor=actor)
    return unit


def set_block_policy(session: Session, unit: Unit, policy: str, *, actor: Actor | User = SYSTEM) -> None:
    if policy not in ("revise", "officer"):
        raise InvalidInput("block_policy 必须是 revise 或 officer")
    unit.block_policy = policy
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"block_policy": policy})


def set_unknown_author(session: Session, unit: Unit, policy: str, *, actor: Actor | User = SYSTEM) -> None:
    """Who approves a draft whose author is unknown: "officer" (reviewer + officer, default) or "reviewer"."""
    if policy not in UNKNOWN_AUTHOR_POLICIES:
        raise InvalidInput("unknown_author 必须是 officer 或 reviewer")
    unit.unknown_author = policy
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"unknown_author": policy})


def set_callback(session: Session, unit: Unit, url: str | None, *, actor: Actor | User = SYSTEM) -> str | None:
    """Register (or clear) the unit's callback URL; returns the new HMAC secret (shown once)."""
    if url:
        from reviewer.accounts.callback_url import check_url, policy_of

        check_url(url, policy_of(session))  # resolved again at every delivery
    unit.callback_url = url or None
    unit.callback_secret = secrets.token_hex(32) if url else None
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"callback": bool(url)})
    return unit.callback_secret


USERNAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_LOOKALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", ".": None, "_": None, "-": None})


def username_key(username: str) -> str:
    """The folded form two usernames must not share: case, separators and look-alike digits (0/o, 1/l/i) ignored."""
    return username.casefold().translate(_LOOKALIKE)


def check_new_name(session: Session, username: str, display_name: str, unit: Unit) -> None:
    """A look-alike signer is refused: plain usernames only (ASCII letters, digits, `._-`), none whose folded form
    equals an existing one, and display names unique within the unit (after folding width, case, spaces, invisible
    characters and traditional/simplified)."""
    if not USERNAME.fullmatch(username or ""):
        raise InvalidInput("用户名只能由英文字母、数字和 . _ - 组成（1 至 100 个字符），以免出现形近字符冒充他人")
    key = username_key(username)
    for (existing,) in session.execute(select(User.username)):
        if existing == username:
            raise Conflict(f"用户 {username} 已存在")
        if username_key(existing) == key:
            raise Conflict(f"用户名 {username} 与已有用户 {existing} 过于相近（忽略大小写、分隔符与 0/o、1/l/i），容易混淆，请另取")
    from reviewer.accounts.identity import fold

    shown = fold(display_name or username)
    for (other,) in session.execute(select(User.display_name).where(User.unit_id == unit.id)):
        if fold(other or "") == shown:
            raise Conflict(f"本单位已有显示名为“{other}”的用户：同一单位内显示名不能相同（审计员须能分清签署人）")


def create_user(session: Session, username: str, unit_code: str, role: str, *, display_name: str = "", password: str | None = None,
                cms_id: str | None = None, actor: Actor | User = SYSTEM) -> User:
    if role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一")
    unit = get_unit(session, unit_code)
    check_new_name(session, username, display_name, unit)
    if password:
        passwords.check_policy(password, username)
    user = User(username=username, display_name=display_name or username, unit_id=unit.id, unit=unit, role=role,
                password_hash=hash_password(password) if password else None, created_at=utcnow(),
                password_changed_at=utcnow() if password else None)
    session.add(user)
    session.flush()
    audit.append(session, "user_created", actor, unit_code=unit.code, data={"user_id": user.id, "username": username, "role": role})
    if cms_id:
        from reviewer.accounts import identity

        identity.link(session, user, cms_id, actor=actor)
    return user


def end_access(session: Session, user: User) -> tuple[int, int]:
    """Revoke every open web session and API token of the user at once; returns (sessions, tokens) ended."""
    now = utcnow()
    sessions = session.execute(
        update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount  # type: ignore[attr-defined]
    tokens = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount  # type: ignore[attr-defined]
    session.flush()
    return int(sessions or 0), int(tokens or 0)


def deactivate_user(session: Session, username: str, *, actor: Actor | User = SYSTEM) -> User:
    user = get_user(session, username)
    was_active = user.active
    user.active = False
    ended = end_access(session, user)
    if was_active or any(ended):
        audit.append(session, "user_deactivated", actor, unit_code=user.unit.code,
                     data={"user_id": user.id, "username": user.username, "sessions": ended[0], "tokens": ended[1]})
    return user


def set_role(session: Session, username: str, role: str, *, actor: Actor | User = SYSTEM) -> User:
    if role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一")
    user = get_user(session, username)
    old = user.role
    if old == role:
        return user
    user.role = role
    ended = end_access(session, user)  # tokens carry the role they were issued with: issue new ones
    audit.append(session, "user_role_changed", actor, unit_code=user.unit.code,
                 data={"user_id": user.id, "username": user.username, "from": old, "to": role, "sessions": ended[0], "tokens": ended[1]})
    return user


def reset_password(session: Session, username: str, password: str, *, actor: Actor | User = SYSTEM) -> User:
    user = get_user(session, username)
    passwords.check_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    ended = end_access(session, user)
    audit.append(session, "password_reset", actor, unit_code=user.unit.code,
                 data={"user_id": user.id, "username": user.username, "sessions": ended[0], "tokens": ended[1]})
    return user


def unlock_user(session: Session, username: str, *, actor: Actor | User = SYSTEM) -> User:
    user = get_user(session, username)
    user.failed_logins = 0
    user.locked_until = None
    audit.append(session, "user_unlocked", actor, unit_code=user.unit.code, data={"user_id": user.id, "username": user.username})
    return user


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str  # shown once, never stored
    record: ApiToken


def create_token(session: Session, *, user: User | None = None, unit: Unit | None = None, client_name: str | None = None,
                 expires_days: int | None = None, actor: Actor | User = SYSTEM) -> NewToken:
    """A person's token (role of the user) or a publishing-system client token (role publisher, bound to a unit).
    Every token expires: after `expires_days` days (default: settings.token_days, 90)."""
    if user is None and (unit is None or not client_name):
        raise InvalidInput("令牌须指定用户，或指定单位和客户端名称")
    if user is not None and not user.active:
        raise InvalidInput(f"用户 {user.username} 已停用，不能签发令牌")
    days = _token_days(session) if expires_days is None else expires_days
    if not 0 < days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"令牌有效期须为 1 至 {MAX_TOKEN_DAYS} 天")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(days=days)
    if user is not None:
        record = ApiToken(token_hash=token_hash(token), prefix=token[:12], unit_id=user.unit_id, user_id=user.id, role=user.role,
                          client_name=client_name, created_at=now, expires_at=expires)
        unit_code = user.unit.code
    else:
        assert unit is not None
        record = ApiToken(token_hash=token_hash(token), prefix=token[:12], unit_id=unit.id, user_id=None, role="publisher",
                          client_name=client_name, created_at=now, expires_at=expires)
        unit_code = unit.code
    session.add(record)
    session.flush()
    audit.append(session, "token_created", actor, unit_code=unit_code,
                 data={"token_id": record.id, "prefix": record.prefix, "role": record.role, "user_id": record.user_id,
                       "client": client_name, "expires_at": expires.isoformat()})
    return NewToken(token, record)


def find_token(session: Session, token_or_prefix: str) -> ApiToken:
    """A token by its full value (looked up by hash) or by its prefix (first 12 characters, must be unique)."""
    value = (token_or_prefix or "").strip()
    if len(value) > 20:
        found = list(session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(value))).scalars())
    else:
        found = list(session.execute(select(ApiToken).where(ApiToken.prefix == value)).scalars()) if value else []
    if len(found) != 1:
        raise NotFound("令牌不存在（或前缀不唯一）")
    return found[0]


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


def rotate_token(session: Session, token_or_prefix: str, *, expires_days: int | None = None, grace_minutes: int = 0,
                 actor: Actor | User = SYSTEM) -> NewToken:
    """A new token with the same holder (person or client); the old one stops at once, or after `grace_minutes`
    (time to deploy the new one in the CMS)."""
    old = find_token(session, token_or_prefix)
    if old.revoked_at is not None:
        raise InvalidInput("该令牌已被吊销，不能轮换；请签发新令牌")
    if not 0 <= grace_minutes <= 7 * 24 * 60:
        raise InvalidInput("宽限期须为 0 至 10080 分钟")
    if old.user is not None:
        new = create_token(session, user=old.user, client_name=old.client_name, expires_days=expires_days, actor=actor)
    else:
        new = create_token(session, unit=old.unit, client_name=old.client_name, expires_days=expires_days, actor=actor)
    now = utcnow()
    if grace_minutes:
        cutoff = now + timedelta(minutes=grace_minutes)
        if old.expires_at is None or _aware(old.expires_at) > cutoff:
            old.expires_at = cutoff
    else:
        old.revoked_at = now
    audit.append(session, "token_rotated", actor, unit_code=old.unit.code,
                 data={"token_id": old.id, "prefix": old.prefix, "new_token_id": new.record.id, "new_prefix": new.record.prefix,
                       "grace_minutes": grace_minutes})
    return new


def authenticate(session: Session, token: str) -> Actor:
    """Bearer token → actor. Revoked tokens and deactivated users fail at once (checked on every request)."""
    query = select(ApiToken).where(ApiToken.token_hash == token_hash(token)).options(
        joinedload(ApiToken.unit), joinedload(ApiToken.user).joinedload(User.unit)
    )
    record = session.execute(query).scalar_one_or_none()
    if record is None or record.revoked_at is not None or (record.user is not None and not record.user.active):
        raise AuthenticationFailed("令牌无效或已被吊销")
    if record.expires_at is not None and _aware(record.expires_at) <= utcnow():
        raise AuthenticationFailed("令牌已过期，请使用 reviewer tokens rotate 轮换或签发新令牌")
    return Actor.of_token(record)


def actor_of(user: User) -> Actor:
    return as_actor(user)


def set_expression_checks(session: Session, unit: Unit, enabled: bool, *, actor: Actor | User = SYSTEM) -> None:
    """Switch the built-in expression pack (rules/expressions/, 严重表述错误) on or off for the unit's drafts; the
    unit's own titles rules and every secrecy rule stay on. Logged like every unit setting."""
    unit.expression_checks = bool(enabled)
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"expression_checks": bool(enabled)})


def set_publisher_counts(session: Session, unit: Unit, enabled: bool, *, actor: Actor | User = SYSTEM) -> None:
    """Opt the unit's publishing systems in (or out) to seeing how many findings of each severity a scan had —
    never the findings themselves (api.views)."""
    unit.publisher_counts = bool(enabled)
    audit.append(session, "unit_updated", actor, unit_code=unit.code, data={"publisher_counts": bool(enabled)})
