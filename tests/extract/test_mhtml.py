"""Saved web pages in one file (.mht/.mhtml, Word's "single file web page" also under a .doc name): the page part in
quoted-printable or base64, any charset, read by the HTML extractor (every place it reads), XML resources by the XML
extractor, the MIME preamble and subject; pictures are members the render check reads. Built by hand (mimebuild)."""

from __future__ import annotations

import pytest

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract.mimebuild import Part, encoded_word, multipart
from tests.extract.planted import CLEAN, PLANT, missing, scanner


def _word_mht(t: str, *, image: bytes | None = None, encoding: str = "quoted-printable", charset: str = "gb2312") -> bytes:
    """What Word writes for 文件 › 另存为 › 单个文件网页: a gb2312 page in quoted-printable, its XML resources."""
    codec = "gbk" if charset == "gb2312" else charset
    html = (f'<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv=Content-Type '
            f'content="text/html; charset={charset}"><title>{t}</title><!--[if gte mso 9]><xml><o:DocumentProperties>'
            f"<o:Author>王某</o:Author></o:DocumentProperties></xml><![endif]--></head><body lang=ZH-CN>"
            f'<div class=WordSection1><p class=MsoNormal><span lang=EN-US>{t[:1]}</span>{t[1:]}</p>'
            f'<p class=MsoNormal><img width=200 height=100 src="file.files/image001.png" alt="{t}"></p>'
            f"<!-- {t} --></div></body></html>").encode(codec)
    props = (f'<?xml version="1.0" encoding="utf-8"?><o:DocumentProperties xmlns:o="urn:schemas-microsoft-com:office:'
             f'office"><o:Author>{t}</o:Author><o:Company>某局</o:Company></o:DocumentProperties>').encode()
    parts: list[Part | bytes] = [
        Part(f'text/html; charset="{charset}"', html, encoding, {"Content-Location": "file:///C:/D3F6/file.htm"}),
        Part('text/xml; charset="utf-8"', props, "quoted-printable", {"Content-Location": "file:///C:/D3F6/file.files/props002.xml"}),
        Part("application/vnd.ms-officetheme", b"PK\x03\x04theme", "base64",
             {"Content-Location": "file:///C:/D3F6/file.files/themedata.thmx"}),
        Part("text/html; charset=utf-8", f"<html><body><p>{t}</p></body></html>".encode(), "base64",
             {"Content-Location": "file:///C:/D3F6/file.files/frame.htm"}),
    ]
    if image is not None:
        parts.append(Part("image/png", image, "base64", {"Content-Location": "file:///C:/D3F6/file.files/image001.png"}))
    body = multipart("related", parts, "----=_NextPart_01DA0000.5A3C2B10",
                     preamble=f"此文档为“单个文件网页”，也称为“Web 档案”文件。{t}")
    return f"Subject: {encoded_word(t, 'utf-8')}\r\nMIME-Version: 1.0\r\n".encode() + body


PLACES = ["网页 · 正文", "网页 · HTML标题", "网页 · HTML属性:alt（<img>）", "网页 · HTML注释 第2处",
          "网页资源“props002.xml” · /DocumentProperties/Author", "网页资源“frame.htm” · 正文", "MIME前言（不显示）",
          "网页档案信息:标题（Subject）"]


@pytest.mark.parametrize("name", ["公告.mht", "公告.mhtml", "公告.doc", "公告"])
def test_every_place_of_a_saved_page_is_scanned_under_any_name(name: str) -> None:
    dirty = scan_document(scanner(), _word_mht(PLANT), name)
    assert dirty.error is None and dirty.verdict is Verdict.BLOCK
    assert missing(dirty, PLACES) == {}
    clean = scan_document(scanner(), _word_mht(CLEAN), name)
    assert clean.error is None and clean.verdict is Verdict.PASS, [(f.rule, f.location) for f in clean.findings]


def test_base64_page_in_gb18030_is_read() -> None:
    dirty = scan_document(scanner(), _word_mht(PLANT, encoding="base64", charset="gb18030"), "page.mhtml")
    assert missing(dirty, ["网页 · 正文", "网页 · HTML标题"]) == {}


def test_a_picture_is_a_member_the_plain_scan_notes() -> None:
    result = scan_document(scanner(), _word_mht(CLEAN, image=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "a.mht")
    assert result.verdict is Verdict.REVIEW
    assert [(f.rule, f.location) for f in result.findings] == [("extract.image_member", "网页资源“image001.png”")]


@pytest.mark.parametrize(("data", "words"), [
    (_word_mht(PLANT)[:-300], "截断"),
    (b"MIME-Version: 1.0\r\n" + multipart("related", [Part("text/css", b"p{}")], "b"), "没有网页"),
    (b"MIME-Version: 1.0\r\n" + multipart("related", [
        b"Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGh0bWw+!!!\r\n"], "b"), "base64"),
])
def test_broken_saved_page_is_an_error(data: bytes, words: str) -> None:
    result = extract(data, "a.mht")
    assert result.error and words in result.error and not result.parts, result.error


def _blink(t: str) -> bytes:
    """What Chrome writes for 另存为 › 网页，单个文件: quoted-printable UTF-8 page, CSS and frames as parts with Content-ID."""
    page = (f'<!DOCTYPE html><html><head><link rel="stylesheet" href="cid:css-1@mhtml.blink"></head><body>'
            f'<h1>{t}</h1><iframe src="cid:frame-2@mhtml.blink"></iframe></body></html>').encode()
    shown = "\\5317\\8fb0\" \"三号" if t == PLANT else "\\666e\" \"通"  # 北辰三号 / 普通, written as CSS escapes
    css = f'.x::after {{ content: "{shown}"; }}'.encode()
    frame = f"<html><body><p>{t}</p></body></html>".encode()
    body = multipart("related", [
        Part("text/html", page, "quoted-printable", {"Content-ID": "<frame-1@mhtml.blink>",
                                                      "Content-Location": "https://www.example.gov.cn/a/b.html"}),
        Part("text/css", css, "quoted-printable", {"Content-ID": "<css-1@mhtml.blink>",
                                                    "Content-Location": "cid:css-1@mhtml.blink"}),
        Part("text/html", frame, "quoted-printable", {"Content-ID": "<frame-2@mhtml.blink>",
                                                       "Content-Location": "cid:frame-2@mhtml.blink"}),
    ], "----MultipartBoundary--abc----", '; type="text/html"')
    return ("From: <Saved by Blink>\r\nSnapshot-Content-Location: https://www.example.gov.cn/a/b.html\r\n"
            f"Subject: {encoded_word(t, 'utf-8', 'Q')}\r\nDate: Sat, 1 Mar 2025 09:00:00 +0800\r\nMIME-Version: 1.0\r\n").encode() + body


def test_a_page_saved_by_chrome_reads_frames_and_css_generated_text() -> None:
    dirty = scan_document(scanner(), _blink(PLANT), "page.mhtml")
    assert missing(dirty, ["网页 · 正文", "网页资源“frame-2@mhtml.blink” · 正文", "网页档案信息:标题（Subject）"]) == {}
    generated = [f for f in dirty.findings if f.location.endswith("CSS生成内容")]
    assert [f.rule for f in generated] == ["render-test-codes"], [(f.rule, f.location) for f in dirty.findings]
    assert scan_document(scanner(), _blink(CLEAN), "page.mhtml").verdict is Verdict.PASS
