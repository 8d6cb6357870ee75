"""Password policy and hashing. A password is at least 12 characters, not a common password (the bundled list
common_passwords.txt, also with digits or symbols added before or after, e.g. `Password2026!`), not the username
(with digits or symbols added), and not one or two characters repeated. Hashes are argon2id."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reviewer.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1000
_hasher = PasswordHasher()
_AFFIX = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$", re.S)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("reviewer.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    words = frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    if len(words) < 100:  # pragma: no cover - a broken package: refuse rather than accept everything
        raise RuntimeError("common_passwords.txt is missing or truncated")
    return words


def problems(password: str, username: str = "") -> list[str]:
    """Every reason the password is refused (Chinese); empty when it is acceptable."""
    out: list[str] = []
    folded = unicodedata.normalize("NFKC", password).lower()
    if len(password) < MIN_LENGTH:
        out.append(f"口令至少 {MIN_LENGTH} 个字符（当前 {len(password)} 个）")
    if len(password) > MAX_LENGTH:
        out.append(f"口令不能超过 {MAX_LENGTH} 个字符")
    common = common_passwords()
    core = _AFFIX.match(folded)
    base = core.group(1) if core else folded
    if folded in common or base in common or folded.replace(" ", "") in common:
        out.append("口令属于常见弱口令（或常见口令加数字、符号），请换一个")
    if len(set(folded)) <= 2 and password:
        out.append("口令不能由一两个字符重复组成")
    name = unicodedata.normalize("NFKC", username or "").lower()
    if name and name in (folded, base):
        out.append("口令不能是用户名（或用户名加数字、符号）")
    return out


def check_policy(password: str, username: str = "") -> None:
    found = problems(password, username)
    if found:
        raise InvalidInput("口令不符合要求：" + "；".join(found))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_hash(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = _hasher.hash("reviewer-dummy-password-for-timing")


def verify_dummy(password: str) -> None:
    """The cost of a real verification, for unknown usernames (the response time does not tell which exist)."""
    verify_hash(_DUMMY, password)
