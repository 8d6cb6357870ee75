"""Every rule-set version a scan uses is logged before the scan (谁改规则，日志可查).

Whoever maintains the rule files could drop a term, let one draft through, and put the term back: the scan records
only a different version hash. So before a worker scans with a rule set whose version is not the last one logged,
it writes a `rules_loaded` event: the version, the previous logged version, and for each rule file that changed
how many entries (terms, patterns, phrases) it gained and lost — counts only, never the entries — and who owns the
changed files and which operating-system user loaded them (by whom, where known). Switching back to an earlier
version is logged as a change too. The entries' hashes needed to count the next change are kept in the data
directory (rules-versions/, mode 0600), never in the database or the log.

`reviewer audit verify` refuses a scan whose version was never logged before it (audit.accountability), and
release-check refuses an item not scanned under the last logged version (workflow.release)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.actor import WORKER, os_user
from reviewer.audit import events as audit
from reviewer.settings import Settings
from reviewer.store.models import AuditEvent

ACTION = "rules_loaded"
audit.ACTIONS.setdefault(ACTION, "启用规则集版本")
SNAPSHOTS = "rules-versions"


def _entries(loaded: Any) -> set[str]:
    """Each term, pattern or phrase of one rule, hashed (field name + value): what "gained/lost" counts."""
    values: list[str] = [f"terms:{t}" for t in getattr(loaded, "terms", ())]
    dump = loaded.rule.model_dump(mode="json")
    for key, value in dump.items():
        if key == "terms":
            continue
        if isinstance(value, list):
            values.extend(f"{key}:{json.dumps(v, ensure_ascii=False, sort_keys=True)}" for v in value)
    return {hashlib.sha256(v.encode("utf-8")).hexdigest() for v in values}


def manifest(ruleset: Any) -> dict[str, dict[str, Any]]:
    return {lr.rule.id: {"file": lr.path.name, "digest": lr.digest, "entries": sorted(_entries(lr)),
                         "owner": _owner(lr.path)} for lr in ruleset.rules}


def _owner(path: Path) -> str:
    try:
        uid = path.stat().st_uid
    except OSError:
        return ""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return f"uid:{uid}"


def _snapshot_path(settings: Settings, version: str) -> Path:
    safe = "".join(c for c in version if c.isalnum())[:64] or "unknown"
    return settings.data_dir / SNAPSHOTS / f"{safe}.json"


def _save(settings: Settings, version: str, files: dict[str, dict[str, Any]]) -> None:
    path = _snapshot_path(settings, version)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(files, fh)
    os.replace(tmp, path)


def _load(settings: Settings, version: str) -> dict[str, dict[str, Any]] | None:
    try:
        value = json.loads(_snapshot_path(settings, version).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def changes(before: dict[str, dict[str, Any]] | None, after: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rule file: added / removed / changed, with entries gained and lost (counts only)."""
    out: list[dict[str, Any]] = []
    before = before or {}
    for rule_id in sorted(set(before) | set(after)):
        old, new = before.get(rule_id), after.get(rule_id)
        if old is not None and new is not None and old.get("digest") == new.get("digest"):
            continue
        old_e, new_e = set((old or {}).get("entries", ())), set((new or {}).get("entries", ()))
        change = "added" if old is None else ("removed" if new is None else "changed")
        out.append({"rule": rule_id, "file": (new or old or {}).get("file", ""), "change": change,
                    "gained": len(new_e - old_e), "lost": len(old_e - new_e), "owner": (new or old or {}).get("owner", "")})
    return out


def last_logged(session: Session, unit_code: str | None = None) -> str | None:
    """The rule-set version last logged (for `unit_code`'s drafts: units with a rule scope of their own have versions of
    their own; "" is the deployment-wide set). With `unit_code`, a unit never logged on its own falls back to the
    deployment-wide version."""
    rows = session.execute(select(AuditEvent.data).where(AuditEvent.action == ACTION).order_by(AuditEvent.seq.desc())
                           .limit(1 if unit_code is None else 2000)).scalars()
    fallback: str | None = None
    for raw in rows:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        version = str(data.get("rules_version") or "") or None
        if unit_code is None:
            return version
        scope = str(data.get("unit", "") or "")
        if scope == unit_code:
            return version
        if scope == "" and fallback is None:
            fallback = version
    return fallback


def ensure_logged(session: Session, settings: Settings, ruleset: Any, *, actor: Any = WORKER, unit_code: str = "") -> bool:
    """Log the rule set's version unless it is the last one logged (for `unit_code`'s drafts; "" for the deployment-wide
    set). Returns True when an event was written."""
    from reviewer.store.session import lock

    version = ruleset.version
    lock(session, audit.CHAIN_LOCK)
    previous = last_logged(session, unit_code) if unit_code else last_logged(session)
    if previous == version:
        return False
    files = manifest(ruleset)
    before = _load(settings, previous) if previous else None
    changed = changes(before, files)
    _save(settings, version, files)
    audit.append(session, ACTION, actor, unit_code=unit_code, data={
        "rules_version": version, "previous": previous, "rules": len(files), "files": changed[:500],
        "files_changed": len(changed), "previous_known": before is not None or previous is None, "loaded_by": os_user(),
        **({"unit": unit_code} if unit_code else {}),
    })
    return True


def recent_changes(session: Session, limit: int = 10, *, unit_code: str | None = None,
                   hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The latest rule-set versions logged, newest first, for the officer's and auditor's pages (counts only). With
    `unit_code`: the versions in force for that unit's drafts only (the deployment-wide ones and the unit's own), and
    never a file of a rule in `hidden` (another unit's scope: its rule and file names are not the viewer's to see)."""
    rows = session.execute(select(AuditEvent.seq, AuditEvent.at, AuditEvent.data).where(AuditEvent.action == ACTION)
                           .order_by(AuditEvent.seq.desc()).limit(limit if unit_code is None else limit * 20)).all()
    out = []
    for seq, at, raw in rows:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if unit_code is not None and str(data.get("unit", "") or "") not in ("", unit_code):
            continue
        files = [f for f in (data.get("files") or []) if str(f.get("rule", "")) not in hidden]
        out.append({"seq": seq, "at": at, "version": data.get("rules_version"), "previous": data.get("previous"),
                    "files": files, "files_changed": len(files) if hidden else data.get("files_changed", 0),
                    "loaded_by": data.get("loaded_by", "")})
        if len(out) >= limit:
            break
    return out
