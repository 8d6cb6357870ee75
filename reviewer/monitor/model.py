"""What the monitor is handed (approved versions), what it fetches and what it reports. No database here: the
workflow layer reads the unit's approved and released versions and hands them over as `Approved`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reviewer.scan.model import Finding, Verdict


class Status(StrEnum):
    SIGNED = "signed"
    CHANGED = "changed"
    UNSIGNED = "unsigned"
    UNREADABLE = "unreadable"


STATUS_LABEL = {
    Status.SIGNED: "与签署版本一致",
    Status.CHANGED: "签署后被改动",
    Status.UNSIGNED: "未经审查签署",
    Status.UNREADABLE: "无法完整读取",
}
KIND_LABEL = {"page": "网页", "attachment": "附件"}


@dataclass(frozen=True, slots=True)
class Approved:
    """One approved (or released) version of the unit: what was signed, by whom, and where the CMS said it went."""

    item_id: int
    title: str
    file_name: str
    content: bytes
    content_sha256: str
    urls: tuple[str, ...] = ()  # URLs reported with /released
    external_id: str = ""
    version: int = 1
    signers: tuple[str, ...] = ()
    approved_at: str = ""


@dataclass(slots=True)
class Fetched:
    """One GET as the monitor got it. `error` set: not read completely (the resource is `unreadable`)."""

    url: str
    status: int = 0
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    error: str | None = None
    final_url: str = ""
    seconds: float = 0.0


@dataclass(slots=True)
class Difference:
    """One stretch where the live content differs from the signed version (normalised text)."""

    op: str  # replace | delete | insert
    signed: str
    live: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "signed": self.signed, "live": self.live}


@dataclass(slots=True)
class Resource:
    url: str
    kind: str  # page | attachment
    status: Status
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    item_id: int | None = None
    reason: str = ""
    title: str = ""
    differences: list[Difference] = field(default_factory=list)
    live_text: str = ""  # main content as read (evidence for the officer's page)
    signed_text: str = ""
    signers: tuple[str, ...] = ()
    sha256: str = ""
    rendered: bool = False
    linked_from: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "kind": self.kind,
            "status": str(self.status),
            "item_id": self.item_id,
            "verdict": str(self.verdict),
            "findings": [f.to_dict() for f in self.findings],
            "reason": self.reason,
            "title": self.title,
            "difference": [d.to_dict() for d in self.differences],
            "signers": list(self.signers),
            "rendered": self.rendered,
        }


@dataclass(slots=True)
class Report:
    resources: list[Resource] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # same-origin pages past --max-pages
    robots: list[str] = field(default_factory=list)  # Chinese notes on each origin's robots.txt
    rules_version: str = ""
    started_at: str = ""
    finished_at: str = ""

    def summary(self) -> dict[str, int]:
        out = {"pages": 0, "attachments": 0, "signed": 0, "changed": 0, "unsigned": 0, "unreadable": 0}
        for r in self.resources:
            out["pages" if r.kind == "page" else "attachments"] += 1
            out[str(r.status)] += 1
        return out

    def exit_code(self) -> int:
        if any(r.status is Status.UNREADABLE or r.verdict is Verdict.ERROR for r in self.resources):
            return 2
        if any(r.status is not Status.SIGNED or r.verdict is not Verdict.PASS for r in self.resources):
            return 1
        return 0
