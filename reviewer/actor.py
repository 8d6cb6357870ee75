"""Who acts: a person (User), a publishing-system client (ApiToken without a user), or the system itself.
Every workflow function takes an actor so that the audit event names who did it.

Below both `audit` (which records the actor) and `accounts` (which makes actors from tokens and sessions), so the
imports run one way: accounts → audit → actor → store.

An actor also says which credential it acts with (`token_id` or `session_id`): a sign-off records it and
`reviewer audit verify` checks that the review log accounts for it (docs/accounts.md)."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from reviewer.store.models import ApiToken, User


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # username, `client:<name>`, `system`, `worker`
    role: str
    unit_id: int | None
    unit_code: str
    user_id: int | None = None
    display_name: str = ""
    token_id: int | None = None
    session_id: int | None = None  # the web session (web_sessions.id) a page action came with
    os_user: str = ""  # the operating-system user of a command-line action
    delegation_id: int | None = None  # signing in a role delegated by the secrecy officer (workflow.delegation)

    @classmethod
    def of_user(cls, user: User, *, session_id: int | None = None) -> Actor:
        return cls(user.username, user.role, user.unit_id, user.unit.code, user.id, user.display_name or "",
                   session_id=session_id)

    @classmethod
    def of_token(cls, token: ApiToken) -> Actor:
        if token.user is not None:
            # a personal token acts with the account's *current* role: the role stored on the token row is what it
            # was issued with, and a row edited or inserted in the database must not grant more
            base = cls.of_user(token.user)
            return cls(base.name, base.role, base.unit_id, base.unit_code, base.user_id, base.display_name, token.id)
        return cls(f"client:{token.client_name or token.prefix}", "publisher", token.unit_id, token.unit.code, None, "", token.id)

    def credential(self) -> dict[str, int] | None:
        """What the actor proved itself with, for the review log: a token, a web session, or nothing (a direct call)."""
        if self.token_id is not None:
            return {"token_id": self.token_id}
        if self.session_id is not None:
            return {"session_id": self.session_id}
        return None


SYSTEM = Actor("system", "admin", None, "")
WORKER = Actor("worker", "system", None, "")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid:{os.getuid()}"


def as_actor(actor: Actor | User) -> Actor:
    return actor if isinstance(actor, Actor) else Actor.of_user(actor)
