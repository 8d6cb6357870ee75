"""The render check of an archive (.zip, .7z, .tar, .gz): every member that is rendered on its own (PDF, Office, HTML,
image) is render-checked like a draft, in archive order, nested archives' members at their archive's place.

The members are those the text extraction opened (reviewer.extract.archive with `Members`): the same readers and the
same limits (nesting depth, number of members, inflated size, counted while inflating), nothing is unpacked twice by
other code. The render limits are shared by all members: one time limit and one page limit for the whole archive.

Locations continue the extraction's: a member's finding is `压缩包“附件.zip” › 通知.pdf · 第2页（图像识别）`, its page
`压缩包“附件.zip” › 通知.pdf · 第2页` (`RenderedPage.member`, `member_page`); page numbers run on over the members so
the review page shows every rendered page. Error messages name members by number only (issue 11)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer.extract import Extraction, MemberFile, Members, TextPart
from reviewer.render.model import RenderReport

if TYPE_CHECKING:  # pragma: no cover
    from reviewer.render.check import RenderLimits
    from reviewer.scan.model import Finding
    from reviewer.scan.scanner import Scanner

RENDERED = ("pdf", "office", "html", "image", "ofd")
IMAGE_MEMBER_RULE = "extract.image_member"
SCANNED_PAGE_RULE = "extract.scanned_page"
READ_NOTES = (SCANNED_PAGE_RULE, IMAGE_MEMBER_RULE)  # the text scan's "not verified" notes the render check answers
UNREAD_IMAGE = "压缩包中有图片未经显示内容核对识别，未能审查，不得视为通过"


def wanted() -> Members:
    """What the render check asks the extraction for: the members it renders."""
    from reviewer.render.check import kind_of

    return Members(keep=lambda data, name: kind_of(data, name) in RENDERED)


def member_extraction(extraction: Extraction, location: str) -> Extraction:
    """The member's own text parts, with the locations the member would have on its own (`正文 第1段`, `样式`)."""
    prefix = f"{location} · "
    return Extraction([TextPart(p.text, p.location[len(prefix):]) for p in extraction.parts if p.location.startswith(prefix)],
                      kind="member")


def render_members(scanner: Scanner, files: list[MemberFile], extraction: Extraction, text_findings: list[Finding],
                   limits: RenderLimits) -> RenderReport:
    from reviewer.render.check import kind_of, render_check

    started = time.monotonic()
    report = RenderReport(kind="archive")
    for member in files:
        done = len(report.pages)
        seconds_left = limits.max_seconds - (time.monotonic() - started)
        if seconds_left <= 0:
            report.error = _out_of_time(limits, done)
            break
        if done >= limits.max_pages:
            report.error = f"压缩包内各文件合计超过渲染核对上限 {limits.max_pages} 页，未能核对全部显示内容，不得视为通过"
            break
        prefix = f"{member.location} · "
        kind = kind_of(member.data, member.name)
        inner = Extraction(kind="image") if kind == "image" else member_extraction(extraction, member.location)
        known = [f for f in text_findings if f.location.startswith(prefix)]
        sub = render_check(scanner, member.data, member.name, inner, known,
                           replace(limits, max_seconds=seconds_left, max_pages=limits.max_pages - done))
        for page in sub.pages:
            page.member, page.member_page, page.number = member.location, page.number, page.number + done
            if page.visible:  # a re-scan names the member's pages as the check did, and counts its own text findings
                rec = json.loads(page.visible)
                rec["where"], rec["scope"] = prefix + rec["where"], prefix
                page.visible = json.dumps(rec, ensure_ascii=False)
        report.pages.extend(sub.pages)
        report.findings.extend(replace(f, location=prefix + f.location, page=None if f.page is None else f.page + done)
                               for f in sub.findings)
        if sub.error:
            if time.monotonic() - started >= limits.max_seconds and "时间上限" in sub.error:
                report.error = _out_of_time(limits, len(report.pages))
            else:
                shared = f"（压缩包内各文件合计不超过 {limits.max_pages} 页，此前已核对 {done} 页）" \
                    if done and "超过渲染核对上限" in sub.error else ""
                report.error = f"{member.described()}：{sub.error}{shared}"
            break
    report.seconds = time.monotonic() - started
    return report


def _out_of_time(limits: RenderLimits, pages: int) -> str:
    return (f"渲染核对超过时间上限 {limits.max_seconds:.0f} 秒（已核对 {pages} 页），未能核对压缩包内全部文件的显示内容，"
            "不得视为通过")


def read_locations(report: RenderReport) -> set[str]:
    """Where the text scan could only say "not verified" and the render check has since read the pixels: each page it
    read by OCR (`第2页`, `压缩包“附件.zip” › 扫描.pdf · 第1页`) and each member all of whose pages it read by OCR (an
    image member, `压缩包“附件.zip” › 扫描.png`). Nothing when the check did not complete (fail closed)."""
    if report.error is not None:
        return set()
    out = {p.where for p in report.pages if p.ocr}
    members = {p.member for p in report.pages if p.member}
    out.update(m for m in members if all(p.ocr for p in report.pages if p.member == m))
    return out


def is_read(rule: str, location: str, read: set[str]) -> bool:
    """A text-scan note (scanned page, image member) the render check has answered: its OCR text was scanned."""
    return rule in READ_NOTES and location in read
