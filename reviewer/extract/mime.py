"""What e-mail (.eml) and saved web pages (.mht/.mhtml) share: a MIME message parsed within the limits, its leaf parts
decoded strictly (base64 that does not decode is an error, not a shorter text), text in any declared charset,
RFC 2047/2231 header words decoded, and the reading of a part as a member of the input (the same intake as archive
members: a picture is left to the render check, which reads it by OCR; until then it is a note that cannot pass).

Locations continue the chain of the archives the message lies in (`ctx.archive_label`), as archives do: a message inside
a zip is `压缩包“a.zip” › 来信.eml · 附件“报告.pdf” · 第1页`.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from dataclasses import dataclass
from email.header import Header, decode_header
from email.message import Message

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.archive import IMAGE_MEMBER
from reviewer.extract.context import Context
from reviewer.extract.model import ExtractionIssue, Span, SpanKind, TextPart
from reviewer.extract.sniff import is_image
from reviewer.extract.text import decode_text
from reviewer.scan.model import Severity

MAX_DEPTH = 40  # multiparts inside multiparts
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
            "unicode-1-1-utf-7": "utf-7", "ks_c_5601-1987": "cp949", "x-unknown": "utf-8", "unknown-8bit": "utf-8"}
_BROKEN = ("StartBoundaryNotFoundDefect", "CloseBoundaryNotFoundDefect", "MultipartInvariantViolationDefect")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\]")
IMAGE_MESSAGE = "{what}中的图片无法提取文字，须由显示内容核对（图像识别）读出并审查；未经识别不得视为通过"


@dataclass(slots=True)
class Leaf:
    number: int  # 1-based, in document order over the leaves
    part: Message
    content_type: str
    filename: str | None
    attachment: bool  # Content-Disposition: attachment (or a file name on a non-text part)


def parse(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=email.policy.compat32)


def leaves(msg: Message, ctx: Context, what: str) -> list[Leaf]:
    """Every non-multipart part in document order (a message/rfc822 part is a leaf: it is read as a nested message)."""
    out: list[Leaf] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        ctx.budget.check_time()
        broken = [d for d in part.defects if type(d).__name__ in _BROKEN]
        if broken:
            raise ExtractionError(f"{what}的 MIME 结构不完整或已损坏（缺少分隔行，可能被截断），无法审查")
        if depth > MAX_DEPTH:
            raise ExtractionError(f"{what}的 MIME 部分嵌套超过 {MAX_DEPTH} 层，结构异常，无法审查")
        ctype = part.get_content_type()
        if part.is_multipart() and ctype != "message/rfc822":
            children = part.get_payload()
            assert isinstance(children, list)
            stack.extend((c, depth + 1) for c in reversed(children) if isinstance(c, Message))
            continue
        disposition = str(part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        name = filename(part)
        attachment = disposition == "attachment" or (name is not None and not ctype.startswith("text/"))
        out.append(Leaf(len(out) + 1, part, ctype, name, attachment))
        ctx.budget.add_members(1)
    return out


def unescaped(text: str | None) -> str:
    """Text the parser kept as bytes (8-bit header values, the preamble): decoded as UTF-8 or by the text detector."""
    if not text:
        return ""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("ascii", "surrogateescape"), None, "邮件")


def header_text(value: object) -> str:
    """A header's text as a reader's mail program shows it: encoded words decoded in their charset, raw 8-bit values
    (GBK or UTF-8 written without encoding) decoded too."""
    if value is None:
        return ""
    try:
        if isinstance(value, Header):  # the parser's wrapping of raw 8-bit bytes (charset unknown-8bit)
            pieces = decode_header(value)
        else:
            raw = unescaped(str(value))
            pieces = decode_header(raw)
    except (email.errors.HeaderParseError, ValueError):
        return unescaped(str(value))
    out: list[str] = []
    for chunk, charset in pieces:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        out.append(decode_bytes(chunk, charset, "邮件头"))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def decode_bytes(raw: bytes, charset: str | None, what: str) -> str:
    """Text in its declared charset (GB2312/GBK read as GB18030); undeclared: UTF-8, then the text detector."""
    if not charset:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return decode_text(raw)[0]
    name = _ALIASES.get(charset.lower().strip(), charset.lower().strip())
    try:
        return raw.decode(name)
    except LookupError as exc:
        raise ExtractionError(f"{what}声明的字符集“{name[:30]}”无法识别，无法审查") from exc
    except UnicodeDecodeError:
        try:  # a wrong declaration is common (utf-8 declared, GBK sent): the detector decides, or refuses
            return decode_text(raw)[0]
        except ExtractionError as exc:
            raise ExtractionError(f"{what}的内容与声明的字符集“{name[:30]}”不符，无法正确解码，无法审查") from exc


_NAME_PARAM = re.compile(r"""(?:^|;)\s*(?:file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.I)


