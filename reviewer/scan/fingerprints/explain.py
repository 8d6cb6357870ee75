"""What a person reads about registered documents: the finding's explanation (document label, paragraph,
similarity; never registered text), the rule's Chinese title and message, the public share of a registration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    rule: int  # the caller's rule index
    start: int
    end: int
    label: str
    paragraph: int
    similarity: float
    matches: int

    @property
    def explanation(self) -> str:
        pct = int(self.similarity * 100 + 0.5)
        return f"与登记文件“{self.label}”第{self.paragraph}段高度相似（相似度 {pct}%）"



DEFAULT_MESSAGE = "与登记的内部或涉密文件高度相似，疑似摘抄，请核对来源"


def fingerprint_title(labels: Sequence[str]) -> str:
    """The Chinese title `rules check` requires: the kind and, for a few documents, their labels."""
    shown = "、".join(labels[:3])
    more = f"等 {len(labels)} 份" if len(labels) > 3 else ""
    return f"登记文件比对（{shown}{more}）" if shown else "登记文件比对"




def public_share_text(share: float | None) -> str:
    """"公开部分 12%" for a registration whose selections were partly found in public text (None: not measured)."""
    if share is None:
        return "公开部分未测"
    return f"公开部分 {int(share * 100 + 0.5)}%"
