"""What the render check returns: the pages as a reader sees them, the visible text read from them, the findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.scan.model import Finding

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the page image's pixels (origin top left)


def union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass(slots=True)
class Line:
    """One visual line of a page, left to right. `boxes[i]` is the box of `text[i]`.
    `source` is "text" (the renderer's own text layer) or "ocr" (read from the pixels)."""

    text: str
    boxes: list[Box]
    source: str
    score: float = 1.0

    @property
    def box(self) -> Box:
        return union(self.boxes)


@dataclass(slots=True)
class RenderedPage:
    number: int  # 1-based, over the whole draft (an archive's members' pages are numbered on)
    width: int
    height: int
    png: bytes
    sha256: str
    lines: list[Line] = field(default_factory=list)
    ocr: str = ""  # why the page was read by OCR ("" = not read), in Chinese
    member: str = ""  # an archive member's page: the member's location, `压缩包“附件.zip” › 通知.pdf` ("" = the draft's own)
    member_page: int = 0  # … and the page's number within that member
    visible: str = ""  # the visible text the check scanned (check.visible_record), for re-scans under new rules

    @property
    def where(self) -> str:
        """The page as locations name it: `第2页`, or `压缩包“附件.zip” › 通知.pdf · 第2页` for a member's page."""
        return f"{self.member} · 第{self.member_page}页" if self.member else f"第{self.number}页"


@dataclass(slots=True)
class RenderReport:
    kind: str  # "pdf" | "office" | "html" | "image" | "archive"
    pages: list[RenderedPage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # set: the rendering could not be checked completely (fail closed)
    seconds: float = 0.0

    @property
    def page_hashes(self) -> list[str]:
        return [p.sha256 for p in self.pages]

    def summary(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "error": self.error,
            "seconds": round(self.seconds, 2),
            "pages": [{"page": p.number, "width": p.width, "height": p.height, "sha256": p.sha256, "ocr": p.ocr,
                       **({"location": p.where} if p.member else {})} for p in self.pages],
        }
