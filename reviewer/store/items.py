"""Loading items with the row lock a transition needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.errors import NotFound
from reviewer.store.models import Item


def get_item(session: Session, item_id: int, *, for_update: bool = False) -> Item:
    query = select(Item).where(Item.id == item_id)
    if for_update:
        query = query.with_for_update(of=Item)
    item = session.execute(query).scalar_one_or_none()
    if item is None:
        raise NotFound(f"稿件 {item_id} 不存在")
    return item
