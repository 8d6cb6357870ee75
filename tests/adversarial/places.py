"""Adversarial kinds of issue 22, "places that are never read": leaks an insider hides in a PDF's earlier revision, in
a package's relationships and structure, in a picture's metadata, in a link; each with a clean counterpart built the
same way. Terms are this corpus's own (generate.CJK_TERMS); markings and ID numbers are generated."""

from __future__ import annotations

import html
import io
import random
import re
import zipfile
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from tests.scan.helpers import id_number

if TYPE_CHECKING:  # pragma: no cover
    from tests.adversarial.generate import _Base

Pair = tuple[bytes, bytes, str, str]
EXPECT = ("adv-project-codes", "classification-marking", "id-card", "extract.photo_location")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CLEAN_WORDS = ("重点工作安排", "年度计划", "会议纪要", "政务公开", "工作方案", "统计报表")


def _plant(rng: random.Random, k: int) -> str:
    """A term, a classification marking or a valid ID number, in turn."""
    from tests.adversarial.generate import CJK_TERMS, _level

    if k % 3 == 0:
        return CJK_TERMS[rng.randrange(len(CJK_TERMS))]
    if k % 3 == 1:
        level, period = _level(rng)
        return f"{level}★{period}"
    region = rng.choice(("110105", "320102", "440304", "510107", "610113"))
    birth = f"{rng.randrange(1960, 2000)}{rng.randrange(1, 13):02d}{rng.randrange(1, 28):02d}"
    return id_number(region + birth + f"{rng.randrange(1000):03d}")


