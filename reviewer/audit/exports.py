"""CSV and XLSX exports of an auditor's search and of the statistics.

Draft titles, authors and channels are untrusted: a cell starting with = + - @ (or a tab/CR) would run as a formula
when the CSV is opened in a spreadsheet, so such text gets a leading apostrophe; the XLSX writer stores every text as a
plain string and never as a formula. CSV is UTF-8 with a BOM so that spreadsheet programs read the Chinese correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import xlsxwriter

from reviewer.audit.queries import DISPOSITION_LABEL, STAGE_LABEL, DispositionRow, ItemRow
from reviewer.audit.statistics import BEIJING, RULE_COLUMNS, UNIT_COLUMNS, Stats, as_utc, cell
from reviewer.store.models import STATE_LABEL

ITEM_COLUMNS: list[tuple[str, str]] = [
    ("item_id", "稿件编号"),
    ("external_id", "外部编号"),
    ("version", "版本"),
    ("unit_code", "单位代码"),
    ("title", "标题"),
    ("channel", "栏目"),
    ("author", "作者"),
    ("state", "状态"),
    ("verdict", "扫描结论"),
    ("block_count", "禁止发布项"),
    ("review_count", "需人工审查项"),
    ("info_count", "提示项"),
    ("rules_hit", "命中规则编号"),
    ("signer_names", "签署人"),
    ("submitted_at", "提交时间（北京时间）"),
    ("decided_at", "决定时间（北京时间）"),
    ("rules_version", "规则集版本"),
    ("content_sha256", "内容SHA-256"),
]

VERDICT_WORD = {"pass": "未发现问题", "review": "需人工审查", "block": "禁止发布", "error": "无法完整读取", "": ""}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def fmt_time(at: datetime | None) -> str:
    return "" if at is None else as_utc(at).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def local_time(at: datetime | None) -> datetime | None:
    """Beijing time without a zone: what a spreadsheet stores as a real time (CSV writes it as text, XLSX as a date)."""
    return None if at is None else as_utc(at).astimezone(BEIJING).replace(tzinfo=None)


def _value(row: ItemRow, name: str) -> object:
    value = getattr(row, name)
    if isinstance(value, datetime) or value is None and name.endswith("_at"):
        return local_time(value)
    if name == "state":
        return STATE_LABEL.get(value, value)
    if name == "verdict":
        return VERDICT_WORD.get(value, value)
    return value


SEVERITY_WORD = {"block": "禁止发布", "review": "需人工审查", "info": "提示"}


def disposition_word(value: str) -> str:
    """A disposition as people read it, from the one label table (audit.queries.DISPOSITION_LABEL)."""
    return DISPOSITION_LABEL.get(value, "未知处置")


def _disposition_text(d: DispositionRow, rule_title: Callable[[str], str] | None) -> str:
    rule = rule_title(d.rule) if rule_title is not None else d.rule
    reason = f"，理由：{d.reason}" if d.reason.strip() else ""
    return f"发现{d.finding_seq}（{rule}）{STAGE_LABEL.get(d.stage, d.stage)}{d.signer}标为“{disposition_word(d.disposition)}”{reason}"


def item_table(rows: Iterable[ItemRow], rule_title: Callable[[str], str] | None = None) -> tuple[list[str], list[list[object]]]:
    """One row per item; with `rule_title`, a column of the rules' Chinese titles follows the column of their ids.
    After the signers: every finding's disposition by each signer, with the reason written (处置与理由)."""
    rows = list(rows)
    header = [h for _, h in ITEM_COLUMNS]
    table = [[_value(r, n) for n, _ in ITEM_COLUMNS] for r in rows]
    at = [n for n, _ in ITEM_COLUMNS].index("signer_names") + 1
    header.insert(at, "处置与理由")
    for row, r in zip(table, rows):
        row.insert(at, "；".join(_disposition_text(d, rule_title) for d in r.dispositions))
    if rule_title is not None:
        at = [n for n, _ in ITEM_COLUMNS].index("rules_hit")
        header.insert(at, "命中规则")
        for row, r in zip(table, rows):
            row.insert(at, "、".join(rule_title(x) for x in r.rules_hit.split(", ") if x))
    return header, table


EVENT_COLUMNS = ["序号", "时间（北京时间）", "操作人", "角色", "单位", "稿件编号", "事件", "内容", "本条哈希"]


def event_table(events: Iterable[Any], describe: Callable[[Any], Sequence[str]]) -> tuple[list[str], list[list[object]]]:
    """The review log as a table: one row per event, `describe(event)` giving (操作人, 角色, 事件, 内容) in words people
    read; the hash in its own labelled column."""
    table: list[list[object]] = []
    for e in events:
        who, role, action, sentence = describe(e)
        table.append([e.seq, local_time(e.at), who, role, e.unit_code or "", e.item_id, action, sentence, e.hash])
    return list(EVENT_COLUMNS), table


