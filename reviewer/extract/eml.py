"""E-mail (.eml): the headers a reader sees (subject, sender, recipients, copies, reply address), the MIME preamble,
every body part in any transfer encoding and charset (plain text as text, HTML through the HTML extractor), and every
attachment read as a member through the same intake as archive members (a nested message, a zip, a docx, a pdf …).

Locations: `邮件头:主题`, `正文（纯文本）`, `正文（HTML） · 正文`, `附件“报告.docx” · 正文 第3段`; an attachment that
cannot be read makes the message an error whose message names the attachment by number only."""

from __future__ import annotations

from pathlib import PurePath

from reviewer.errors import ExtractionError
from reviewer.extract import mime
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder

WHAT = "邮件"
HEADERS = (
    ("Subject", "主题"), ("From", "发件人"), ("Sender", "代发人"), ("To", "收件人"), ("Cc", "抄送"), ("Bcc", "密送"),
    ("Reply-To", "回复地址"), ("Comments", "备注"), ("Keywords", "关键词"), ("Thread-Topic", "会话主题"),
    ("Disposition-Notification-To", "回执地址"),
)  # fmt: skip
# a detached signature holds a certificate, not text of the message
_SIGNATURES = ("application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature")
_ENCRYPTED = ("application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted")
_EXT = {"text/html": ".html", "text/plain": ".txt", "message/rfc822": ".eml", "application/pdf": ".pdf",
        "text/xml": ".xml", "application/xml": ".xml", "application/json": ".json"}


def extract_eml(data: bytes, filename: str, ctx: Context) -> Extraction:
    msg = mime.parse(data)
    if not any(msg.get(h) is not None for h in ("From", "To", "Subject", "Date", "Content-Type", "MIME-Version")):
        raise ExtractionError("文件不是有效的电子邮件（缺少邮件头），无法审查")
    parts: list[TextPart] = []
    issues: list[ExtractionIssue] = []
    heads = PartBuilder(mime.chained(ctx, "邮件头"), ctx.budget)
    for name, label in HEADERS:
        for value in msg.get_all(name) or []:
            heads.add(mime.chained(ctx, f"邮件头:{label}"), mime.header_text(value))
    texts = PartBuilder(mime.chained(ctx, "正文（纯文本）"), ctx.budget)
    for extra, label in ((msg.preamble, "MIME前言（不显示）"), (msg.epilogue, "MIME结语（不显示）")):
        if extra and extra.strip():
            texts.add(mime.chained(ctx, label), mime.unescaped(extra).strip())
    bodies = pages = 0
    for leaf in mime.leaves(msg, ctx, WHAT):
        ctx.budget.check_time()
        if leaf.content_type in _SIGNATURES:
            continue
        if leaf.content_type in _ENCRYPTED:
            raise ExtractionError("邮件内容已加密（S/MIME 或 PGP），无法审查；请提交解密后的邮件")
        raw = mime.payload(leaf.part, ctx, WHAT)
        if not leaf.attachment and leaf.content_type == "text/plain":
            bodies += 1
            texts.add(mime.chained(ctx, "正文（纯文本）" + (f" 第{bodies}部分" if bodies > 1 else "")),
                      mime.text_of(leaf.part, raw, WHAT))
            continue
        if not leaf.attachment and leaf.content_type == "text/html":
            pages += 1
            html = mime.text_of(leaf.part, raw, WHAT).encode("utf-8")
            label = mime.chained(ctx, "正文（HTML）" + (f" 第{pages}部分" if pages > 1 else ""))
            got, notes = mime.read_member(ctx, leaf.number, "正文.html", html, label, WHAT, strict=True)
        else:
            shown = leaf.filename or f"第{leaf.number}部分{_EXT.get(leaf.content_type, '')}"
            what = "附件" if leaf.attachment else "内嵌内容"
            label = mime.chained(ctx, f"{what}“{shown}”")
            name = leaf.filename or shown
            if leaf.content_type == "text/html" and PurePath(name).suffix.lower() not in (".html", ".htm"):
                name += ".html"
            if leaf.content_type.startswith("text/") and leaf.content_type not in ("text/html", "text/xml"):
                raw = mime.text_of(leaf.part, raw, WHAT).encode("utf-8")  # the declared charset, not a guess
            got, notes = mime.read_member(ctx, leaf.number, name, raw, label, WHAT, strict=True)
            heads.add(mime.chained(ctx, f"{what}“{shown}”（文件名）"), leaf.filename or "")
        parts.extend(got)
        issues.extend(notes)
    own = [p for p in (heads.build(), texts.build()) if p]
    result = Extraction(parts=own + parts, kind="archive" if ctx.archive_label else "eml", issues=issues)
    return result
