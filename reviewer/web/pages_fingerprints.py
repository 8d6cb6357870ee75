"""The secrecy officer's page for registered documents (docs/fingerprints.md): the list of what is registered (names
and counts only), a form to register more, and for each registration 替换 (new files under the same rule), 停用 and
删除 — each written to the review log. The work is done by workflow.fingerprints, which alone decides who may do it;
the registered text is never shown, stored or logged.

A registration is named as people name documents (办公室〔2024〕12号通报): the name is free Chinese text, checked on
the server with Chinese messages (no browser-side pattern, whose bubble speaks the browser's language); the rule id
the scanner needs is made from it unless one is given."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from reviewer.accounts.actor import Actor
from reviewer.errors import InvalidInput, NotFound, ReviewerError
from reviewer.ruleset.model import RULE_ID
from reviewer.store.models import User
from reviewer.web.deps import check_csrf, database, html_errors, viewer
from reviewer.web.render import page, redirect

router = APIRouter(include_in_schema=False)
ROLES = ("officer", "admin")
MAX_FILES = 200
ACTS = {"retire": "停用", "delete": "删除", "replace": "替换"}
DONE = {"registered": "已登记“{}”；已发布的稿件将按新规则复扫", "retire": "已停用“{}”：今后不再按它扫描",
        "delete": "已删除“{}”（指纹与密钥已销毁）", "replace": "已替换“{}”的文件；已发布的稿件将按新文件复扫"}


def _page(request: Request, status_code: int = 200, error: str = "", entered: dict[str, str] | None = None) -> Response:
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow import scopes

    with database(request).session() as s:
        v = viewer(request, s, *ROLES)
        unit_code = v.user.unit.code
        sets = registry.list_sets(s, unit_code)  # only registrations whose scope includes the viewer's unit
        groups = sorted(n for n in scopes.unit_scope_names(s, unit_code) if n and n.startswith("group:"))
        choices = [("", f"本单位（{v.user.unit.name}）")] + [(g, f"单位组“{g[6:]}”（组内各单位共用）") for g in groups]
        people = {u: d for u, d in s.execute(select(User.username, User.display_name)) if d}
        notice = ""
        done, what = request.query_params.get("done", ""), request.query_params.get("name", "")
        if done in DONE and what:
            notice = DONE[done].format(what[:200])
        return page(request, "fingerprints.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token,
                    active=[x for x in sets if x.retired_at is None], retired=[x for x in sets if x.retired_at is not None],
                    error=error, entered=entered or {}, scope_choices=choices, people=people, notice=notice,
                    scope_label=lambda scope: _scope_label(scope, v.user.unit.name), acts=ACTS)


def _scope_label(scope: str | None, own_name: str) -> str:
    if scope is None:
        return "所有单位"
    if scope.startswith("group:"):
        return f"单位组“{scope[6:]}”"
    return own_name if scope.startswith("unit:") else scope


def _name_and_id(fields: dict[str, str]) -> tuple[str, str]:
    """(name people read, rule id or "" to make one). A Chinese text typed where the id goes is the name."""
    name = fields.get("name", "").strip()
    rule_id = fields.get("rule_id", "").strip()
    if rule_id and not rule_id.isascii():
        name, rule_id = name or rule_id, ""
    if len(name) > 200:
        raise InvalidInput("登记名称或文号不能超过 200 字")
    if rule_id and not re.match(RULE_ID, rule_id):
        raise InvalidInput(f"规则编号“{rule_id[:100]}”不合法：只能用小写字母、数字、点、下划线和连字符；也可以留空，由系统生成")
    if not name and not rule_id:
        raise InvalidInput("请填写登记名称或文号（如“办公室〔2024〕12号通报”）")
    return name, rule_id


def _labels(fields: dict[str, str], files: list[tuple[str, bytes]], name: str) -> list[str | None]:
    """Each file's name: the line typed for it; otherwise the registration's name (one file) or name：file name."""
    from pathlib import PurePath

    typed = [line.strip() for line in fields.get("labels", "").splitlines()]
    out: list[str | None] = []
    for i, (filename, _) in enumerate(files):
        label = typed[i] if i < len(typed) and typed[i] else None
        if label is None and name:
            label = name if len(files) == 1 else f"{name}：{PurePath(filename).stem}"
        out.append(label[:200] if label else None)
    return out


async def _uploads(request: Request) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """The form's fields, and its files only after the person and the form's token are checked."""
    form = await request.form()
    fields = {k: str(v) for k, v in form.multi_items() if not isinstance(v, UploadFile)}
    uploads = [v for k, v in form.multi_items() if k == "files" and isinstance(v, UploadFile) and v.filename]
    limit = int(request.app.state.settings.max_upload_bytes)

    def allowed() -> None:  # who and which form, before any upload is read into memory
        with database(request).session() as s:
            check_csrf(viewer(request, s, *ROLES), fields.get("csrf_token"))

    await run_in_threadpool(allowed)
    files: list[tuple[str, bytes]] = []
    for up in uploads[: MAX_FILES + 1]:
        files.append((up.filename or "未命名.txt", await up.read(limit + 1)))
    return fields, files


def _sources(request: Request, files: list[tuple[str, bytes]], labels: list[str | None]) -> list[tuple[str, list[str]]]:
    from reviewer.scan.fingerprints import read_source

    limit = int(request.app.state.settings.max_upload_bytes)
    if not files:
        raise ReviewerError("请选择至少一个要登记的文件")
    if len(files) > MAX_FILES:
        raise ReviewerError(f"一次最多登记 {MAX_FILES} 个文件")
    sources = []
    for (filename, data), label in zip(files, labels, strict=True):
        if len(data) > limit:
            raise ReviewerError(f"文件 {filename} 超过上限 {limit} 字节")
        sources.append(read_source(data, filename, label))
    return sources


def _done(act: str, name: str) -> Response:
    from urllib.parse import urlencode

    return redirect("/fingerprints?" + urlencode({"done": act, "name": name}))


@router.get("/fingerprints")
@html_errors
def fingerprints_page(request: Request) -> Response:
    return _page(request)


@router.post("/fingerprints")
@html_errors
async def register(request: Request) -> Response:
    fields, files = await _uploads(request)

    def work() -> Response:
        from reviewer.scan.fingerprints import default_common
        from reviewer.workflow import fingerprints as registry
        from reviewer.workflow import scopes

        name, generated = "", False
        try:
            name, rule_id = _name_and_id(fields)
            generated = not rule_id
            sources = _sources(request, files, _labels(fields, files, name))
            with database(request).session() as s:
                v = viewer(request, s, *ROLES)
                check_csrf(v, fields.get("csrf_token"))
                chosen = fields.get("scope") or None
                rule_id = rule_id or registry.rule_id_for(name, scopes.registration_scope(s, Actor.of_user(v.user), chosen))
                registry.register(s, rule_id, sources, severity=fields.get("severity", "block"),
                                  message=fields.get("message", "")[:500], common=default_common(),
                                  actor=Actor.of_user(v.user), scope=chosen)
        except ReviewerError as exc:
            message = exc.message
            if exc.http_status == 409 and generated:  # the id was made from the name: say it in the name's terms
                message = f"“{name}”已登记过；如要换成新文件，请在已登记列表中对它选“替换”"
            return _page(request, status_code=exc.http_status, error=message, entered=fields)
        return _done("registered", name or rule_id)

    return await run_in_threadpool(work)


@router.post("/fingerprints/{set_id}/{act}")
@html_errors
async def manage(request: Request, set_id: int, act: str) -> Response:
    if not 0 < set_id < 2**31:
        raise NotFound("没有这项操作")
    fields, files = await _uploads(request)

    def work() -> Response:
        from reviewer.scan.fingerprints import default_common
        from reviewer.workflow import fingerprints as registry

        try:
            with database(request).session() as s:
                v = viewer(request, s, *ROLES)  # a role that may not manage registrations: 403 whatever the action
                check_csrf(v, fields.get("csrf_token"))
                if act not in ACTS:
                    raise NotFound("没有这项操作")
                who = Actor.of_user(v.user)
                shown = next((x for x in registry.list_sets(s, v.user.unit.code) if x.id == set_id), None)
                name = "、".join(shown.labels[:3]) if shown else str(set_id)
                if act == "retire":
                    registry.retire(s, set_id, who, fields.get("reason", ""))
                elif act == "delete":
                    registry.delete(s, set_id, who, fields.get("reason", ""))
                else:
                    registry.managed(s, who, set_id)  # who may, before any file is read
            if act == "replace":
                sources = _sources(request, files, _labels(fields, files, fields.get("name", "").strip()))
                with database(request).session() as s:
                    v = viewer(request, s, *ROLES)
                    registry.replace(s, set_id, sources, Actor.of_user(v.user), reason=fields.get("reason", ""),
                                     common=default_common())
        except ReviewerError as exc:
            return _page(request, status_code=exc.http_status, error=f"{ACTS.get(act, '操作')}未完成：{exc.message}")
        return _done(act, name)

    return await run_in_threadpool(work)
