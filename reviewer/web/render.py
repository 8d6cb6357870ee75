"""Jinja2 with autoescape on every template: draft text, titles, authors and comments are untrusted and are only
ever rendered as text (no `|safe` on anything that came from a user). Every page response carries the security
headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reviewer.audit.exports import fmt_time
from reviewer.audit.queries import DECISION_LABEL, DISPOSITION_LABEL, STAGE_LABEL
from reviewer.scan.model import SEVERITY_LABEL, VERDICT_LABEL
from reviewer.store.models import ROLE_LABEL, STATE_LABEL
from reviewer.web import names
from reviewer.web.security import apply_headers
from reviewer.workflow.retention import PURGED_LABEL

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["bj"] = fmt_time
env.globals.update(
    STATE_LABEL=STATE_LABEL,
    ROLE_LABEL=ROLE_LABEL,
    SEVERITY_LABEL={str(k): v for k, v in SEVERITY_LABEL.items()},
    VERDICT_LABEL={**{str(k): v for k, v in VERDICT_LABEL.items()}, "pending": "核对中（尚无结论）"},
    DECISION_LABEL=DECISION_LABEL,
    STAGE_LABEL=STAGE_LABEL,
    DISPOSITION_LABEL=DISPOSITION_LABEL,
    PURGED_LABEL=PURGED_LABEL,
)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


env.filters["hours"] = _hours

# Filled by reviewer.web.install from the app's settings: where the rule files (and their Chinese titles) are.
RULE_DIRECTORIES: list[Path] = []


def _rule_name(f: Any) -> str:
    """A finding (or a rule id) as people read it: the rule's Chinese title, never the id."""
    if isinstance(f, str):
        return names.rule_title(f, "", tuple(RULE_DIRECTORIES))
    return names.rule_title(getattr(f, "rule", ""), getattr(f, "message", ""), tuple(RULE_DIRECTORIES))


def rule_name_of(rule: str) -> str:
    return names.rule_title(rule, "", tuple(RULE_DIRECTORIES))


def _event(e: Any) -> str:
    return names.event_sentence(e.action, e.data, tuple(RULE_DIRECTORIES))


def _person(u: Any) -> str:
    if u is None:
        return "—"
    display = getattr(u, "display_name", "") or ""
    return f"{display}（{u.username}）" if display and display != u.username else u.username


def _fromjson(value: str) -> Any:
    import json

    try:
        return json.loads(value)
    except ValueError:
        return {}


def _isotime(value: str | None) -> str:
    from datetime import datetime

    try:
        return fmt_time(datetime.fromisoformat(str(value))) + "（北京时间）"
    except ValueError:
        return "—"


env.filters["fromjson"] = _fromjson
env.filters["isotime"] = _isotime
env.filters["loc"] = names.location
env.filters["alert_summary"] = lambda summary: names.alert_summary(summary, tuple(RULE_DIRECTORIES))
env.filters["rule_name"] = _rule_name
env.filters["event"] = _event
env.filters["actor"] = names.actor
env.filters["role"] = names.role
env.filters["person"] = _person
env.filters["signers"] = names.signers


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    context.setdefault("todo", getattr(request.state, "todo", {}))  # set by deps.viewer
    context.setdefault("csrf_token", "")
    context.setdefault("error", "")
    context.setdefault("notice", "")
    context.setdefault("heading", "")
    html = env.get_template(template).render(request_path=request.url.path, **context)
    return apply_headers(HTMLResponse(html, status_code=status_code))  # type: ignore[return-value]


def redirect(url: str) -> RedirectResponse:
    return apply_headers(RedirectResponse(url, status_code=303))  # type: ignore[return-value]
