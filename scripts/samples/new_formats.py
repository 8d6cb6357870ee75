"""Samples of the formats added in issue 22: an e-mail with attachments, Word's "single file web page" saved as .doc,
an RSS feed in GBK, an OFD notice; and their broken twins. Called by make_samples.py; deterministic (fixed boundaries,
fixed zip dates)."""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable

Expect = Callable[..., None]
Zip = Callable[[dict[str, bytes]], bytes]
MARK = "机密★10年"


def _b64(data: bytes) -> bytes:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76)).encode()


def _word(text: str) -> str:
    return f"=?GB2312?B?{base64.b64encode(text.encode('gbk')).decode()}?="


def make_eml(expect: Expect, ids: list[str]) -> bytes:
    name = "letter.eml"
    expect(name, MARK, "邮件头:主题")
    expect(name, ids[0], "正文（纯文本）")
    expect(name, MARK, "正文（HTML） · 正文")
    expect(name, ids[1], "附件“名单.txt” · 正文")
    plain = quopri.encodestring(f"各位同事：\r\n请核对联系人身份证号{ids[0]}。\r\n".encode("gbk"))
    html = _b64(f"<html><body><p>{MARK[:1]}<b>{MARK[1:]}</b></p><p>关于年度工作安排的说明。</p></body></html>".encode())
    listing = _b64(f"姓名,身份证号\r\n张某,{ids[1]}\r\n".encode("gbk"))
    return (
        f"From: {_word('办公室')} <office@example.gov.cn>\r\nTo: staff@example.gov.cn\r\nSubject: {_word('关于' + MARK + '材料')}\r\n"
        "Date: Sat, 01 Mar 2025 09:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="==mix=="\r\n\r\n'
        '--==mix==\r\nContent-Type: multipart/alternative; boundary="==alt=="\r\n\r\n'
        '--==alt==\r\nContent-Type: text/plain; charset="gbk"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    ).encode() + plain + (
        b'\r\n--==alt==\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    ) + html + (
        "\r\n--==alt==--\r\n"
        f'--==mix==\r\nContent-Type: text/plain; charset="gbk"; name="{_word("名单.txt")}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{_word("名单.txt")}"\r\n\r\n'
    ).encode() + listing + b"\r\n--==mix==--\r\n"


def make_mht(expect: Expect, ids: list[str]) -> bytes:
    """Word 文件 › 另存为 › 单个文件网页, renamed to .doc as units often do."""
    name = "word-single-file-page.doc"
    expect(name, MARK, "网页 · 正文")
    expect(name, ids[2], "网页资源“props002.xml” · /DocumentProperties/Description")
    expect(name, "不予公开", "网页 · HTML注释 第2处")
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv=Content-Type '
        'content="text/html; charset=gb2312"><title>关于做好信息公开工作的通知</title><!--[if gte mso 9]><xml>'
        "<o:DocumentProperties><o:Author>办公室</o:Author></o:DocumentProperties></xml><![endif]--></head>"
        f"<body lang=ZH-CN><div class=WordSection1><p class=MsoNormal><span lang=EN-US>{MARK[:1]}</span>{MARK[1:]}</p>"
        "<p class=MsoNormal>各单位：请按要求做好信息公开工作。</p><!-- 此件不予公开 --></div></body></html>"
    ).encode("gbk")
    props = ('<?xml version="1.0" encoding="utf-8"?><o:DocumentProperties xmlns:o="urn:schemas-microsoft-com:office:office">'
             f"<o:Description>联系人身份证号{ids[2]}</o:Description></o:DocumentProperties>").encode()
    boundary = "----=_NextPart_01DB8A1C.3F2E4D50"
    return (
        f'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="{boundary}"\r\n\r\n'
        "此文档为“单个文件网页”，也称为“Web 档案”文件。\r\n\r\n"
        f"--{boundary}\r\nContent-Location: file:///C:/6F2A/file.htm\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        'Content-Type: text/html; charset="gb2312"\r\n\r\n'
    ).encode("gbk") + quopri.encodestring(html) + (
        f"\r\n--{boundary}\r\nContent-Location: file:///C:/6F2A/file.files/props002.xml\r\n"
        'Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/xml; charset="utf-8"\r\n\r\n'
    ).encode() + quopri.encodestring(props) + f"\r\n--{boundary}--\r\n".encode()


