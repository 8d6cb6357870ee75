from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import Actor
from reviewer.scan.model import ScanResult
from reviewer.store.models import ApiToken, Item, User
from reviewer.store.session import Database
from reviewer.workflow import scanning, submit
from reviewer.workflow.review import DispositionInput


def client(session: Session, name: str) -> Actor:
    token = session.execute(select(ApiToken).where(ApiToken.client_name == name)).scalar_one()
    return Actor.of_token(token)


def user(session: Session, name: str) -> User:
    return session.execute(select(User).where(User.username == name)).scalar_one()


def submitted(db: Database, content: str = "正文", external_id: str = "doc-1", cms: str = "cms1", author: str = "张三") -> int:
    with db.session() as s:
        return submit.submit(s, client(s, cms), external_id=external_id, content=content.encode(), title="标题", author=author).item.id


def scanned(db: Database, item_id: int, res: ScanResult) -> Item:
    with db.session() as s:
        scanning.start_scan(s, item_id)
    with db.session() as s:
        scanning.record_scan(s, item_id, res)
    with db.session() as s:
        return s.get(Item, item_id)  # type: ignore[return-value]


def all_disposed(db: Database, item_id: int, disposition: str = "false_positive") -> list[DispositionInput]:
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        return [DispositionInput(f.id, disposition, "核实") for f in item.findings]


def signer(session: Session, name: str) -> Actor:
    """The person acting with a token issued to them through accounts (so the review log accounts for the credential,
    as for every sign-off through the API or the pages)."""
    from reviewer.accounts import manage as accounts

    return Actor.of_token(accounts.create_token(session, user=user(session, name)).record)
