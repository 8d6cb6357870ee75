"""XLSX: every sheet (hidden and very hidden ones too), shared and inline strings, cell comments, sheet names,
defined names, headers and footers, charts and the document properties. Read from the XML: openpyxl drops or
flattens some of these (very hidden state, comment authors)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from reviewer.errors import ExtractionError
from reviewer.extract.context import Context
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.ooxml import Package, drawing_text, image_issue, local, main_part, properties, relationships
from reviewer.extract.parts import PartBuilder

S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _string_item(si: Element) -> str:
    """Text of a shared/inline string: its runs, not the phonetic (rPh) guides."""
    out: list[str] = []
    for child in si:
        name = local(child.tag)
        if name == "t":
            out.append(child.text or "")
        elif name == "r":
            out.extend(t.text or "" for t in child if local(t.tag) == "t")
    return "".join(out)


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
        root = self.pkg.xml(path)
        data = root.find(f"{S}sheetData")
        hidden_cols = _hidden_columns(root)
        for row in data if data is not None else ():
            self.ctx.budget.check_time()
            row_hidden = row.get("hidden") in ("1", "true")
            first = True
            for n, cell in enumerate(c for c in row if c.tag == f"{S}c"):
                text = self.cell_text(cell)
                if not text.strip():
                    continue
                ref = cell.get("r") or f"{_column(n + 1)}{row.get('r', '?')}"
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
                b.add(f"{where} {kind}", re.sub(r"&[A-Z\d\"]*", " ", el.text or "").strip())
        if state in ("hidden", "veryHidden"):
            b.mark_all("隐藏工作表" if state == "hidden" else "深度隐藏工作表")
        self.add(b)
        self.comments(where, path)
        self.drawings(where, path)

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
                raise ExtractionError(f"Excel 工作簿的单元格 {cell.get('r', '')} 引用了不存在的共享字符串，文件已损坏，无法审查") from exc
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
                b.add(b.location, drawing_text(self.pkg.xml(target)))
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
        if not name.startswith("_xlnm."):
            defined.add(f"定义名称:{name}", f"{name}\n{dn.text or ''}")
    reader.add(defined)
    for chart in pkg.matching(r"xl/charts/chart\d*\.xml"):
        b = PartBuilder(f"图表（{PurePosixPath(chart).name}）", ctx.budget)
        b.add(b.location, drawing_text(pkg.xml(chart)))
        reader.add(b)
    for name in pkg.matching(r"xl/embeddings/.+"):
        file = PurePosixPath(name).name
        parts, issues = ctx.embedded(pkg.read(name), file, f"嵌入对象“{file}”")
        reader.parts.extend(parts)
        reader.issues.extend(issues)
    images = image_issue(pkg, "xl/media/", any(p.location.startswith("工作表“") for p in reader.parts))
    if images:
        reader.issues.append(images)
    reader.add(properties(pkg, ctx.budget))
    return Extraction(parts=reader.parts, kind="xlsx", issues=reader.issues)
