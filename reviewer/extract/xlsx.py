"""XLSX: every sheet (hidden and very hidden ones too), shared and inline strings, cell comments, sheet names,
defined names, headers and footers, charts and the document properties. Read from the XML: openpyxl drops or
flattens some of these (very hidden state, comment authors)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract.cells import reader_join
from reviewer.extract.context import Context
from reviewer.extract.formula import Unevaluable, Value, evaluate, is_textual, to_text
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.ooxml import (
    Package,
    drawing_text,
    external_targets,
    image_issue,
    leftover_text,
    local,
    main_part,
    media_metadata,
    properties,
    relationships,
)
from reviewer.extract.parts import PartBuilder
from reviewer.extract.workload import count_cells

S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _string_item(si: Element) -> str:
    """Text of a shared/inline string: its runs, then its phonetic guides (rPh, shown above the text when the
    sheet turns them on) on a line of their own."""
    out: list[str] = []
    guides: list[str] = []
    for child in si:
        name = local(child.tag)
        if name == "t":
            out.append(child.text or "")
        elif name == "r":
            out.extend(t.text or "" for t in child if local(t.tag) == "t")
        elif name == "rPh":
            guides.extend(t.text or "" for t in child if local(t.tag) == "t")
    text = "".join(out)
    return f"{text}\n{''.join(guides)}" if any(g.strip() for g in guides) else text


_FORMAT_LITERAL = re.compile(r'"([^"]*)"|\\(.)|\[\$([^\]-]*)(?:-[^\]]*)?\]|\[[^\]]*\]|_.|\*(.)|([^\x00-\x7f])', re.S)


def format_literals(code: str) -> list[str]:
    r"""The literal text a number format prints (`"沙洲"0`, `@"七号"`, `\沙`, `[$沙洲-804]`), one string per section."""
    out: list[str] = []
    for section in re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', code):
        pieces = []
        for m in _FORMAT_LITERAL.finditer(section):
            quoted, escaped, currency, fill, other = m.groups()
            piece = next((g for g in (quoted, escaped, currency, fill, other) if g is not None), "")
            pieces.append(piece)
        text = "".join(pieces)
        if text.strip():
            out.append(text)
    return out


def _column(n: int) -> str:
    name = ""
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name


class _XlsxReader:
    def __init__(self, pkg: Package, ctx: Context) -> None:
        self.pkg = pkg
        self.ctx = ctx
        self.parts: list[TextPart] = []
        self.issues: list[ExtractionIssue] = []
        self.shared: list[str] = []
        self.values: dict[str, dict[str, Value]] = {}
        self.formulas: list[tuple[str, str, str, str, str]] = []  # (sheet, ref, formula, cached text, sheet state)
        self.shared_formulas: dict[tuple[str, str], str] = {}

    def add(self, builder: PartBuilder) -> None:
        part = builder.build()
        if part:
            self.parts.append(part)

    def shared_strings(self, path: str) -> None:
        if path in self.pkg:
            self.shared = [_string_item(si) for si in self.pkg.xml(path) if local(si.tag) == "si"]

    def sheet(self, name: str, path: str, state: str) -> None:
        where = f"工作表“{name}”"
        b = PartBuilder(where, self.ctx.budget)
        count_cells(self.pkg.read(path), self.ctx.budget)  # before parsing: a million formula cells is refused
        root = self.pkg.xml(path)
        data = root.find(f"{S}sheetData")
        hidden_cols = _hidden_columns(root)
        rows: list[list[str]] = []  # cell texts by column, for the reader's join of numbers cut over cells (cells.py)
        for row in data if data is not None else ():
            self.ctx.budget.check_time()
            row_hidden = row.get("hidden") in ("1", "true")
            first = True
            rows.append([])
            for n, cell in enumerate(c for c in row if c.tag == f"{S}c"):
                text = self.cell_text(cell)
                ref = cell.get("r") or f"{_column(n + 1)}{row.get('r', '?')}"
                self.record(name, ref, cell, text, state)
                rows[-1].append(text)
                if not text.strip():
                    continue
                b.begin(f"{where}!{ref}", None if first else "\t")  # cells of a row stay on one line
                first = False
                col = _CELL_REF.match(ref)
                marks = []
                if row_hidden:
                    marks.append("隐藏行")
                if col and col.group(1) in hidden_cols:
                    marks.append("隐藏列")
                b.write(text, *marks)
        for hf in root.iter(f"{S}headerFooter"):
            for el in hf:
                kind = "页眉" if "Header" in local(el.tag) else "页脚"
                codes = re.sub(r'&"[^"]*"|&K[0-9A-Fa-f]{6}|&K\d\d[-+]\d{3}|&\d+|&[A-Za-z&]', " ", el.text or "")
                b.add(f"{where} {kind}", codes.strip())
        for dv in root.iter(f"{S}dataValidation"):  # the input prompt and error message a user sees, list choices
            texts = [dv.get(a, "") for a in ("promptTitle", "prompt", "errorTitle", "error")]
            formula = dv.find(f"{S}formula1")
            if dv.get("type") == "list" and formula is not None and (formula.text or "").startswith('"'):
                texts.append((formula.text or "").strip('"'))
            b.add(f"{where} 数据验证（{dv.get('sqref', '')}）", "\n".join(t for t in texts if t.strip()))
        for link in root.iter(f"{S}hyperlink"):
            texts = [link.get(a, "") for a in ("display", "tooltip", "location")]
            b.add(f"{where}!{link.get('ref', '')} 超链接", "\n".join(t for t in texts if t.strip()))
        if state in ("hidden", "veryHidden"):
            b.mark_all("隐藏工作表" if state == "hidden" else "深度隐藏工作表")
        self.add(b)
        joined = reader_join(where, rows, self.ctx.budget)
        if joined:
            self.parts.append(joined)
        self.comments(where, path)
        self.drawings(where, path)

    def record(self, sheet: str, ref: str, cell: Element, text: str, state: str) -> None:
        """Remember every cell's value (for references) and every formula (evaluated when all sheets are read)."""
        kind = cell.get("t", "n")
        value: Value = text
        if kind == "n" and text:
            try:
                value = float(text)
            except ValueError:
                value = text
        elif kind == "b":
            value = text in ("1", "true")
        self.values.setdefault(sheet, {})[ref.upper()] = value
        f = cell.find(f"{S}f")
        if f is None:
            return
        shared = f.get("si") if f.get("t") == "shared" else None
        if f.text:
            if shared is not None:
                self.shared_formulas[(sheet, shared)] = f.text
            self.formulas.append((sheet, ref.upper(), f.text, text, state))
        elif shared is not None and not text:  # a dependent of a shared formula without a cached value
            self.formulas.append((sheet, ref.upper(), f"\x00{shared}", text, state))

    def formula_results(self) -> None:
        """What each formula shows when the workbook is opened (programs recalculate): its evaluated text where it
        differs from the cached value. A text formula that cannot be evaluated and has no cached value is an issue."""
        b = PartBuilder("公式计算结果", self.ctx.budget)
        memo: dict[tuple[str, str], Value] = {}
        pending: set[tuple[str, str]] = set()
        by_cell = {(sheet, ref): formula for sheet, ref, formula, _cached, _state in self.formulas}
        unevaluated: dict[str, list[str]] = {}

        def resolve(ref: str, sheet: str | None, current: str, depth: int) -> Value:
            key = (sheet or current, ref)
            if key in memo:
                return memo[key]
            formula = by_cell.get(key)
            if formula is not None and not formula.startswith("\x00") and key not in pending:
                pending.add(key)
                try:
                    memo[key] = evaluate(formula, lambda r, s: resolve(r, s, key[0], depth + 1), depth + 1)
                finally:
                    pending.discard(key)
                return memo[key]
            if key[0] not in self.values:
                raise Unevaluable("sheet")
            return self.values[key[0]].get(ref, "")

        for sheet, ref, formula, cached, state in self.formulas:
            self.ctx.budget.check_time()
            if formula.startswith("\x00"):
                master = self.shared_formulas.get((sheet, formula[1:]), "")
                if is_textual(master):
                    unevaluated.setdefault(sheet, []).append(ref)
                continue
            try:
                value = resolve(ref, sheet, sheet, 0)
            except Unevaluable:
                if not cached.strip() and is_textual(formula):
                    unevaluated.setdefault(sheet, []).append(ref)
                continue
            text = to_text(value)
            if isinstance(value, str) and text.strip() and text != cached:
                marks = {"hidden": ["隐藏工作表"], "veryHidden": ["深度隐藏工作表"]}.get(state, [])
                b.add(f"工作表“{sheet}”!{ref}（公式计算结果）", text, *marks)
        self.add(b)
        for sheet, refs in unevaluated.items():
            self.issues.append(
                ExtractionIssue(
                    "formula_unevaluated",
                    f"工作表“{sheet}”!{refs[0]}",
                    f"工作表中有 {len(refs)} 个生成文字的公式没有保存计算结果，且无法安全计算，其显示的文字未能核验，需人工核对",
                )
            )

    def number_formats(self, folder: str) -> None:
        path = f"{folder}/styles.xml"
        if path not in self.pkg:
            return
        b = PartBuilder("数字格式", self.ctx.budget)
        for fmt in self.pkg.xml(path).iter(f"{S}numFmt"):
            for text in format_literals(fmt.get("formatCode", "")):
                b.add(f"数字格式（格式代码 {fmt.get('numFmtId', '')}）", text)
        self.add(b)

    def cell_text(self, cell: Element) -> str:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(f"{S}is")
            return _string_item(inline) if inline is not None else ""
        v = cell.find(f"{S}v")
        value = v.text if v is not None and v.text else ""
        if kind == "s" and value:
            try:
                return self.shared[int(value)]
            except (ValueError, IndexError) as exc:
                ref = cell.get("r", "")
                shown = f" {ref}" if _CELL_REF.fullmatch(ref) else ""  # an attribute is draft-controlled: only a real reference
                raise ExtractionError(f"Excel 工作簿的单元格{shown}引用了不存在的共享字符串，文件已损坏，无法审查") from exc
        return value

    def comments(self, where: str, sheet_path: str) -> None:
        folder = str(PurePosixPath(sheet_path).parent)
        rels = relationships(self.pkg, f"{folder}/_rels/{PurePosixPath(sheet_path).name}.rels", folder)
        for target in rels.values():
            if target not in self.pkg:
                continue
            name = PurePosixPath(target).name
            if re.fullmatch(r"comments?\d*\.xml", name):
                root = self.pkg.xml(target)
                authors = [a.text or "" for a in root.iter(f"{S}author")]
                b = PartBuilder(f"批注 · {where}", self.ctx.budget)
                for c in root.iter(f"{S}comment"):
                    try:
                        author = authors[int(c.get("authorId", "0"))]
                    except (ValueError, IndexError):
                        author = "未知"
                    text_el = c.find(f"{S}text")
                    text = _string_item(text_el) if text_el is not None else ""
                    b.add(f"批注（作者：{author or '未知'}） · {where}!{c.get('ref', '')}", text)
                self.add(b)
            elif re.fullmatch(r"threadedComment\d*\.xml", name):
                b = PartBuilder(f"会话批注 · {where}", self.ctx.budget)
                for c in self.pkg.xml(target):
                    b.add(f"会话批注 · {where}!{c.get('ref', '')}", "".join(c.itertext()))
                self.add(b)

    def drawings(self, where: str, sheet_path: str) -> None:
        """Text boxes and shapes drawn on a sheet (xl/drawings/drawingN.xml)."""
        folder = str(PurePosixPath(sheet_path).parent)
        rels = relationships(self.pkg, f"{folder}/_rels/{PurePosixPath(sheet_path).name}.rels", folder)
        for target in rels.values():
            if re.fullmatch(r"xl/drawings/drawing\d*\.xml", target) and target in self.pkg:
                b = PartBuilder(f"文本框或图形 · {where}", self.ctx.budget)
                root = self.pkg.xml(target)
                b.add(b.location, drawing_text(root))
                for node in root.iter():
                    if local(node.tag) == "cNvPr":
                        b.add(f"图片说明文字 · {where}", "\n".join(node.get(a, "") for a in ("descr", "title") if node.get(a, "").strip()))
                self.add(b)


