"""Which approved version a live resource is, if any.

A page is `signed` when an approved version's body (normalised: width and whitespace do not matter) appears whole in
the page's main content and everything else there is the signed title, site chrome (blocks repeated across the site,
link lists) or a line about the page (date, source, views, print buttons), and the title the page shows is the signed
one. A page that is mostly an approved version (most of its 8-character shingles) but differs is `changed`, as is a
page at a URL the CMS reported as released for a version whose content it no longer shows. An attachment is `signed`
only when its bytes equal an approved file. Everything else is `unsigned`."""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from reviewer.errors import ExtractionError
from reviewer.monitor.chrome import Region, SiteProfile, cut, is_metadata, sentence, tag_title
from reviewer.monitor.model import Approved, Difference, Status
from reviewer.monitor.page import Block, Page, normalise

K = 8
CHANGED_SHARE = 0.5  # share of a version's shingles a page must hold to be "mostly" that version
_MAX_POSTINGS = 50
SAMPLE = 3  # every third window of a live page is looked up (a version's share is estimated ×3)


def url_key(url: str) -> str:
    """Pages are matched by path (and query): `/x/` is `/x/index.html`; scheme and host do not matter (the CMS may
    report its own host name)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "\x00" + url  # malformed: matches no page
    path = parts.path or "/"
    for index in ("index.html", "index.htm", "index.shtml"):
        if path.endswith("/" + index):
            path = path[: -len(index)]
    return path + (f"?{parts.query}" if parts.query else "")


def _shingles(text: str, step: int = 1) -> set[int]:
    """Hashes of the text's K-character windows (Python's own string hash: one run, one process, so it is stable
    where it has to be); `step` samples every step-th window (the live page's side, for speed)."""
    if len(text) < K:
        return {hash(text)} if text else set()
    return {hash(text[i : i + K]) for i in range(0, len(text) - K + 1, step)}


@dataclass(slots=True)
class Version:
    approved: Approved
    body: str  # normalised text of what was signed
    title: str  # normalised signed title
    shingles: set[int] = field(default_factory=set)
    readable: bool = True
    draft: Page | None = None  # an HTML draft as a page: a draft submitted as a whole page carries the site's chrome

    def without_chrome(self, site: SiteProfile) -> Version | None:
        """The draft cut like a live page of this site (its main content without the chrome and the page-information
        lines such as its date), when that differs from the whole draft."""
        if self.draft is None:
            return None
        body = "".join(b.norm for b in cut(self.draft, site).candidate if not (b.link_dense or is_metadata(b)))
        return replace(self, body=body, draft=None) if body and body != self.body else None


def signed_text(item: Approved) -> tuple[str, bool, Page | None]:
    """The text of an approved draft as a reader of the page would see it (visible text; no markup, comments, scripts),
    whether it could be read, and an HTML draft's blocks."""
    from reviewer.extract import extract
    from reviewer.extract.sniff import looks_like_html

    name = item.file_name.lower()
    if name.endswith((".html", ".htm", ".shtml", ".xhtml")) or looks_like_html(item.content[:4096]):
        from reviewer.monitor.page import decode, parse

        try:
            text, encoding = decode(item.content, None)
            page = parse("", text, encoding)
        except ExtractionError:  # an approved draft that no longer reads is matched by its bytes only
            return "", False, None
        page.drop_tree()
        return "".join(b.norm for b in page.blocks), True, page
    extraction = extract(item.content, item.file_name)
    if extraction.error:
        return "", False, None
    body = [p.text for p in extraction.parts if p.location.startswith(("正文", "表格", "工作表"))]
    return normalise("".join(body or [p.text for p in extraction.parts])), True, None


class Index:
    def __init__(self, approved: list[Approved]) -> None:
        self.versions: list[Version] = []
        self.by_sha: dict[str, Approved] = {}
        self.by_url: dict[str, list[int]] = {}
        self.postings: dict[int, list[int]] = {}
        self._bare_cache: dict[int, Version | None] = {}
        for item in approved:
            self.by_sha.setdefault(item.content_sha256, item)
        for item in approved:
            body, readable, draft = signed_text(item)
            v = Version(item, body, normalise(item.title), _shingles(body), readable, draft)
            n = len(self.versions)
            self.versions.append(v)
            for url in item.urls:
                self.by_url.setdefault(url_key(url), []).append(n)
            for s in v.shingles:
                self.postings.setdefault(s, []).append(n)
        # a version's share is counted over its distinctive windows: those shared by many versions (boilerplate)
        # are not looked up, so they must not count against it either
        self.distinct = [sum(1 for s in v.shingles if len(self.postings[s]) <= _MAX_POSTINGS) or len(v.shingles)
                         for v in self.versions]

    def _bare(self, i: int, site: SiteProfile) -> Version | None:
        """A whole-page draft without the chrome, once per run (the site's profile is complete when pages are read)."""
        if i not in self._bare_cache:
            v = self.versions[i]
            self._bare_cache[i] = v.without_chrome(site) if v.readable else None
        return self._bare_cache[i]

    def attachment(self, data: bytes) -> Approved | None:
        return self.by_sha.get(hashlib.sha256(data).hexdigest())

    def _similar(self, core: str) -> list[tuple[float, int]]:
        hits: Counter[int] = Counter()
        for s in _shingles(core, SAMPLE):
            post = self.postings.get(s)
            if post and len(post) <= _MAX_POSTINGS:
                hits.update(post)
        scored = [(min(1.0, n * SAMPLE / max(1, self.distinct[i])), i) for i, n in hits.items()]
        return sorted(scored, reverse=True)[:5]

    def page(self, url: str, page: Page, region: Region, site: SiteProfile) -> Match:
        core = "".join(b.norm for b in region.candidate if not _aside(b, site))
        by_url = self.by_url.get(url_key(url), [])
        similar = self._similar(core)
        order = list(dict.fromkeys([*by_url, *(i for _s, i in similar)]))
        for i in order:
            v = self.versions[i]
            if v.readable and v.body and _signed(v, page, region, site):
                return Match(Status.SIGNED, v)
            bare = self._bare(i, site)
            if bare is not None and _signed(bare, page, region, site):
                return Match(Status.SIGNED, v)
        scored = {i: share for share, i in similar}
        bare_of: dict[int, Version] = {}
        live = _shingles(core)
        for share, i in similar:  # a whole-page draft: its share of the page, counted without its chrome
            bare = self._bare(i, site)
            if bare is not None and share < CHANGED_SHARE:
                own = _shingles(bare.body)
                better = len(own & live) / max(1, len(own))
                if better > share:
                    scored[i], bare_of[i] = better, bare
        best = max(scored.items(), key=lambda kv: kv[1], default=None)
        chosen = by_url[0] if by_url else (best[0] if best is not None and best[1] >= CHANGED_SHARE else None)
        if chosen is None:
            return Match(Status.UNSIGNED, None)
        v = bare_of.get(chosen, self.versions[chosen])
        shown = normalise(region.shown_title)
        reasons = []
        if v.title and shown and shown != v.title:
            reasons.append(f"网页显示的标题“{region.shown_title[:80]}”与签署的标题“{v.approved.title[:80]}”不同")
        if scored.get(chosen, 0.0) < CHANGED_SHARE:
            reasons.append("发布系统登记的此地址（/released）现在的内容与批准的版本大部分不同")
        else:
            reasons.append("正文与批准的版本大部分相同，但有改动")
        signed = v.body if not v.title or v.body.startswith(v.title) else v.title + v.body
        # the difference over what a reader reads as the article (repeated closing lines such as "特此通知。" included)
        live_text = "".join(b.norm for b in region.candidate if not (b.link_dense or is_metadata(b)))
        return Match(Status.CHANGED, v, "；".join(reasons), differences(signed, live_text))


def _aside(block: Block, site: SiteProfile) -> bool:
    return block.link_dense or is_metadata(block) or (site.common(block) and not block.heading and not sentence(block))


def _ignorable(piece: str, block: Block, v: Version, site: SiteProfile) -> bool:
    return not piece or piece == v.title or site.common(block) or block.link_dense or is_metadata(block)


def _signed(v: Version, page: Page, region: Region, site: SiteProfile) -> bool:
    blocks = region.candidate
    text = "".join(b.norm for b in blocks)
    body = v.body
    start = text.find(body)
    if start < 0 and v.title and body.startswith(v.title):
        body = body[len(v.title) :]
        start = text.find(body) if body else -1
    if start < 0:
        return False
    end = start + len(body)
    pos = 0
    for b in blocks:
        b_start, b_end = pos, pos + len(b.norm)
        pos = b_end
        outside = b.norm[: max(0, min(b_end, start) - b_start)] + b.norm[max(0, end - b_start) :] if b_end > start and b_start < end \
            else b.norm
        if not _ignorable(outside, b, v, site):
            return False
        if b.heading and outside and outside != v.title and v.title and not site.common(b):
            return False
    # the title in <title>, less the site's name, when the page shows one
    shown = normalise(tag_title(page, site))
    return not (v.title and shown and shown != v.title and v.title not in shown and not site.common_title_part(shown))


@dataclass(slots=True)
class Match:
    status: Status
    version: Version | None
    reason: str = ""
    differences: list[Difference] = field(default_factory=list)


def differences(signed: str, live: str, limit: int = 20, context: int = 8) -> list[Difference]:
    """Each differing stretch with `context` characters around it on both sides, so "4月1日" → "5月1日" reads as a
    date change, not as "4" → "5"."""
    out: list[Difference] = []
    matcher = difflib.SequenceMatcher(None, signed, live, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):  # changes closer than 2×context are one stretch
        ops = [g for g in group if g[0] != "equal"]
        if not ops:
            continue
        a0, a1 = max(0, ops[0][1] - context), min(len(signed), ops[-1][2] + context)
        b0, b1 = max(0, ops[0][3] - context), min(len(live), ops[-1][4] + context)
        kind = ops[0][0] if len(ops) == 1 else "replace"
        out.append(Difference(kind, signed[a0:a1][:300], live[b0:b1][:300]))
        if len(out) >= limit:
            break
    return out


def readable_text(content: bytes, file_name: str) -> str:
    """An approved draft's text as a reader sees it, one block a line (for the evidence beside the live page)."""
    from reviewer.extract import extract
    from reviewer.extract.sniff import looks_like_html

    if file_name.lower().endswith((".html", ".htm", ".shtml", ".xhtml")) or looks_like_html(content[:4096]):
        from reviewer.monitor.page import decode, parse

        try:
            text, encoding = decode(content, None)
            return "\n".join(b.text for b in parse("", text, encoding).blocks)
        except ExtractionError:  # evidence only: the match itself failed closed already
            return ""
    extraction = extract(content, file_name)
    return "" if extraction.error else "\n".join(p.text for p in extraction.parts if p.location.startswith("正文"))
