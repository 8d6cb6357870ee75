"""A new version of a draft re-checks only the pages whose rendering changed (reviewer.render.pagecache), and the
saving cannot be used to slip a lie through: an entry is reused only for the very same pixels *and* the very same
claimed text layer; a damaged entry is a miss.

Attack: publish an honest version that draws 北辰三号 and says so (checked, cached), then a version whose pages look
exactly the same but whose font's ToUnicode map calls those glyphs 普通项目 (so the extracted text is clean)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from reviewer.render import check, scan_rendered
from reviewer.render.pagecache import CACHE_DIR
from reviewer.scan.scanner import Scanner
from tests.render import make as m

LINES = ["关于做好春季防汛工作的通知", "各街道、各有关部门：", "普通项目按计划推进，请各单位认真落实。", "特此通知。"]
CACHED = "沿用其识别结果"


def _page(lines: list[str], shift: float = 0) -> m.PdfPage:
    return m.PdfPage([m.Text(60 + shift, 780 - i * 26, line, 14) for i, line in enumerate(lines)])


@pytest.fixture
def read_pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Numbers of the pages whose pixels were actually read (steps 1–2 of the check ran)."""
    numbers: list[int] = []
    real = check._read_start

    def counted(pending: Any, *args: Any) -> Any:
        numbers.append(pending.page.number)
        return real(pending, *args)

    monkeypatch.setattr(check, "_read_start", counted)
    return numbers


def test_a_new_version_rereads_only_the_changed_page(scanner: Scanner, tmp_path: Path, read_pages: list[int]) -> None:
    limits = check.RenderLimits(glyph_memory=str(tmp_path / "glyph-memory.npz"))
    first = m.make_pdf([_page(LINES), _page(LINES[::-1], 0.4), _page(LINES[1:], 0.7)])
    _r, report1 = scan_rendered(scanner, first, "v1.pdf", limits)
    assert report1.error is None and read_pages == [1, 2, 3]
    changed = [*LINES[:2], "北辰三号的工作按期完成", *LINES[3:]]
    second = m.make_pdf([_page(LINES), _page(changed, 0.4), _page(LINES[1:], 0.7)])
    read_pages.clear()
    result, report2 = scan_rendered(scanner, second, "v2.pdf", limits)
    assert report2.error is None
    assert read_pages == [2], read_pages
    assert [CACHED in p.ocr for p in report2.pages] == [True, False, True]
    # the reused pages give what reading them gave: the same visible lines
    assert [ln.text for ln in report2.pages[0].lines] == [ln.text for ln in report1.pages[0].lines]
    assert [f for f in result.findings if "北辰三号" in f.match and "第2页" in f.location], \
        [(f.rule, f.match, f.location) for f in result.findings]


def test_the_same_pixels_claiming_other_text_are_read_again(scanner: Scanner, tmp_path: Path,
                                                             read_pages: list[int]) -> None:
    limits = check.RenderLimits(glyph_memory=str(tmp_path / "glyph-memory.npz"))
    shown = [LINES[0], "北辰三号按计划推进，请各单位认真落实。", LINES[3]]
    honest = m.make_pdf([_page(shown)])
    _r, first = scan_rendered(scanner, honest, "a.pdf", limits)
    assert first.error is None and read_pages == [1]
    lying = m.make_pdf([_page(shown)], lies=dict(zip("北辰三号", "普通项目", strict=True)))
    read_pages.clear()
    result, second = scan_rendered(scanner, lying, "b.pdf", limits)
    assert second.error is None
    # the very same picture (the test is about the claim, not the pixels) ...
    assert hashlib.sha256(second.pages[0].png).digest() == hashlib.sha256(first.pages[0].png).digest()
    # ... claiming other text: read again, and the lie found
    assert read_pages == [1] and CACHED not in second.pages[0].ocr
    assert [f for f in result.findings if "北辰三号" in (f.match + f.explanation)], \
        [(f.rule, f.match, f.location) for f in result.findings]
    assert result.verdict.value != "pass"


def test_a_damaged_entry_is_read_again(scanner: Scanner, tmp_path: Path, read_pages: list[int]) -> None:
    limits = check.RenderLimits(glyph_memory=str(tmp_path / "glyph-memory.npz"))
    data = m.make_pdf([_page([*LINES[:2], "北辰三号的工作按期完成"])])
    result1, _ = scan_rendered(scanner, data, "a.pdf", limits)
    entries = [p for p in (tmp_path / CACHE_DIR).rglob("*") if p.is_file()]
    assert entries
    # they hold the page's visible text: private like the database
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in entries)
    assert all(d.stat().st_mode & 0o777 == 0o700 for d in [tmp_path / CACHE_DIR, *(p.parent for p in entries)])
    for p in entries:  # tampered or truncated on disk
        p.write_bytes(p.read_bytes()[:20])
    read_pages.clear()
    result2, report = scan_rendered(scanner, data, "a.pdf", limits)
    assert report.error is None and read_pages == [1] and CACHED not in report.pages[0].ocr
    assert sorted((f.rule, f.match) for f in result2.findings) == sorted((f.rule, f.match) for f in result1.findings)
    assert any(f.match == "北辰三号" for f in result2.findings)


def test_the_stored_page_image_is_lossless_and_keeps_colour() -> None:
    """The page PNG (what the reviewer sees and what the sign-off hashes) is encoded grey only when every pixel is
    grey: a red stamp on a text page stays red, and decoding gives back exactly the rendered pixels."""
    import io

    import numpy as np
    from PIL import Image, ImageDraw

    page = m.page_image(["关于做好春季防汛工作的通知"])
    stamped = page.copy()  # type: ignore[attr-defined]
    ImageDraw.Draw(stamped).ellipse((800, 100, 1000, 300), outline=(220, 30, 30), width=6)
    rng = np.random.default_rng(19)
    noise = Image.fromarray(rng.integers(0, 256, (23, 37, 3), dtype=np.uint8))  # every byte value, odd sizes
    grey_noise = Image.fromarray(np.repeat(rng.integers(0, 256, (29, 31, 1), dtype=np.uint8), 3, axis=2))
    for img, mode in ((page, "L"), (stamped, "RGB"), (noise, "RGB"), (grey_noise, "L")):
        back = Image.open(io.BytesIO(check._png(img)))
        assert back.mode == mode
        assert np.array_equal(np.asarray(back.convert("RGB")), np.asarray(img))
