"""What people read instead of keys and ids: Chinese names of locations, rules, people and log events.

Pure functions (the rule titles read the loaded rule files once). Identifiers stay in the JSON API and in the
exports' own columns; pages show these names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewer.audit.events import ACTIONS
from reviewer.store.models import ROLE_LABEL
from reviewer.workflow.review import DECISION_LABEL, DISPOSITION_LABEL

DOC_PROPERTY = {
    "title": "标题", "subject": "主题", "creator": "作者", "author": "作者", "keywords": "关键词",
    "description": "备注", "comments": "备注", "lastmodifiedby": "最后修改者", "category": "类别",
    "contentstatus": "状态", "identifier": "标识", "language": "语言", "revision": "修订号", "version": "版本",
    "company": "单位", "manager": "负责人", "application": "生成程序", "appversion": "生成程序版本",
    "template": "模板", "hyperlinkbase": "超链接基础地址", "producer": "生成程序", "creationdate": "创建时间",
    "moddate": "修改时间", "created": "创建时间", "modified": "修改时间", "lastprinted": "最后打印时间",
    "xmp": "XMP 元数据", "trapped": "陷印标志", "docsecurity": "文档保护", "totaltime": "编辑总时长",
    "pages": "页数", "words": "字数", "characters": "字符数", "lines": "行数", "paragraphs": "段落数",
    "titlesofparts": "各部分标题", "headingpairs": "标题分组",
}
HTML_ATTR = {
    "alt": "替代文字", "title": "提示文字", "content": "内容", "value": "值", "placeholder": "占位提示",
    "aria-label": "无障碍标签", "aria-description": "无障碍说明", "label": "标签", "href": "链接地址",
    "src": "来源地址", "summary": "摘要", "data": "数据",
}
HTML_TAG = {
    "img": "图片", "a": "链接", "meta": "页面元数据", "input": "输入框", "area": "图片热区", "abbr": "缩写",
    "span": "行内文字", "div": "区块", "p": "段落", "td": "表格单元格", "th": "表头单元格", "table": "表格",
    "template": "模板", "noscript": "无脚本时显示的内容", "option": "选项", "button": "按钮", "iframe": "内嵌框架",
    "object": "嵌入对象", "section": "节", "li": "列表项", "font": "文字", "textarea": "文本框", "select": "下拉框",
    "video": "视频", "audio": "音频", "svg": "矢量图", "text": "文字", "head": "页面头部", "title": "页面标题",
}
EXTRACT_TITLE = {
    "scanned_page": "扫描页（无文字层），须人工核对",
    "images_only": "仅含图片，须人工核对",
    "images_not_verified": "含图片，图中文字未核对",
    "image_member": "压缩包内的图片，待显示内容核对识别",
    "embedded_unreadable": "附件无法读取",
    "nested_too_deep": "嵌套附件过深，未读取",
    "sheet_missing": "工作表缺失",
    "type_mismatch": "文件类型与扩展名不符",
    "photo_location": "照片含拍摄位置",
    "image_metadata_unreadable": "图片元数据无法读取",
}

_PROP = re.compile(r"文档属性[:：]([^\s·（）]+)")
_ATTR = re.compile(r"HTML属性[:：]([A-Za-z0-9_:-]+)（<([A-Za-z0-9]+)>）")
_HIDDEN = re.compile(r"隐藏元素<([A-Za-z0-9]+)>")
_DEFINED = re.compile(r"定义名称:")


def _prop(m: re.Match[str]) -> str:
    name = m.group(1)
    return f"文档属性“{DOC_PROPERTY.get(name.lower(), name)}”"


def _attr(m: re.Match[str]) -> str:
    attr, tag = m.group(1).lower(), m.group(2).lower()
    label = HTML_ATTR.get(attr) or ("数据属性" if attr.startswith("data-") else f"属性 {attr}")
    where = HTML_TAG.get(tag)
    return f"网页属性“{label}”" + (f"（{where}）" if where else "")


def _hidden(m: re.Match[str]) -> str:
    where = HTML_TAG.get(m.group(1).lower())
    return "网页中的隐藏内容" + (f"（{where}）" if where else "")


def location(value: str | None) -> str:
    """`文档属性:title` → 文档属性“标题”; `HTML属性:alt（<img>）` → 网页属性“替代文字”（图片）; `隐藏元素<span>` →
    网页中的隐藏内容（行内文字）; `定义名称:x` → 定义名称“x”."""
    if not value:
        return "—"
    out = _PROP.sub(_prop, value)
    out = _ATTR.sub(_attr, out)
    out = _HIDDEN.sub(_hidden, out)
    out = _DEFINED.sub("定义名称：", out)
    out = out.replace("HTML属性", "网页属性").replace("隐藏元素", "网页中的隐藏内容")
    return out


# --- rules -----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _titles(directories: tuple[Path, ...]) -> dict[str, str]:
    from reviewer.errors import ReviewerError
    from reviewer.ruleset.loader import load_rules

    out: dict[str, str] = {}
    for d in directories:
        try:
            loaded = load_rules([d]).rules
        except (ReviewerError, OSError):
            continue  # a broken rule directory must not break the pages; the message of the finding is shown instead
        for lr in loaded:
            title = getattr(lr.rule, "title", None) or ""
            if title:
                out[lr.rule.id] = str(title)
    return out


def rule_directories(settings: Any) -> tuple[Path, ...]:
    from reviewer.settings import BUILTIN_RULES_DIR

    return tuple(dict.fromkeys([BUILTIN_RULES_DIR, *getattr(settings, "rules_paths", [])]))


def rule_title(rule: str, message: str = "", directories: tuple[Path, ...] = ()) -> str:
    """The finding's name for people: the rule's Chinese `title`, else the extraction issue's name, else the finding's
    own (Chinese) message, else the category-free fallback 未命名规则. Never the id."""
    if rule.startswith("extract."):
        known = EXTRACT_TITLE.get(rule[len("extract."):])
        if known:
            return known
    title = _titles(directories).get(rule) if directories else None
    if title:
        return title
    if message and not message.isascii():
        return message
    return "未命名规则"


# --- people ----------------------------------------------------------------------------------------------------

ACTOR_LABEL = {"system": "系统", "worker": "扫描程序", "anonymous": "未登录用户", "": "—"}


def actor(name: str, role: str = "", names: Mapping[str, str] | None = None) -> str:
    """`client:cms-BGS` → 发布系统“cms-BGS”; `system` → 系统; a username → the person's name (username)."""
    if name.startswith("client:"):
        return f"发布系统“{name[len('client:'):]}”"
    if name in ACTOR_LABEL:
        return ACTOR_LABEL[name]
    display = (names or {}).get(name)
    return f"{display}（{name}）" if display and display != name else name


