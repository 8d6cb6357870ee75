"""Rule scopes (docs/rules.md): which rule sets scan which unit's drafts, and who may see their names.

Three kinds of rule sets:
- the built-in rules/ — every unit;
- the organisation's directories (REVIEWER_RULES_PATH) — every unit, unless a directory is also assigned to a scope
  below (then only that scope's units: this is how a deployment marks a directory as shared by a named group);
- scopes stored in the database (`rule_scopes`): "group:NAME" (a named group of units shares the directories) and
  "unit:CODE" (one unit's own directories, `reviewer units set CODE --rules DIR…`).
Registered documents (FingerprintSet.scope) belong to "unit:CODE" or "group:NAME"; NULL = every unit.

A deployment that sets only REVIEWER_RULES_PATH and defines no scope behaves as before: every rule scans every unit.

Nobody outside a scope sees it: `hidden_rules` names the rule ids of an item's unit that a viewer of another unit must
not see (findings, statistics, alerts); `visible_registration_scopes` filters the registered-document lists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import SYSTEM, Actor, as_actor
from reviewer.audit import events as audit
from reviewer.errors import InvalidInput, NotFound, ReviewerError
from reviewer.settings import BUILTIN_RULES_DIR, Settings
from reviewer.store.models import FingerprintSet, RuleScope, Unit, User, utcnow

UNIT, GROUP = "unit", "group"
_GROUP_NAME = re.compile(r"^[\w.\-]{1,100}$")


@dataclass(frozen=True)
class Scope:
    """The rules in scope for one unit's drafts."""

    unit_code: str
    dirs: tuple[Path, ...]  # built-in first, then the organisation's, the groups', the unit's own
    registrations: tuple[str | None, ...]  # FingerprintSet.scope values that scan this unit (None: every unit)
    scopes: tuple[str, ...]  # names of the database scopes that include the unit
    own: tuple[Path, ...] = ()  # the unit's own directories (the tail of `dirs`)

    @property
    def shared(self) -> tuple[Path, ...]:
        """The directories shared with other units (`dirs` without the unit's own)."""
        return tuple(d for d in self.dirs if d not in self.own)

    @property
    def key(self) -> tuple[object, ...]:
        return (self.dirs, self.registrations)