def filename(part: Message) -> str | None:
    name: str | None = None
    if all(isinstance(part.get(h), str | None) for h in ("Content-Disposition", "Content-Type")):
        name = part.get_filename()
        if name is None:
            ctype_name = part.get_param("name")
            name = ctype_name if isinstance(ctype_name, str) else None
    else:  # a raw 8-bit name (GBK or UTF-8 written as it is): the parser keeps the header as bytes
        for header in ("Content-Disposition", "Content-Type"):
            m = _NAME_PARAM.search(header_text(part.get(header)))
            if m:
                name = m.group(1) if m.group(1) is not None else m.group(2)
                break
    if name is None:
        return None
    name = header_text(name) if "=?" in name else unescaped(name)
    name = _UNSAFE_NAME.sub("_", name.strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return name or None


def payload(part: Message, ctx: Context, what: str) -> bytes:
    """The part's bytes after its transfer encoding; base64 that does not decode is an error (never a shorter text)."""
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    if part.get_content_type() == "message/rfc822" and part.is_multipart():  # parsed already: written out again
        inner = part.get_payload(0)
        # without re-folding: the generator's folding can cut an encoded word of a long header in two
        data = inner.as_bytes(policy=email.policy.compat32.clone(max_line_length=0)) if isinstance(inner, Message) else b""
    elif cte == "base64":
        body = part.get_payload(decode=False)
        text = body if isinstance(body, str) else ""
        compact = "".join(text.split())
        compact += "=" * (-len(compact) % 4)
        try:
            data = base64.b64decode(compact.encode("ascii", "strict"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise ExtractionError(f"{what}有一部分内容的 base64 编码已损坏，无法完整解码，无法审查") from exc
    else:
        got = part.get_payload(decode=True)
        data = got if isinstance(got, bytes) else b""
    limits = ctx.budget.limits
    if len(data) > limits.max_member_bytes:
        raise ExtractionError(f"{what}中有一部分解码后超过 {limits.max_member_bytes} 字节上限，拒绝处理")
    ctx.budget.add_unzipped(len(data))
    return data


def text_of(part: Message, data: bytes, what: str) -> str:
    return decode_bytes(data, part.get_content_charset(), what)


def chained(ctx: Context, label: str) -> str:
    """A location of this message's own, continuing the chain of archives it lies in."""
    return f"{ctx.archive_label} · {label}" if ctx.archive_label else label


def own_part(ctx: Context, part: TextPart) -> TextPart:
    if not ctx.archive_label:
        return part
    prefix = f"{ctx.archive_label} · "
    spans = tuple(Span(s.start, s.end, prefix + s.label, s.kind) if s.kind is SpanKind.PLACE else s for s in part.spans)
    return TextPart(part.text, prefix + part.location, spans, part.spans_only)


def own_issue(ctx: Context, issue: ExtractionIssue) -> ExtractionIssue:
    if not ctx.archive_label:
        return issue
    return ExtractionIssue(issue.code, f"{ctx.archive_label} · {issue.location}", issue.message, issue.severity)


def read_member(ctx: Context, number: int, name: str, data: bytes, label: str, what: str, *,
                strict: bool) -> tuple[list[TextPart], list[ExtractionIssue]]:
    """Read one part through the intake. `label` is already chained. A picture is offered to the render check and is a
    note until it has been read; `strict`: a part that cannot be read makes the input an error (an attachment),
    otherwise a note that needs review (a web page's resource that holds no text of the page)."""
    limit = ctx.budget.limits.max_archive_depth
    if ctx.archive_depth >= limit:
        raise LimitExceeded(f"{what}中的附件嵌套超过 {limit} 层（附件中的附件……），拒绝处理；请解开外层后提交")
    wanted = ctx.members
    if wanted is not None:
        wanted.offer(label, name, data, (*ctx.member_numbers, number))
    if is_image(data):
        return [], [ExtractionIssue(IMAGE_MEMBER, label, IMAGE_MESSAGE.format(what=what), Severity.REVIEW)]
    try:
        return ctx.member(data, name, label, label, number)
    except LimitExceeded:
        raise
    except ExtractionError as exc:
        if strict:
            raise type(exc)(f"{what}中第 {number} 个部分无法审查：{exc.message}") from exc
        return [], [ExtractionIssue("part_unreadable", label, f"{what}中第 {number} 个部分无法读取：{exc.message}；需人工核对")]
