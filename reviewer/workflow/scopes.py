"""Rule scopes as the workflow uses them (the resolution, visibility and scanners live in reviewer/accounts/scopes.py,
below both accounts' access rules and the workflow): what a rule change makes stale."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.scopes import (
    Hider,
    LayeredScanner,
    Masked,
    Scope,
    VersionCache,
    assigned_rows,
    hidden_everywhere,
    hidden_for,
    hidden_rules,
    list_scopes,
    organisation_dirs,
    registration_scope,
    scope_for,
    scope_for_item,
    set_group,
    set_unit_rules,
    unit_scope_names,
    units_of,
)
from reviewer.errors import ReviewerError
from reviewer.settings import Settings
from reviewer.store.models import Unit

__all__ = ["Hider", "LayeredScanner", "Masked", "Scope", "VersionCache", "assigned_rows", "hidden_everywhere",
           "hidden_for", "hidden_rules", "list_scopes", "organisation_dirs", "registration_scope", "scope_for",
           "scope_for_item", "set_group", "set_unit_rules", "stale_released", "unit_scope_names", "units_of"]


def stale_released(session: Session, settings: Settings, units: Sequence[str] | None = None) -> dict[str, list[int]]:
    """Released items (by unit code) whose recorded rules version differs from their unit's current scope: the units a
    rule change touched. A unit whose rules did not change has no entry (its items are not re-scanned)."""
    from reviewer.store.models import Item
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow.rescan import RESCANNED_STATES

    # released items and approved ones waiting for release (approved under the rules of their day)
    query = select(Item.id, Item.rules_version, Unit.code).join(Unit, Unit.id == Item.unit_id).where(
        Item.state.in_(RESCANNED_STATES), Item.superseded_by_id.is_(None))
    if units is not None:
        query = query.where(Unit.code.in_(list(units)))
    by_unit: dict[str, list[tuple[int, str | None]]] = {}
    for item_id, version, code in session.execute(query.order_by(Item.id)):
        by_unit.setdefault(str(code), []).append((int(item_id), version))
    cache = VersionCache()
    out: dict[str, list[int]] = {}
    for code, items in by_unit.items():
        scope = scope_for(session, settings, code)
        stored = registry.materialise(session, settings, scopes=scope.registrations)
        try:
            current = cache.version([*scope.dirs, *((stored,) if stored is not None else ())])
        except ReviewerError:
            current = ""  # rules that do not load: every item is re-scanned (and the re-scan fails closed into an alert)
        stale = [i for i, v in items if v != current]
        if stale:
            out[code] = stale
    return out