DISPOSITION_COLUMNS = ["稿件编号", "外部编号", "版本", "发现序号", "规则", "规则编号", "级别", "位置", "签署环节", "签署人", "处置",
                       "理由", "签署时间（北京时间）"]


def disposition_table(rows: Iterable[ItemRow], rule_title: Callable[[str], str] | None = None,
                      place: Callable[[str], str] | None = None) -> tuple[list[str], list[list[object]]]:
    """One row per finding and signer: how each finding was disposed of and why (the XLSX sheet 处置与理由)."""
    table: list[list[object]] = []
    for r in rows:
        for d in r.dispositions:
            table.append([r.item_id, r.external_id, r.version, d.finding_seq,
                          rule_title(d.rule) if rule_title is not None else d.rule, d.rule,
                          SEVERITY_WORD.get(d.severity, d.severity), place(d.location) if place is not None else d.location,
                          STAGE_LABEL.get(d.stage, d.stage), d.signer, disposition_word(d.disposition), d.reason,
                          local_time(d.decided_at)])
    return list(DISPOSITION_COLUMNS), table


def stats_tables(stats: Stats, numeric: bool = False,
                 rule_title: Callable[[str], str] | None = None) -> list[tuple[str, list[str], list[list[object]]]]:
    """The statistics as tables. `numeric` (files: CSV, XLSX): the false-positive share is a percentage number and a
    missing median an empty cell, so spreadsheets can compute with them; otherwise as shown on screen (50.0%, —).
    With `rule_title`, rules are named by their Chinese titles and their ids follow in a column of their own."""
    units = [[cell(s, n) for n, _ in UNIT_COLUMNS] for s in [*stats.units, stats.total]]
    if not numeric:
        rules = [[cell(r, n) for n, _ in RULE_COLUMNS] for r in stats.rules]
        rule_header = [h for _, h in RULE_COLUMNS]
        _titled(rule_header, rules, stats, rule_title)
        return [
            (f"{stats.period.label}按单位统计", [h for _, h in UNIT_COLUMNS], units),
            (f"{stats.period.label}规则命中", rule_header, rules),
        ]
    units = [[None if v == "—" else v for v in row] for row in units]  # a missing median is an empty cell
    rules = [[_rule_cell(r, n) for n, _ in RULE_COLUMNS] for r in stats.rules]
    rule_header = [("误报占比（%）" if n == "false_positive_share" else h) for n, h in RULE_COLUMNS]
    _titled(rule_header, rules, stats, rule_title)
    return [
        (f"{stats.period.label}按单位统计", [h for _, h in UNIT_COLUMNS], units),
        (f"{stats.period.label}规则命中", rule_header, rules),
    ]


def _titled(header: list[str], rows: list[list[object]], stats: Stats, rule_title: Callable[[str], str] | None) -> None:
    if rule_title is None:
        return
    at = [n for n, _ in RULE_COLUMNS].index("rule")
    header.insert(at + 1, "规则编号")
    for row, r in zip(rows, stats.rules):
        row[at] = rule_title(r.rule)
        row.insert(at + 1, r.rule)


def _rule_cell(row: object, name: str) -> object:
    """Exports carry numbers: the false-positive share as a percentage number (empty when nothing was disposed)."""
    if name == "false_positive_share":
        value = getattr(row, name)
        return None if value is None else round(value * 100, 1)
    return cell(row, name)


def _csv_safe(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for title, header, rows in sheets:
        sheet = book.add_worksheet(_sheet_name(title))
        sheet.write_row(0, 0, list(header), bold)
        widths = [_width(str(h)) for h in header]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, when)  # a real time: sorts and filters as one
                    size = 19
                elif isinstance(value, str):
                    sheet.write_string(r, c, value, wrap if len(value) > _MAX_WIDTH else None)
                    size = _width(value[: _MAX_WIDTH * 2]) if r <= _MEASURED_ROWS else 0
                elif value is None:
                    sheet.write_blank(r, c, None)
                    size = 0
                else:
                    sheet.write_number(r, c, value)  # type: ignore[arg-type]
                    size = len(str(value))
                if c < len(widths) and r <= _MEASURED_ROWS:
                    widths[c] = max(widths[c], size)
        for c, w in enumerate(widths):  # columns as wide as their text (wide characters count double), within reason
            sheet.set_column(c, c, min(max(w, 6), _MAX_WIDTH) + 2)
        sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


_MAX_WIDTH = 60
_MEASURED_ROWS = 2000  # column widths from the first rows: a long export is not measured cell by cell


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31]
