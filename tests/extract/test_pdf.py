from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from reviewer.extract import extract
from reviewer.extract import pdf as pdf_module
from reviewer.scan.model import Severity
from tests.extract.helpers import Annotation, Page, locations_of, make_pdf


def test_pages_annotations_metadata_bookmarks() -> None:
    data = make_pdf(
        [Page(["第一页 正文"]), Page(["第二页"]), Page(["第三页 机密★10年"], annotations=[Annotation("批注内容 秘密", "甲")])],
        info={"Title": "标题 内部资料", "Subject": "主题"},
        bookmarks=["书签 不得外传"],
    )
    result = extract(data, "r.pdf")
    assert result.error is None and result.kind == "pdf"
    assert locations_of(result, "机密★10年") == ["第3页"]
    assert locations_of(result, "批注内容 秘密") == ["第3页 批注（作者：甲）"]
    assert locations_of(result, "内部资料") == ["文档属性:title"]
    assert locations_of(result, "不得外传") == ["书签"]
    assert result.issues == []


def test_scanned_page_needs_review_without_ocr(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pdf_module.shutil, "which", lambda _name: None)
    result = extract(make_pdf([Page(["有文字"]), Page(scanned=True)]), "s.pdf")
    assert result.error is None
    [issue] = result.issues
    assert (issue.code, issue.location, issue.severity) == ("scanned_page", "第2页", Severity.REVIEW)
    assert "扫描件" in issue.message and "reviewer scan --render" in issue.message and "tesseract" not in issue.message
    assert not pdf_module.ocr_available()


def test_blank_page_is_not_a_scan() -> None:
    data = make_pdf([Page(["文字"]), Page([])])
    assert extract(data, "b.pdf").issues == []


def _encrypted(user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([Page(["加密的机密"])]))))
    writer.encrypt(user, owner, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_password_protected_pdf_is_an_error() -> None:
    result = extract(_encrypted("mima", "owner"), "p.pdf")
    assert result.error and "密码" in result.error


def test_pdf_with_only_an_owner_password_is_read() -> None:
    """Empty user password: every viewer opens it, so it is published readable and must be scanned."""
    result = extract(_encrypted("", "owner"), "o.pdf")
    assert result.error is None
    assert locations_of(result, "加密的机密") == ["第1页"]


def test_truncated_and_garbage_pdfs_are_errors() -> None:
    data = make_pdf([Page(["文字"])] * 3)
    for broken in (data[: len(data) // 2], data[:20], b"%PDF-1.7\n" + b"garbage" * 100 + b"\n%%EOF\n"):
        result = extract(broken, "x.pdf")
        assert result.error, broken[:30]


def test_attachment_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([Page(["正文"])]))))
    writer.add_attachment("附件.txt", "附件里的绝密★长期".encode())
    out = io.BytesIO()
    writer.write(out)
    result = extract(out.getvalue(), "a.pdf")
    assert locations_of(result, "绝密★长期") == ["附件“附件.txt” · 正文"]


def test_scan_with_a_stamped_page_number_is_still_a_scan() -> None:
    result = extract(make_pdf([Page(["- 2 -"], scanned=True), Page(["足够长的正文文字" * 5, "并且有图片"], scanned=True)]), "s.pdf")
    assert [(i.code, i.location) for i in result.issues] == [("scanned_page", "第1页")]
    assert "只有 5 个字" in result.issues[0].message


def test_pypdf_does_not_log_draft_text(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    data = make_pdf([Page(["文字"])], bookmarks=["书签甲", "书签乙"])
    first = data.index(b"<< /Title <FEFF" + "书签甲".encode("utf-16-be").hex().upper().encode())
    number = data[:first].rsplit(b"\n", 2)[-2].split(b" ")[0]
    broken = data.replace(b"/Prev " + number + b" 0 R >>", b"/Prev " + number + b" 0 R /Next " + number + b" 0 R>>")
    with caplog.at_level(logging.DEBUG):
        extract(broken, "cycle.pdf")
    assert "书签甲" not in caplog.text


# -- fail-open holes: what pypdf skips silently is an error ------------------------------------------------------------
def _break_object(data: bytes, number: bytes) -> bytes:
    """Make object `number` disappear (its header no longer names it), keeping every offset intact."""
    return data.replace(b"\n" + number + b" 0 obj", b"\n" + b"x" * len(number) + b" 0 obj", 1)


def test_page_tree_naming_a_missing_page_is_an_error() -> None:
    import re

    data = make_pdf([Page(["第一页"]), Page(["第二页 赤枫行动"]), Page(["第三页"])])
    kids = re.search(rb"/Kids \[([^\]]*)\]", data)
    assert kids is not None
    second = kids.group(1).split(b" 0 R")[1].strip()
    broken = _break_object(data, second)
    assert len(PdfReader(io.BytesIO(broken), strict=False).pages) == 2  # pypdf reads on without the page
    result = extract(broken, "r.pdf")
    assert result.error and "页面" in result.error and not result.parts
    assert extract(data, "r.pdf").error is None


def test_page_whose_content_stream_is_missing_is_an_error() -> None:
    import re

    data = make_pdf([Page(["第一页"]), Page(["第二页 赤枫行动"])])
    contents = re.findall(rb"/Contents (\d+) 0 R", data)
    broken = _break_object(data, contents[1])
    result = extract(broken, "r.pdf")
    assert result.error and "内容流" in result.error


def test_error_message_does_not_quote_the_parser(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("赤枫行动 object 12")

    monkeypatch.setattr(pdf_module, "_check_page_tree", boom)
    result = extract(make_pdf([Page(["x"])]), "r.pdf")
    assert result.error and "赤枫行动" not in result.error and "缺少必需的内容" in result.error and "KeyError" not in result.error


def test_file_attachment_annotation_is_read() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([Page(["正文"])])))
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    stream = DecodedStreamObject()
    stream.set_data("附件内容 赤枫行动".encode())
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("note.txt"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
        }
    )
    annot = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)]),
            NameObject("/FS"): writer._add_object(spec),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    out = io.BytesIO()
    writer.write(out)
    result = extract(out.getvalue(), "r.pdf")
    assert result.error is None
    assert locations_of(result, "赤枫行动") == ["第1页 附件批注“note.txt” · 正文"]


def test_document_javascript_strings_are_decoded() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([Page(["正文"])])))
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('\\u8d64\\u67ab\\u884c\\u52a8');"))
    out = io.BytesIO()
    writer.write(out)
    result = extract(out.getvalue(), "r.pdf")
    assert result.error is None
    assert locations_of(result, "赤枫行动") == ["脚本字符串（PDF脚本 第1段） 第1行"]
