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
from reviewer.web.security import apply_headers

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
    VERDICT_LABEL={str(k): v for k, v in VERDICT_LABEL.items()},
    DECISION_LABEL=DECISION_LABEL,
    STAGE_LABEL=STAGE_LABEL,
    DISPOSITION_LABEL=DISPOSITION_LABEL,
)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


env.filters["hours"] = _hours


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    context.setdefault("error", "")
    context.setdefault("notice", "")
    html = env.get_template(template).render(request_path=request.url.path, **context)
    return apply_headers(HTMLResponse(html, status_code=status_code))  # type: ignore[return-value]


def redirect(url: str) -> RedirectResponse:
    return apply_headers(RedirectResponse(url, status_code=303))  # type: ignore[return-value]
