"""DOCX places, each located; built from raw WordprocessingML so every construct is exactly what Word writes."""

from __future__ import annotations

import io
import zlib

import docx

from reviewer.extract import extract
from tests.extract.helpers import W_NS, docx_with_body, locations_of, zip_of


def _p(inner: str) -> str:
    return f"<w:p>{inner}</w:p>"


def _r(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def test_python_docx_document_paragraphs_and_tables() -> None:
    d = docx.Document()
    d.add_paragraph("第一段")
    d.add_paragraph("")
    d.add_paragraph("第二段 机密★5年")
    table = d.add_table(rows=2, cols=2)
    table.cell(1, 1).text = "单元格 秘密★1年"
    d.add_paragraph("表后段落")
    buf = io.BytesIO()
    d.save(buf)
    result = extract(buf.getvalue(), "a.docx")
    assert result.error is None and result.kind == "docx"
    assert locations_of(result, "机密★5年") == ["正文 第2段"]
    assert locations_of(result, "秘密★1年") == ["表格1 第2行第2列"]
    assert locations_of(result, "表后段落") == ["正文 第3段"]


def test_revisions_hidden_text_and_split_terms() -> None:
    body = (
        _p(_r("青鸾") + _r("四号", "<w:b/>"))
        + _p(f'<w:ins w:author="甲">{_r("插入的 机密★3年")}</w:ins>')
        + _p(_r("保留") + '<w:del w:author="乙"><w:r><w:delText>删掉的绝密</w:delText></w:r></w:del>')
        + _p(_r("可见") + _r("隐藏的内部资料", "<w:vanish/>") + _r("不隐藏", '<w:vanish w:val="0"/>'))
        + _p(_r("青鸾") + '<w:del w:author="乙"><w:r><w:delText>四号</w:delText></w:r></w:del>')
        + _p('<w:moveFrom w:author="丙">' + _r("移走的秘密") + "</w:moveFrom>")
    )
    result = extract(docx_with_body(body), "rev.docx")
    assert locations_of(result, "青鸾四号") == ["正文 第1段", "正文 第5段 · 部分位于修订-删除（作者：乙）"]
    assert locations_of(result, "机密★3年") == ["正文 第2段 · 修订-插入（作者：甲）"]
    assert locations_of(result, "删掉的绝密") == ["正文 第3段 · 修订-删除（作者：乙）"]
    assert locations_of(result, "保留") == ["正文 第3段"]  # not reported twice by the pre-revision view
    assert locations_of(result, "隐藏的内部资料") == ["正文 第4段 · 隐藏文字"]
    assert locations_of(result, "不隐藏") == ["正文 第4段"]
    assert locations_of(result, "移走的秘密") == ["正文 第6段 · 修订-删除（作者：丙）"]


def test_stories_outside_the_body() -> None:
    def story(root: str, inner: str) -> str:
        return f'<w:{root} xmlns:w="{W_NS}">{inner}</w:{root}>'

    notes = (
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:t>分隔符不算</w:t></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1">{_p(_r("脚注文字"))}</w:footnote><w:footnote w:id="2">{_p(_r("第二个脚注"))}</w:footnote>'
    )
    extra = {
        "word/header1.xml": story("hdr", _p(_r("页眉文字"))),
        "word/footer2.xml": story("ftr", _p(_r("页脚文字"))),
        "word/footnotes.xml": story("footnotes", notes),
        "word/endnotes.xml": story("endnotes", f'<w:endnote w:id="1">{_p(_r("尾注文字"))}</w:endnote>'),
        "word/comments.xml": story(
            "comments", f'<w:comment w:id="7" w:author="审校员">{_p(_r("批注文字"))}</w:comment>'
        ),
        "word/glossary/document.xml": f'<w:glossaryDocument xmlns:w="{W_NS}"><w:docParts>{_p(_r("部件库文字"))}</w:docParts></w:glossaryDocument>',
        "customXml/item1.xml": "<root><field>自定义部件文字</field></root>",
    }
    body = _p(_r("正文") + '<w:commentRangeStart w:id="7"/>' + _r("被批注") + '<w:r><w:commentReference w:id="7"/></w:r>')
    body += _p(_r("带域") + '<w:r><w:instrText> HYPERLINK "http://内网/机密" </w:instrText></w:r>')
    result = extract(docx_with_body(body, extra), "s.docx")
    assert result.error is None
    assert locations_of(result, "页眉文字") == ["页眉"]
    assert locations_of(result, "页脚文字") == ["页脚"]
    assert locations_of(result, "脚注文字") == ["脚注1"]
    assert locations_of(result, "第二个脚注") == ["脚注2"]
    assert locations_of(result, "分隔符不算") == []
    assert locations_of(result, "尾注文字") == ["尾注1"]
    assert locations_of(result, "批注文字") == ["批注（作者：审校员） · 位于正文 第1段"]
    assert locations_of(result, "部件库文字") == ["文档部件库"]
    assert locations_of(result, "自定义部件文字") == ["自定义XML部件（item1.xml）"]
    assert locations_of(result, "内网/机密") == ["正文 第2段"]


def test_text_box_in_drawingml_is_read_once() -> None:
    box = '<w:txbxContent><w:p><w:r><w:t>框内机密</w:t></w:r></w:p></w:txbxContent>'
    run = (
        '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f"<mc:Choice Requires=\"wps\"><w:drawing><wps:txbx xmlns:wps=\"x\">{box}</wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox xmlns:v=\"urn:schemas-microsoft-com:vml\">{box}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    result = extract(docx_with_body(_p(_r("锚点段落") + run)), "box.docx")
    assert locations_of(result, "框内机密") == ["文本框（正文 第1段）"]


def test_properties_core_app_custom() -> None:
    extra = {
        "docProps/core.xml": '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>标题机密</dc:title><dc:subject>主题</dc:subject>'
        "<cp:keywords>关键词</cp:keywords><dc:description>备注文字</dc:description></cp:coreProperties>",
        "docProps/app.xml": '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Company>某单位</Company><Manager>经理甲</Manager><Pages>3</Pages></Properties>",
        "docProps/custom.xml": '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property name="密级" pid="2" fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"><vt:lpwstr>秘密</vt:lpwstr></property></Properties>',
    }
    result = extract(docx_with_body(_p(_r("x")), extra), "p.docx")
    assert locations_of(result, "标题机密") == ["文档属性:title"]
    assert locations_of(result, "备注文字") == ["文档属性:description"]
    assert locations_of(result, "某单位") == ["文档属性:Company"]
    assert locations_of(result, "经理甲") == ["文档属性:Manager"]
    assert locations_of(result, "秘密") == ["文档属性:密级"]


def test_embedded_workbook_is_read_with_its_location() -> None:
    inner = zip_of(
        {
            "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>嵌入表格机密</t></is></c></row></sheetData></worksheet>',
        }
    )
    result = extract(docx_with_body(_p(_r("x")), {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": inner}), "e.docx")
    assert locations_of(result, "嵌入表格机密") == ["嵌入对象“Microsoft_Excel_Worksheet.xlsx” · 工作表“表1”!A1"]


def test_unreadable_embedded_object_needs_review_not_pass() -> None:
    result = extract(docx_with_body(_p(_r("x")), {"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk"}), "o.docx")
    assert result.error is None
    assert [i.code for i in result.issues] == ["embedded_unreadable"]


def test_missing_document_part_is_an_error() -> None:
    result = extract(zip_of({"word/styles.xml": "<x/>"}), "a.docx")
    assert result.error and "部件" in result.error


def test_malformed_xml_is_an_error() -> None:
    result = extract(docx_with_body("<w:p><w:r><w:t>未闭合"), "a.docx")
    assert result.error and "XML" in result.error


def test_text_hidden_through_a_style() -> None:
    styles = (
        f'<w:styles xmlns:w="{W_NS}">'
        '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
        '<w:style w:type="character" w:styleId="SecretChild"><w:basedOn w:val="Secret"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="HiddenPara"><w:rPr><w:vanish/></w:rPr></w:style>'
        '<w:style w:type="character" w:styleId="Loop"><w:basedOn w:val="Loop"/></w:style>'
        "</w:styles>"
    )
    body = (
        _p(_r("可见") + _r("样式隐藏", '<w:rStyle w:val="SecretChild"/>') + _r("循环样式", '<w:rStyle w:val="Loop"/>'))
        + '<w:p><w:pPr><w:pStyle w:val="HiddenPara"/></w:pPr>'
        + _r("整段隐藏")
        + _r("显式不隐藏", '<w:vanish w:val="false"/>')
        + "</w:p>"
    )
    result = extract(docx_with_body(body, {"word/styles.xml": styles}), "st.docx")
    assert locations_of(result, "样式隐藏") == ["正文 第1段 · 隐藏文字"]
    assert locations_of(result, "循环样式") == ["正文 第1段"]
    assert locations_of(result, "整段隐藏") == ["正文 第2段 · 隐藏文字"]
    assert locations_of(result, "显式不隐藏") == ["正文 第2段"]


def test_pictures_are_noted_and_a_pictures_only_document_needs_review() -> None:
    from reviewer.scan.model import Severity

    ihdr = b"IHDR" + bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])  # a 1×1 picture: its chunks must be well-formed
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0d" + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + \
        b"\x00\x00\x00\x00IEND" + zlib.crc32(b"IEND").to_bytes(4, "big")
    with_text = extract(docx_with_body(_p(_r("正文")), {"word/media/image1.png": png}), "a.docx")
    assert [(i.code, i.severity) for i in with_text.issues] == [("images_not_verified", Severity.INFO)]
    only = extract(docx_with_body("<w:p/>", {"word/media/image1.png": png, "word/media/image2.jpeg": png}), "b.docx")
    assert [(i.code, i.severity) for i in only.issues] == [("images_only", Severity.REVIEW)]


# -- places Word shows that are not runs of w:t ---------------------------------------------------------------------
TERM = "赤枫行动"
_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _doc(body: str, extra: dict[str, bytes | str] | None = None, rels: str = "") -> bytes:
    files: dict[str, bytes | str] = {
        "word/document.xml": f"<w:document {_NS}><w:body>{body}</w:body></w:document>",
        "word/_rels/document.xml.rels": f'<Relationships xmlns="{_RELS}">{rels}</Relationships>',
        **(extra or {}),
    }
    return zip_of(files)


def test_alt_chunk_html_is_read() -> None:
    rel = '<Relationship Id="rIdA" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.htm"/>'
    html = f"<html><body><p>导入的{TERM}</p></body></html>".encode()
    data = _doc(_p(_r("前文")) + '<w:altChunk r:id="rIdA"/>', {"word/afchunk.htm": html}, rel)
    result = extract(data, "a.docx")
    assert result.error is None
    assert locations_of(result, TERM) == ["嵌入内容（altChunk，位于正文 第1段之后） · 正文"]


def test_alt_chunk_mht_is_decoded() -> None:
    rel = '<Relationship Id="rIdA" Type="aFChunk" Target="part.mht"/>'
    import quopri

    body = quopri.encodestring(f"<html><body>{TERM}</body></html>".encode()).decode()
    mht = (
        'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{body}\r\n--b--\r\n"
    )
    assert TERM not in mht
    result = extract(_doc('<w:altChunk r:id="rIdA"/>', {"word/part.mht": mht}, rel), "a.docx")
    assert any(TERM in p.text for p in result.parts)


def test_alt_chunk_pointing_nowhere_is_an_error() -> None:
    result = extract(_doc('<w:altChunk r:id="rIdX"/>'), "a.docx")
    assert result.error and "altChunk" in result.error


def test_vml_wordart_and_picture_descriptions() -> None:
    pict = (
        f'<w:r><w:pict><v:shape alt="图注{TERM}"><v:textpath string="{TERM}艺术字"/></v:shape></w:pict></w:r>'
        f'<w:r><w:drawing><wp:inline><wp:docPr id="1" name="图片 1" descr="说明{TERM}" title="题{TERM}"/></wp:inline></w:drawing></w:r>'
    )
    result = extract(_doc(_p(_r("正文")) + _p(pict)), "a.docx")
    assert sorted(locations_of(result, TERM)) == ["图片说明文字（位于正文 第1段之后）"] * 3 + ["艺术字（位于正文 第1段之后）"]


def test_numbering_label_text() -> None:
    numbering = (
        f'<w:numbering {_NS}><w:abstractNum w:abstractNumId="3"><w:lvl w:ilvl="0"><w:lvlText w:val="{TERM}%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum></w:numbering>'
    )
    result = extract(_doc(_p(_r("条目")), {"word/numbering.xml": numbering}), "a.docx")
    assert locations_of(result, TERM) == ["列表编号文字（编号定义3 第1级）"]
    assert not [p for p in result.parts if "（）" in p.text]


def test_text_only_in_the_fallback_branch() -> None:
    alt = f"<mc:AlternateContent><mc:Choice Requires=\"wps\">{_r('新版文字')}</mc:Choice><mc:Fallback>{_r(TERM)}</mc:Fallback></mc:AlternateContent>"
    result = extract(_doc(_p(alt)), "a.docx")
    assert locations_of(result, TERM) == ["正文 第1段"]
    block = f"<mc:AlternateContent><mc:Choice Requires=\"x\">{_p(_r('甲'))}</mc:Choice><mc:Fallback>{_p(_r(TERM))}</mc:Fallback></mc:AlternateContent>"
    assert locations_of(extract(_doc(block), "a.docx"), TERM) == ["正文 第2段"]


def test_identical_branches_are_read_once() -> None:
    alt = f"<mc:AlternateContent><mc:Choice Requires=\"wps\">{_r(TERM)}</mc:Choice><mc:Fallback>{_r(TERM)}</mc:Fallback></mc:AlternateContent>"
    assert locations_of(extract(_doc(_p(alt)), "a.docx"), TERM) == ["正文 第1段"]


def test_sym_characters_are_text() -> None:
    syms = "".join(f'<w:sym w:font="宋体" w:char="{ord(c):04X}"/>' for c in TERM)
    result = extract(_doc(_p(f"<w:r>{syms}</w:r>" + '<w:r><w:sym w:font="Symbol" w:char="F061"/></w:r>')), "a.docx")
    assert locations_of(result, TERM) == ["正文 第1段 · 符号字符（w:sym）"]
    assert "α" in result.text_of("正文")


def test_simple_field_instruction_is_read() -> None:
    field = f'<w:fldSimple w:instr=" QUOTE &quot;{TERM}&quot; "><w:r><w:t>旧结果</w:t></w:r></w:fldSimple>'
    result = extract(_doc(_p(field)), "a.docx")
    assert locations_of(result, TERM) == ["正文 第1段"]
    assert any(p.location == "域代码 · 正文" and TERM in p.text for p in result.parts)


def test_header_part_with_an_unusual_name_is_read_through_its_relationship() -> None:
    rel = '<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="hdrFirst.xml"/>'
    header = f"<w:hdr {_NS}>{_p(_r(TERM))}</w:hdr>"
    result = extract(_doc(_p(_r("正文")), {"word/hdrFirst.xml": header}, rel), "a.docx")
    assert locations_of(result, TERM) == ["页眉"]


def test_ruby_and_document_variables() -> None:
    ruby = f"<w:r><w:ruby><w:rt><w:r><w:t>注音</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>{TERM}</w:t></w:r></w:rubyBase></w:ruby></w:r>"
    settings = f'<w:settings {_NS}><w:docVars><w:docVar w:name="项目" w:val="{TERM}"/></w:docVars></w:settings>'
    result = extract(_doc(_p(ruby), {"word/settings.xml": settings}), "a.docx")
    assert sorted(locations_of(result, TERM)) == ["文档变量:项目", "正文 第1段"]


def test_parts_no_extractor_reads_are_not_skipped() -> None:
    activex = (
        '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40}">'
        f'<ax:ocxPr ax:name="Caption" ax:value="{TERM}按钮"/></ax:ocx>'
    )
    vml = f"<xml><v:shape><v:textbox><div>框内{TERM}<br></div></v:textbox></v:shape></xml>"
    data = _doc(_p(_r("正文")), {"word/activeX/activeX1.xml": activex, "word/drawings/vmlDrawing1.vml": vml})
    result = extract(data, "a.docx")
    assert sorted(locations_of(result, TERM)) == ["其他部件（activeX1.xml）", "其他部件（vmlDrawing1.vml）"]


def test_strict_open_xml_is_read_and_unknown_vocabulary_is_an_error() -> None:
    strict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
    document = f'<w:document xmlns:w="{strict}"><w:body><w:p><w:r><w:t>{TERM}</w:t></w:r></w:p></w:body></w:document>'
    result = extract(zip_of({"word/document.xml": document}), "strict.docx")
    assert locations_of(result, TERM) == ["正文 第1段"]
    other = f'<w:document xmlns:w="urn:other"><w:body><w:p><w:r><w:t>{TERM}</w:t></w:r></w:p></w:body></w:document>'
    result = extract(zip_of({"word/document.xml": other}), "other.docx")
    assert result.error and not result.parts


def test_symbol_fields_print_their_characters() -> None:
    fields = "".join(
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> SYMBOL {ord(c)} \\f "宋体" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        for c in TERM
    )
    result = extract(_doc(_p(_r("见") + fields)), "a.docx")
    assert locations_of(result, TERM) == ["正文 第1段"]
    assert any(p.location == "域代码 · 正文" and TERM in p.text for p in result.parts)
