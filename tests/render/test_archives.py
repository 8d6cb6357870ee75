"""Archives in the render check (render/members.py): each member that is rendered on its own (PDF, Office, HTML, image)
is render-checked like a draft, nested archives too; its findings and pages are located in the member
(`压缩包“附件.zip” › 扫描件/通知.png · 第1页（图像识别）`), page numbers run on over the members. An image member read by OCR
no longer makes the whole scan `error`; one that cannot be read still does (fail closed), and the text-only scan of an
archive holding a picture still cannot pass (its picture is a scanned page to review, issue 22). Real engines (PDFium, RapidOCR); inputs built in code."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from reviewer.document import scan_document
from reviewer.render import scan_rendered
from reviewer.render.check import MISMATCH_RULE, kind_of
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.extract.helpers import zip_of as _zip  # the package builder the extraction tests use
from tests.render import make as m

MARK, TERMS = "classification-marking", "render-test-codes"
CLEAN_PDF = m.text_pdf(["关于做好春季防汛工作的通知", "各区县人民政府："])
STAMPED_PNG = m.image_bytes(m.page_image(["机密★5年", "关于做好春季防汛工作的通知"]), "PNG")
CLEAN_PNG = m.image_bytes(m.page_image(["关于做好春季防汛工作的通知", "各区县人民政府"]), "PNG")




def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _inside(box: tuple[int, int, int, int] | None, width: int, height: int) -> bool:
    return box is not None and 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height


def test_stamped_scan_in_a_zip_is_caught_in_its_member_with_page_and_box(scanner: Scanner) -> None:
    data = _zip({"说明.txt": "本通知附扫描件一份。".encode(), "正文.pdf": CLEAN_PDF, "扫描件/通知.png": STAMPED_PNG})
    assert kind_of(data, "附件.zip") == "archive"
    result, report = scan_rendered(scanner, data, "附件.zip")
    assert report.error is None and result.error is None, (report.error, result.error)
    # the PDF's page is page 1, the picture's page 2: numbers run on over the members, each page names its member
    assert [(p.number, p.where) for p in report.pages] == [(1, "压缩包“附件.zip” › 正文.pdf · 第1页"),
                                                           (2, "压缩包“附件.zip” › 扫描件/通知.png · 第1页")]
    assert report.pages[1].ocr and report.summary()["pages"][1]["location"] == "压缩包“附件.zip” › 扫描件/通知.png · 第1页"  # type: ignore[index]
    [hit] = [f for f in result.findings if f.rule == MARK]
    assert hit.match == "机密★5年" and hit.page == 2
    assert hit.location == "压缩包“附件.zip” › 扫描件/通知.png · 第1页（图像识别）"
    assert _inside(hit.box, report.pages[1].width, report.pages[1].height)
    assert result.verdict is Verdict.BLOCK
    assert not [f for f in result.findings if f.rule.startswith("extract.")]  # the picture was read: no "not verified" note
    # the text-only scan still cannot read the picture's pixels: never pass (a scanned page to review, issue 22)
    plain = scan_document(scanner, data, "附件.zip")
    assert plain.verdict is Verdict.REVIEW and plain.error is None
    assert [(f.rule, f.location) for f in plain.findings] == [("extract.scanned_page", "压缩包“附件.zip” › 扫描件/通知.png · 第1页")]


def test_clean_scan_in_a_zip_passes_with_render(scanner: Scanner) -> None:
    data = _zip({"说明.txt": "本通知附扫描件一份。".encode(), "扫描件/通知.png": CLEAN_PNG})
    result, report = scan_rendered(scanner, data, "附件.zip")
    assert report.error is None and result.error is None, (report.error, result.error)
    assert len(report.pages) == 1 and report.pages[0].ocr
    assert [(f.rule, f.location) for f in result.findings if f.severity != "info"] == []
    assert result.verdict is Verdict.PASS
    assert scan_document(scanner, data, "附件.zip").verdict is Verdict.REVIEW  # text only: still not a pass


def test_lying_tounicode_in_a_zip_member_is_a_mismatch_located_in_the_member(scanner: Scanner) -> None:
    pdf = m.text_pdf(["关于做好春季防汛工作的通知", "北辰三号"], lies=dict(zip("北辰三号", "普通项目", strict=True)))
    data = _zip({"材料/报告.pdf": pdf})
    plain = scan_document(scanner, data, "附件.zip")
    assert plain.verdict is Verdict.PASS  # the text layer says 普通项目: the text scan is fooled
    result, report = scan_rendered(scanner, data, "附件.zip")
    assert report.error is None, report.error
    mism = [f for f in report.findings if f.rule == MISMATCH_RULE]
    assert mism and all(f.page == 1 and f.location == "压缩包“附件.zip” › 材料/报告.pdf · 第1页（图像识别）" for f in mism), \
        [(f.location, f.page) for f in mism]
    assert any("北辰三号" in f.explanation for f in mism)
    assert all(_inside(f.box, report.pages[0].width, report.pages[0].height) for f in mism)
    terms = [f for f in report.findings if f.rule == TERMS and "北辰三号" in f.match]
    assert terms and terms[0].location.startswith("压缩包“附件.zip” › 材料/报告.pdf · 第1页（")
    assert result.verdict is Verdict.BLOCK


def test_nested_archives_are_rendered_with_the_whole_chain_in_the_location(scanner: Scanner) -> None:
    inner = _zip({"通知.png": STAMPED_PNG})
    data = _zip({"说明.txt": "附件见内层压缩包。".encode(), "内层.zip": inner})
    result, report = scan_rendered(scanner, data, "外层.zip")
    assert report.error is None and result.error is None, (report.error, result.error)
    [hit] = [f for f in result.findings if f.rule == MARK]
    assert hit.location == "压缩包“外层.zip” › 内层.zip › 通知.png · 第1页（图像识别）" and hit.page == 1
    assert report.pages[0].where == "压缩包“外层.zip” › 内层.zip › 通知.png · 第1页"


def test_scanned_pdf_in_a_tar_gz_drops_the_scanned_page_note_once_read(scanner: Scanner) -> None:
    data = _tar_gz({"扫描.pdf": m.scan_pdf([["关于做好春季防汛工作的通知", "各区县人民政府"]])})
    plain = scan_document(scanner, data, "材料.tar.gz")
    assert [(f.rule, f.location) for f in plain.findings] == [("extract.scanned_page", "压缩包“材料.tar.gz” › 扫描.pdf · 第1页")]
    result, report = scan_rendered(scanner, data, "材料.tar.gz")
    assert report.error is None and report.pages[0].where == "压缩包“材料.tar.gz” › 扫描.pdf · 第1页"
    assert [f.rule for f in result.findings if f.severity != "info"] == [] and result.verdict is Verdict.PASS


def test_unreadable_image_member_is_an_error_that_does_not_name_it(scanner: Scanner) -> None:
    broken = b"\x89PNG\r\n\x1a\n" + os.urandom(300)
    data = _zip({"说明.txt": "附件".encode(), "材料/机密照片.png": broken})
    result, report = scan_rendered(scanner, data, "附件.zip")
    assert result.verdict is Verdict.ERROR and report.error
    assert "压缩包中第 2 个文件" in report.error and "图像无法解码" in report.error and "不得视为通过" in report.error
    assert "机密照片" not in report.error and "材料" not in report.error
    assert any(f.rule == "extract.image_member" for f in result.findings)  # the note stays: nothing was read


def test_archive_render_limits_are_shared(scanner: Scanner) -> None:
    from reviewer.render import RenderLimits

    data = _zip({"a.png": CLEAN_PNG, "b.png": CLEAN_PNG})
    result, report = scan_rendered(scanner, data, "附件.zip", RenderLimits(max_pages=1))
    assert result.verdict is Verdict.ERROR and report.error and "合计" in report.error and len(report.pages) == 1


def test_cli_render_json_locates_the_member(tmp_path: Path) -> None:
    f = tmp_path / "附件.zip"
    f.write_bytes(_zip({"扫描件/通知.png": STAMPED_PNG}))
    rules = str(Path(__file__).parent / "rules")
    reviewer = str(Path(sys.executable).with_name("reviewer"))
    r = subprocess.run([reviewer, "scan", "--render", "--rules", rules, "--format", "json", str(f)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, (r.stdout, r.stderr)
    doc = json.loads(r.stdout)
    hit = next(x for x in doc["findings"] if x["rule"] == MARK)
    assert hit["location"] == "压缩包“附件.zip” › 扫描件/通知.png · 第1页（图像识别）" and hit["page"] == 1
    assert len(hit["box"]) == 4 and all(isinstance(v, int) for v in hit["box"])
    assert doc["verdict"] == "block" and doc["error"] is None and doc["render"]["kind"] == "archive"
    assert doc["render"]["pages"][0]["location"] == "压缩包“附件.zip” › 扫描件/通知.png · 第1页"
    plain = subprocess.run([reviewer, "scan", "--rules", rules, "--format", "json", str(f)], capture_output=True, text=True,
                           timeout=600)
    assert plain.returncode == 1 and json.loads(plain.stdout)["verdict"] == "review"  # without --render: cannot pass
