"""Generate the format samples: realistic drafts that hide classified markings and personal data in every place a
format keeps text. Run `python scripts/samples/make_samples.py [OUT_DIR]` (default samples/formats); the files are committed, and tests compare the
extraction and the scan of each with samples/formats/expected.json. Deterministic: the same bytes every run, except
broken/password.pdf, whose encryption salt is random."""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# Output goes to samples/formats (or the directory given): the generators live outside samples/ so that
# `reviewer scan samples/` only meets drafts.
OUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE.parent.parent / "samples" / "formats"

from pdfgen import Annotation, Page, make_pdf  # noqa: E402

FIXED = datetime(2025, 3, 1, 9, 0, 0)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def id_number(first17: str) -> str:
    """A GB 11643 number with a correct check digit (fictional person)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


ID_COMMENT = "11010519491231002X"
ID_INSERT = id_number("44030419850607123")
ID_TABLE = id_number("32010219770101456")
ID_ENDNOTE = id_number("51010719900315789")
ID_HIDDEN_SHEET = id_number("33010619881122334")
ID_PDF = id_number("12010119790909111")
ID_HTML = id_number("37020219660606222")

# (file, text, location the text must be reported at, whether the built-in rules must find it)
EXPECTED: list[dict[str, object]] = []


def expect(file: str, text: str, location: str, scan: bool = True) -> None:
    EXPECTED.append({"file": file, "text": text, "location": location, "scan": scan})


# -- text -------------------------------------------------------------------------------------------------------------
TEXT = "关于开展2025年政务公开工作的通知\n各单位：\n本文件标注为机密★10年，请勿上网。\n联系人身份证号：11010519491231002X\n"


def make_text() -> dict[str, bytes]:
    out = {
        "notice-utf8.txt": TEXT.encode("utf-8"),
        "notice-utf8-bom.txt": b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        "notice-utf16.txt": TEXT.encode("utf-16"),
        "notice-gbk.txt": TEXT.encode("gbk"),
        "notice-utf16le-nobom.txt": TEXT.encode("utf-16-le"),  # Windows Notepad "Unicode" without the BOM
        "notice-utf16be-nobom.txt": TEXT.encode("utf-16-be"),
    }
    for name in out:
        expect(name, "机密★10年", "正文")
        expect(name, ID_COMMENT, "正文")
    # Big5 (traditional characters): read as such; the scanner folds 機密 to 机密
    out["notice-big5.txt"] = TEXT_BIG5.encode("big5")
    expect("notice-big5.txt", "機密★10年", "正文")
    expect("notice-big5.txt", ID_COMMENT, "正文")
    return out


TEXT_BIG5 = "關於開展2025年政務公開工作的通知\n各單位：\n本文件標註為機密★10年，請勿上網。\n聯繫人身份證號：11010519491231002X\n"


# -- json -------------------------------------------------------------------------------------------------------------
def make_json() -> bytes:
    """A CMS export with every string \\u-escaped (json.dumps default), one as HTML entities."""
    name = "cms-export.json"
    entities = "".join(f"&#{ord(c)};" for c in "秘密★5年")
    doc = {"title": "政务公开通知", "body": "本文件标注为机密★10年", "contact": {"id": ID_HTML}, "html": f"<p>{entities}</p>"}
    expect(name, "机密★10年", "JSON字符串 第3行")
    expect(name, ID_HTML, "正文")
    expect(name, "秘密★5年", "JSON字符串 第7行")
    return (json.dumps(doc, indent=1) + "\n").encode()


# -- archive ----------------------------------------------------------------------------------------------------------
def _fixed_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return out.getvalue()


def make_archive() -> bytes:
    """An attachment archive: a Word draft and a GBK text in folders, and a zip inside the zip."""
    name = "attachments.zip"
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>'
        "<w:p><w:r><w:t>附件一：经费说明</w:t></w:r></w:p><w:p><w:r><w:t>本件为秘密★5年</w:t></w:r></w:p>"
        "</w:body></w:document>"
    )
    # a complete (if minimal) Word package: the render check opens it in LibreOffice, which refuses a bare document.xml
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
             'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
             'main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    docx = _fixed_zip({"[Content_Types].xml": types.encode(), "_rels/.rels": rels.encode(),
                       "word/document.xml": document.encode()})
    inner = _fixed_zip({"名单/联系人.txt": f"联系人身份证号：{ID_PDF}\n".encode("gb18030")})
    expect(name, "秘密★5年", "压缩包“attachments.zip” › 附件/附件一.docx · 正文 第2段")
    expect(name, "机密★10年", "压缩包“attachments.zip” › 附件/说明.txt · 正文")
    expect(name, ID_PDF, "压缩包“attachments.zip” › 附件/名单.zip › 名单/联系人.txt · 正文")
    return _fixed_zip(
        {
            "附件/附件一.docx": docx,
            "附件/说明.txt": "请注意：本件机密★10年。\n".encode("gb18030"),
            "附件/名单.zip": inner,
        }
    )


# -- html -------------------------------------------------------------------------------------------------------------
def make_html() -> bytes:
    name = "cms-page.html"
    html = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>关于做好2025年度政务信息公开工作的通知</title>
<meta name="keywords" content="内部资料">
<meta name="description" content="本页正文原稿密级：秘密★5年">
<style>.banner::after {{ content: "机密★1年"; }}</style>
</head>
<body>
<!-- 编辑备注：原稿标注“机密★10年”，发布前已删去 -->
<h1>关于做好2025年度政务信息公开工作的通知</h1>
<p>各区县人民政府、市政府各部门：</p>
<p>为深入贯彻《中华人民共和国政府信息公开条例》，现就青鸾<b>四号</b>项目配套的公开工作通知如下。</p>
<p>一、提高思想认识。<span style="display:none">经办人身份证号 {ID_HTML}</span>各单位要坚持“先审查、后公开”。</p>
<div hidden>不得外传</div>
<p><img src="chart.png" alt="注意保存"> <a href="#" title="绝密★长期 附件">附件下载</a></p>
<noscript>此件不予公开</noscript>
<script>var draftMarking = "机密★3年";</script>
</body>
</html>
"""
    expect(name, "青鸾四号", "正文", scan=False)
    expect(name, "机密★10年", "HTML注释 第1处")
    expect(name, "内部资料", "HTML元数据:keywords")
    expect(name, "秘密★5年", "HTML元数据:description")
    expect(name, ID_HTML, "隐藏元素<span>")
    expect(name, "不得外传", "隐藏元素<div>")
    expect(name, "注意保存", "HTML属性:alt（<img>）")
    expect(name, "绝密★长期", "HTML属性:title（<a>）")
    expect(name, "此件不予公开", "noscript")
    expect(name, "机密★3年", "脚本 第1段")
    expect(name, "机密★1年", "样式 第1段")
    return html.encode("utf-8")


