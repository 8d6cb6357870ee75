"""Who could sign, under which policy, with which credential: replayed from the review log alone.

`reviewer audit verify` (audit.verify) feeds every event here in order. What a database writer could change to make
a sign-off pass — the author id of the draft, a unit's policy, a person's role, a token or a CMS-id link — is
rebuilt from the events that recorded each legitimate change, and every sign-off event is checked against that
replay *at its moment*:

- every scan's rule-set version was logged (`rules_loaded`, workflow.rulelog) before the scan, once versions are logged;
- its credential (token or web session) was issued to the signer by a logged event and not revoked before;
- the signer's role then (user_created / user_role_changed) was a signing role, and the account was active; a
  delegated signature (委托代签) names a delegation an officer set (delegation_set) for this signer, in force then;
- the unit policy it records (block_policy, unknown_author) is the one the log says was in force;
- the author id it relied on is the one submitted, the account it mapped to is the one the logged links give, and
  the identity decision (other author / unknown / unknown accepted by policy) is the one the replay recomputes;
  an author never approves their own draft, and an unknown author's draft needs the officer when policy says so.

Then the rows as they are now must equal the replay: units' policies, users' roles and active flags, API tokens,
CMS-id links and each item's author id. Events written before these fields existed are skipped field by field."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.store.models import ApiToken, CmsAccount, Item, Unit, User

SIGNING_ROLES = ("reviewer", "officer")
TOKEN_ENDERS = ("user_deactivated", "user_role_changed", "password_reset")
RULE_USERS = ("scan", "scan_failed", "rescan", "alert")  # events that record the rule-set version a scan used


def _sha(value: str) -> str:
    return hashlib.sha256((value or "").encode("utf-8")).hexdigest()


@dataclass(slots=True)
class _Person:
    username: str
    role: str
    active: bool = True


@dataclass(slots=True)
class _Delegated:
    unit_code: str
    delegate_id: int
    role: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None = None


def _utc(at: Any) -> datetime | None:
    try:
        t = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(slots=True)
class Replay:
    policies: dict[str, dict[str, str]] = field(default_factory=dict)  # unit code -> policy
    people: dict[int, _Person] = field(default_factory=dict)
    tokens: dict[int, tuple[int | None, int]] = field(default_factory=dict)  # token id -> (user id, seq issued)
    tokens_ended: dict[int, int] = field(default_factory=dict)  # token id -> seq revoked
    user_tokens_ended: dict[int, int] = field(default_factory=dict)  # user id -> last seq all their tokens ended
    sessions: dict[int, int] = field(default_factory=dict)  # web session id -> user id (login events)
    by_name: dict[str, int] = field(default_factory=dict)  # username -> user id
    links: dict[tuple[str, str], int] = field(default_factory=dict)  # (unit code, cms key sha256) -> user id
    link_rows: set[int] = field(default_factory=set)
    old_links: int = 0  # cms_id_linked events from before the key digest was recorded
    submitted: dict[int, dict[str, Any]] = field(default_factory=dict)  # item id -> submit data
    blocks: dict[int, int] = field(default_factory=dict)  # item id -> block findings per the scan/render events
    rule_versions: set[str] = field(default_factory=set)  # every rules_loaded version so far
    delegations: dict[int, _Delegated] = field(default_factory=dict)  # delegation id -> as set by the officer
    problems: list[str] = field(default_factory=list)

    def feed(self, ev: Any, data: dict[str, Any]) -> None:
        action = ev.action
        if action == "unit_created":
            self.policies[ev.unit_code] = {"block_policy": str(data.get("block_policy", "revise")),
                                           "unknown_author": str(data.get("unknown_author", "officer"))}
        elif action == "unit_updated":
            policy = self.policies.setdefault(ev.unit_code, {"block_policy": "revise", "unknown_author": "officer"})
            for key in ("block_policy", "unknown_author"):
                if key in data:
                    policy[key] = str(data[key])
        elif action == "user_created" and "user_id" in data:
            self.people[int(data["user_id"])] = _Person(str(data.get("username", "")), str(data.get("role", "")))
            self.by_name[str(data.get("username", ""))] = int(data["user_id"])
        elif action == "user_role_changed" and int(data.get("user_id", 0)) in self.people:
            self.people[int(data["user_id"])].role = str(data.get("to", ""))
        elif action == "user_deactivated" and int(data.get("user_id", 0)) in self.people:
            self.people[int(data["user_id"])].active = False
        elif action == "token_created" and "token_id" in data:
            uid = data.get("user_id")
            self.tokens[int(data["token_id"])] = (int(uid) if uid is not None else None, ev.seq)
        elif action == "token_revoked" and "token_id" in data:
            self.tokens_ended.setdefault(int(data["token_id"]), ev.seq)
        elif action == "token_rotated" and "token_id" in data and not data.get("grace_minutes"):
            self.tokens_ended.setdefault(int(data["token_id"]), ev.seq)
        elif action == "login" and data.get("session_id") is not None:
            uid = self.by_name.get(ev.actor)
            if uid is not None:
                self.sessions[int(data["session_id"])] = uid
        elif action == "cms_id_linked" and "cms_key_sha256" in data:
            self.links.setdefault((ev.unit_code, str(data["cms_key_sha256"])), int(data.get("user_id", 0)))
            if "cms_account_id" in data:
                self.link_rows.add(int(data["cms_account_id"]))
        elif action == "cms_id_linked":
            self.old_links += 1
        elif action == "submit" and ev.item_id is not None:
            self.submitted[ev.item_id] = data
        elif action == "scan" and ev.item_id is not None:
            self.blocks[ev.item_id] = int((data.get("counts") or {}).get("block", 0))
        elif action == "render_check" and ev.item_id is not None and "counts" in data:
            self.blocks[ev.item_id] = int((data.get("counts") or {}).get("block", 0))
        if action == "rules_loaded" and data.get("rules_version"):
            self.rule_versions.add(str(data["rules_version"]))
        elif action in RULE_USERS and self.rule_versions and data.get("rules_version") \
                and str(data["rules_version"]) not in self.rule_versions:
            self.problems.append(f"第 {ev.seq} 号事件（稿件 {ev.item_id}，{action}）使用的规则集版本 {data['rules_version']} "
                                 "在此之前没有登记（规则文件被临时改动后扫描，或日志被改动）")
        if action == "delegation_set" and "delegation_id" in data:
            self._delegation_set(ev, data)
        elif action == "delegation_revoked" and int(data.get("delegation_id", 0)) in self.delegations:
            self.delegations[int(data["delegation_id"])].revoked_at = _utc(ev.at)
        if action in TOKEN_ENDERS and "user_id" in data:
            self.user_tokens_ended[int(data["user_id"])] = ev.seq
        if action in ("sign_off", "approve", "officer_sign_off", "reject", "return") and "signer_id" in data:
            self._sign_off(ev, data)

    def _delegation_set(self, ev: Any, data: dict[str, Any]) -> None:
        setter = self.people.get(self.by_name.get(ev.actor, -1))
        starts, ends = _utc(data.get("starts_at")), _utc(data.get("ends_at"))
        if setter is None or setter.role != "officer":
            self.problems.append(f"第 {ev.seq} 号事件（设置委托代签）：设置人 {ev.actor} 按审查日志不是保密员，委托无效")
            return
        if starts is None or ends is None:
            self.problems.append(f"第 {ev.seq} 号事件（设置委托代签）：委托期间无法识别")
            return
        self.delegations[int(data["delegation_id"])] = _Delegated(ev.unit_code, int(data.get("delegate_id", 0)),
                                                                  str(data.get("role", "")), starts, ends)

    def _delegated_role(self, ev: Any, data: dict[str, Any], signer: int | None) -> str | None:
        """The role a delegation gave the signer at the time of this event (None: no delegation claimed or it is
        not valid — the reason is added as a problem)."""
        if data.get("delegation_id") is None:
            return None
        d = self.delegations.get(int(data["delegation_id"]))
        at = _utc(ev.at)
        if d is None:
            self._add(ev, f"签署所依据的委托 #{data['delegation_id']} 没有由保密员设置的日志记录")
        elif d.delegate_id != signer or d.unit_code != ev.unit_code:
            self._add(ev, f"签署所依据的委托 #{data['delegation_id']} 不是给签署人的（或不是本单位的）")
        elif at is None or not (d.starts_at <= at < d.ends_at):
            self._add(ev, f"签署时间不在委托 #{data['delegation_id']} 的期间内，不能代签")
        elif d.revoked_at is not None and d.revoked_at <= at:
            self._add(ev, f"签署前委托 #{data['delegation_id']} 已被结束，不能代签")
        else:
            return d.role
        return None

    def _add(self, ev: Any, text: str) -> None:
        self.problems.append(f"第 {ev.seq} 号事件（稿件 {ev.item_id} 的签署）：{text}")

    def _sign_off(self, ev: Any, data: dict[str, Any]) -> None:
        signer = data.get("signer_id")
        person = self.people.get(int(signer)) if signer is not None else None
        if person is None:
            self._add(ev, f"签署人账号（{ev.actor}）没有建立账号的日志记录")
        else:
            if person.username != ev.actor:
                self._add(ev, f"签署人账号的用户名应为 {person.username}，事件记录的是 {ev.actor}")
            role = self._delegated_role(ev, data, int(signer) if signer is not None else None) or person.role
            if person.role not in SIGNING_ROLES or role != ev.actor_role:
                self._add(ev, f"按审查日志，{person.username} 当时的角色是“{person.role}”，不能签署（事件记录为“{ev.actor_role}”）")
            if not person.active:
                self._add(ev, f"按审查日志，{person.username} 当时已停用")
        self._credential(ev, data, int(signer) if signer is not None else None)
        policy = self.policies.get(ev.unit_code)
        recorded = data.get("policy")
        if policy is not None and isinstance(recorded, dict) and recorded != policy:
            self._add(ev, f"签署所依据的单位策略（{_policy_text(recorded)}）不是审查日志记录的当时策略（{_policy_text(policy)}）："
                          "单位策略在数据库中被改动过")
        sub = self.submitted.get(ev.item_id or 0, {})
        key = str(data.get("author_id_sha256", ""))
        if "author_id_sha256" in sub and key != sub["author_id_sha256"]:
            self._add(ev, "签署时稿件的作者标识与提交时记录的不一致：作者标识在数据库中被改动过")
        if "author_sha256" in sub and "author_sha256" in data and data["author_sha256"] != sub["author_sha256"]:
            self._add(ev, "签署时稿件的作者姓名与提交时记录的不一致：作者姓名在数据库中被改动过")
        submitted_key = str(sub.get("author_id_sha256", key))
        author = self.links.get((ev.unit_code, submitted_key)) if submitted_key else None
        if data.get("author_user_id") != author:
            self._add(ev, "签署所依据的作者账号对应关系没有审查日志依据（发布系统账号关联在数据库中被改动过）")
        if author is not None and signer is not None and author == int(signer):
            self._add(ev, "签署人是稿件作者本人（按审查日志记录的作者标识与账号关联）")
        expected = "other" if author is not None else (
            "unknown_accepted" if (policy or {}).get("unknown_author") == "reviewer" else "unknown")
        if data.get("authorship") != expected:
            self._add(ev, f"签署所依据的作者身份判定（{data.get('authorship')}）与按审查日志重算的（{expected}）不一致")
        if ev.action == "approve" and data.get("stage") == "unit":
            if expected == "unknown":
                self._add(ev, "作者身份不明的稿件由审查员一人批准，但当时的单位策略要求保密员复核")
            if self.blocks.get(ev.item_id or 0, 0) > 0:
                self._add(ev, "含“禁止发布”级别发现的稿件由审查员一人批准（须修改，或经保密员复核）")

    def _credential(self, ev: Any, data: dict[str, Any], signer: int | None) -> None:
        cred = data.get("credential")
        if not isinstance(cred, dict):
            self._add(ev, "签署没有使用登录会话或令牌（凭据没有审查日志依据）")
            return
        if "token_id" in cred:
            tid = int(cred["token_id"])
            issued = self.tokens.get(tid)
            if issued is None:
                self._add(ev, f"签署使用的令牌 #{tid} 没有签发记录（令牌在数据库中被插入）")
            elif issued[0] != signer:
                self._add(ev, f"签署使用的令牌 #{tid} 不是签发给签署人的")
            elif tid in self.tokens_ended or (signer is not None and self.user_tokens_ended.get(signer, 0) > issued[1]):
                self._add(ev, f"签署使用的令牌 #{tid} 在签署前已被吊销")
        elif "session_id" in cred:
            sid = int(cred["session_id"])
            if self.sessions.get(sid) != signer:
                self._add(ev, f"签署使用的登录会话 #{sid} 没有签署人的登录记录（会话在数据库中被插入）")
        else:
            self._add(ev, "签署的凭据无法识别")

    def check_rows(self, session: Session, add: Any) -> int:
        """The rows as they are now against the replay; returns how many rows were checked."""
        checked = 0
        for unit in session.scalars(select(Unit)):
            checked += 1
            policy = self.policies.get(unit.code)
            now = {"block_policy": unit.block_policy, "unknown_author": unit.unknown_author}
            if policy is None:
                add(f"单位 {unit.code}：审查日志中没有新建该单位的记录")
            elif now != policy:
                add(f"单位 {unit.code}：当前策略（{_policy_text(now)}）与审查日志记录的（{_policy_text(policy)}）不一致，"
                    "策略在数据库中被改动")
        for user in session.scalars(select(User)):
            checked += 1
            person = self.people.get(user.id)
            if person is None:
                add(f"用户 {user.username}（#{user.id}）：审查日志中没有建立该账号的记录（在数据库中插入）")
            elif person.username != user.username or person.role != user.role or (user.active and not person.active):
                add(f"用户 {user.username}（#{user.id}）：用户名、角色或启用状态与审查日志不一致（日志：{person.username}，"
                    f"角色“{person.role}”{'' if person.active else '，已停用'}）")
        for token in session.scalars(select(ApiToken)):
            checked += 1
            issued = self.tokens.get(token.id)
            if issued is None or issued[0] != token.user_id:
                add(f"API 令牌 #{token.id}（{token.prefix}…）：审查日志中没有签发给该持有人的记录（令牌在数据库中被插入或改动）")
            elif token.revoked_at is None and token.id in self.tokens_ended:
                add(f"API 令牌 #{token.id}（{token.prefix}…）：审查日志记录它已被吊销，数据库中却仍有效")
        codes: dict[int, str] = {uid: code for uid, code in session.execute(select(Unit.id, Unit.code))}
        for link in session.scalars(select(CmsAccount)):
            checked += 1
            logged = self.links.get((codes.get(link.unit_id, ""), _sha(link.cms_key)))
            if link.id not in self.link_rows and not self.old_links:
                add(f"发布系统账号关联 #{link.id}：审查日志中没有关联记录（在数据库中插入）")
            elif logged is not None and logged != link.user_id:
                add(f"发布系统账号关联 #{link.id}：对应的用户与审查日志记录的不一致（在数据库中被改动）")
        for item_id, author_id, author in session.execute(select(Item.id, Item.author_id, Item.author)):
            sub = self.submitted.get(item_id, {})
            if "author_id_raw_sha256" in sub and sub["author_id_raw_sha256"] != _sha(author_id):
                add(f"稿件 {item_id}：作者标识与提交时记录的不一致（在数据库中被改动）")
            if "author_sha256" in sub and sub["author_sha256"] != _sha(author):
                add(f"稿件 {item_id}：作者姓名与提交时记录的不一致（在数据库中被改动）")
        return checked


def _policy_text(policy: dict[str, Any]) -> str:
    block = {"revise": "禁止发布须修改", "officer": "禁止发布经保密员复核"}.get(str(policy.get("block_policy")), str(policy.get("block_policy")))
    unknown = {"officer": "作者不明须保密员复核", "reviewer": "作者不明审查员一人批准"}.get(
        str(policy.get("unknown_author")), str(policy.get("unknown_author")))
    return f"{block}，{unknown}"
