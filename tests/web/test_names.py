"""What people read instead of keys, ids and raw data; documents shown with tables, properties and revision marks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx

from reviewer.extract import extract
from reviewer.web import names
from reviewer.web.highlight import highlight


def test_locations_get_chinese_names() -> None:
    assert names.location("文档属性:title") == "文档属性“标题”"
    assert names.location("文档属性:keywords · 部分位于修订-删除（作者：李四）") == "文档属性“关键词” · 部分位于修订-删除（作者：李四）"
    assert names.location("文档属性:Company") == "文档属性“单位”"
    assert names.location("文档属性:项目代号") == "文档属性“项目代号”"  # custom properties keep their own name
    assert names.location("HTML属性:alt（<img>）") == "网页属性“替代文字”（图片）"
    assert names.location("HTML属性:data-note（<div>）") == "网页属性“数据属性”（区块）"
    assert names.location("隐藏元素<span>") == "网页中的隐藏内容（行内文字）"
    assert names.location("定义名称:预算_2026") == "定义名称：预算_2026"
    assert names.location("") == "—"
    for raw in ("文档属性:subject", "HTML属性:title（<a>）", "隐藏元素<p>"):
        shown = names.location(raw)
        assert not any(word in shown for word in ("subject", "title", "<", ">")), shown


def test_rule_titles_never_show_the_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "org-codes.yaml").write_text("id: org-codes\nkind: terms\nseverity: review\nterms: [甲工程]\nmessage: 项目代号\n",
                                          encoding="utf-8")
    assert names.rule_title("org-codes", "发现项目代号", (rules,)) == "发现项目代号"  # no title field: the message
    assert names.rule_title("org-codes", "", (rules,)) == "未命名规则"
    assert names.rule_title("extract.scanned_page", "", ()) == "扫描页（无文字层），须人工核对"
    assert names.rule_title("id-card", "english message", ()) == "未命名规则"


def test_log_events_read_as_sentences() -> None:
    s = names.event_sentence("disposition", json.dumps({"finding_id": 7, "rule": "extract.images_only", "severity": "block",
                                                         "disposition": "false_positive", "review_id": 3}))
    assert s == "发现 7（仅含图片，须人工核对，禁止发布）标为“误报”"
    s = names.event_sentence("login", '{"channel":"web"}')
    assert s == "登录（审查页面）" and "{" not in s
    s = names.event_sentence("scan", json.dumps({"verdict": "block", "counts": {"block": 1, "review": 0, "info": 2}}))
    assert "禁止发布" in s and "block" not in s and "{" not in s
    s = names.event_sentence("export", json.dumps({"format": "csv", "rows": 12, "query": {"unit": "BGS"}}))
    assert s == "导出检索结果 12 条为 CSV 文件，检索条件：单位 BGS"
    assert names.event_sentence("approve", "not json") == "（数据无法解析）"


def test_people_not_accounts() -> None:
    assert names.actor("client:cms-BGS") == "发布系统“cms-BGS”"
    assert names.actor("system") == "系统"
    assert names.actor("shencha", "reviewer", {"shencha": "沈查"}) == "沈查（shencha）"
    assert names.role("system") == "系统" and names.role("reviewer") == "审查员"
    assert names.signers("shencha(审查员:批准); baomi(保密员:批准)".replace("; ", ", "), {"shencha": "沈查"}) == "沈查（审查员，批准）、baomi（保密员，批准）"


def test_docx_tables_stay_tables_and_properties_are_labelled() -> None:
    d = docx.Document()
    d.core_properties.title = "年度计划"
    d.core_properties.keywords = "计划 预算"
    d.add_paragraph("正文第一段")
    t = d.add_table(rows=2, cols=3)
    for r in range(2):
        for c in range(3):
            t.cell(r, c).text = f"格{r}{c}"
    buf = io.BytesIO()
    d.save(buf)
    ex = extract(buf.getvalue(), "plan.docx")
    views, _ = highlight(ex.parts, [])
    body = next(v for v in views if v.location == "正文")
    tables = [b for b in body.blocks if b.kind == "table"]
    assert len(tables) == 1 and len(tables[0].rows) == 2 and all(len(row) == 3 for row in tables[0].rows)
    assert "".join(s.text for s in tables[0].rows[1][2]) == "格12"
    props = next(v for v in views if v.location == "文档属性")
    labels = {names.location(b.label): "".join(s.text for s in b.segments) for b in props.blocks}
    assert labels["文档属性“标题”"] == "年度计划" and labels["文档属性“关键词”"] == "计划 预算"


def test_revisions_and_hidden_text_are_marked() -> None:
    from reviewer.extract.model import Span, SpanKind, TextPart

    text = "保留的文字新增的文字删去的文字隐藏的文字"
    part = TextPart(text, "正文", (Span(0, len(text), "正文 第1段"), Span(5, 10, "修订-插入（作者：甲）", SpanKind.MARK),
                                   Span(10, 15, "修订-删除（作者：乙）", SpanKind.MARK), Span(15, 20, "隐藏文字", SpanKind.MARK)))
    views, _ = highlight([part], [])
    marks = {seg.text: seg.marks for seg in views[0].segments}
    assert marks == {"保留的文字": (), "新增的文字": ("insert",), "删去的文字": ("delete",), "隐藏的文字": ("hidden",)}


def _written_events() -> tuple[set[str], dict[str, set[str]]]:
    """Every action and data key the code writes to the review log, read from the source (events.append calls)."""
    import ast

    actions: set[str] = set()
    keys: dict[str, set[str]] = {}
    for path in sorted((Path(__file__).resolve().parents[2] / "reviewer").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name != "append" or len(node.args) < 2 or not isinstance(node.args[1], ast.Constant) \
                    or not isinstance(node.args[1].value, str):  # an action is a word (np.append(a, 0) is not a log call)
                continue
            actions.add(str(node.args[1].value))
            for kw in node.keywords:
                if kw.arg == "data" and isinstance(kw.value, ast.Dict):
                    for k in kw.value.keys:
                        if isinstance(k, ast.Constant):
                            keys.setdefault(str(k.value), set()).add(path.name)
    return actions, keys


def test_every_logged_action_and_field_has_chinese_words() -> None:
    """An auditor reads every event as a sentence: no action is 其他事件 and no field is 其他 (the log read
    "其他 724c…", "其他 done"). Checked against every events.append(...) in the code, so a new event needs its words."""
    from reviewer.audit.events import ACTIONS
    from reviewer.web.names import _KEY_WORD

    actions, keys = _written_events()
    assert len(actions) > 20 and len(keys) > 20  # the scan of the source found the calls
    assert sorted(a for a in actions if a not in ACTIONS) == []
    assert {k: sorted(v) for k, v in keys.items() if k not in _KEY_WORD} == {}


def test_event_values_are_words_not_codes() -> None:
    sentence = names.event_sentence("render_check", {"state": "done", "kind": "pdf", "pages": 3, "error": None,
                                               "pages_sha256": "ab" * 32})
    assert "已完成" in sentence and "PDF" in sentence and "None" not in sentence and "其他" not in sentence
    assert "ab" * 32 not in sentence  # a hash is cut to its labelled prefix
    when = names.event_sentence("token_created", {"expires_at": "2026-03-01T16:30:00+00:00"})
    assert "2026-03-02 00:30（北京时间）" in when
    policy = names.event_sentence("unit_updated", {"unknown_author": "reviewer", "block_policy": "officer"})
    assert "reviewer" not in policy and "officer" not in policy


def test_an_export_event_says_what_was_taken_and_under_which_conditions() -> None:
    s = names.event_sentence("export", json.dumps({"format": "xlsx", "rows": 2, "exported": "log", "channel": "cli",
                                                    "query": {"action": "disposition:false_positive", "actor": "王审查"}}))
    assert s == "导出审查日志 2 条为 XLSX 文件（命令行），检索条件：事件 处置发现：误报；操作人 王审查"
    s = names.event_sentence("export", json.dumps({"format": "csv", "rows": 3, "query": {"disposition": "exception",
                                                                                        "decision": "approve"}}))
    assert s == f"导出检索结果 3 条为 CSV 文件，检索条件：处置 例外批准；签署意见 {names.DECISION_LABEL['approve']}"
    s = names.event_sentence("fingerprints_deleted", json.dumps({"rule_id": "reg-1", "labels": ["甲通报"], "documents": 1,
                                                                 "scope": "unit:U1", "reason": "登记错误"}))
    assert s.startswith("删除登记文件：") and "文件名称 甲通报" in s and "原因 登记错误" in s and "其他" not in s
