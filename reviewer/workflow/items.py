"""Moved to reviewer.store.items (accounts reads items too, and must not import workflow)."""

from reviewer.store.items import get_item

__all__ = ["get_item"]
