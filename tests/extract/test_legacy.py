"""Legacy .doc/.wps/.et: converted by LibreOffice when present, else a clear error. A stand-in `soffice` on PATH
exercises the conversion path on machines without LibreOffice."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reviewer.extract import extract
from tests.extract.helpers import SAMPLES, locations_of

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 40


@pytest.fixture
def no_soffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


def _fake_soffice(directory: Path, produce: Path | None) -> None:
    """A script that behaves like `soffice --headless --convert-to EXT --outdir DIR FILE`."""
    copy = f'cp "{produce}" "$outdir/input.$ext"' if produce else "exit 1"
    script = directory / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do case "$1" in --convert-to) ext=$2; shift;; --outdir) outdir=$2; shift;; esac; shift; done\n'
        f'mkdir -p "$outdir"; {copy}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize("name", ["old.doc", "draft.wps", "table.et", "table.xls", "a.rtf"])
def test_without_libreoffice_legacy_is_an_error(no_soffice: None, name: str) -> None:
    data = b"{\\rtf1 text}" if name.endswith(".rtf") else OLE
    result = extract(data, name)
    assert result.error and "LibreOffice" in result.error and not result.parts


@pytest.mark.skipif(os.name != "posix", reason="the stand-in soffice is a shell script")
def test_conversion_through_libreoffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_soffice(tmp_path, SAMPLES / "draft-with-revisions.docx")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = extract(OLE, "old.wps")
    assert result.error is None and result.kind == "wps"
    assert any("修订-删除" in where for where in locations_of(result, "机密★10年"))


@pytest.mark.skipif(os.name != "posix", reason="the stand-in soffice is a shell script")
def test_failed_conversion_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_soffice(tmp_path, None)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = extract(OLE, "old.doc")
    assert result.error and "无法转换" in result.error
