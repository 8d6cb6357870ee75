"""E-mail (.eml): the headers a reader sees (RFC 2047 words in GBK and UTF-8, raw 8-bit values), every body part in
any transfer encoding and charset, every attachment read through the same intake as archive members (nested message,
zip, docx, pdf); broken structure or encoding is an error, a picture a note that cannot pass. Built by hand (mimebuild)."""

from __future__ import annotations

import base64

import pytest

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract.helpers import Page, docx_with_body, make_pdf, zip_of
from tests.extract.mimebuild import Part, encoded_word, message, multipart
from tests.extract.planted import CLEAN, PLANT, missing, scanner


def _mail(t: str, *, with_pdf: bool = True) -> bytes:
    docx = docx_with_body(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>")
    inner = message({"Subject": encoded_word(t, "utf-8", "Q"), "From": "a@example.cn"},
                    Part('text/plain; charset="utf-8"', t.encode(), "base64").render())
    attachments: list[Part | bytes] = [
        Part(f'application/vnd.openxmlformats-officedocument.wordprocessingml.document; name="{encoded_word("报告.docx")}"',
             docx, headers={"Content-Disposition": "attachment"}),
        Part("message/rfc822", inner, "7bit", {"Content-Disposition": 'attachment; filename="fw.eml"'}),
        Part("application/zip", zip_of({"说明.txt": t.encode("gb18030")}),
             headers={"Content-Disposition": "attachment; filename*=UTF-8''%E6%9D%90%E6%96%99.zip"}),
    ]
    if with_pdf:
        attachments.append(Part("application/pdf", make_pdf([Page([t])]),
                                headers={"Content-Disposition": 'attachment; filename="scan.pdf"'}))
    body = multipart("mixed", [
        multipart("alternative", [
            Part('text/plain; charset="gbk"', f"各位：\n{t}\n".encode("gbk"), "quoted-printable"),
            Part('text/html; charset="utf-8"', f"<html><body><p>{t[:2]}<b>{t[2:]}</b></p></body></html>".encode()),
        ], "alt-1"),
        *attachments,
    ], "mix-1")
    sender = f"{encoded_word(t)} <sender@example.cn>"
    return message({"From": sender, "To": f"{encoded_word(t, 'utf-8')} <to@example.cn>",
                    "Cc": f'"{t}" <cc@example.cn>',  # raw 8-bit UTF-8, as some mail programs write
                    "Subject": encoded_word(t, "gb2312"), "Date": "Mon, 3 Mar 2025 09:00:00 +0800"}, body)


PLACES = ["邮件头:主题", "邮件头:发件人", "邮件头:收件人", "邮件头:抄送", "正文（纯文本）", "正文（HTML） · 正文",
          "附件“报告.docx” · 正文 第1段", "附件“fw.eml” · 邮件头:主题", "附件“fw.eml” · 正文（纯文本）",
          "附件“材料.zip” › 说明.txt · 正文", "附件“scan.pdf” · 第1页"]


def test_every_place_of_a_mail_is_scanned_and_located() -> None:
    dirty = scan_document(scanner(), _mail(PLANT), "来信.eml")
    assert dirty.error is None and dirty.verdict is Verdict.BLOCK
    assert missing(dirty, PLACES) == {}
    clean = scan_document(scanner(), _mail(CLEAN), "来信.eml")
    assert clean.error is None and clean.verdict is Verdict.PASS, [(f.rule, f.location) for f in clean.findings]


def test_a_mail_is_sniffed_by_content_and_inside_an_archive_its_locations_continue_the_chain() -> None:
    data = _mail(PLANT, with_pdf=False)
    assert extract(data, "noname").kind == "eml"
    inside = scan_document(scanner(), zip_of({"邮件/来信.eml": data}), "附件.zip")
    assert inside.error is None
    assert missing(inside, ["压缩包“附件.zip” › 邮件/来信.eml · 邮件头:主题",
                            "压缩包“附件.zip” › 邮件/来信.eml · 附件“报告.docx” · 正文 第1段",
                            "压缩包“附件.zip” › 邮件/来信.eml · 附件“材料.zip” › 说明.txt · 正文"]) == {}


def test_a_picture_attachment_is_a_note_that_cannot_pass() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    body = multipart("mixed", [Part('text/plain; charset="utf-8"', CLEAN.encode()),
                               Part("image/png", png, headers={"Content-Disposition": 'attachment; filename="a.png"'})], "b")
    result = scan_document(scanner(), message({"Subject": "通知"}, body), "a.eml")
    assert result.verdict is Verdict.REVIEW
    assert [(f.rule, f.location) for f in result.findings] == [("extract.image_member", "附件“a.png”")]


def _broken_base64() -> bytes:
    part = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n5py65a+G4piFNeW5tA==*%$\r\n'
    return message({"Subject": "x"}, b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n' + part + b"--b--\r\n")


@pytest.mark.parametrize(("data", "words"), [
    (_mail(PLANT)[:-400], "截断"),  # the closing boundary is gone
    (_broken_base64(), "base64"),
    (message({"Subject": "x"}, multipart("mixed", [Part("application/octet-stream", b"\x00\x01garbage" * 20, headers={
        "Content-Disposition": 'attachment; filename="a.bin"'})], "b")), "第 1 个部分"),
    (message({"Subject": "x"}, Part('text/plain; charset="x-no-such"', b"abc").render()), "字符集"),
])
def test_broken_mail_is_an_error_with_a_chinese_reason(data: bytes, words: str) -> None:
    result = scan_document(scanner(), data, "a.eml")
    assert result.verdict is Verdict.ERROR and result.error and words in result.error, result.error


def test_header_words_in_gbk_base64_and_quoted_printable() -> None:
    subject = f"=?GBK?B?{base64.b64encode('关于'.encode('gbk')).decode()}?= {encoded_word('机密★5年', 'utf-8', 'Q')}"
    result = extract(message({"Subject": subject}, Part('text/plain; charset="utf-8"', b"x").render()), "a.eml")
    assert result.parts[0].text == "关于机密★5年"


def test_a_signed_mail_is_read_and_an_encrypted_one_is_an_error() -> None:
    signed = message({"Subject": "通知"}, multipart("signed", [
        Part('text/plain; charset="utf-8"', PLANT.encode(), "quoted-printable"),
        Part("application/pkcs7-signature; name=smime.p7s", b"\x30\x82\x01\x00" + b"\x00" * 64,
             headers={"Content-Disposition": 'attachment; filename="smime.p7s"'})], "s", '; protocol="application/pkcs7-signature"'))
    assert missing(scan_document(scanner(), signed, "a.eml"), ["正文（纯文本）"]) == {}
    encrypted = message({"Subject": "通知"}, Part("application/pkcs7-mime; smime-type=enveloped-data", b"\x30\x80" * 40).render())
    result = extract(encrypted, "a.eml")
    assert result.error and "加密" in result.error


def test_mail_in_mail_in_mail_stops_at_the_nesting_limit() -> None:
    data = message({"Subject": "最内层"}, Part('text/plain; charset="utf-8"', PLANT.encode()).render())
    for n in range(6):
        data = message({"Subject": f"第{n}层"}, multipart("mixed", [Part("message/rfc822", data, "7bit", {
            "Content-Disposition": f'attachment; filename="fw{n}.eml"'})], f"b{n}"))
    result = extract(data, "a.eml")
    assert result.error and "嵌套超过" in result.error and not result.parts


def test_a_single_part_html_mail_in_base64_gbk() -> None:
    body = Part('text/html; charset="gbk"', f"<html><body><p>{PLANT}</p></body></html>".encode("gbk"), "base64").render()
    dirty = scan_document(scanner(), message({"Subject": "通知", "From": "a@example.cn"}, body), "a.eml")
    assert missing(dirty, ["正文（HTML） · 正文"]) == {}
