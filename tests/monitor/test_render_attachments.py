"""The monitor reads an attachment no reviewer signed as the render check reads it: a scanned notice or an image put on
the website carries its marking in pixels only, and the extraction alone can only say "images only, read by hand"
(review). Read with OCR it is what it is: a classification marking, `block`. Fail closed: an attachment the render
check cannot read is unreadable, never clean. Real OCR, real local website on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reviewer.monitor.fetch import Politeness
from reviewer.monitor.model import Report, Status
from reviewer.monitor.run import Options, monitor
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.monitor import site
from tests.render import make as m

FAST = Politeness(concurrency=2, interval=0.0, timeout=5.0)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[site.Server]:
    stamp = m.image_bytes(m.page_image(["关于防汛物资调拨的通知", "机密★5年"], size=44), "png")
    files: dict[str, str | bytes] = {
        "/index.html": site.news_page("首页", ["欢迎访问。"], extra='<a href="/tz/1.html">通知</a>'),
        "/tz/1.html": site.news_page("防汛物资调拨", ["详见附件。"], extra=(
            '<p><a href="/files/scan.pdf">扫描件</a> <a href="/files/stamp.png">图片</a> '
            '<a href="/files/clean.png">图片二</a> <a href="/files/broken.pdf">损坏的文件</a></p>')),
        "/files/scan.pdf": m.scan_pdf([["关于防汛物资调拨的通知", "秘密★1年"]]),
        "/files/stamp.png": stamp,
        "/files/clean.png": m.image_bytes(m.page_image(["关于防汛物资调拨的通知", "请各单位按时报送。"], size=44), "png"),
        "/files/broken.pdf": b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF",
    }
    root = site.write(tmp_path_factory.mktemp("site"), {k: v.encode() if isinstance(v, str) else v for k, v in files.items()})
    with site.serve(root) as server:
        yield server


def _attachments(report: Report) -> dict[str, tuple[Status, Verdict, list[str]]]:
    return {r.url.rsplit("/", 1)[1]: (r.status, r.verdict, sorted({f.rule for f in r.findings}))
            for r in report.resources if r.kind == "attachment"}


def test_unsigned_scans_and_images_are_read_by_ocr(served: site.Server) -> None:
    report = monitor([served.base + "/"], [], Scanner.load(), options=Options(politeness=FAST, render=True))
    got = _attachments(report)
    assert set(got) == {"scan.pdf", "stamp.png", "clean.png", "broken.pdf"}, got
    for name in ("scan.pdf", "stamp.png"):  # the marking is in the pixels only
        status, verdict, rules = got[name]
        assert status is Status.UNSIGNED and verdict is Verdict.BLOCK, (name, got[name])
        assert any("marking" in r or "classification" in r for r in rules), (name, rules)
    status, verdict, rules = got["clean.png"]
    assert status is Status.UNSIGNED and verdict is not Verdict.BLOCK, got["clean.png"]
    status, verdict, rules = got["broken.pdf"]  # fail closed: not read is never clean
    assert status is Status.UNREADABLE and verdict is Verdict.ERROR, got["broken.pdf"]


def test_an_unsigned_attachment_is_extracted_once(served: site.Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The render check's reading includes the text scan of its own extraction: the monitor does not extract an
    unsigned attachment a second time for a text scan it then throws away (it did, until round 8)."""
    import threading

    import reviewer.document as document_module
    import reviewer.extract as extract_module

    real = extract_module.extract
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def counting(data: bytes, name: str, *args: object, **kwargs: object) -> object:
        with lock:
            counts[name] = counts.get(name, 0) + 1
        return real(data, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(extract_module, "extract", counting)  # what the render check calls
    monkeypatch.setattr(document_module, "extract", counting)  # what the text scan (scan_document) calls
    report = monitor([served.base + "/"], [], Scanner.load(), options=Options(politeness=FAST, render=True))
    got = _attachments(report)
    assert got["scan.pdf"][1] is Verdict.BLOCK, got
    attachments = {k: v for k, v in counts.items() if k.endswith((".pdf", ".png"))}
    assert attachments and all(v == 1 for v in attachments.values()), counts


def test_without_rendering_a_scan_is_still_never_pass(served: site.Server) -> None:
    report = monitor([served.base + "/"], [], Scanner.load(), options=Options(politeness=FAST, render=False))
    got = _attachments(report)
    assert all(v is not Verdict.PASS for _, v, _ in got.values()), got
