"""The render check of the new formats: an e-mail's and a saved web page's pictures, pages and attachments are
rendered as members (a picture read by OCR answers the text scan's note, a stamped one is caught, located in the
member); an OFD member is drawn (render/ofd.py), and one the drawer cannot draw fails closed, alone or inside an
archive or a mail. Real engines (Chromium, PDFium, RapidOCR); inputs built in code."""

from __future__ import annotations

import pytest

from reviewer.render import scan_rendered
from reviewer.render.check import kind_of
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.extract.helpers import zip_of
from tests.extract.mimebuild import Part, message, multipart
from tests.extract.ofdbuild import content, ofd, text_object
from tests.extract.test_mhtml import _word_mht
from tests.render import make as m

STAMPED_PNG = m.image_bytes(m.page_image(["机密★5年", "关于做好春季防汛工作的通知"]), "PNG")
CLEAN_PNG = m.image_bytes(m.page_image(["关于做好春季防汛工作的通知", "各区县人民政府"]), "PNG")
CLEAN = "关于做好春季防汛工作的通知"


def _mail(png: bytes, extra: list[Part] | None = None) -> bytes:
    body = multipart("mixed", [Part('text/plain; charset="gbk"', CLEAN.encode("gbk"), "quoted-printable"),
                               Part("image/png", png, headers={"Content-Disposition": 'attachment; filename="扫描件.png"'}),
                               *(extra or [])], "b1")
    return message({"Subject": "=?UTF-8?B?6YCa55+l?=", "From": "a@example.cn"}, body)


def test_a_stamped_picture_attached_to_a_mail_is_caught_in_its_member(scanner: Scanner) -> None:
    data = _mail(STAMPED_PNG)
    assert kind_of(data, "来信.eml") == "archive"
    result, report = scan_rendered(scanner, data, "来信.eml")
    assert report.error is None and result.error is None, (report.error, result.error)
    [hit] = [f for f in result.findings if f.rule == "classification-marking"]
    assert hit.location == "附件“扫描件.png” · 第1页（图像识别）" and result.verdict is Verdict.BLOCK
    clean, clean_report = scan_rendered(scanner, _mail(CLEAN_PNG), "来信.eml")
    assert clean_report.error is None and clean.verdict is Verdict.PASS, [(f.rule, f.location) for f in clean.findings]


@pytest.mark.slow  # Chromium and OCR: about 20 s
def test_a_saved_web_page_is_rendered_page_and_pictures(scanner: Scanner) -> None:
    result, report = scan_rendered(scanner, _word_mht(CLEAN, image=STAMPED_PNG), "公告.doc")
    assert report.error is None and result.error is None, (report.error, result.error)
    assert [p.where for p in report.pages][-1] == "网页资源“image001.png” · 第1页"
    assert any(p.where.startswith("网页 · ") for p in report.pages)
    assert [f.location for f in result.findings if f.rule == "classification-marking"] == [
        "网页资源“image001.png” · 第1页（图像识别）"]


def test_an_ofd_member_is_rendered_and_one_that_cannot_be_drawn_fails_closed(scanner: Scanner) -> None:
    # an OFD the drawer cannot draw (a composite graphic unit): error alone, in an archive and attached to a mail
    bad = ofd([content(text_object(CLEAN) + '<ofd:CompositeObject ID="7" Boundary="0 0 9 9" ResourceID="8"/>')])
    plain, report = scan_rendered(scanner, bad, "公文.ofd")
    assert report.error and "CompositeObject" in report.error and plain.verdict is Verdict.ERROR
    zipped, zreport = scan_rendered(scanner, zip_of({"公文.ofd": bad}), "附件.zip")
    assert zreport.error and "CompositeObject" in zreport.error and zipped.verdict is Verdict.ERROR
    mailed, _ = scan_rendered(scanner, _mail(CLEAN_PNG, [Part("application/ofd", bad, headers={
        "Content-Disposition": 'attachment; filename="公文.ofd"'})]), "来信.eml")
    assert mailed.verdict is Verdict.ERROR and mailed.error and "CompositeObject" in mailed.error


@pytest.mark.slow  # Chromium twice and OCR: about 15 s
def test_an_ofd_in_an_archive_is_drawn_and_its_hidden_text_located_in_the_member(scanner: Scanner) -> None:
    hidden = text_object(CLEAN).replace('Font="3"', 'Font="3" Visible="false"').replace(CLEAN, "年度工作总结")
    clean = ofd([content(text_object(CLEAN))])
    result, report = scan_rendered(scanner, zip_of({"公文.ofd": clean, "二.ofd": ofd([content(text_object(CLEAN), hidden)])}),
                                   "附件.zip")
    assert report.error is None and [p.where for p in report.pages] == ["压缩包“附件.zip” › 公文.ofd · 第1页",
                                                                          "压缩包“附件.zip” › 二.ofd · 第1页"]
    assert [(f.rule, f.location) for f in result.findings] == [
        ("render.mismatch", "压缩包“附件.zip” › 二.ofd · 第1页（不显示的文字）")]
