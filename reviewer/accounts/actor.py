"""Moved to reviewer.actor (below both audit and accounts); kept so older imports still work."""

from reviewer.actor import SYSTEM, WORKER, Actor, as_actor, os_user

__all__ = ["SYSTEM", "WORKER", "Actor", "as_actor", "os_user"]