def _zip(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 5, 1, 9, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'


def _docx(body: str, extra: dict[str, bytes | str] | None = None) -> bytes:
    return _zip({"word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}" '
                                      f'xmlns:r="{T[:-1]}"><w:body>{body}</w:body></w:document>', **(extra or {})})


def _rels(kind: str, target: str) -> str:
    return (f'<Relationships xmlns="{RELS}"><Relationship Id="rId7" Type="{T}{kind}" '
            f'Target="{html.escape(target)}" TargetMode="External"/></Relationships>')


# ----------------------------------------------------------------------------- PDF revisions
def pdf_revisions(b: _Base) -> list[Pair]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    from tests.extract.helpers import Annotation, Page, make_pdf

    def update(original: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
        writer = PdfWriter(PdfReader(io.BytesIO(original)), incremental=True)
        change(writer)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def hexed(text: str) -> bytes:
        return b"<" + text.encode("utf-16-be").hex().upper().encode() + b"> Tj T*\n"

    out: list[Pair] = []
    for k in range(12):
        rng = b.rng
        lines = [ln[:38] for ln in b.excerpt(300)]
        planted = _plant(rng, k)
        clean_word = CLEAN_WORDS[k % len(CLEAN_WORDS)]
        how = k % 4

        def build(value: str) -> bytes:
            line = f"附：{value}"
            if how in (0, 1):  # a line of the page dropped by the update
                def drop(writer: PdfWriter) -> None:
                    content = writer.pages[0].get_contents()
                    assert content is not None
                    content.set_data(content.get_data().replace(hexed(line), b""))
                    writer.pages[0].replace_contents(content)
                return update(make_pdf([Page(lines[:2] + [line] + lines[2:])]), drop)
            if how == 2:  # the document's subject replaced
                return update(make_pdf([Page(lines)], info={"Subject": line}),
                              lambda w: w.add_metadata({"/Subject": "通知"}))

            def unannotate(writer: PdfWriter) -> None:  # a reviewer's note removed
                writer.pages[0][NameObject("/Annots")] = ArrayObject()
            return update(make_pdf([Page(lines, annotations=[Annotation(line, "审校")])]), unannotate)

        where = ("正文行", "正文行", "文档主题", "批注")[how]
        out.append((build(planted), build(clean_word), ".pdf", f"PDF 增量更新删去的{where}中的“{planted}”"))
    return out


# ----------------------------------------------------------------------------- package relationships and structure
def package_places(b: _Base) -> list[Pair]:
    out: list[Pair] = []
    for k in range(12):
        rng = b.rng
        body = "".join(_p(ln) for ln in b.excerpt(300))
        planted = _plant(rng, k)
        how = k % 8

        def build(value: str) -> tuple[bytes, str, str]:
            path = f"D:/工作/{value}/方案.docx"
            if how == 0:
                return _docx(body, {"word/_rels/document.xml.rels": _rels("hyperlink", "file:///" + quote(path))}), \
                    ".docx", "超链接地址（百分号编码）"
            if how == 1:
                return _docx(body, {"word/_rels/settings.xml.rels": _rels("attachedTemplate", path)}), ".docx", "附加模板路径"
            if how == 2:
                sdt = f'<w:sdt><w:sdtPr><w:alias w:val="{value}"/><w:tag w:val="t1"/></w:sdtPr><w:sdtContent>{body}' \
                      "</w:sdtContent></w:sdt>"
                return _docx(sdt), ".docx", "内容控件标题"
            if how == 3:
                return _docx(f'<w:bookmarkStart w:id="0" w:name="{value}"/>{body}<w:bookmarkEnd w:id="0"/>'), ".docx", "书签名称"
            if how == 4:
                field = ('<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Text1"/>'
                         f'<w:helpText w:type="text" w:val="填写说明：{value}"/><w:textInput/></w:ffData></w:fldChar></w:r>'
                         '<w:r><w:instrText> FORMTEXT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
                return _docx(body + field), ".docx", "表单域帮助文字"
            if how == 5:
                table = (f'<w:tbl><w:tblPr><w:tblDescription w:val="{value}"/></w:tblPr><w:tr><w:tc>{_p("序号")}</w:tc>'
                         "</w:tr></w:tbl>")
                return _docx(body + table), ".docx", "表格替代文字"
            if how == 6:
                book = (f'<workbook xmlns="{S}" xmlns:r="{T[:-1]}"><sheets><sheet name="表1" sheetId="1" r:id="rId1"/>'
                        f'</sheets><definedNames><definedName name="数据区" comment="{value}">表1!$A$1</definedName>'
                        "</definedNames></workbook>")
                sheet = f'<worksheet xmlns="{S}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>统计</t></is></c>' \
                        "</row></sheetData></worksheet>"
                return _zip({"xl/workbook.xml": book, "xl/worksheets/sheet1.xml": sheet,
                             "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                                                           f'Type="{T}worksheet" Target="worksheets/sheet1.xml"/></Relationships>'}), \
                    ".xlsx", "定义名称的备注"
            return _docx(body, {"word/_rels/document.xml.rels": _rels("oleObject", "file:///" + quote(path.encode("gbk")))}), \
                ".docx", "OLE 链接路径（GBK 编码）"

        leak, ext, where = build(planted)
        clean, _ext, _where = build(CLEAN_WORDS[k % len(CLEAN_WORDS)])
        out.append((leak, clean, ext, f"{where}中的“{planted}”"))
    return out


# ----------------------------------------------------------------------------- picture metadata
def picture_metadata(b: _Base) -> list[Pair]:
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    def jpeg(field: int, value: str, gps: bool) -> bytes:
        ex = Image.Exif()
        ex[0x010F] = b"Camera"
        if field == 0x9286:
            ex.get_ifd(0x8769)[field] = b"UNICODE\0" + value.encode("utf-16-le")
        elif field >= 0x9C9B:
            ex[field] = value.encode("utf-16-le") + b"\0\0"
        else:
            ex[field] = value.encode("gbk")
        if gps:
            g = ex.get_ifd(0x8825)
            g[1], g[3] = "N", "E"
            g[2] = (IFDRational(rng.randrange(20, 45)), IFDRational(rng.randrange(60)), IFDRational(rng.randrange(6000), 100))
            g[4] = (IFDRational(rng.randrange(90, 125)), IFDRational(rng.randrange(60)), IFDRational(rng.randrange(6000), 100))
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 200, 200)).save(buf, "JPEG", exif=ex)
        return buf.getvalue()

    out: list[Pair] = []
    fields = ((0x010E, "ImageDescription"), (0x9C9C, "XPComment"), (0x9C9B, "XPTitle"), (0x9286, "UserComment"),
              (0x013B, "Artist"), (0x9C9E, "XPKeywords"))
    for k in range(12):
        rng = b.rng
        body = "".join(_p(ln) for ln in b.excerpt(300))
        field, name = fields[k % len(fields)]
        gps = k % 4 == 3
        planted = "GPS 拍摄位置" if gps else _plant(rng, k)
        clean_text = CLEAN_WORDS[k % len(CLEAN_WORDS)]
        leak = _docx(body, {"word/media/image1.jpeg": jpeg(field, clean_text if gps else f"说明：{planted}", gps)})
        clean = _docx(body, {"word/media/image1.jpeg": jpeg(field, clean_text, False)})
        out.append((leak, clean, ".docx", f"Word 图片 EXIF {name} 中的“{planted}”"))
    return out


# ----------------------------------------------------------------------------- links and Markdown
def links(b: _Base) -> list[Pair]:
    out: list[Pair] = []
    for k in range(12):
        rng = b.rng
        lines = b.excerpt(300)
        planted = _plant(rng, k)
        how = k % 6

        def build(value: str) -> tuple[bytes, str, str]:
            if how in (0, 1, 2):
                url = {0: "/xxgk/" + quote(value) + "/index.html",
                       1: "/search?dept=3&q=" + quote(value.encode("gbk")),
                       2: "mailto:bgs@example.gov.cn?subject=" + quote(f"报送：{value}") + "&body=%E8%AF%B7%E6%9F%A5%E6%94%B6"}[how]
                paras = "".join(f"<p>{html.escape(ln)}</p>" for ln in lines)
                page = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知</title></head><body>{paras}' \
                       f'<p><a href="{html.escape(url)}">相关链接</a></p></body></html>'
                return page.encode(), ".html", ("链接路径（UTF-8 编码）", "链接查询（GBK 编码）", "mailto 主题")[how]
            if how == 3:
                cut = f"&#{ord(value[0])};{value[1:]}"
                what = "数字字符引用"
            elif how == 4:
                cut = f"{value[:1]}<span>{value[1:2]}</span>{value[2:]}"
                what = "行内标签"
            else:
                cut = f"{value[:1]}<!-- 注 -->{value[1:]}"
                what = "HTML 注释"
            return ("\n\n".join([f"# {lines[0][:20]}", *lines[1:], f"附：{cut}"]) + "\n").encode(), ".md", f"Markdown（{what}）"

        leak, ext, where = build(planted)
        clean, _ext, _where = build(CLEAN_WORDS[k % len(CLEAN_WORDS)])
        out.append((leak, clean, ext, f"{where}中的“{planted}”"))
    return out


KINDS = {
    "pdf-revision": (pdf_revisions, EXPECT, "extract"),
    "package-structure": (package_places, EXPECT, "extract"),
    "picture-metadata": (picture_metadata, EXPECT, "extract"),
    "link-and-markdown": (links, EXPECT, "extract"),
}


def reader_text(data: bytes, name: str) -> str:
    """What a reader (or anyone with the file) recovers, decoded by this test itself: PDF hex strings of every
    revision, package members (XML raw and percent-decoded; pictures as UTF-16LE and UTF-8), pages and Markdown with
    references, tags and comments resolved and links percent-decoded (UTF-8 and GBK)."""
    if name.endswith(".pdf"):
        strings = re.findall(rb"<([0-9A-Fa-f]{4,})>", data)
        return "\n".join(bytes.fromhex(s.decode()).decode("utf-16-be", "ignore") for s in strings if len(s) % 4 == 0)
    if name.endswith((".docx", ".xlsx", ".pptx")):
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                body = zf.read(info)
                if info.filename.endswith((".xml", ".rels")):
                    text = html.unescape(body.decode("utf-8"))
                    out += [text, unquote(text), unquote(text, encoding="gbk", errors="ignore")]
                else:
                    out += [body.decode("utf-16-le", "ignore"), body.decode("utf-8", "ignore"), body.decode("gbk", "ignore")]
        return "\n".join(out)
    text = data.decode("utf-8")
    shown = html.unescape(re.sub(r"<[^>]*>", "", re.sub(r"<!--.*?-->", "", text, flags=re.S)))
    return "\n".join([text, shown, unquote(text), unquote(text, encoding="gbk", errors="ignore")])