def _resolve(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _rows(session: Session) -> list[RuleScope]:
    return list(session.execute(select(RuleScope).order_by(RuleScope.name)).scalars())


def assigned_rows(session: Session) -> list[RuleScope]:
    return _rows(session)


def _dirs(row: RuleScope) -> list[Path]:
    return [Path(d) for d in json.loads(row.rule_dirs or "[]")]


def _units(row: RuleScope) -> list[str]:
    return [str(u) for u in json.loads(row.units or "[]")]


def assigned_dirs(rows: Iterable[RuleScope]) -> set[Path]:
    return {d for row in rows for d in _dirs(row)}


def organisation_dirs(settings: Settings, rows: Iterable[RuleScope]) -> list[Path]:
    """REVIEWER_RULES_PATH minus the directories a scope claims (those apply to that scope's units only)."""
    taken = assigned_dirs(rows)
    return [d for d in settings.rules_paths if _resolve(d) not in taken]


def scope_for(session: Session, settings: Settings, unit_code: str) -> Scope:
    rows = _rows(session)
    dirs: list[Path] = [BUILTIN_RULES_DIR, *organisation_dirs(settings, rows)]
    names: list[str] = []
    own: list[Path] = []
    for kind in (GROUP, UNIT):  # groups before the unit's own
        for row in rows:
            if row.kind == kind and unit_code in _units(row):
                names.append(row.name)
                added = [d for d in _dirs(row) if d not in dirs]
                dirs.extend(added)
                if kind == UNIT:
                    own.extend(added)
    registrations = (None, *sorted(n for n in names if n.startswith("group:")), f"unit:{unit_code}")
    return Scope(unit_code, tuple(dirs), registrations, tuple(names), tuple(own))


def scope_for_item(session: Session, settings: Settings, item_id: int) -> Scope:
    from reviewer.store.models import Item

    row = session.execute(select(Unit.code).join(Item, Item.unit_id == Unit.id).where(Item.id == item_id)).first()
    if row is None:
        raise NotFound(f"稿件 {item_id} 不存在")
    return scope_for(session, settings, str(row[0]))


def _rule_files(dirs: Sequence[Path]) -> list[str]:
    """The rule file names of `dirs` (for the review log: file names, never terms)."""
    from reviewer.ruleset.loader import rule_files

    out: list[str] = []
    for d in dirs:
        out.extend(str(p.relative_to(d)) for p in rule_files(d))
    return out


def _checked_dirs(dirs: Sequence[str | Path]) -> list[Path]:
    """Absolute directories that exist and load as valid rules (a bad directory is refused now, not at the next scan)."""
    from reviewer.ruleset.loader import load_rules

    out: list[Path] = []
    for d in dirs:
        path = _resolve(d)
        if not path.is_dir():
            raise InvalidInput(f"规则目录不存在：{d}")
        if path == _resolve(BUILTIN_RULES_DIR):
            raise InvalidInput("内置规则目录对所有单位生效，不能指定给单位或单位组")
        if path not in out:
            out.append(path)
    try:
        load_rules(out)
    except ReviewerError as exc:
        raise InvalidInput(f"规则目录无法加载：{exc.message}") from exc
    return out


def _save(session: Session, name: str, kind: str, dirs: list[Path], units: list[str], actor: Actor | User) -> RuleScope | None:
    row = session.execute(select(RuleScope).where(RuleScope.name == name).with_for_update()).scalar_one_or_none()
    before = _dirs(row) if row is not None else []
    before_units = _units(row) if row is not None else []
    if not dirs and not units:
        if row is not None:
            session.delete(row)
        row = None
    else:
        if row is None:
            row = RuleScope(name=name, kind=kind)
            session.add(row)
        row.rule_dirs = json.dumps([str(d) for d in dirs], ensure_ascii=False)
        row.units = json.dumps(units, ensure_ascii=False)
        row.updated_at = utcnow()
    session.flush()
    who = as_actor(actor)
    # One event per unit affected (its own log names it); the event names the rule files, never their terms.
    data = {"scope": name, "rule_dirs": [str(d) for d in dirs], "rule_files": _rule_files(dirs),
            "previous_rule_dirs": [str(d) for d in before]}
    if kind == GROUP:
        data["units"] = units
        data["previous_units"] = before_units
    for code in sorted(set(units) | set(before_units)):
        audit.append(session, "rule_scope_changed", who, unit_code=code, data=data)
    return row


def set_unit_rules(session: Session, unit_code: str, dirs: Sequence[str | Path], *, actor: Actor | User = SYSTEM) -> list[Path]:
    """The unit's own rule directories (replacing the previous ones; empty: none). Logged as `rule_scope_changed`."""
    if session.execute(select(Unit.id).where(Unit.code == unit_code)).first() is None:
        raise NotFound(f"单位 {unit_code} 不存在")
    checked = _checked_dirs(dirs)
    _save(session, f"unit:{unit_code}", UNIT, checked, [unit_code] if checked else [], actor)
    return checked


def set_group(session: Session, name: str, units: Sequence[str], dirs: Sequence[str | Path], *,
              actor: Actor | User = SYSTEM) -> list[Path]:
    """A named group of units sharing rule directories (replacing its previous definition; no units and no
    directories: the group is removed)."""
    if not _GROUP_NAME.match(name):
        raise InvalidInput("单位组名称只能用字母、数字、汉字、点、下划线和连字符（不超过 100 个字符）")
    codes = list(dict.fromkeys(units))
    known = set(session.execute(select(Unit.code).where(Unit.code.in_(codes))).scalars())
    missing = [c for c in codes if c not in known]
    if missing:
        raise NotFound(f"单位 {'、'.join(missing)} 不存在")
    if bool(codes) != bool(dirs):
        raise InvalidInput("单位组须同时给出成员单位（--units）和规则目录（--rules）；两者都不给表示删除该组")
    checked = _checked_dirs(dirs)
    _save(session, f"group:{name}", GROUP, checked, codes, actor)
    return checked


def list_scopes(session: Session) -> list[tuple[str, str, list[str], list[str]]]:
    """(name, kind, unit codes, rule directories) of every database scope (for administrators' command line)."""
    return [(r.name, r.kind, _units(r), [str(d) for d in _dirs(r)]) for r in _rows(session)]


def unit_scope_names(session: Session, unit_code: str | None) -> set[str | None]:
    """The FingerprintSet.scope values that include `unit_code` (None, for every unit, always)."""
    names: set[str | None] = {None}
    if unit_code:
        names.add(f"unit:{unit_code}")
        for row in _rows(session):
            if row.kind == GROUP and unit_code in _units(row):
                names.add(row.name)
    return names


def registration_scope(session: Session, actor: Actor | User, chosen: str | None) -> str | None:
    """The scope a registration belongs to: the registering person's unit, or a group that includes it (chosen by the
    officer); "" or None from someone without a unit (the command line) means every unit only when said explicitly."""
    who = as_actor(actor)
    if chosen in (None, ""):
        return f"unit:{who.unit_code}" if who.unit_code else None
    if chosen == "all":
        if who.unit_code:
            raise InvalidInput("只有管理员在命令行上可以登记对所有单位生效的文件")
        return None
    if chosen.startswith("unit:"):
        code = chosen[5:]
        if who.unit_code and code != who.unit_code:
            raise InvalidInput("只能登记给本单位或包含本单位的单位组")
        if session.execute(select(Unit.id).where(Unit.code == code)).first() is None:
            raise NotFound(f"单位 {code} 不存在")
        return chosen
    name = chosen if chosen.startswith("group:") else f"group:{chosen}"
    row = session.execute(select(RuleScope).where(RuleScope.name == name)).scalar_one_or_none()
    if row is None or row.kind != GROUP:
        raise NotFound(f"单位组 {name[6:]} 不存在")
    if who.unit_code and who.unit_code not in _units(row):
        raise InvalidInput("只能登记给本单位或包含本单位的单位组")
    return name


def units_of(session: Session, scope: str | None) -> list[str] | None:
    """The unit codes a registration scope covers (None: every unit)."""
    if scope is None:
        return None
    if scope.startswith("unit:"):
        return [scope[5:]]
    row = session.execute(select(RuleScope).where(RuleScope.name == scope)).scalar_one_or_none()
    return _units(row) if row is not None else []


def _stems(dirs: Iterable[Path]) -> set[str]:
    """Rule ids of `dirs` (a rule's id is its file's stem, ruleset/loader.py)."""
    from reviewer.ruleset.loader import RULE_SUFFIXES

    out: set[str] = set()
    for d in dirs:
        if d.is_dir():
            out.update(p.stem for p in d.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    return out


def hidden_rules(session: Session, settings: Settings | None, viewer_unit: str | None, item_unit: str) -> frozenset[str]:
    """Rule ids that may have flagged an `item_unit` draft and belong to a scope without `viewer_unit`: a viewer of
    another unit (an auditor, an administrator) never sees them — no finding, matched text, rule id or count by rule.
    Empty when the viewer is of the item's unit or no scope is defined (every rule is everyone's)."""
    if viewer_unit == item_unit:
        return frozenset()
    rows = _rows(session)
    hidden: set[Path] = set()
    for row in rows:
        members = _units(row)
        if item_unit in members and (viewer_unit is None or viewer_unit not in members):
            hidden.update(_dirs(row))
    ids = _stems(hidden)
    theirs = unit_scope_names(session, item_unit) - unit_scope_names(session, viewer_unit)
    if theirs:
        ids.update(session.execute(select(FingerprintSet.rule_id).where(FingerprintSet.scope.in_([s for s in theirs if s]))).scalars())
    return frozenset(ids)


def hidden_for(session: Session, settings: Settings, actor: Actor | User, item_unit: str) -> frozenset[str]:
    return hidden_rules(session, settings, as_actor(actor).unit_code or None, item_unit)


def hidden_everywhere(session: Session, settings: Settings, viewer_unit: str | None) -> frozenset[str]:
    """Rule ids of every scope without `viewer_unit` (for tables over all units: statistics, exports)."""
    rows = _rows(session)
    dirs = {d for row in rows if viewer_unit is None or viewer_unit not in _units(row) for d in _dirs(row)}
    ids = _stems(dirs)
    mine = unit_scope_names(session, viewer_unit)
    ids.update(r for r, s in session.execute(select(FingerprintSet.rule_id, FingerprintSet.scope)) if s not in mine)
    # a rule id also in the viewer's own scope is theirs to see (same name, different file: shown as their own)
    ids -= _stems(d for row in rows if viewer_unit is not None and viewer_unit in _units(row) for d in _dirs(row))
    return frozenset(ids)


class VersionCache:
    """Rule-set versions of scopes without compiling scanners: each directory is parsed once (a 100k-term shared list
    is read once for all the units that share it)."""

    def __init__(self) -> None:
        self._dirs: dict[Path, tuple[object, ...]] = {}

    def version(self, dirs: Sequence[Path]) -> str:
        from reviewer.ruleset.loader import RuleSet, load_rules

        rules: list[object] = []
        seen: set[Path] = set()
        for d in dirs:
            key = _resolve(d)
            if key in seen:
                continue
            seen.add(key)
            if key not in self._dirs:
                self._dirs[key] = load_rules([key]).rules
            rules.extend(self._dirs[key])
        return RuleSet(rules=tuple(rules)).version  # type: ignore[arg-type]


class Masked:
    """A read-only view of a row with some attributes replaced (never written back: audit events are hash-chained)."""

    def __init__(self, obj: object, masked: dict[str, object]) -> None:
        self._obj, self._masked = obj, masked

    def __getattr__(self, name: str) -> object:
        if name in self._masked:
            return self._masked[name]
        return getattr(self._obj, name)


_NAMING_KEYS = ("labels", "previous_labels", "rule_files", "rule_dirs", "previous_rule_dirs")  # registration names, rule file names
# events about one registration: its rule id names it too
_REGISTRATION_EVENTS = ("rule_scope_changed", "fingerprints_registered", "fingerprints_replaced", "fingerprints_retired",
                        "fingerprints_deleted")


class Hider:
    """What one viewer may not see of other units' rule scopes (cached for one request). Empty when no scope exists."""

    def __init__(self, session: Session, actor: Actor | User | None) -> None:
        self.session = session
        who = as_actor(actor) if actor is not None else None
        self.viewer_unit = (who.unit_code or None) if who is not None else None
        self._by_unit: dict[str, frozenset[str]] = {}
        self._any = session.execute(select(RuleScope.id).limit(1)).first() is not None or \
            session.execute(select(FingerprintSet.id).where(FingerprintSet.scope.is_not(None)).limit(1)).first() is not None

    def rules(self, unit_code: str | None) -> frozenset[str]:
        """Rule ids of `unit_code`'s scope the viewer must not see (empty for the viewer's own unit)."""
        if not self._any or not unit_code or unit_code == self.viewer_unit:
            return frozenset()
        if unit_code not in self._by_unit:
            self._by_unit[unit_code] = hidden_rules(self.session, None, self.viewer_unit, unit_code)
        return self._by_unit[unit_code]

    def private(self, unit_code: str | None) -> bool:
        """The unit has rules (or registrations) of its own that the viewer is outside of."""
        return bool(self.rules(unit_code))

    def findings(self, unit_code: str | None, findings: Iterable[object]) -> list[object]:
        hidden = self.rules(unit_code)
        return [f for f in findings if getattr(f, "rule", None) not in hidden]

    def summary(self, unit_code: str | None, summary: str) -> str:
        """An alert's summary ("rule ×n；…") without the hidden rules' names."""
        hidden = self.rules(unit_code)
        if not hidden:
            return summary
        kept, others = [], 0
        for part in summary.split("；"):
            rule, _sep, count = part.rpartition(" ×")
            if rule and rule in hidden:
                others += int(count) if count.isdigit() else 1
            else:
                kept.append(part)
        if others:
            kept.append(f"本单位范围之外的规则 ×{others}")
        return "；".join(kept)

    def event(self, event: object) -> object:
        """An audit event as this viewer may read it: another unit's rule names and registration names removed."""
        unit = getattr(event, "unit_code", None)
        if not self._any or not unit or unit == self.viewer_unit:
            return event
        action = getattr(event, "action", "")
        hidden = self.rules(unit)
        if not hidden and action not in _REGISTRATION_EVENTS:
            return event
        try:
            data = json.loads(getattr(event, "data", "") or "{}")
        except ValueError:
            return event
        if not isinstance(data, dict):
            return event
        out: dict[str, object] = {}
        for key, value in data.items():
            if key in _NAMING_KEYS or (action in _REGISTRATION_EVENTS and key == "rule_id"):
                continue
            if key in ("rules", "rule_id", "rule") and isinstance(value, str) and value in hidden:
                continue
            if key == "files" and isinstance(value, list):  # a rule-set change (rules_loaded): file names are names
                value = [f for f in value if not (isinstance(f, dict) and str(f.get("rule", "")) in hidden)]
            if key == "rules" and isinstance(value, list):
                value = [r for r in value if r not in hidden]
            elif key == "rules" and isinstance(value, dict):
                value = {r: n for r, n in value.items() if r not in hidden}
            out[key] = value
        return Masked(event, {"data": json.dumps(out, ensure_ascii=False)})


class LayeredScanner:
    """A unit's scanner as two compiled layers: the rules it shares with other units (built-in, the organisation's,
    its groups' — compiled once for every unit with the same shared set: a 100k-term shared list is not compiled again
    per unit) and its own (its directories and the registrations that scan it — small). Scanning runs both and merges
    the findings by position; the rules version is that of the combined rule set (the same as one scanner of all the
    rules). A rule id in both layers fails to load, as in one rule set. Each layer applies its own exemptions."""

    def __init__(self, shared: object, own: object) -> None:
        from reviewer.errors import RuleError
        from reviewer.ruleset.loader import RuleSet

        self.layers = (shared, own)
        ids = {lr.rule.id: lr.path for lr in shared.ruleset.rules}  # type: ignore[attr-defined]
        for lr in own.ruleset.rules:  # type: ignore[attr-defined]
            if lr.rule.id in ids:
                raise RuleError(f"规则 id “{lr.rule.id}” 重复（另见 {ids[lr.rule.id]}）；每条规则的 id 必须唯一，请改名",
                                path=str(lr.path), field="id")
        self.ruleset = RuleSet(rules=(*shared.ruleset.rules, *own.ruleset.rules))  # type: ignore[attr-defined]
        self.rules_version = self.ruleset.version

    def scan(self, text: str) -> object:
        from reviewer.scan.model import ScanResult

        findings = [f for layer in self.layers for f in layer.scan(text).findings]  # type: ignore[attr-defined]
        findings.sort(key=lambda f: (f.start, f.end, f.rule))
        return ScanResult(rules_version=self.rules_version, findings=findings)