# -- docx -------------------------------------------------------------------------------------------------------------
def _w(text: str) -> str:
    return f'<w:t xml:space="preserve">{text}</w:t>'


_PARAGRAPHS = {
    "@@SPLIT@@": f'<w:p><w:r>{_w("本项目代号青鸾")}</w:r><w:r><w:rPr><w:b/></w:rPr>{_w("四号")}</w:r>'
    f'<w:r>{_w("，按计划推进。")}</w:r></w:p>',
    "@@INS@@": f'<w:p><w:r>{_w("经研究，")}</w:r><w:ins w:id="901" w:author="李编辑" w:date="2025-03-01T09:00:00Z">'
    f'<w:r>{_w("联系人身份证号 " + ID_INSERT + "，")}</w:r></w:ins><w:r>{_w("现将有关事项通知如下。")}</w:r></w:p>',
    "@@DEL@@": f'<w:p><w:r>{_w("本通知")}</w:r><w:del w:id="902" w:author="王审校" w:date="2025-03-01T09:00:00Z">'
    f'<w:r><w:delText xml:space="preserve">（机密★10年）</w:delText></w:r></w:del><w:r>{_w("自印发之日起施行。")}</w:r></w:p>',
    "@@DELSPLIT@@": f'<w:p><w:r>{_w("项目名称：青鸾")}</w:r><w:del w:id="903" w:author="王审校" w:date="2025-03-01T09:00:00Z">'
    f'<w:r><w:delText>四号</w:delText></w:r></w:del><w:r>{_w("（已更名）")}</w:r></w:p>',
    "@@HIDDEN@@": f'<w:p><w:r>{_w("请各单位按时报送。")}</w:r><w:r><w:rPr><w:vanish/></w:rPr><w:br/>{_w("内部资料")}</w:r></w:p>',
    "@@BOX@@": '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" style="width:200pt;height:40pt">'
    f'<v:textbox><w:txbxContent><w:p><w:r>{_w("文本框：秘密★1年")}</w:r></w:p></w:txbxContent></v:textbox>'
    "</v:shape></w:pict></w:r></w:p>",
    "@@NOTES@@": f'<w:p><w:r>{_w("数据来源见脚注")}</w:r><w:r><w:footnoteReference w:id="1"/></w:r>'
    f'<w:r>{_w("与尾注")}</w:r><w:r><w:endnoteReference w:id="1"/></w:r></w:p>',
}

