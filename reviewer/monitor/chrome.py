"""The site's chrome (header, navigation, footer, sidebars) and a page's main content.

Chrome is recognised two ways: blocks whose text repeats on several pages of the site (counted over the whole crawl),
and blocks the page itself marks as such (<header>/<nav>/<footer>/<aside>, ARIA roles, class/id names such as
`footer`, `nav`, `crumb`). The main content is what lies under the nearest common ancestor of the page's own text
(blocks found on this page only, not link lists, not marked as chrome), less the marked chrome below that ancestor and
the repeated blocks at its edges. Repeated blocks *between* the page's own text, or beside it under the same parent
(a "特此通知。" shared by many notices), stay in the content."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

from reviewer.monitor.page import Block, Page, normalise

_TITLE_SEP = re.compile(r"\s*(?:\s[-–—|｜_·]\s|[|｜_]|--|——|\s-|-\s)\s*")
_META_LABEL = re.compile(
    r"(发布时间|发布日期|发文日期|成文日期|生成日期|更新时间|日期|时间|来源|信息来源|文章来源|作者|编辑|责任编辑|审核|"
    r"浏览次数|阅读次数|浏览量|阅读量|点击数|点击量|访问量|访问次数|字号|索引号|发布机构|发文机关|发布者|主题分类|分类|"
    r"文号|主题词|有效性|体裁分类|公开方式|公开范围|所属机构)[:：]"
)
_ACTIONS = re.compile(r"(打印本页|打印|关闭窗口|关闭|返回顶部|收藏本页|分享到|分享|字号|大|中|小|默认|【|】|\[|\]|[|｜/]|:|：)")


def _key(block: Block) -> int:
    """A block's text, and whether it is a link list: an article's title as a link on the home page and the same title
    as the article's heading are not "the same block repeated" (else a retitled heading would pass as chrome)."""
    return zlib.crc32(("\x00a" if block.link_dense else "").encode() + block.norm.encode("utf-8"))


def title_segments(title: str) -> list[str]:
    return [s for s in (x.strip() for x in _TITLE_SEP.split(title)) if s]


@dataclass(slots=True)
class SiteProfile:
    """What repeats across the site's pages: block texts and <title> segments (the site's name)."""

    pages: int = 0
    blocks: Counter[int] = field(default_factory=Counter)
    title_parts: Counter[str] = field(default_factory=Counter)

    def add(self, page: Page) -> None:
        self.pages += 1
        self.blocks.update({_key(b) for b in page.blocks})
        self.title_parts.update({normalise(s) for s in title_segments(page.title_tag)})

    @property
    def threshold(self) -> int:
        return 2 if self.pages <= 6 else 3

    def common(self, block: Block) -> bool:
        return self.blocks[_key(block)] >= self.threshold

    def common_title_part(self, norm: str) -> bool:
        return self.title_parts[norm] >= self.threshold


def sentence(block: Block) -> bool:
    return len(block.norm) >= 12 and "。" in block.norm


def is_metadata(block: Block) -> bool:
    """A line about the page rather than of it: date, source, views, font size, print/close buttons."""
    norm = block.norm
    if len(norm) > 160 or "。" in norm:
        return False
    if _META_LABEL.search(norm):
        return True
    return not _ACTIONS.sub("", norm) and bool(norm)


@dataclass(slots=True)
class Region:
    """A page cut into its main content and its chrome. `candidate` is the wider view used to compare with an approved
    version (the main content plus any repeated blocks at its edges); `main` is what is scanned and shown."""

    candidate: list[Block]
    main: list[Block]
    chrome: list[Block]
    ancestor: int | None  # id of the common ancestor element
    depth: int
    shown_title: str  # the page's own heading, or <title> less the site's name ("" when it shows none)


def cut(page: Page, site: SiteProfile) -> Region:
    blocks = page.blocks
    # the page's own text: blocks not repeated on the site — and full sentences even when repeated, because the same
    # notice published under two sections (or an edited copy beside the original) is still content, not chrome
    own = [b for b in blocks if not b.link_dense and not any(b.hints) and not is_metadata(b)
           and (not site.common(b) or sentence(b))]
    if not own:
        own = [b for b in blocks if not any(b.hints) and not b.link_dense] or [b for b in blocks if not b.link_dense] or blocks
    if not own:
        return Region([], [], [], None, 0, _title_from_tag(page, site))
    prefix = list(own[0].path)
    for b in own[1:]:
        n = 0
        for x, y in zip(prefix, b.path, strict=False):
            if x != y:
                break
            n += 1
        del prefix[n:]
    depth = len(prefix)
    inside = [b for b in blocks if b.path[:depth] == tuple(prefix) and not b.hinted_below(depth)]
    candidate = [b for b in inside if not (site.common(b) and b.link_dense)]
    first = next((i for i, b in enumerate(candidate) if b in own), 0)
    last = max((i for i, b in enumerate(candidate) if b in own), default=len(candidate) - 1)
    # a repeated block beside the page's own paragraphs (same parent: the "特此通知。" closing many notices) is content
    own_parents = {b.path[-2] for b in own if len(b.path) >= 2}
    main = [b for i, b in enumerate(candidate)
            if first <= i <= last or not (site.common(b) or b.link_dense)
            or (not b.link_dense and len(b.path) >= 2 and b.path[-2] in own_parents)]
    main_ids = {id(b) for b in main}
    chrome = [b for b in blocks if id(b) not in main_ids]
    heading = next((b.text for b in main if b.heading), "")
    return Region(candidate, main, chrome, prefix[-1] if prefix else None, depth, heading or _title_from_tag(page, site))


def _title_from_tag(page: Page, site: SiteProfile) -> str:
    """<title> less the site's own name: the segments that repeat across the site's titles are dropped."""
    parts = title_segments(page.title_tag)
    own = [p for p in parts if not site.common_title_part(normalise(p))]
    if len(parts) > 1 and len(own) == len(parts):
        own = parts[:-1]  # one page only: the site's name is the last segment ("关于…的通知 - 某某市人民政府")
    return " - ".join(own)


def tag_title(page: Page, site: SiteProfile) -> str:
    return _title_from_tag(page, site)
