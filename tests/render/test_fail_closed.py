"""Fail closed: a renderer missing, crashing or hanging, an unreadable image, too many pages, a broken OCR engine —
each is `error` with a Chinese reason, never `pass`. And the command line without renderers exits 2 naming them."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewer.render import RenderLimits, engines, ocr, scan_rendered
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.render import make as m

DOCX = m.docx_case("numbering", "", clean=True)
HTML = m.html("<p>各区县人民政府：为切实做好防汛准备工作，现将有关事项通知如下。</p>")


def _fake_soffice(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "soffice"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


def _error(scanner: Scanner, data: bytes, name: str, limits: RenderLimits | None = None) -> str:
    result, report = scan_rendered(scanner, data, name, *([limits] if limits else []))
    assert result.verdict is Verdict.ERROR and report.error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in report.error)
    assert "不得视为通过" in report.error
    return report.error


def test_libreoffice_missing(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_SOFFICE", "/nonexistent/soffice")
    assert "LibreOffice" in _error(scanner, DOCX, "a.docx")


def test_libreoffice_crash(scanner: Scanner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REVIEWER_SOFFICE", _fake_soffice(tmp_path, "echo 'core dumped' >&2; exit 134"))
    assert "LibreOffice 无法渲染" in _error(scanner, DOCX, "a.docx")


def test_libreoffice_hang_is_killed_at_the_time_limit(scanner: Scanner, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    marker = tmp_path / "alive"
    monkeypatch.setenv("REVIEWER_SOFFICE", _fake_soffice(tmp_path, f"sleep 30; touch {marker}"))
    started = time.monotonic()
    assert "时间上限" in _error(scanner, DOCX, "a.docx", RenderLimits(max_seconds=2))
    assert time.monotonic() - started < 15
    time.sleep(0.5)
    assert not marker.exists()  # the whole process group was killed, nothing lingers


def test_chromium_missing(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "CHROMIUM", "/nonexistent/chromium")
    assert "Chromium" in _error(scanner, HTML, "a.html")


def test_broken_image(scanner: Scanner) -> None:
    error = _error(scanner, b"\x89PNG\r\n\x1a\n" + os.urandom(300), "a.png")
    assert "图像无法解码" in error or "已损坏" in error  # the picture's own structure (its metadata) is read first
    # a person reads this: no exception name, no object address (UnidentifiedImageError … <_io.BytesIO at 0x…>)
    assert not re.search(r"[A-Z][a-z]+Error|0x[0-9a-f]{6,}|<_io", error), error


def test_too_many_pages(scanner: Scanner) -> None:
    pdf = m.make_pdf([m.PdfPage([m.Text(60, 780, "第一页")]), m.PdfPage([m.Text(60, 780, "第二页")])])
    assert "超过渲染核对上限" in _error(scanner, pdf, "a.pdf", RenderLimits(max_pages=1))


def test_ocr_engine_failure(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __call__(self, *_a: object) -> None:
            raise RuntimeError("onnx session died")

        text_rec = __call__

    monkeypatch.setattr(ocr, "engine", lambda: Broken())
    png = m.image_bytes(m.page_image(["关于做好春季防汛工作的通知"]), "PNG")
    assert "文字识别失败" in _error(scanner, png, "a.png")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("reviewer")), *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def test_cli_without_renderers_exits_2_naming_what_to_install(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("各区县人民政府", encoding="utf-8")
    r = _cli("scan", "--render", str(f), env={"REVIEWER_SOFFICE": "/nonexistent/soffice",
                                                  "REVIEWER_CHROMIUM": "/nonexistent/chromium"})
    assert r.returncode == 2, r.stdout
    assert "libreoffice-writer-nogui" in r.stderr and "chromium" in r.stderr and "无法进行渲染核对" in r.stderr
    assert _cli("scan", str(f)).returncode == 0  # the text-only scan needs no renderer


def test_cli_render_json_has_page_and_box(tmp_path: Path) -> None:
    # a text layer that claims 普通项目 where the page shows 北辰三号: only the rendered page reads the term (glyphs
    # stored right to left, used here before, are now read by the text extraction: issue 19)
    f = tmp_path / "lie.pdf"
    f.write_bytes(m.text_pdf(["关于做好春季防汛工作的通知", "北辰三号"], lies=dict(zip("北辰三号", "普通项目", strict=True))))
    rules = str(Path(__file__).parent / "rules")
    r = _cli("scan", "--render", "--rules", rules, "--format", "json", str(f))
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    hit = next(x for x in doc["findings"] if x["rule"] == "render-test-codes")
    assert hit["match"] == "北辰三号" and hit["location"] == "第1页（图像识别）" and hit["page"] == 1
    assert len(hit["box"]) == 4 and all(isinstance(v, int) for v in hit["box"])
    assert doc["render"]["pages"][0]["sha256"] and doc["verdict"] == "block"
    plain = json.loads(_cli("scan", "--rules", rules, "--format", "json", str(f)).stdout)
    assert all("box" not in x for x in plain["findings"])  # without --render: the text-only scan


def test_render_limits_come_from_the_settings_and_fail_closed(tmp_path: Path) -> None:
    """REVIEWER_RENDER_MAX_PAGES / REVIEWER_RENDER_TIME_LIMIT (the worker reads the same settings): a draft over a
    limit is `error` with the reason, never pass; with the limit raised it is checked."""
    f = tmp_path / "two.pdf"
    f.write_bytes(m.make_pdf([m.PdfPage([m.Text(60, 780, "关于做好春季防汛工作的通知")]),
                              m.PdfPage([m.Text(60, 780, "各区县人民政府")])]))
    over = _cli("scan", "--render", "--format", "json", str(f), env={"REVIEWER_RENDER_MAX_PAGES": "1"})
    doc = json.loads(over.stdout)
    assert doc["verdict"] == "error" and "上限 1 页" in doc["error"], doc
    ok = json.loads(_cli("scan", "--render", "--format", "json", str(f), env={"REVIEWER_RENDER_MAX_PAGES": "2"}).stdout)
    assert ok["verdict"] == "pass" and len(ok["render"]["pages"]) == 2, ok
    slow = json.loads(_cli("scan", "--render", "--format", "json", str(f), env={"REVIEWER_RENDER_TIME_LIMIT": "0.001"}).stdout)
    assert slow["verdict"] == "error" and "时间上限" in slow["error"], slow
