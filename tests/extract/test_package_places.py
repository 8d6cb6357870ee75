"""Package relationships and structure (issue 22): external targets (hyperlinks, attached templates, linked pictures,
external workbooks, OLE links), content-control titles and tags, bookmark names, legacy form-field help and status
text, table alternative text, defined-name comments, PowerPoint section and custom-show names — each read, located in
Chinese, with a clean counterpart that passes."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import quote

import pytest

from tests.extract.helpers import docx_with_body, zip_of
from tests.extract.places import CLEAN, PLANTS, counting, hits, scan
from tests.extract.test_pptx import NS as P_NS
from tests.extract.test_pptx import _deck, _shape, _slide

RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARA = f"<w:p><w:r><w:t>{CLEAN}</w:t></w:r></w:p>"


def _rels(kind: str, target: str) -> str:
    return (f'<Relationships xmlns="{RELS}"><Relationship Id="rId9" Type="{T}{kind}" Target="{escape(target)}" '
            'TargetMode="External"/></Relationships>')


def _path(text: str, encoded: bool) -> str:
    path = f"D:/工作/{text}/方案.docx"
    return "file:///" + quote(path) if encoded else path


def _xlsx(book_extra: str = "", files: dict[str, str] | None = None) -> bytes:
    return zip_of({
        "xl/workbook.xml": f'<workbook xmlns="{S_NS}" xmlns:r="{R_NS}"><sheets><sheet name="表1" sheetId="1" r:id="rId1"/>'
                           f"</sheets>{book_extra}</workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{T}worksheet" '
                                      'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{S_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
                                    f"{CLEAN}</t></is></c></row></sheetData></worksheet>",
        **(files or {}),
    })


# place -> (build a document holding `text` there, file name, location)
Build = Callable[[str], bytes]
PLACES: dict[str, tuple[Build, str, str]] = {
    "docx hyperlink target": (lambda t: docx_with_body(PARA, {"word/_rels/document.xml.rels": _rels("hyperlink", _path(t, True))}),
                              "a.docx", "超链接地址（document.xml）"),
    "docx attached template": (lambda t: docx_with_body(PARA, {"word/_rels/settings.xml.rels": _rels("attachedTemplate", _path(t, False))}),
                               "a.docx", "附加模板路径（settings.xml）"),
    "docx linked picture": (lambda t: docx_with_body(PARA, {"word/_rels/document.xml.rels": _rels("image", _path(t, True))}),
                            "a.docx", "链接图片路径（document.xml）"),
    "docx OLE link": (lambda t: docx_with_body(PARA, {"word/_rels/document.xml.rels": _rels("oleObject", _path(t, False))}),
                      "a.docx", "OLE链接路径（document.xml）"),
    "xlsx external workbook": (lambda t: _xlsx(files={"xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{S_NS}"/>',
                                                      "xl/externalLinks/_rels/externalLink1.xml.rels": _rels("externalLinkPath", _path(t, True))}),
                               "a.xlsx", "外部工作簿路径（externalLink1.xml）"),
    "xlsx external sheet name": (lambda t: _xlsx(files={"xl/externalLinks/externalLink1.xml":
                                                        f'<externalLink xmlns="{S_NS}"><externalBook><sheetNames><sheetName val="{t}"/>'
                                                        "</sheetNames></externalBook></externalLink>"}),
                                 "a.xlsx", "外部工作簿（externalLink1.xml）"),
    "xlsx DDE link topic": (lambda t: _xlsx(files={"xl/externalLinks/externalLink1.xml":
                                                   f'<externalLink xmlns="{S_NS}"><ddeLink ddeService="WinWord" '
                                                   f'ddeTopic="D:\\工作\\{t}.docx"/></externalLink>'}),
                            "a.xlsx", "外部工作簿（externalLink1.xml）"),
    "pptx hyperlink target": (lambda t: _deck([_slide(_shape(CLEAN))], slide_rels={1: _rels("hyperlink", _path(t, True))[len(f'<Relationships xmlns="{RELS}">'):-len("</Relationships>")]}),
                              "a.pptx", "超链接地址（slide1.xml）"),
    "docx HYPERLINK field": (lambda t: docx_with_body(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK '
        f'"file:///{quote(_path(t, False))}" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{CLEAN}</w:t></w:r><w:r><w:fldChar w:fldCharType='end'/></w:r></w:p>"), "a.docx", "正文 第1段"),  # field codes are placed by their paragraph
    "docx VML picture source path": (lambda t: docx_with_body(
        '<w:p><w:r><w:t>' + CLEAN + '</w:t></w:r><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office"><v:imagedata o:href="' + quote("file:///C:/Users/王某/" + t + ".png")
        + '"/></v:shape></w:pict></w:r></w:p>'), "a.docx", "链接图片路径（正文 第1段）"),
    "content-control title": (lambda t: docx_with_body(f'<w:sdt><w:sdtPr><w:alias w:val="{t}"/></w:sdtPr><w:sdtContent>{PARA}</w:sdtContent></w:sdt>'),
                              "a.docx", "内容控件标题（正文 第1段）"),
    "content-control tag": (lambda t: docx_with_body(f'<w:p><w:sdt><w:sdtPr><w:tag w:val="{t}"/></w:sdtPr><w:sdtContent><w:r><w:t>{CLEAN}</w:t></w:r></w:sdtContent></w:sdt></w:p>'),
                            "a.docx", "内容控件标记（正文 第1段）"),
    "bookmark name": (lambda t: docx_with_body(f'<w:p><w:bookmarkStart w:id="0" w:name="{t}"/><w:r><w:t>{CLEAN}</w:t></w:r><w:bookmarkEnd w:id="0"/></w:p>'),
                      "a.docx", "书签名称（正文 第1段）"),
    "form-field help text": (lambda t: docx_with_body(_form_field(help_text=t)), "a.docx", "表单域帮助文字（正文 第1段）"),
    "form-field status text": (lambda t: docx_with_body(_form_field(status=t)), "a.docx", "表单域状态栏文字（正文 第1段）"),
    "table caption": (lambda t: docx_with_body(_table(caption=t)), "a.docx", "表格替代文字标题（表格1）"),
    "table description": (lambda t: docx_with_body(_table(description=t)), "a.docx", "表格替代文字说明（表格1）"),
    "defined-name comment": (lambda t: _xlsx(f'<definedNames><definedName name="范围" comment="{t}">表1!$A$1</definedName></definedNames>'),
                             "a.xlsx", "定义名称:范围"),
    "xlsx table alt text": (lambda t: _xlsx(files={"xl/tables/table1.xml": f'<table xmlns="{S_NS}" id="1" name="T1" displayName="T1" ref="A1:A1">'
                                                   f'<extLst><ext><x14:table xmlns:x14="x" altText="{t}"/></ext></extLst></table>'}),
                            "a.xlsx", "表格（table1.xml）"),
    "pptx section name": (lambda t: _deck([_slide(_shape(CLEAN))], extra={"ppt/presentation.xml": _presentation(section=t)}),
                          "a.pptx", "节名称"),
    "pptx custom show": (lambda t: _deck([_slide(_shape(CLEAN))], extra={"ppt/presentation.xml": _presentation(show=t)}),
                         "a.pptx", "自定义放映名称"),
}


def _form_field(help_text: str = "请填写", status: str = "请填写") -> str:
    return ('<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Text1"/>'
            f'<w:helpText w:type="text" w:val="{help_text}"/><w:statusText w:type="text" w:val="{status}"/>'
            '<w:textInput/></w:ffData></w:fldChar></w:r><w:r><w:instrText> FORMTEXT </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{CLEAN}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def _table(caption: str = "表", description: str = "表") -> str:
    return (f'<w:tbl><w:tblPr><w:tblCaption w:val="{caption}"/><w:tblDescription w:val="{description}"/></w:tblPr>'
            f"<w:tr><w:tc>{PARA}</w:tc></w:tr></w:tbl>")


def _presentation(section: str = "第一节", show: str = "放映一") -> str:
    return (f'<p:presentation {P_NS}><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst>'
            f'<p:custShowLst><p:custShow name="{show}" id="0"><p:sldLst/></p:custShow></p:custShowLst>'
            '<p:extLst><p:ext uri="{521415D9-36F7-43E2-AB2F-B90AF26B5E84}"><p14:sectionLst '
            'xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main">'
            f'<p14:section name="{section}" id="{{1}}"><p14:sldIdLst/></p14:section></p14:sectionLst></p:ext></p:extLst>'
            "</p:presentation>")


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("plant", list(PLANTS))
def test_place_is_read_and_located(place: str, plant: str) -> None:
    text, rule = PLANTS[plant]
    build, name, where = PLACES[place]
    result = scan(build(f"说明：{text}"), name)
    assert result.error is None, result.error
    found = hits(result, rule)
    assert found and found[0].location == where, [(f.rule, f.location) for f in result.findings]
    clean = scan(build(CLEAN), name)
    assert clean.error is None and counting(clean) == [], [(f.rule, f.location) for f in clean.findings]


def test_word_bookmarks_of_its_own_are_not_text() -> None:
    from reviewer.extract import extract

    body = '<w:p><w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkStart w:id="1" w:name="_Toc123456789"/>' \
           f"<w:r><w:t>{CLEAN}</w:t></w:r></w:p>"
    assert not [p for p in extract(docx_with_body(body), "a.docx").parts if "书签" in p.location]


def test_broken_relationship_part_fails_closed() -> None:
    from reviewer.extract import extract

    data = docx_with_body(PARA, {"word/_rels/document.xml.rels": "<Relationships><Relationship TargetMode='External'"})
    assert extract(data, "a.docx").error is not None


def test_an_empty_content_control_at_the_end_is_still_read() -> None:
    body = f'{PARA}<w:sdt><w:sdtPr><w:alias w:val="说明：{PLANTS["term"][0]}"/></w:sdtPr><w:sdtContent/></w:sdt>'
    found = hits(scan(docx_with_body(body), "a.docx"), PLANTS["term"][1])
    assert [f.location for f in found] == ["内容控件标题（位于正文 第1段之后）"]