def _hidden_columns(root: Element) -> set[str]:
    out: set[str] = set()
    cols = root.find(f"{S}cols")
    for col in cols if cols is not None else ():
        if col.get("hidden") in ("1", "true"):
            try:
                lo, hi = int(col.get("min", "0")), int(col.get("max", "0"))
            except ValueError:
                continue
            out.update(_column(i) for i in range(lo, min(hi, lo + 1000) + 1) if i > 0)
    return out


def extract_xlsx(data: bytes, ctx: Context) -> Extraction:
    pkg = Package(data, ctx.budget, "Excel 工作簿")
    book_path = main_part(pkg, "xl/workbook.xml")
    if book_path not in pkg:
        raise ExtractionError("Excel 工作簿缺少 workbook.xml 部件，文件可能已损坏，无法审查")
    folder = str(PurePosixPath(book_path).parent)
    book = pkg.xml(book_path)
    if book.tag != f"{S}workbook":  # another vocabulary: reading it as Excel would find nothing and pass
        raise ExtractionError("Excel 工作簿的 workbook 部件不是可识别的 SpreadsheetML 格式，无法审查；请用 Excel 另存为 .xlsx 后提交")
    rels = relationships(pkg, f"{folder}/_rels/{PurePosixPath(book_path).name}.rels", folder)
    reader = _XlsxReader(pkg, ctx)
    shared = [t for t in rels.values() if t.endswith("sharedStrings.xml")]
    reader.shared_strings(shared[0] if shared else f"{folder}/sharedStrings.xml")
    names = PartBuilder("工作表名称", ctx.budget)
    sheets = book.find(f"{S}sheets")
    for sheet in sheets if sheets is not None else ():
        name = sheet.get("name", "")
        state = sheet.get("state", "visible")
        names.add(f"工作表名称“{name}”", name, *(["隐藏工作表"] if state != "visible" else []))
        path = rels.get(sheet.get(f"{R}id", ""), "")
        if path in pkg and "/worksheets/" in path:
            reader.sheet(name, path, state)
        elif path in pkg:  # a chart sheet or dialog sheet: its drawings hold the text
            reader.drawings(f"工作表“{name}”", path)
        else:
            reader.issues.append(ExtractionIssue("sheet_missing", f"工作表“{name}”", f"工作表“{name}”的数据部件缺失，无法核验"))
    reader.add(names)
    defined = PartBuilder("定义名称", ctx.budget)
    for dn in book.iter(f"{S}definedName"):
        name = dn.get("name", "")
        notes = [dn.get(a, "") for a in ("comment", "description", "help", "statusBar", "customMenu")]
        if not name.startswith("_xlnm."):
            defined.add(f"定义名称:{name}", "\n".join(t for t in (name, dn.text or "", *notes) if t.strip()))
        elif any(t.strip() for t in notes):
            defined.add(f"定义名称:{name}（备注）", "\n".join(t for t in notes if t.strip()))
    reader.add(defined)
    structure = PartBuilder("工作簿结构", ctx.budget)
    for name in pkg.matching(r"xl/(externalLinks/externalLink|tables/table)\d+\.xml"):
        # external workbooks: sheet and name lists (attributes) besides cached values; tables: alternative text
        root = pkg.xml(name)
        values = [el.get(a, "") for el in root.iter() for a in ("val", "name", "altText", "altTextSummary", "displayName", "ddeService", "ddeTopic")]
        values += [t.strip() for t in root.itertext() if t.strip()]
        what = "外部工作簿" if "externalLink" in name else "表格"
        structure.add(f"{what}（{PurePosixPath(name).name}）", "\n".join(dict.fromkeys(v for v in values if v.strip())))
    reader.add(structure)
    reader.add(external_targets(pkg, ctx.budget))
    for chart in pkg.matching(r"xl/charts/chart\d*\.xml"):
        b = PartBuilder(f"图表（{PurePosixPath(chart).name}）", ctx.budget)
        b.add(b.location, drawing_text(pkg.xml(chart)))
        reader.add(b)
    reader.formula_results()
    reader.number_formats(folder)
    pivots = PartBuilder("数据透视表", ctx.budget)
    for name in pkg.matching(r"xl/(pivotCache|pivotTables)/[^/]+\.xml"):
        values = [el.get(a, "") for el in pkg.xml(name).iter() for a in ("v", "n", "name", "caption") if el.get(a)]
        pivots.add(f"数据透视表（{PurePosixPath(name).name}）", "\n".join(dict.fromkeys(v for v in values if v.strip())))
    reader.add(pivots)
    for name in pkg.matching(r"xl/embeddings/.+"):
        file = PurePosixPath(name).name
        parts, issues = ctx.embedded(pkg.read(name), file, f"嵌入对象“{file}”")
        reader.parts.extend(parts)
        reader.issues.extend(issues)
    pictures, picture_issues = media_metadata(pkg, "xl/media/", ctx.budget)
    reader.parts.extend(pictures)
    reader.issues.extend(picture_issues)
    images = image_issue(pkg, "xl/media/", any(p.location.startswith("工作表“") for p in reader.parts))
    if images:
        reader.issues.append(images)
    reader.add(properties(pkg, ctx.budget))
    reader.add(leftover_text(pkg, ctx.budget))
    return Extraction(parts=reader.parts, kind="xlsx", issues=reader.issues)
