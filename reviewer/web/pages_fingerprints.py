"""The secrecy officer's page for registered documents (docs/fingerprints.md): the list of what is registered (names
and counts only) and a form to register more. The work is done by workflow.fingerprints.register, which alone
decides who may register; the registered text is never shown, stored or logged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from reviewer.accounts.actor import Actor
from reviewer.errors import ReviewerError
from reviewer.web.deps import check_csrf, database, html_errors, viewer
from reviewer.web.render import page, redirect

router = APIRouter(include_in_schema=False)
ROLES = ("officer", "admin")
MAX_FILES = 200


def _page(request: Request, status_code: int = 200, error: str = "", entered: dict[str, str] | None = None) -> Response:
    from reviewer.workflow import fingerprints as registry

    with database(request).session() as s:
        v = viewer(request, s, *ROLES)
        from reviewer.workflow import scopes

        unit_code = v.user.unit.code
        sets = registry.list_sets(s, unit_code)  # only registrations whose scope includes the viewer's unit
        groups = sorted(n for n in scopes.unit_scope_names(s, unit_code) if n and n.startswith("group:"))
        choices = [("", f"本单位（{unit_code}）")] + [(g, f"单位组 {g[6:]}（组内各单位共用）") for g in groups]
        done = request.query_params.get("done", "")
        return page(request, "fingerprints.html", status_code=status_code, user=v.user, csrf_token=v.csrf_token,
                    sets=sets, error=error, entered=entered or {}, scope_choices=choices,
                    notice=f"已登记规则“{done}”；已发布的稿件将按新规则复扫" if done else "")


@router.get("/fingerprints")
@html_errors
def fingerprints_page(request: Request) -> Response:
    return _page(request)


@router.post("/fingerprints")
@html_errors
async def register(request: Request) -> Response:
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

    def work() -> Response:
        from reviewer.scan.fingerprints import default_common, read_source
        from reviewer.workflow import fingerprints as registry

        with database(request).session() as s:
            v = viewer(request, s, *ROLES)
            check_csrf(v, fields.get("csrf_token"))
        try:
            if not files:
                raise ReviewerError("请选择至少一个要登记的文件")
            if len(files) > MAX_FILES:
                raise ReviewerError(f"一次最多登记 {MAX_FILES} 个文件")
            labels = [line.strip() for line in fields.get("labels", "").splitlines()]
            sources = []
            for i, (name, data) in enumerate(files):
                if len(data) > limit:
                    raise ReviewerError(f"文件 {name} 超过上限 {limit} 字节")
                sources.append(read_source(data, name, labels[i] if i < len(labels) and labels[i] else None))
            rule_id = fields.get("rule_id", "").strip()
            with database(request).session() as s:
                v = viewer(request, s, *ROLES)
                registry.register(s, rule_id, sources, severity=fields.get("severity", "block"),
                                  message=fields.get("message", "")[:500], common=default_common(),
                                  actor=Actor.of_user(v.user), scope=fields.get("scope") or None)
        except ReviewerError as exc:
            return _page(request, status_code=exc.http_status, error=exc.message, entered=fields)
        return redirect(f"/fingerprints?done={rule_id}")

    return await run_in_threadpool(work)
