"""PDF incremental updates (issue 22): every earlier revision is read; what a later update removed is found and located
as an earlier version (`早期版本（第1次修订前） · 第1页`); an unchanged revision adds nothing; a broken chain fails closed.
The updates are real incremental saves (pypdf `PdfWriter(reader, incremental=True)`) or appended by hand."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from reviewer.extract import extract
from tests.extract.helpers import Annotation, Page, make_pdf
from tests.extract.places import CLEAN, PLANTS, counting, hits, scan


def _hex(text: str) -> bytes:
    return b"<" + text.encode("utf-16-be").hex().upper().encode() + b"> Tj T*\n"


def _update(original: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter(PdfReader(io.BytesIO(original)), incremental=True)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert data.startswith(original) and data.count(b"%%EOF") == original.count(b"%%EOF") + 1
    return data


def _drop_line(line: str, page: int = 0):  # type: ignore[no-untyped-def]
    def change(writer: PdfWriter) -> None:
        target = writer.pages[page]
        content = target.get_contents()
        assert content is not None
        content.set_data(content.get_data().replace(_hex(line), b""))
        target.replace_contents(content)
    return change


@pytest.mark.parametrize("plant", list(PLANTS))
def test_text_removed_by_an_update_is_read_as_an_earlier_version(plant: str) -> None:
    text, rule = PLANTS[plant]
    line = f"附：{text}"
    original = make_pdf([Page(["关于会议安排的通知"]), Page(["会议议程如下", line])])
    updated = _update(original, _drop_line(line, 1))
    assert line not in (extract(updated, "a.pdf").text_of("正文"))  # the viewer no longer shows it
    found = hits(scan(updated, "a.pdf"), rule)
    assert [f.location for f in found] == ["早期版本（第1次修订前） · 第2页"]
    clean = _update(make_pdf([Page(["关于会议安排的通知"]), Page(["会议议程如下", CLEAN])]), _drop_line(CLEAN, 1))
    assert counting(scan(clean, "a.pdf")) == []


@pytest.mark.parametrize("plant", list(PLANTS))
def test_metadata_and_annotations_replaced_by_an_update(plant: str) -> None:
    text, rule = PLANTS[plant]
    original = make_pdf([Page(["关于会议安排的通知"], annotations=[Annotation(f"审校意见：{text}", "王审校")])],
                        info={"Subject": f"主题：{text}"})

    def change(writer: PdfWriter) -> None:
        writer.add_metadata({"/Subject": "会议通知"})
        writer.pages[0][NameObject("/Annots")] = ArrayObject()

    updated = _update(original, change)
    locations = sorted(f.location for f in hits(scan(updated, "a.pdf"), rule))
    assert locations == ["早期版本（第1次修订前） · 文档属性:subject", "早期版本（第1次修订前） · 第1页 批注（作者：王审校）"]


def test_unchanged_text_is_reported_once_and_every_revision_is_read() -> None:
    marking, term = PLANTS["marking"][0], PLANTS["term"][0]
    original = make_pdf([Page(["通知", f"标注：{marking}", f"代号：{term}"])])
    once = _update(original, _drop_line(f"标注：{marking}"))
    twice = _update(once, _drop_line(f"代号：{term}"))
    result = scan(twice, "a.pdf")
    assert [f.location for f in hits(result, "classification-marking")] == ["早期版本（第1次修订前） · 第1页"]
    assert [f.location for f in hits(result, "org-project-codes")] == ["早期版本（第2次修订前） · 第1页"]
    same = _update(original, lambda w: w.add_metadata({"/Title": "通知"}))
    result = scan(same, "a.pdf")  # nothing removed: the marking is read once, where the viewer shows it
    assert [f.location for f in hits(result, "classification-marking")] == ["第1页"]


def test_hand_written_update_that_replaces_the_page_content() -> None:
    """An update written by hand (new content object, xref section with /Prev), as any tool can append."""
    original = make_pdf([Page(["通知", f"附：{PLANTS['id'][0]}"])])
    reader = PdfReader(io.BytesIO(original))
    ref = reader.pages[0].get("/Contents")
    prev = int(re.findall(rb"startxref\s+(\d+)", original)[-1])
    size = int(reader.trailer["/Size"])
    body = b"BT /F1 12 Tf 60 780 Td " + _hex("通知") + b"ET"
    obj = f"{ref.idnum} 0 obj\n<< /Length {len(body)} >>\nstream\n".encode() + body + b"\nendstream\nendobj\n"
    start = len(original)
    xref_at = start + len(obj)
    xref = f"xref\n0 1\n0000000000 65535 f \n{ref.idnum} 1\n{start:010d} 00000 n \n".encode()
    trailer = (f"trailer\n<< /Size {size} /Root {reader.trailer.raw_get('/Root').idnum} 0 R /Prev {prev} >>\n"
               f"startxref\n{xref_at}\n%%EOF\n").encode()
    updated = original + obj + xref + trailer
    assert PLANTS["id"][0] not in extract(updated, "a.pdf").text_of("正文")
    assert [f.location for f in hits(scan(updated, "a.pdf"), "id-card")] == ["早期版本（第1次修订前） · 第1页"]


def test_broken_revision_chain_fails_closed() -> None:
    original = make_pdf([Page(["通知"])])
    updated = _update(original, lambda w: w.add_metadata({"/Title": "通知"}))
    for pattern in (rb"startxref\s+(\d+)", rb"/Prev\s+(\d+)"):  # the earlier section's offset, the update's /Prev
        at = re.search(pattern, updated)
        assert at is not None
        bad = updated[: at.start(1)] + b"9" * len(at.group(1)) + updated[at.end(1):]  # same length: nothing else moves
        result = extract(bad, "a.pdf")
        assert result.error and "修订" in result.error and not result.parts, pattern
    # damage in the part of the file the earlier revision is made of: error, never the current view alone
    cut = updated.index(b"%%EOF") + 5
    gone = updated[:cut].replace(b"/Type /Pages", b"/Type /Xxxxx", 1) + updated[cut:]
    assert extract(gone, "a.pdf").error is not None


def _pdf_with_picture_and_link(description: str, url: str) -> bytes:
    from pypdf.annotations import Link
    from pypdf.generic import NameObject

    from tests.extract.test_imagemeta import _exif, picture

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([Page(["关于会议安排的通知"], scanned=True)]))))
    for ref in writer.pages[0]["/Resources"]["/XObject"].values():  # the page's picture becomes a JPEG with EXIF
        image = ref.get_object()
        image._data = picture("JPEG", _exif({0x010E: description.encode()}, gps=True))
        image[NameObject("/Filter")] = NameObject("/DCTDecode")
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url=url))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("plant", list(PLANTS))
def test_pdf_link_targets_and_picture_metadata(plant: str) -> None:
    from urllib.parse import quote

    text, rule = PLANTS[plant]
    via_link = scan(_pdf_with_picture_and_link(CLEAN, "http://x.gov.cn/f/" + quote(f"说明：{text}")), "a.pdf")
    assert [f.location for f in hits(via_link, rule)] == ["第1页 链接地址"]
    via_picture = scan(_pdf_with_picture_and_link(f"说明：{text}", "http://x.gov.cn/"), "a.pdf")
    assert [f.location for f in hits(via_picture, rule)] == ["第1页 图片“Im1” · 图片元数据（EXIF:ImageDescription）"]
    assert [f.location for f in via_picture.findings if f.rule == "extract.photo_location"] == ["第1页 图片“Im1”"]
    clean = scan(_pdf_with_picture_and_link(CLEAN, "http://x.gov.cn/f/" + quote(CLEAN)), "a.pdf")
    assert counting(clean, ("extract.scanned_page", "extract.photo_location")) == []
