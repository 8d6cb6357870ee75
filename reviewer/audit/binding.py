"""What is signed, and how a signed statement is checked against the rows it speaks about.

- `document_sha256`: one canonical hash over the body's SHA-256 and every field a reader sees with it (title,
  channel, file name). The reviewer signs it, the receipt binds it, release-check compares it; changing any of these
  fields is a new version.
- `findings_sha256`: a digest of what the scan found (sequence, rule, severity, position — never the matched text,
  its context or locations, which can carry a term), written into the `scan` event so an edited finding row is found.
- `receipt_problems`: every way a stored receipt fails to prove that *this* row, as it is now, was approved.

Used by the workflow (release gate, sign-off) and by the verifier; imports nothing above `store`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reviewer.audit.chain import canonical_json
from reviewer.audit.keyring import Trust, trust_of
from reviewer.audit.keys import verify_with

RECEIPT_PURPOSE = "reviewer-release-receipt"
RECEIPT_FORMAT = 2
BOUND_FIELDS = ("title", "channel", "file_name")
FIELD_LABEL = {"title": "标题", "channel": "栏目", "file_name": "文件名", "content": "正文"}


def document_sha256(content_sha256: str, title: str, channel: str, file_name: str) -> str:
    body = {"v": 1, "content_sha256": content_sha256, "title": title or "", "channel": channel or "", "file_name": file_name or ""}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def body_sha256_of(item: Any, purged: bool = False) -> str:
    """The body's SHA-256 recomputed from the stored bytes. For an item whose content was purged by the retention
    purge (`purged`: the review log's purge event says so; workflow.retention), the bytes are gone on purpose and the
    recorded hash stands in for them — only when the stored body is really empty."""
    if purged and not item.content:
        return str(item.content_sha256)
    return hashlib.sha256(item.content).hexdigest()


def document_sha256_of(item: Any, purged: bool = False) -> str:
    """Recomputed from the row's own fields and its stored bytes (not from the stored hash columns)."""
    return document_sha256(body_sha256_of(item, purged), item.title, item.channel, item.file_name)


def findings_sha256(findings: Iterable[Any]) -> str:
    rows = sorted([int(f.seq), str(f.rule), str(f.severity), int(f.start), int(f.end)] for f in findings)
    return hashlib.sha256(canonical_json(rows).encode("utf-8")).hexdigest()


def row_problems(item: Any) -> list[str]:
    """The stored hashes no longer describe the stored bytes and fields (a row edited in the database)."""
    problems = []
    if getattr(item, "purged_at", None) is not None:
        return ["稿件内容已按保存期限清除"]
    if hashlib.sha256(item.content).hexdigest() != item.content_sha256:
        problems.append("稿件正文与其记录的 SHA-256 不一致（正文在数据库中被改动）")
    if item.document_sha256 and document_sha256_of(item) != item.document_sha256:
        problems.append("稿件的标题、栏目、文件名或正文与其记录的稿件哈希不一致（在数据库中被改动）")
    return problems


def receipt_problems(
    keys: Ed25519PublicKey | Trust, receipt: Any, item: Any, unit_code: str, signers: list[str] | None = None,
    purged: bool = False, check_trust: bool = True,
) -> list[str]:
    """Empty when the receipt's signature verifies and its payload binds exactly this item as it is stored now.
    `keys`: the receipt keys (audit.keyring: the one named by the receipt's key id, trusted for its date) or one
    pinned public key. `signers`: usernames of the approving reviews in the database (checked when given)."""
    trust = keys if isinstance(keys, Trust) else trust_of(keys)
    public = trust.public(str(receipt.key_id))
    if public is None or not verify_with(public, receipt.payload, receipt.signature):
        if public is None and trust.get(str(receipt.key_id)) is None:
            return [f"发布回执的签名密钥 {receipt.key_id} 不在密钥登记册中（回执被伪造，或由被替换的密钥签出）"]
        return ["发布回执的签名无法用签名公钥验证（回执被伪造或改动）"]
    try:
        body = json.loads(receipt.payload)
    except ValueError:
        return ["发布回执内容不是有效的 JSON"]
    if not isinstance(body, dict):
        return ["发布回执内容格式不对"]
    distrust = receipt_distrust(trust, receipt, body)
    if distrust and (check_trust or "泄露" not in distrust):
        return [distrust]
    if body.get("purpose") != RECEIPT_PURPOSE or body.get("format") != RECEIPT_FORMAT:
        return ["发布回执为旧格式（未绑定标题、栏目与文件名），不能作为发布依据；请将稿件重新提交审查"]
    problems = []
    expected = {
        "item_id": item.id, "external_id": item.external_id, "unit": unit_code, "version": item.version,
        "content_sha256": body_sha256_of(item, purged), "document_sha256": document_sha256_of(item, purged),
        "title": item.title, "channel": item.channel, "file_name": item.file_name,
    }
    labels = {"item_id": "稿件编号", "external_id": "外部编号", "unit": "单位", "version": "版本", "content_sha256": "正文哈希",
              "document_sha256": "稿件哈希", **FIELD_LABEL}
    wrong = [labels[k] for k, v in expected.items() if body.get(k) != v]
    if wrong:
        problems.append(f"发布回执所签的{'、'.join(wrong)}与数据库中的稿件不一致")
    if receipt.key_id != body.get("key_id"):
        problems.append("发布回执的密钥编号与其签名内容不一致")
    if signers is not None:
        signed = [str(s.get("username")) for s in body.get("signers") or [] if isinstance(s, dict)]
        if sorted(signed) != sorted(signers):
            problems.append("发布回执所列签署人与数据库中的批准记录不一致")
    return problems


def receipt_distrust(trust: Trust, receipt: Any, body: dict[str, Any] | None = None) -> str | None:
    """Why a receipt whose signature verifies is still not trusted (its key was compromised, or retired, before it
    was issued), or None."""
    if body is None:
        try:
            body = json.loads(receipt.payload)
        except ValueError:
            return None
    problem = trust.problem(str(receipt.key_id), body.get("issued_at") if isinstance(body, dict) else None)
    return f"发布回执不可信：{problem}" if problem else None


HIDDEN = "（含命中内容，您的角色不可见）"
# The admin sees no title, channel or file name of any draft: masking only those that hold a finding would tell which
# names are listed (an oracle), and showing them would show the terms in them (issue 17).
ADMIN_HIDDEN = "（管理员不可见）"
ADMIN_HIDDEN_FIELDS = ("title", "channel", "file_name")
METADATA_LOCATION = {"标题": "title", "栏目": "channel", "文件名": "file_name"}


def hidden_metadata(item: Any) -> set[str]:
    """Metadata fields of the item that hold a finding: their text would show the term to a redacted viewer."""
    return {METADATA_LOCATION[f.location] for f in item.findings if f.location in METADATA_LOCATION}


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|'[^']*'|‘[^’]*’|「[^」]*」|《[^》]*》")
_PAREN = re.compile(r"（[^（）]*）|\([^()]*\)")
_PATHLIKE = re.compile(r"[\w.\-]*[/\\][\w./\\\-]*|[\w\-]+\.[A-Za-z0-9]{1,8}\b")


def public_reason(reason: str | None) -> str:
    """A scan error without anything that may quote the draft: quoted names (embedded files, parts, sheets), the
    parenthesised exception text and anything path-like are dropped. For the review log and for publishers; the
    reviewers of the unit and the auditors see the full reason on the item."""
    if not reason:
        return ""
    text = _QUOTED.sub("“…”", reason)
    for _ in range(3):
        text = _PAREN.sub("", text)
    text = _PATHLIKE.sub("…", text)
    return text[:300]
