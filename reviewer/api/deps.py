"""Request context: one session per request and the authenticated actor (Bearer token, checked on every call)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor
from reviewer.accounts.manage import authenticate
from reviewer.errors import AuthenticationFailed, PermissionDenied
from reviewer.settings import Settings
from reviewer.store.session import Database

bearer = HTTPBearer(auto_error=False, description="reviewer tokens create … 签发的令牌")


@dataclass
class Ctx:
    session: Session
    actor: Actor
    settings: Settings

    def commit(self) -> None:
        self.session.commit()  # after-commit hooks send the queued tasks


def database(request: Request) -> Database:
    return request.app.state.db


def context(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Iterator[Ctx]:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationFailed("未认证：请在 Authorization 头中提供 Bearer 令牌")
    db = database(request)
    # Authentication only reads: a read-only session (on SQLite a deferred BEGIN, without the write lock), ended
    # before the endpoint runs (it may first read a large upload from the network).
    reader = db.read_factory()
    try:
        actor = authenticate(reader, credentials.credentials)
    finally:
        reader.rollback()
        reader.close()
    session = db.factory()
    try:
        yield Ctx(session, actor, request.app.state.settings)
    finally:
        session.rollback()  # anything not committed explicitly is discarded
        session.close()


def roles(*allowed: str):  # noqa: ANN201 - returns a FastAPI dependency
    async def check(ctx: Ctx = Depends(context)) -> Ctx:  # no I/O: async saves a thread-pool hop per request
        if ctx.actor.role not in allowed:
            raise PermissionDenied("当前身份无权执行此操作")
        return ctx

    return check
