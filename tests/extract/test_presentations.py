"""Legacy PowerPoint (.ppt) and OpenDocument presentations (.odp) are read as decks (LibreOffice converts them to
PPTX, the PPTX extractor reads it): slides, hidden slides, speaker notes and slide masters, with the PPTX locations.
The decks are real: LibreOffice writes them from a flat ODF deck built here, with text added to the master."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract.planted import CLEAN, PLANT, missing, scanner

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice 未安装")

_FODP = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2"
 office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:automatic-styles><style:style style:name="dp2" style:family="drawing-page">
  <style:drawing-page-properties presentation:visibility="hidden"/></style:style></office:automatic-styles>
 <office:master-styles><style:master-page style:name="Default"/></office:master-styles>
 <office:body><office:presentation>
 <draw:page draw:name="p1" draw:master-page-name="Default">
  <draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm"><draw:text-box><text:p>{slide}</text:p></draw:text-box></draw:frame>
  <presentation:notes><draw:frame presentation:class="notes" svg:width="16cm" svg:height="10cm" svg:x="2cm" svg:y="14cm">
   <draw:text-box><text:p>{notes}</text:p></draw:text-box></draw:frame></presentation:notes>
 </draw:page>
 <draw:page draw:name="p2" draw:style-name="dp2" draw:master-page-name="Default">
  <draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm"><draw:text-box><text:p>{hidden}</text:p></draw:text-box></draw:frame>
 </draw:page>
 </office:presentation></office:body></office:document>"""
_BOX = ('<p:sp><p:nvSpPr><p:cNvPr id="99" name="TextBox 99"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr>'
        '<a:xfrm><a:off x="720000" y="4320000"/><a:ext cx="7200000" cy="900000"/></a:xfrm><a:prstGeom prst="rect">'
        '<a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:p><a:r><a:rPr lang="zh-CN"/><a:t>{}</a:t></a:r></a:p>'
        "</p:txBody></p:sp>")


def _convert(sources: list[Path], target: str, tmp: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", target,
                    "--outdir", str(tmp), *map(str, sources)], check=True, capture_output=True, timeout=180)


def _with_master(pptx: bytes, text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pptx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            part = zin.read(item.filename)
            if item.filename == "ppt/slideMasters/slideMaster1.xml":
                part = re.sub(rb"(</p:grpSpPr>)", lambda m: m.group(1) + _BOX.format(text).encode(), part, count=1)
            zout.writestr(item, part)
    return out.getvalue()


class Decks:
    """{dirty,clean}.{ppt,odp}: the planted text on a slide, in its notes, on a hidden slide and on the master; each
    target format converted once, when first asked for (every LibreOffice run costs seconds)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        for kind, t in (("dirty", PLANT), ("clean", CLEAN)):
            (tmp / f"{kind}.fodp").write_text(_FODP.format(slide=t, notes=t, hidden=t), encoding="utf-8")
        _convert([tmp / "dirty.fodp", tmp / "clean.fodp"], "pptx", tmp)
        for kind, t in (("dirty", PLANT), ("clean", CLEAN)):
            (tmp / f"{kind}.pptx").write_bytes(_with_master((tmp / f"{kind}.pptx").read_bytes(), t))

    def __getitem__(self, name: str) -> bytes:
        path = self.tmp / name
        if not path.exists():
            _convert([self.tmp / "dirty.pptx", self.tmp / "clean.pptx"], name.rsplit(".", 1)[1], self.tmp)
        return path.read_bytes()


@pytest.fixture(scope="module")
def decks() -> Iterator[Decks]:
    with tempfile.TemporaryDirectory() as name:
        yield Decks(Path(name))


PLACES = ["幻灯片1", "幻灯片1 备注", "幻灯片2 · 隐藏幻灯片"]


@pytest.mark.parametrize("suffix", [".ppt", pytest.param(".odp", marks=pytest.mark.slow)])
def test_every_place_of_a_deck_is_scanned_with_deck_locations(decks: Decks, suffix: str) -> None:
    dirty = scan_document(scanner(), decks[f"dirty{suffix}"], f"汇报{suffix}")
    assert dirty.error is None and dirty.verdict is Verdict.BLOCK
    masters = [loc for loc in {f.location for f in dirty.findings} if loc.startswith("幻灯片母版与版式")]
    assert missing(dirty, PLACES + masters[:1]) == {} and masters
    clean = scan_document(scanner(), decks[f"clean{suffix}"], f"汇报{suffix}")
    assert clean.error is None and clean.verdict is Verdict.PASS, [(f.rule, f.location) for f in clean.findings]


@pytest.mark.slow
def test_a_renamed_deck_is_read_as_a_deck(decks: Decks) -> None:
    result = extract(decks["dirty.ppt"], "汇报.doc")
    assert result.error is None and any(p.location == "备注" for p in result.parts)


@pytest.mark.slow
def test_a_damaged_ppt_is_an_error(decks: Decks) -> None:
    data = decks["dirty.ppt"]
    assert extract(data[: len(data) // 3], "坏.ppt").error