def make_feed(expect: Expect, ids: list[str]) -> bytes:
    name = "feed.xml"
    expect(name, MARK, "/rss/channel/item[2]/title")
    expect(name, ids[3], "/rss/channel/item[2]/enclosure/@title")
    return (
        '<?xml version="1.0" encoding="GBK"?>\n<rss version="2.0"><channel><title>某局门户网站</title>\n'
        "<item><title>关于春季防汛工作的通知</title><link>http://www.example.gov.cn/1.html</link></item>\n"
        f"<item><title>{MARK}</title><link>http://www.example.gov.cn/2.html</link>"
        f'<enclosure url="http://www.example.gov.cn/2.pdf" title="身份证号{ids[3]}"/>'
        "<description><![CDATA[<p>附件请见链接。</p>]]></description></item>\n</channel></rss>\n"
    ).encode("gbk")


_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _text_object(text: str, y: int) -> str:
    delta = " ".join(["5"] * (len(text) - 1))
    return (f'<ofd:TextObject ID="9" Boundary="20 {y} 170 10" Font="3" Size="5">'
            f'<ofd:TextCode X="0" Y="5" DeltaX="{delta}">{text}</ofd:TextCode></ofd:TextObject>')


def make_ofd(expect: Expect, ids: list[str], fixed_zip: Zip) -> bytes:
    name = "notice.ofd"
    expect(name, MARK, "第1页")
    expect(name, ids[4], "文档信息:作者")
    expect(name, MARK, "第1页 注释1（Stamp）")
    page = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {_NS}><ofd:Content><ofd:Layer ID="2">'
            f"{_text_object(MARK, 20)}{_text_object('关于做好春季防汛工作的通知', 40)}</ofd:Layer></ofd:Content></ofd:Page>")
    files = {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {_NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
                    f"<ofd:DocInfo><ofd:DocID>5a0f</ofd:DocID><ofd:Title>通知</ofd:Title><ofd:Author>{ids[4]}</ofd:Author>"
                    "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"),
        "Doc_0/Document.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {_NS}><ofd:CommonData>'
                               "<ofd:MaxUnitID>60</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
                               '</ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/>'
                               "</ofd:Pages><ofd:Annotations>Annots/Annotations.xml</ofd:Annotations></ofd:Document>"),
        "Doc_0/Pages/Page_0/Content.xml": page,
        "Doc_0/Annots/Annotations.xml": (f'<ofd:Annotations {_NS}><ofd:Page PageID="10"><ofd:FileLoc>Page_0/Annotation.xml'
                                         "</ofd:FileLoc></ofd:Page></ofd:Annotations>"),
        "Doc_0/Annots/Page_0/Annotation.xml": (f'<ofd:PageAnnot {_NS}><ofd:Annot ID="50" Type="Stamp"><ofd:Remark>{MARK}'
                                               "</ofd:Remark></ofd:Annot></ofd:PageAnnot>"),
    }
    return fixed_zip({k: v.encode() for k, v in files.items()})


def make_new_formats(expect: Expect, ids: list[str], fixed_zip: Zip) -> dict[str, bytes]:
    """`ids`: five checksum-valid ID numbers. A whole OFD is not a sample: every sample but the broken ones must be
    approvable through `reviewer stack`, and the render check of an OFD fails closed (docs/extraction.md); the OFD's
    places are tested in tests/extract/test_ofd.py."""
    eml, mht, feed = make_eml(expect, ids), make_mht(expect, ids), make_feed(expect, ids)
    notice = make_ofd(lambda *a, **k: None, ids, fixed_zip)
    return {
        "letter.eml": eml, "word-single-file-page.doc": mht, "feed.xml": feed,
        "broken/truncated.eml": eml[: len(eml) * 2 // 3],
        "broken/entity-bomb.xml": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                                   b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'),
        "broken/truncated.ofd": notice[: len(notice) // 2],
    }