_NOTES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:{kind}s xmlns:w="{ns}">
<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>
<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>
<w:{kind} w:id="1"><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:{kind}>
</w:{kind}s>"""

_CUSTOM = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="密级"><vt:lpwstr>绝密★长期</vt:lpwstr></property>
</Properties>"""


def _rewrite_zip(data: bytes, edit: dict[str, bytes], add: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = edit.get(info.filename, src.read(info.filename))
            if info.filename.endswith((".xml", ".rels")):  # library-stamped "now" times -> fixed, for reproducible bytes
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", b"2025-03-01T09:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED.timetuple()[:6]), content, zipfile.ZIP_DEFLATED)
        for name, content in add.items():
            dst.writestr(zipfile.ZipInfo(name, FIXED.timetuple()[:6]), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_docx() -> bytes:
    import docx

    name = "draft-with-revisions.docx"
    d = docx.Document()
    d.core_properties.title = "关于政务公开工作的通知（机密★20年）"
    d.core_properties.author = "办公室"
    d.core_properties.keywords = "政务公开;征求意见稿"
    d.core_properties.created = FIXED
    d.core_properties.modified = FIXED
    d.core_properties.last_modified_by = "王审校"
    d.core_properties.revision = 1
    d.add_heading("关于做好2025年度政务公开工作的通知", level=1)
    d.add_paragraph("各区县人民政府，市政府各部门：")
    for marker in _PARAGRAPHS:
        d.add_paragraph(marker)
    commented = d.add_paragraph("请各单位认真组织实施，确保按期完成。")
    d.add_comment(commented.runs, text=f"涉及人员身份证号 {ID_COMMENT}，标注为 机密★5年，发布前删除", author="王审校", initials="WSJ")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["序号", "单位", "联系人"], ["1", "市政务办", "张某"], ["2", "市档案局", f"身份证 {ID_TABLE}"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    section = d.sections[0]
    section.header.paragraphs[0].text = "秘密★5年"
    section.footer.paragraphs[0].text = "工作秘密 注意保存"
    raw = io.BytesIO()
    d.save(raw)
    pkg = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    document = pkg.read("word/document.xml").decode("utf-8")
    for marker, xml in _PARAGRAPHS.items():
        document, n = re.subn(rf"<w:p>(?:(?!<w:p>).)*?{marker}.*?</w:p>", lambda _m, x=xml: x, document, flags=re.S)
        assert n == 1, marker
    rels = pkg.read("word/_rels/document.xml.rels").decode("utf-8").replace(
        "</Relationships>",
        '<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
        '<Relationship Id="rIdEn" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes" Target="endnotes.xml"/>'
        "</Relationships>",
    )
    types = pkg.read("[Content_Types].xml").decode("utf-8").replace(
        "</Types>",
        '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
        '<Override PartName="/word/endnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"/>'
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        "</Types>",
    )
    root_rels = pkg.read("_rels/.rels").decode("utf-8").replace(
        "</Relationships>",
        '<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>",
    )
    data = _rewrite_zip(
        raw.getvalue(),
        {
            "word/document.xml": document.encode("utf-8"),
            "word/_rels/document.xml.rels": rels.encode("utf-8"),
            "[Content_Types].xml": types.encode("utf-8"),
            "_rels/.rels": root_rels.encode("utf-8"),
        },
        {
            "word/footnotes.xml": _NOTES.format(kind="footnote", ns=W_NS, text="内部资料").encode("utf-8"),
            "word/endnotes.xml": _NOTES.format(kind="endnote", ns=W_NS, text=f"经办人 {ID_ENDNOTE}").encode("utf-8"),
            "docProps/custom.xml": _CUSTOM.encode("utf-8"),
        },
    )
    expect(name, "青鸾四号", "正文 第3段", scan=False)
    expect(name, ID_INSERT, "正文 第4段 · 修订-插入（作者：李编辑）")
    expect(name, "机密★10年", "正文 第5段 · 修订-删除（作者：王审校）")
    expect(name, "青鸾四号", "正文 第6段 · 部分位于修订-删除（作者：王审校）", scan=False)
    expect(name, "内部资料", "正文 第7段 · 隐藏文字")
    expect(name, "秘密★1年", "文本框（位于正文 第7段之后）")
    expect(name, ID_TABLE, "表格1 第3行第3列")
    expect(name, ID_COMMENT, "批注（作者：王审校） · 位于正文 第9段")
    expect(name, "机密★5年", "批注（作者：王审校）")
    expect(name, "秘密★5年", "页眉")
    expect(name, "工作秘密", "页脚")
    expect(name, "内部资料", "脚注1")
    expect(name, ID_ENDNOTE, "尾注1")
    expect(name, "机密★20年", "文档属性:title")
    expect(name, "征求意见稿", "文档属性:keywords")
    expect(name, "绝密★长期", "文档属性:密级")
    return data


# -- xlsx -------------------------------------------------------------------------------------------------------------
def make_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.defined_name import DefinedName

    name = "budget-with-hidden-sheet.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["项目", "金额（万元）", "备注"])
    ws.append(["政务公开平台运维", 120, "公开"])
    ws.append(["档案数字化", 80, "公开"])
    ws["C3"].comment = Comment("此项实为机密★10年项目，对外口径见附表2", "王审校")
    ws.row_dimensions[5].hidden = True
    ws["A5"] = "内部资料"
    hidden = wb.create_sheet("附表2")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "附表2 人员名单"
    hidden["B7"] = "张某"
    hidden["C7"] = ID_HIDDEN_SHEET
    very = wb.create_sheet("备用")
    very.sheet_state = "veryHidden"
    very["A1"] = "绝密★长期"
    wb.defined_names["机密★5年_经费"] = DefinedName("机密★5年_经费", attr_text="汇总!$B$2:$B$3")
    wb.properties.title = "2025年度经费预算（秘密★5年）"
    wb.properties.creator = "财务处"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.custom_doc_props.append(StringProperty(name="备注", value="不得外传"))
    raw = io.BytesIO()
    wb.save(raw)
    expect(name, "机密★10年", "批注（作者：王审校） · 工作表“汇总”!C3")
    expect(name, "内部资料", "工作表“汇总”!A5 · 隐藏行")
    expect(name, ID_HIDDEN_SHEET, "工作表“附表2”!C7 · 隐藏工作表")
    expect(name, "绝密★长期", "工作表“备用”!A1 · 深度隐藏工作表")
    expect(name, "机密★5年", "定义名称:机密★5年_经费")
    expect(name, "秘密★5年", "文档属性:title")
    expect(name, "不得外传", "文档属性:备注")
    return _rewrite_zip(raw.getvalue(), {}, {})  # fixed timestamps: reproducible bytes


# -- pdf --------------------------------------------------------------------------------------------------------------
def make_pdf_sample() -> bytes:
    name = "report-with-scan.pdf"
    pages = [
        Page(["关于2025年度政务公开工作情况的报告", "一、总体情况", "全年主动公开政府信息一千余条。"]),
        Page(["二、存在问题", f"个别单位将联系人身份证号 {ID_PDF} 误发上网。"], annotations=[Annotation("原稿此处为 机密★10年 内容", "王审校")]),
        Page(scanned=True),
    ]
    expect(name, ID_PDF, "第2页")
    expect(name, "机密★10年", "第2页 批注（作者：王审校）")
    expect(name, "内部资料", "文档属性:subject")
    expect(name, "不得外传", "书签")
    return make_pdf(pages, info={"Title": "政务公开情况报告", "Subject": "内部资料", "Author": "办公室"}, bookmarks=["不得外传"])


# -- broken -----------------------------------------------------------------------------------------------------------
def make_broken(docx_data: bytes, pdf_data: bytes) -> dict[str, bytes]:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_data)))
    writer.encrypt("mima123", algorithm="AES-128")
    writer._ID = None
    encrypted = io.BytesIO()
    writer.write(encrypted)
    return {
        "broken/truncated.docx": docx_data[: len(docx_data) // 2],
        "broken/not-really.docx": "这是一个被改了扩展名的文本文件".encode(),
        "broken/password.pdf": encrypted.getvalue(),
        "broken/image-renamed.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "broken/truncated.pdf": pdf_data[: len(pdf_data) * 2 // 3],
        "broken/unknown.bin": bytes(range(256)) * 8,
    }


def main() -> None:
    files: dict[str, bytes] = {}
    files.update(make_text())
    files["cms-page.html"] = make_html()
    files["cms-export.json"] = make_json()
    files["attachments.zip"] = make_archive()
    files["draft-with-revisions.docx"] = make_docx()
    files["budget-with-hidden-sheet.xlsx"] = make_xlsx()
    files["report-with-scan.pdf"] = make_pdf_sample()
    files.update(make_broken(files["draft-with-revisions.docx"], files["report-with-scan.pdf"]))
    from new_formats import make_new_formats  # issue 22: e-mail, MHTML as .doc, XML feed, OFD

    files.update(make_new_formats(expect, [id_number(f"1101081990010{n}123") for n in range(1, 6)], _fixed_zip))
    for rel, data in files.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    expected = {
        "places": EXPECTED,
        "errors": sorted(n for n in files if n.startswith("broken/")),
        "review_issues": [{"file": "report-with-scan.pdf", "code": "scanned_page", "location": "第3页"}],
    }
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} samples and expected.json to {OUT}")


if __name__ == "__main__":
    main()
