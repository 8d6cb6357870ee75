"""The data model. One item = one version of one draft. Audit events are append-only and hash-chained.

Owned by the pipeline (store/workflow); the pages and audit code read it. Keep changes additive and
add an Alembic migration for each change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


# Roles a user can have. A publishing-system (CMS) client is a token bound to a unit with role `publisher`.
ROLES = ("publisher", "reviewer", "officer", "auditor", "admin")
ROLE_LABEL = {"publisher": "发布系统/信息发布员", "reviewer": "审查员", "officer": "保密员", "auditor": "审计员", "admin": "管理员"}

# Item states.
QUEUED = "queued"
SCANNING = "scanning"
AWAITING_REVIEW = "awaiting_review"
AWAITING_OFFICER = "awaiting_officer"  # unit reviewer approved an item with block findings; the secrecy officer must co-sign
SCAN_FAILED = "scan_failed"
APPROVED = "approved"
REJECTED = "rejected"
RETURNED = "returned"
SUPERSEDED = "superseded"
RELEASED = "released"
STATES = (QUEUED, SCANNING, AWAITING_REVIEW, AWAITING_OFFICER, SCAN_FAILED, APPROVED, REJECTED, RETURNED, SUPERSEDED, RELEASED)
STATE_LABEL = {
    QUEUED: "排队待扫描",
    SCANNING: "扫描中",
    AWAITING_REVIEW: "待审查",
    AWAITING_OFFICER: "待保密员复核",
    SCAN_FAILED: "扫描失败（不得批准）",
    APPROVED: "已批准",
    REJECTED: "不予发布",
    RETURNED: "退回修改",
    SUPERSEDED: "已被新版本取代",
    RELEASED: "已发布",
}


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # "revise": block findings must be revised, never approved (default); "officer": approvable with a secrecy officer's co-sign.
    block_policy: Mapped[str] = mapped_column(String(16), default="revise")
    # A draft whose author is unknown (no CMS author id, or one mapped to no account): "officer" (default) — the
    # secrecy officer co-signs after the reviewer; "reviewer" — one reviewer may approve (an administrator's explicit,
    # logged choice for a CMS that cannot send author ids yet; names are still compared). accounts/identity.py.
    unknown_author: Mapped[str] = mapped_column(String(16), default="officer", server_default="officer")
    callback_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    callback_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Publishing systems of this unit may see how many findings of each severity a scan had (opt-in; never the
    # findings themselves: positions, rule ids and matched text would reveal the term list).
    publisher_counts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The built-in expression pack (rules/expressions/, 严重表述错误) applies to this unit's drafts (default on).
    expression_checks: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Login throttling (accounts/throttle.py): consecutive failures and the end of a temporary lockout.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unit: Mapped[Unit] = relationship()


class CmsAccount(Base):
    """Which reviewer account a publishing system's (CMS) author id belongs to (accounts/identity.py).
    `cms_key` is the normalised id (NFKC, case-folded, without spaces or invisible characters), unique per unit."""

    __tablename__ = "cms_accounts"
    __table_args__ = (UniqueConstraint("unit_id", "cms_key", name="uq_cms_account"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    cms_id: Mapped[str] = mapped_column(String(200))
    cms_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[User] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token; the token itself is never stored
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a token in lists
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: a publishing-system client
    client_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # None only for old tokens
    unit: Mapped[Unit] = relationship()
    user: Mapped[User | None] = relationship()


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("unit_id", "external_id", "version", name="uq_item_version"),
        Index("ix_items_state", "state"),
        Index("ix_items_unit_state", "unit_id", "state"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(200), default="")  # 栏目
    author: Mapped[str] = mapped_column(String(200), default="")  # name of the drafter as the CMS shows it (display only)
    # The drafter's stable account id in the CMS; mapped to a reviewer account by cms_accounts (no self-approval).
    author_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    file_name: Mapped[str] = mapped_column(String(300), default="content.txt")
    content: Mapped[bytes] = mapped_column(LargeBinary)  # exactly what was submitted
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Canonical hash over the body hash and every field a reader sees (title, channel, file name): what the
    # reviewer signs, the receipt binds and release-check compares (audit.binding.document_sha256).
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(32), default=QUEUED)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rules_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scan_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    encoding: Mapped[str | None] = mapped_column(String(32), nullable=True)
    block_count: Mapped[int] = mapped_column(Integer, default=0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    info_count: Mapped[int] = mapped_column(Integer, default=0)
    scan_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A running scan's lease, renewed while the scan runs; the sweeper does not re-send an item whose lease holds.
    scan_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    # Set by the retention purge (workflow.retention): content, page images and finding texts are gone; the hashes
    # stay. The pages show 已按保存期限清除; verify trusts the purge event in the log, not this column.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unit: Mapped[Unit] = relationship()
    findings: Mapped[list[Finding]] = relationship(back_populates="item", order_by="Finding.seq")
    reviews: Mapped[list[Review]] = relationship(back_populates="item", order_by="Review.id")


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("item_id", "seq", name="uq_finding_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # position in the scan result; makes re-recording idempotent
    rule: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="")
    severity: Mapped[str] = mapped_column(String(16))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    match: Mapped[str] = mapped_column(Text, default="")  # the matched text: reviewers and auditors only, never publishers
    context: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)  # rendered page (render check findings)
    box: Mapped[str | None] = mapped_column(String(64), nullable=True)  # "[x0, y0, x1, y1]" in that page image's pixels
    suggestion: Mapped[str] = mapped_column(Text, default="", server_default="")  # 规范表述 of an expression finding
    item: Mapped[Item] = relationship(back_populates="findings")


class Review(Base):
    """One sign-off (一事一审): a named person's decision on one item version, bound to its content hash and rule set."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(16), default="unit")  # "unit" or "officer"
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject | return
    comment: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # body + title, channel, file name
    rules_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # withdrawn by its signer before release (workflow.withdraw): the row stays, it no longer counts as a signature
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    item: Mapped[Item] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
    dispositions: Mapped[list[Disposition]] = relationship(back_populates="review")


