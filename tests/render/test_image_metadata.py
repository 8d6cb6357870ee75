"""A picture submitted on its own (issue 22): the text scan reads its metadata and GPS position and can only flag its
pixels (`extract.scanned_page`, 第1页); the render check reads the pixels by OCR and answers that note, while the
metadata findings stay. Real OCR; pictures built in code."""

from __future__ import annotations

import io

from PIL import Image

from reviewer.document import scan_document
from reviewer.render import scan_rendered
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.extract.test_imagemeta import _exif
from tests.render import make as m

CLEAN_JPEG = m.image_bytes(m.page_image(["关于做好春季防汛工作的通知", "各区县人民政府"]), "JPEG")


def _with_exif(description: str, gps: bool) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(CLEAN_JPEG)).save(buf, "JPEG", exif=_exif({0x010E: description.encode()}, gps=gps))
    return buf.getvalue()


def test_clean_picture_passes_once_its_pixels_were_read(scanner: Scanner) -> None:
    plain = scan_document(scanner, CLEAN_JPEG, "通知.jpg")
    assert plain.verdict is Verdict.REVIEW and [(f.rule, f.location) for f in plain.findings] == \
        [("extract.scanned_page", "第1页")]
    result, report = scan_rendered(scanner, CLEAN_JPEG, "通知.jpg")
    assert report.error is None and report.pages and report.pages[0].ocr
    assert result.findings == [] and result.verdict is Verdict.PASS


def test_metadata_findings_and_gps_stay_after_the_render_check(scanner: Scanner) -> None:
    result, report = scan_rendered(scanner, _with_exif("说明：机密★5年", True), "现场.jpg")
    assert report.error is None
    assert sorted((f.rule, f.location) for f in result.findings) == [
        ("classification-marking", "图片元数据（EXIF:ImageDescription）"), ("extract.photo_location", "图片")]
    assert result.verdict is Verdict.BLOCK
