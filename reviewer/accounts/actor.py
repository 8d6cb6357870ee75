"""Who acts: a person (User), a publishing-system client (ApiToken without a user), or the system itself.
Every workflow function takes an actor so that the audit event names who did it."""

from __future__ import annotations

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

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.unit_id, user.unit.code, user.id, user.display_name or "")

    @classmethod
    def of_token(cls, token: ApiToken) -> Actor:
        if token.user is not None:
            base = cls.of_user(token.user)
            return cls(base.name, token.role, base.unit_id, base.unit_code, base.user_id, base.display_name, token.id)
        return cls(f"client:{token.client_name or token.prefix}", token.role, token.unit_id, token.unit.code, None, "", token.id)


SYSTEM = Actor("system", "admin", None, "")
WORKER = Actor("worker", "system", None, "")


def as_actor(actor: Actor | User) -> Actor:
    return actor if isinstance(actor, Actor) else Actor.of_user(actor)
