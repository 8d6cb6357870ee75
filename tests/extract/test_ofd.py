"""OFD (GB/T 33190): the text objects of every page and template, annotations, attachments (read as members), custom
tags, DocInfo metadata and custom data, each located; a broken package is an error. Built by hand (ofdbuild)."""

from __future__ import annotations

import io
import zipfile

import pytest

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract.helpers import docx_with_body, zip_of
from tests.extract.ofdbuild import NS, content, ofd, text_object
from tests.extract.planted import CLEAN, PLANT, missing, scanner


def _doc(t: str) -> bytes:
    return ofd(
        [content(text_object("关于做好防汛工作的通知"), text_object(t, y=60)), content(text_object(t, per_char=True))],
        info={"Title": t, "Author": t, "Subject": t, "Abstract": t, "Keywords": f"<ofd:Keyword>{t}</ofd:Keyword>"},
        custom_data={"密级": t}, template=content(text_object(t)), annotation=t,
        attachments={"附件一.docx": docx_with_body(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>"), "说明.txt": t.encode()},
        custom_tag=f'<gw:公文 xmlns:gw="urn:gwbz"><gw:密级 值="{t}">{t}</gw:密级></gw:公文>',
        extra={"Doc_0/Signs/Signatures.xml": f'<ofd:Signatures {NS}><ofd:Signature BaseLoc="x"/>{t}</ofd:Signatures>'})


PLACES = ["第1页", "第2页", "模板页1（版头）", "第1页 注释1（Stamp）", "附件“附件一” · 正文 第1段", "附件“说明” · 正文",
          "文档信息:标题", "文档信息:作者", "文档信息:主题", "文档信息:摘要", "文档信息:关键词", "文档信息:自定义数据（密级）",
          "自定义标引1（Tag_0.xml）/公文/密级", "自定义标引1（Tag_0.xml）/公文/密级/@值",
          "其他部件（Doc_0/Signs/Signatures.xml）/Signatures"]


def test_every_place_of_an_ofd_is_scanned_and_located() -> None:
    dirty = scan_document(scanner(), _doc(PLANT), "公文.ofd")
    assert dirty.error is None and dirty.verdict is Verdict.BLOCK
    assert missing(dirty, PLACES) == {}
    clean = scan_document(scanner(), _doc(CLEAN), "公文.ofd")
    assert clean.error is None and clean.verdict is Verdict.PASS, [(f.rule, f.location) for f in clean.findings]


def test_codes_one_per_character_read_as_one_line_and_a_renamed_ofd_is_still_an_ofd() -> None:
    data = ofd([content(text_object("机密★5年", per_char=True), text_object("正文", y=80))])
    result = extract(data, "renamed.zip")
    assert result.kind == "ofd" and result.parts[0].text == "机密★5年\n正文"


def test_a_page_made_of_pictures_needs_review() -> None:
    data = ofd([content()], extra={"Doc_0/Res/image_1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32})
    result = scan_document(scanner(), data, "扫描.ofd")
    assert result.verdict is Verdict.REVIEW and [f.rule for f in result.findings] == ["extract.images_only"]


@pytest.mark.parametrize(("data", "words"), [
    (zip_of({"OFD.xml": "<x/>"}), "不是可识别的 OFD"),
    (zip_of({"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"}),
     "缺少一个被引用的部件"),
    (_doc(PLANT)[:-200], "损坏"),
    (ofd([content(text_object("a"))], extra={"Doc_0/Pages/Page_0/Content.xml": "<ofd:Page><broken"}), "XML"),
    (ofd([content(text_object("a"))], attachments={"坏.bin": b"\x7fELF" + b"\x00" * 40}), "第 1 个部分"),
])
def test_broken_ofd_is_an_error_with_a_chinese_reason(data: bytes, words: str) -> None:
    result = scan_document(scanner(), data, "坏.ofd")
    assert result.verdict is Verdict.ERROR and result.error and words in result.error, result.error


def test_annotation_files_located_relative_to_the_document_are_found() -> None:
    data = ofd([content(text_object(CLEAN))], annotation=PLANT)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["Doc_0/Annots/Annotations.xml"] = files["Doc_0/Annots/Annotations.xml"].replace(
        b"<ofd:FileLoc>Page_0/", b"<ofd:FileLoc>Annots/Page_0/")
    assert missing(scan_document(scanner(), zip_of(files), "a.ofd"), ["第1页 注释1（Stamp）"]) == {}
