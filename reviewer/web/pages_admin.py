"""The administrator's pages (/admin): units, users, roles and tokens, and the unit's own rule files — the same
operations as `reviewer units|users|tokens …`, through the same functions (reviewer.accounts.manage), so each action
is checked the same way and written to the review log with the administrator as its actor.

The rule files are listed by name, title, kind, size and number of entries, never with their terms: the administrator
runs the system, he is not cleared to read the unit's classified term list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reviewer.accounts import manage
from reviewer.errors import InvalidInput, ReviewerError
from reviewer.store.models import ROLE_LABEL, ApiToken, Unit, User
from reviewer.web.deps import check_csrf, database, html_errors, viewer
from reviewer.web.render import RULE_DIRECTORIES, page, redirect

router = APIRouter(include_in_schema=False)

ADMIN = ("admin",)
ROLES = list(ROLE_LABEL)


@dataclass(frozen=True, slots=True)
class RuleFileView:
    rule_id: str
    title: str
    kind: str
    entries: int
    size: int
    digest: str
    directory: str


def rule_files() -> tuple[list[RuleFileView], str]:
    """The organisation's rule files (REVIEWER_RULES_PATH), without their terms; an error is said, not hidden."""
    from reviewer.ruleset.loader import load_rules
    from reviewer.settings import BUILTIN_RULES_DIR

    own = [d for d in RULE_DIRECTORIES if Path(d).resolve() != Path(BUILTIN_RULES_DIR).resolve()]
    if not own:
        return [], ""
    try:
        loaded = load_rules(own)
    except ReviewerError as exc:
        return [], exc.message
    out = []
    for lr in loaded.rules:
        size = lr.path.stat().st_size if lr.path.exists() else 0
        terms_file = getattr(lr.rule, "terms_file", None)
        if terms_file:
            extra = lr.path.parent / str(terms_file)
            size += extra.stat().st_size if extra.exists() else 0
        out.append(RuleFileView(lr.rule.id, str(getattr(lr.rule, "title", "") or ""), str(getattr(lr.rule, "kind", "")),
                                len(lr.terms), size, lr.digest[:12], str(Path(lr.path).parent.name)))
    return out, ""


def _lists(s: Session) -> dict[str, Any]:
    units = list(s.scalars(select(Unit).order_by(Unit.code)))
    users = list(s.scalars(select(User).order_by(User.unit_id, User.username)))
    for u in users:
        _ = u.unit
    tokens = list(s.scalars(select(ApiToken).order_by(ApiToken.id.desc()).limit(500)))
    for t in tokens:
        _ = t.unit, t.user
    files, rules_error = rule_files()
    return {"units": units, "users": users, "tokens": tokens, "roles": ROLES, "files": files, "rules_error": rules_error,
            "kind_label": KIND_LABEL}


# rule kinds (reviewer/ruleset/model.py) in the words of the page
KIND_LABEL = {"terms": "词表", "pattern": "模式匹配", "marking": "密级标志", "exemption": "豁免规则", "fingerprint": "登记文件指纹",
              "expression": "表述检查", "titles": "标题列表"}


@router.get("/admin")
@html_errors
def admin_home(request: Request) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *ADMIN)
        return page(request, "admin.html", user=v.user, csrf_token=v.csrf_token, **_lists(s),
                    notice="已完成，已记入审查日志。" if request.query_params.get("m") == "done" else "")


def _form_action(request: Request, act: str, form: dict[str, str]) -> Response:
    with database(request).session() as s:
        v = viewer(request, s, *ADMIN)
        check_csrf(v, form.get("csrf_token"))
        who = v.user
        if act == "unit-add":
            if not form.get("code", "").strip() or not form.get("name", "").strip():
                raise InvalidInput("请填写单位代码和单位名称")
            manage.create_unit(s, form.get("code", "").strip(), form.get("name", "").strip(), actor=who)
        elif act == "unit-policy":
            unit = manage.get_unit(s, form.get("code", ""))
            if form.get("block_policy"):
                manage.set_block_policy(s, unit, form["block_policy"], actor=who)
            if form.get("unknown_author"):
                manage.set_unknown_author(s, unit, form["unknown_author"], actor=who)
        elif act == "user-add":
            if not form.get("username", "").strip() or not form.get("display_name", "").strip():
                raise InvalidInput("请填写用户名和姓名")
            manage.create_user(s, form.get("username", "").strip(), form.get("unit", ""), form.get("role", ""),
                               display_name=form.get("display_name", "").strip(), password=form.get("password") or None,
                               actor=who)
        elif act == "user-role":
            manage.set_role(s, form.get("username", ""), form.get("role", ""), actor=who)
        elif act == "user-deactivate":
            manage.deactivate_user(s, form.get("username", ""), actor=who)
        elif act == "user-unlock":
            manage.unlock_user(s, form.get("username", ""), actor=who)
        elif act == "user-password":
            if not form.get("password"):
                raise InvalidInput("请填写新口令")
            manage.reset_password(s, form.get("username", ""), form["password"], actor=who)
        elif act == "token-revoke":
            token_id = form.get("token_id", "")
            if not token_id.isdecimal():
                raise InvalidInput("令牌编号应为数字")
            manage.revoke_token(s, int(token_id), actor=who)
        elif act == "token-create":
            days = form.get("days", "").strip()
            expires = int(days) if days.isdecimal() else None
            if form.get("username"):
                target = manage.get_user(s, form["username"])
                made = manage.create_token(s, user=target, expires_days=expires, actor=who)
            else:
                unit = manage.get_unit(s, form.get("unit", ""))
                made = manage.create_token(s, unit=unit, client_name=form.get("client", "").strip() or None,
                                           expires_days=expires, actor=who)
            # shown once, on this response only; never stored in a cookie or a URL
            return page(request, "admin_token.html", user=v.user, csrf_token=v.csrf_token, token=made.token,
                        record=made.record)
        else:
            raise InvalidInput("未知的管理操作")
    return redirect("/admin?m=done")


@router.post("/admin/{act}")
@html_errors
async def admin_action(request: Request, act: str) -> Response:
    raw = await request.form()
    form = {k: str(val)[:2000] for k, val in raw.items()}

    def work() -> Response:
        try:
            return _form_action(request, act, form)
        except ReviewerError as exc:
            if exc.http_status in (401, 403):
                raise
            with database(request).session() as s:
                v = viewer(request, s, *ADMIN)
                return page(request, "admin.html", status_code=exc.http_status, user=v.user, csrf_token=v.csrf_token,
                            error=exc.message, **_lists(s))

    return await run_in_threadpool(work)