class Disposition(Base):
    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("review_id", "finding_id", name="uq_disposition"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"))
    disposition: Mapped[str] = mapped_column(String(16))  # must_fix | public_ok | false_positive (old rows: confirmed)
    reason: Mapped[str] = mapped_column(Text, default="")
    review: Mapped[Review] = relationship(back_populates="dispositions")
    finding: Mapped[Finding] = relationship()


class Receipt(Base):
    """Signed release receipt (Ed25519) over item id, version, content SHA-256, rule-set version, signers and time."""

    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON that was signed
    signature: Mapped[str] = mapped_column(String(200))  # base64
    key_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallbackDelivery(Base):
    __tablename__ = "callback_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    url: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Alert(Base):
    """Post-release alert: a released item re-scanned under newer rules has new block/review findings (take-down candidate)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: an alert of the website monitor about a page no approved version matches (monitor_result_id says which)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True, nullable=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    rules_version: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    monitor_result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # an alert of the website monitor


class AuditEvent(Base):
    """Append-only, hash-chained. `hash` = sha256(prev_hash + canonical JSON of this row's fields).
    There is no update or delete path anywhere in the code."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # 1, 2, 3 … without gaps
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")  # username, `client:<name>`, `system`, `worker`
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    unit_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON; never matched terms or draft text
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement "the review log had head `hash` at event `seq`" (audit.checkpoints). The copy that counts is
    the one in the operator's external sinks; this row only remembers when the last one was made and whether every
    sink has it (`delivered_at`), so a failed delivery is retried."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    line: Mapped[str] = mapped_column(Text)  # the signed JSON line written to the sinks
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ItemClaim(Base):
    """Who has an item open for signing (a soft claim that runs out): a second signer sees who is working on it."""

    __tablename__ = "item_claims"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship()


class Delegation(Base):
    """While `absent` is away, the secrecy officer lets `delegate` (a reviewer of the same unit) sign as `role` from
    starts_at until ends_at (workflow.delegation). Revoking ends it early; rows are never deleted."""

    __tablename__ = "delegations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    absent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    absent: Mapped[User] = relationship(foreign_keys=[absent_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])


class WebSession(Base):
    """Server-side login session of the pages. The cookie holds a random id; only its hash is stored.
    A new id is issued at every login (no session fixation)."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute timeout
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # idle timeout
    user: Mapped[User] = relationship()


class RenderCheck(Base):
    """The render check of one item (reviewer.render via workflow.render_check): pending → done | failed.
    Approval waits for `done`; `pages_sha256` (sha256 over the page images' hashes) is bound by sign-off and receipt."""

    __tablename__ = "render_checks"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    kind: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    page_hashes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, page order
    pages_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Taken by a render task (workflow/fairshare.py): no other task claims the check until the lease runs out.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RenderPage(Base):
    """One rendered page image (PNG) of an item, as the reviewer sees it."""

    __tablename__ = "render_pages"
    __table_args__ = (UniqueConstraint("item_id", "page", name="uq_render_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    ocr: Mapped[str] = mapped_column(Text, default="")  # why the page was read by OCR ("" = text layer only)
    label: Mapped[str] = mapped_column(Text, default="")  # an archive member's page: `压缩包“a.zip” › b.pdf · 第1页`
    # the visible text the check scanned (render.check.visible_record, JSON; "" before 0016 or after a purge): what a
    # re-scan under new rules reads of the page
    visible: Mapped[str] = mapped_column(Text, default="", server_default="")


class FingerprintSet(Base):
    """Registered documents (docs/fingerprints.md): one fingerprint rule, registered on the running system. `data` is
    the rule's data file (keyed hashes and (document, paragraph) numbers only, never text); `secret` is its AES key
    (needed to scan; shown to nobody); `documents` is JSON [{label, paragraphs}] — the names reviewers see."""

    __tablename__ = "fingerprint_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default="block")
    message: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[str] = mapped_column(Text, default="[]")
    document_count: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    data_sha256: Mapped[str] = mapped_column(String(64))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Whose drafts it scans and who sees its names (workflow/scopes.py): "unit:CODE", "group:NAME", or NULL — every
    # unit (registrations made before scopes existed without a known registering unit).
    scope: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Retired (停用, workflow/fingerprints.retire): kept and listed, but no longer scans anything.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retired_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class MonitorSite(Base):
    """A unit's public website for the 巡检 (reviewer.monitor): start URLs and how often the schedule runs it."""

    __tablename__ = "monitor_sites"
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    urls: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of start URLs
    every_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: not scheduled
    max_pages: Mapped[int] = mapped_column(Integer, default=2000)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MonitorRun(Base):
    """One 巡检 run: when, under which rules, and the counts (running → done | failed)."""

    __tablename__ = "monitor_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")  # schedule | cli | manual
    state: Mapped[str] = mapped_column(String(16), default="running")
    urls: Mapped[str] = mapped_column(Text, default="[]")
    rules_version: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    attachments: Mapped[int] = mapped_column(Integer, default=0)
    signed: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unsigned: Mapped[int] = mapped_column(Integer, default=0)
    unreadable: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)  # resources not signed-and-passing
    external: Mapped[str] = mapped_column(Text, default="[]")
    not_checked: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MonitorResult(Base):
    """One resource of a run, with its evidence: the live main content, the difference from the signed version and
    the findings (reviewers, officers and auditors only). `handled_*`: the officer's handling, logged."""

    __tablename__ = "monitor_results"
    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_monitor_result_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("monitor_runs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="[]")
    differences: Mapped[str] = mapped_column(Text, default="[]")
    live_text: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    handled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RuleScope(Base):
    """A rule scope (workflow/scopes.py, docs/rules.md): the organisation's rule directories that apply only to the
    drafts of some units. kind "unit": one unit's own rule sets (name "unit:CODE"); kind "group": rule sets shared by
    a named group of units (name "group:NAME"). `rule_dirs` and `units` are JSON lists (paths; unit codes)."""

    __tablename__ = "rule_scopes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    rule_dirs: Mapped[str] = mapped_column(Text, default="[]")
    units: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QueueTurn(Base):
    """When a unit was last served by a queue lane (workflow/fairshare.py): a queue task takes the waiting draft of the
    unit served least recently, so one unit's hundred drafts cannot hold another unit's draft behind them."""

    __tablename__ = "queue_turns"
    lane: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    served: Mapped[int] = mapped_column(BigInteger, default=0)  # the lane's turn counter at the last claim
    served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