def role(value: str) -> str:
    return {"system": "系统", "worker": "扫描程序", "": "—"}.get(value) or ROLE_LABEL.get(value, "其他")


def signers(value: str, names: Mapping[str, str] | None = None) -> str:
    """`shencha(审查员:批准), baomi(保密员:批准)` → 沈查（审查员，批准）、…"""
    out = []
    for part in re.split(r",\s*", value or ""):
        m = re.match(r"^([^()]+)\(([^:)]*):?([^)]*)\)$", part.strip())
        if not m:
            if part.strip():
                out.append(part.strip())
            continue
        user, stage, decision = m.group(1), m.group(2), m.group(3)
        who = (names or {}).get(user) or user
        out.append(f"{who}（{'，'.join(x for x in (stage, decision) if x)}）")
    return "、".join(out) or "—"


# --- log events as sentences ---------------------------------------------------------------------------------------

# A scan event's `pass` is the text scan's own result; the item is clean only once the render check is done too (its
# own event), so the log never says 未发现问题 of a draft that was not read completely.
VERDICT_WORD = {"pass": "文字扫描无发现", "review": "需人工审查", "block": "禁止发布", "error": "无法完整读取"}
SEVERITY_WORD = {"block": "禁止发布", "review": "需人工审查", "info": "提示"}
STAGE_WORD = {"unit": "审查员签署", "officer": "保密员复核"}
CHANNEL_WORD = {"web": "审查页面", "api": "接口"}
_KEY_WORD = {
    "scope": "范围", "rule_dirs": "规则目录", "rule_files": "规则文件", "previous_rule_dirs": "原规则目录",
    "previous_units": "原成员单位", "units": "成员单位",
    "review_id": "签署记录", "finding_id": "发现", "receipt_id": "回执", "key_id": "密钥", "content_sha256": "内容哈希",
    "rules_version": "规则集版本", "verdict": "结论", "findings": "发现数", "dispositions": "处置数", "stage": "环节",
    "decision": "意见", "channel": "渠道", "version": "版本", "external_id": "外部编号", "reason": "原因",
    "error": "原因", "attempts": "次数", "rows": "行数", "format": "格式", "unit": "单位", "role": "角色",
    "username": "用户名", "url": "地址", "status": "状态", "counts": "各级别数量", "rule": "规则", "severity": "级别",
    "disposition": "处置", "rules": "规则", "query": "检索条件", "block_policy": "禁止发布项策略",
    "statistics": "统计期间", "alert_id": "预警", "approved": "核验结果", "attempt": "第几次", "bytes": "字节数",
    "callback": "回调", "delivery_id": "投递", "file_name": "文件名", "new_findings": "新发现数", "prefix": "令牌前缀",
    "superseded_by": "被取代于稿件", "token_id": "令牌", "unit_id": "单位", "user_id": "用户", "since": "起始日期", "until": "截止日期", "reviewer": "签署人", "item_id": "稿件编号",
    "rate": "限流", "findings_sha256": "发现摘要哈希", "document_sha256": "文档哈希", "payload_sha256": "回执内容哈希",
    "state": "状态", "kind": "类型", "pages": "页数", "pages_sha256": "页面图像哈希", "rule_id": "规则",
    "documents": "文件数", "labels": "文件名称", "unknown_author": "作者不明的稿件", "from": "原值", "to": "新值",
    "sessions": "结束会话数", "tokens": "吊销令牌数", "client": "发布系统", "expires_at": "有效期至",
    "new_token_id": "新令牌", "new_prefix": "新令牌前缀", "grace_minutes": "旧令牌宽限（分钟）",
    "publisher_counts": "向发布系统提供各级别数量", "failures": "失败次数", "minutes": "锁定（分钟）",
    "cms_account_id": "发布系统账号", "action": "处理方式",
    "expression_checks": "表述检查", "public_share": "已公开部分占比", "released_share": "已发布稿件中占比",
    "urls": "起始网址", "every_seconds": "巡检间隔（秒）", "max_pages": "最多网页数", "run_id": "巡检编号",
    "trigger": "触发方式", "alerts": "预警数", "not_checked": "未检查", "monitor_result_id": "巡检结果",
    "source": "来源", "previous_labels": "原文件名称", "actor": "操作人", "exported": "导出内容", "author_id_raw_sha256": "作者标识原值哈希", "author_id_sha256": "作者标识哈希",
    "author_sha256": "作者姓名哈希", "cms_key_sha256": "发布系统账号哈希", "session_id": "登录会话", "what": "读取内容",
    "purpose": "用途", "old_key_id": "原密钥", "new_key_id": "新密钥", "public_key_sha256": "新公钥哈希",
    "before": "清除截止时间", "count": "清除稿件数", "items": "稿件编号", "page_images": "清除页面图像数",
    "finding_texts": "清除命中文字数", "batch": "批次", "os_user": "操作系统用户",
    "delegation_id": "委托", "absent_id": "外出人员", "absent": "外出人员", "delegate_id": "受委托人", "delegate": "受委托人",
    "starts_at": "委托开始", "ends_at": "委托结束", "revoked_receipt_id": "撤销的回执",
    "revoked_payload_sha256": "撤销的回执内容哈希", "reason_sha256": "理由哈希", "previous_state": "签署前状态",
    "previous": "上一版本", "files": "规则文件变动", "files_changed": "变动文件数", "previous_known": "上一版本有记录",
    "loaded_by": "加载者", "proof_failed": "回执验证不通过项数",
}
_CHANGE_WORD = {"added": "新增", "removed": "删除", "changed": "修改"}
# values that are codes, in the words people read
_VALUE_WORD = {
    "previous_state": {"awaiting_review": "待审查", "awaiting_officer": "待保密员复核", "approved": "已批准",
                       "rejected": "不予发布", "returned": "已退回"},
    "state": {"pending": "核对中", "done": "已完成", "failed": "失败", "queued": "排队中", "scanning": "扫描中",
              "awaiting_review": "待审查", "awaiting_officer": "待保密员复核", "scan_failed": "扫描失败",
              "approved": "已批准", "rejected": "不予发布", "returned": "已退回", "superseded": "已被取代",
              "released": "已发布"},
    "kind": {"pdf": "PDF", "office": "Office 文档", "html": "网页", "image": "图片", "archive": "压缩包", "text": "纯文本"},
    "unknown_author": {"officer": "须保密员复核", "reviewer": "审查员可签"},
    "block_policy": {"officer": "可由保密员复核后例外批准", "revise": "必须修改"},
    "action": {"withdraw": "撤稿并通知发布系统", "handled": "已处理"},
    "expression_checks": {"on": "开启", "off": "关闭"},
    "what": {"original": "原始文件", "page_images": "页面图像", "export": "导出"},
    "trigger": {"schedule": "定时", "manual": "手动", "cli": "命令行"},
    "purpose": {"receipt": "发布回执签名", "checkpoint": "审查日志检查点签名"},
}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _word(key: str, value: Any, titles: tuple[Path, ...]) -> str:
    if value is None:
        return "无"
    if key in _VALUE_WORD and isinstance(value, str):
        return _VALUE_WORD[key].get(value, value)
    if isinstance(value, str) and _ISO_TIME.match(value):
        return _beijing(value)
    if key.endswith("sha256") and isinstance(value, str):
        return value[:12] + "…"
    if key == "verdict":
        return VERDICT_WORD.get(str(value), str(value))
    if key == "severity":
        return SEVERITY_WORD.get(str(value), str(value))
    if key == "disposition":
        return DISPOSITION_LABEL.get(str(value), str(value))
    if key == "decision":
        return DECISION_LABEL.get(str(value), str(value))
    if key == "stage":
        return STAGE_WORD.get(str(value), str(value))
    if key == "channel":
        return CHANNEL_WORD.get(str(value), str(value))
    if key == "role":
        return role(str(value))
    if key == "rule":
        return rule_title(str(value), "", titles)
    if key == "rules" and isinstance(value, list):
        return "、".join(rule_title(str(v), "", titles) for v in value)
    if key == "approved" and isinstance(value, bool):
        return "已批准" if value else "未批准"
    if key == "url":
        return str(value)
    if key in ("content_sha256",) and isinstance(value, str):
        return value[:12] + "…"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "，".join(f"{_KEY_WORD.get(str(k), SEVERITY_WORD.get(str(k), str(k)))} {_word(str(k), v, titles)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    return str(value)


def alert_summary(summary: str, titles: tuple[Path, ...] = ()) -> str:
    """A post-release alert's summary (`rule ×n；…`) with the rules' Chinese titles instead of their ids."""
    out = []
    for part in (summary or "").split("；"):
        m = re.fullmatch(r"\s*(\S+) ×(\d+)\s*", part)
        out.append(f"{rule_title(m.group(1), '', titles)} ×{m.group(2)}" if m else part)
    return "；".join(out)


def _beijing(value: str) -> str:
    from datetime import UTC, datetime

    from reviewer.audit.statistics import BEIJING

    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M（北京时间）")


_QUERY_KEY = {"action": "事件", "reviewer": "签署人", "external_id": "外部编号", "decision": "签署意见"}


def _query_word(key: str, value: Any) -> str:
    """A search condition's value as people read it (事件 例外批准, 处置 误报, 签署意见 批准)."""
    text = str(value)
    if key == "action":
        if text.startswith("disposition:"):
            return f"处置发现：{DISPOSITION_LABEL.get(text[len('disposition:'):], text)}"
        return ACTIONS.get(text, text)
    if key == "disposition":
        return "例外批准" if text == "exception" else DISPOSITION_LABEL.get(text, text)
    if key == "decision":
        return DECISION_LABEL.get(text, text)
    return text


def event_columns(e: Any, people: Mapping[str, str], directories: tuple[Path, ...] = ()) -> tuple[str, str, str, str]:
    """(操作人, 角色, 事件, 内容) of a log event, as the log page shows them (the log's exports use the same words)."""
    return (actor(e.actor, e.actor_role, people), role(e.actor_role or ""), ACTIONS.get(e.action, "其他事件"),
            event_sentence(e.action, e.data, directories))


def event_sentence(action: str, data: str | Mapping[str, Any], directories: tuple[Path, ...] = ()) -> str:
    """A log event's data as one Chinese sentence, e.g. 处置发现：发现 12（规则“手机号码”，禁止发布）标为“误报”."""
    try:
        d = json.loads(data) if isinstance(data, str) else dict(data)
    except ValueError:
        return "（数据无法解析）"
    if not isinstance(d, dict):
        return "（数据无法解析）"
    label = ACTIONS.get(action, "其他事件")
    if action == "disposition":
        return (f"发现 {d.get('finding_id', '?')}（{rule_title(str(d.get('rule', '')), '', directories)}，"
                f"{SEVERITY_WORD.get(str(d.get('severity')), '')}）标为“{DISPOSITION_LABEL.get(str(d.get('disposition')), '?')}”")
    if action in ("approve", "sign_off", "officer_sign_off", "reject", "return"):
        parts = [f"{STAGE_WORD.get(str(d.get('stage')), '签署')}：{DECISION_LABEL.get(str(d.get('decision')), label)}"]
        if "findings" in d:
            parts.append(f"共 {d.get('findings')} 条发现，处置 {d.get('dispositions', 0)} 条")
        if d.get("content_sha256"):
            parts.append(f"所签内容哈希 {str(d['content_sha256'])[:12]}…")
        if d.get("delegation_id") is not None:
            parts.append(f"委托代签（委托 #{d['delegation_id']}）")
        return "，".join(parts)
    if action == "signoff_withdrawn":
        text = (f"撤回签署记录 #{d.get('review_id', '?')}（{STAGE_WORD.get(str(d.get('stage')), '签署')}："
                f"{DECISION_LABEL.get(str(d.get('decision')), '?')}），稿件回到“{_word('state', d.get('state', ''), directories)}”")
        if d.get("revoked_receipt_id") is not None:
            text += f"，发布回执 #{d['revoked_receipt_id']} 已撤销"
        return text + "，理由见签署记录"
    if action == "delegation_set":
        return (f"委托 #{d.get('delegation_id', '?')}：{d.get('absent', '?')} 外出期间由 {d.get('delegate', '?')} 代行保密员复核签署，"
                f"{_word('starts_at', d.get('starts_at', ''), directories)} 至 {_word('ends_at', d.get('ends_at', ''), directories)}")
    if action == "delegation_revoked":
        return f"结束委托 #{d.get('delegation_id', '?')}"
    if action == "exception_approval":
        who = "保密员复核同意" if d.get("stage") == "officer" else "仍申请批准"
        return (f"例外批准：仍成立的发现 {_word('findings', d.get('findings', []), directories)}"
                f"（{_word('rules', d.get('rules', []), directories)}）{who}，理由见签署记录")
    if action == "export":
        if d.get("statistics"):
            what = f"统计（{d.get('statistics')}）"
        elif d.get("exported") == "log":
            what = f"审查日志 {d.get('rows', 0)} 条"
        else:
            what = f"检索结果 {d.get('rows', 0)} 条"
        query = d.get("query") or {}
        cond = "，检索条件：" + "；".join(f"{_QUERY_KEY.get(k) or _KEY_WORD.get(k, k)} {_query_word(k, v)}"
                                      for k, v in query.items()) if query else ""
        via = "（命令行）" if d.get("channel") == "cli" else ""
        return f"导出{what}为 {str(d.get('format', '')).upper()} 文件{via}{cond}"
    if action == "rules_loaded":  # which files changed and how many entries each gained or lost — never an entry
        files = [f for f in (d.get("files") or []) if isinstance(f, dict)]
        changes = "；".join(
            f"{f.get('file', '?')} {_CHANGE_WORD.get(str(f.get('change')), str(f.get('change', '')))}"
            f"（+{f.get('gained', 0)} / −{f.get('lost', 0)}{'，文件属主 ' + str(f['owner']) if f.get('owner') else ''}）"
            for f in files)
        more = int(d.get("files_changed") or 0) - len(files)
        head = f"{label} {d.get('rules_version', '?')}" + (f"（上一版本 {d['previous']}）" if d.get("previous") else "（首次登记）")
        tail = [f"共 {d.get('rules', '?')} 条规则"] + ([f"加载者 {d['loaded_by']}"] if d.get("loaded_by") else []) + \
            ([f"单位 {d['unit']}"] if d.get("unit") else []) + ([] if d.get("previous_known", True) else ["上一版本的内容未留存，无法比较"])
        return f"{head}：{changes or '无文件变动'}{f'；另有 {more} 个文件' if more > 0 else ''}；" + "，".join(tail)
    if action in ("login", "logout", "login_failed"):
        return f"{label}（{CHANNEL_WORD.get(str(d.get('channel')), '页面')}）"
    if not d:
        return label
    items: Iterable[tuple[str, Any]] = d.items()
    return label + "：" + "；".join(f"{_KEY_WORD.get(k, '其他')} {_word(k, v, directories)}" for k, v in items)
