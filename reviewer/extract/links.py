"""What a link says: its path and query as written, percent-decoded as UTF-8 and as GBK (Chinese sites still encode
query strings in GBK), `mailto:` subjects and bodies; and Markdown as a reader sees it rendered (numeric character
references decoded, inline tags and comments removed, link targets read)."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote_to_bytes

from reviewer.extract.limits import Budget
from reviewer.extract.model import TextPart
from reviewer.extract.parts import PartBuilder

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


_DELIMS = re.compile(r"([/?&=#;:,])")


def _piece(raw: str) -> str:
    """One component percent-decoded: UTF-8 when its bytes are UTF-8, else GBK (GB18030), else left as written."""
    if not _PERCENT.search(raw):
        return raw
    data = unquote_to_bytes(raw)
    for codec in ("utf-8", "gb18030"):  # UTF-8 first: UTF-8 bytes also decode as GB18030, wrongly
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw


def link_texts(url: str) -> list[str]:
    """The readings of one link target beyond itself (empty when it says nothing more): each component of its path
    and query percent-decoded on its own (a UTF-8 path and a GBK query in one link), `+` read as a space in the
    query; for `mailto:` the subject and body so decoded."""
    url = html.unescape(url.strip())
    if not _PERCENT.search(url) and "+" not in url:
        return []
    path, mark, query = url.partition("?")
    decoded = "".join(_piece(p) for p in _DELIMS.split(path))
    if mark:
        decoded += "?" + "".join(_piece(p) for p in _DELIMS.split(query.replace("+", " ")))
    return [decoded] if decoded != url else []


def link_text(url: str) -> str:
    """The link as written, then each reading of it, one per line (what is scanned for a link)."""
    return "\n".join([url.strip(), *link_texts(url)])


# ---------------------------------------------------------------------------------------------------- Markdown
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# possessive quantifiers: a run of spaces is never re-split between the optional title and the closing bracket; the
# link text, target and title are bounded (a line of `\[\[\[…` would otherwise be re-read from every bracket: quadratic)
_INLINE_LINK = re.compile(
    r"!?\[((?:[^\[\]\\]|\\.){0,300}+)\]\(\s*+<?([^\s()<>\[\]]{0,2000}+)>?(?:\s++(\"[^\"]{0,500}+\"|'[^']{0,500}+'|\([^)]{0,500}+\)))?\s*+\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]++\]:[ \t]*+<?([^\s>]++)>?(?:[ \t]++(\"[^\"\n]*+\"|'[^'\n]*+'|\([^)\n]*+\)))?[ \t]*+$",
                     re.M)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|file):[^\s<>]+)>", re.I)
_HREF = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`)")


def rendered_markdown(text: str) -> str:
    """The text a Markdown viewer shows: comments and inline tags removed, `[text](url)` as its text, character
    references and backslash escapes decoded, emphasis markers dropped (so 机**密** reads 机密)."""
    shown = _COMMENT.sub("", text)
    shown = _INLINE_LINK.sub(lambda m: m.group(1), shown)
    shown = _AUTOLINK.sub(lambda m: m.group(1), shown)
    shown = _TAG.sub("", shown)
    shown = _ESCAPE.sub(lambda m: m.group(1), shown)
    shown = _EMPHASIS.sub("", shown)
    return html.unescape(shown)


def markdown_parts(text: str, budget: Budget) -> list[TextPart]:
    """Markdown places beyond the raw text (which is scanned as `正文`): each rendered line that differs from its
    source (`Markdown显示文字 第L行`), and every link target with its decoded readings (`Markdown链接 第L行`)."""
    shown = PartBuilder("Markdown显示文字", budget)
    raw_lines = text.splitlines()
    rendered = rendered_markdown(text).splitlines()
    if len(rendered) == len(raw_lines):
        for n, (raw, line) in enumerate(zip(raw_lines, rendered, strict=True), 1):
            if line.strip() and line != raw:
                shown.add(f"Markdown显示文字 第{n}行", line)
    else:  # a comment spanning lines joins them: the rendered lines that are not a source line as they stand
        source = {line.strip() for line in raw_lines}
        for line in rendered:
            if line.strip() and line.strip() not in source:
                shown.add("Markdown显示文字", line)
    links = PartBuilder("Markdown链接", budget)
    for n, line in enumerate(raw_lines, 1):
        targets = [m.group(2) for m in _INLINE_LINK.finditer(line)] + [m.group(1) for m in _AUTOLINK.finditer(line)]
        targets += [m.group(1) for m in _REF_DEF.finditer(line)]
        targets += [m.group(1) or m.group(2) or "" for m in _HREF.finditer(line)]
        titles = [m.group(3)[1:-1] for m in _INLINE_LINK.finditer(line) if m.group(3)]
        titles += [m.group(2)[1:-1] for m in _REF_DEF.finditer(line) if m.group(2)]
        readings = [t for url in targets for t in link_texts(url)] + [html.unescape(t) for t in titles]
        if readings:
            links.add(f"Markdown链接 第{n}行", "\n".join(dict.fromkeys(readings)))
    return [p for p in (shown.build(), links.build()) if p]
