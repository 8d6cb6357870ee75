"""What a reviewer writes goes to the CMS and is read by the admin: it must not carry a term of the list.

A reviewer's 意见 and each disposition reason are scanned with the rules before they are stored; one that holds a
"review" or "block" finding is refused with a Chinese message that names where in the reviewer's own text (never
the term). To tell the drafter what to change without quoting it, the reviewer picks findings for location-only
feedback: each becomes a line such as “正文 第 3 段第 12–15 字：请修改” (the part, paragraph and characters —
no rule, category or matched text), appended to the comment that the CMS receives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from reviewer.audit.binding import public_reason
from reviewer.errors import InvalidInput
from reviewer.store.models import Item

COUNTING = ("block", "review")


def _scanner(session: Session, unit_code: str | None = None) -> Any | None:
    runtime = session.info.get("runtime")
    if runtime is None:
        return None
    cache = getattr(runtime, "comment_scanners", None)
    if cache is None:
        from reviewer.workflow.jobs import ScannerCache

        cache = ScannerCache(runtime.settings)
        runtime.comment_scanners = cache
    if unit_code is None:
        return cache.get(registered=())
    from reviewer.workflow import scopes

    # the rules of the reviewer's own unit only: another unit's list must not refuse (and so reveal) a word
    return cache.get(registered=(), scope=scopes.scope_for(session, runtime.settings, unit_code))


def check_text(session: Session, text: str, label: str, unit_code: str | None = None) -> None:
    """Refuse `text` (the reviewer's comment or a reason) when the unit's rules find a review/block item in it."""
    if not (text or "").strip():
        return
    scanner = _scanner(session, unit_code)
    if scanner is None:
        raise InvalidInput(f"{label}无法按规则检查（系统未加载规则），为防止泄露未保存；请清空{label}后重试")
    hits = [f for f in scanner.scan(text).findings if str(f.severity) in COUNTING]
    if hits:
        where = "、".join(f"第 {f.start + 1}–{f.end} 字" for f in hits[:5])
        raise InvalidInput(f"{label}中{where}含有须保密审查的内容，不能保存：意见会发送给发布系统并被管理员看到。"
                           "请删去这些内容，改用“按位置反馈”（只告诉撰稿人位置，如“正文第 3 段第 12–15 字”）")


def _paragraph(item: Item, f: Any) -> str:
    """第 N 段第 a–b 字 for a finding in the body of a plain-text draft; otherwise the characters of its part."""
    if f.location == "正文" and (item.file_name or "").lower().endswith((".txt", ".md")) or f.location == "正文" and not item.file_name:
        try:
            text = item.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = ""
        if text and f.start <= len(text):
            before = text[: f.start]
            para = before.count("\n") + 1
            line_start = before.rfind("\n") + 1
            return f"第 {para} 段第 {f.start - line_start + 1}–{f.end - line_start} 字"
    return f"第 {f.start + 1}–{f.end} 字"


def location_feedback(item: Item, finding_ids: Iterable[int]) -> list[str]:
    """One line per chosen finding: where it is, never what it is."""
    findings = {f.id: f for f in item.findings}
    lines = []
    for fid in finding_ids:
        f = findings.get(fid)
        if f is None:
            raise InvalidInput(f"发现 {fid} 不属于该稿件")
        place = public_reason(f.location) or "正文"
        page = f"第 {f.page} 页 " if getattr(f, "page", None) else ""
        lines.append(f"{place} {page}{_paragraph(item, f)}：请修改")
    return lines
