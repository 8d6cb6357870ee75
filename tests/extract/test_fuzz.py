"""Fuzzing every extractor: mutated sample files and random bytes under every extension. The property: extract()
never raises; it returns an Extraction, and when it reports an error, the error is a message and there are no parts.

The default run is bounded (about 100 examples per extractor); `-m slow` runs the long variant."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.extract import Extraction, Limits, extract
from tests.extract.helpers import SAMPLES

SEEDS: dict[str, bytes] = {
    p.suffix: p.read_bytes()
    for p in sorted(SAMPLES.glob("*.*"))
    if p.suffix in (".txt", ".html", ".docx", ".xlsx", ".pdf", ".json", ".zip")
}
SEEDS[".txt-utf16"] = (SAMPLES / "notice-utf16le-nobom.txt").read_bytes()
SEEDS[".txt-big5"] = (SAMPLES / "notice-big5.txt").read_bytes()
SUFFIXES = [".txt", ".html", ".docx", ".xlsx", ".pdf", ".doc", ".wps", ".et", ".bin", ".json", ".zip", ".7z", ".gz", ".tar", ".pptx", "",
            ".eml", ".mht", ".xml", ".ofd", ".ppt", ".odp"]


def _seven_zip_seed() -> bytes | None:
    try:
        import py7zr
    except ImportError:  # pragma: no cover - py7zr is a runtime dependency
        return None
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        archive.writestr("本件机密★10年".encode(), "a/说明.txt")
        archive.writestr((SAMPLES / "cms-page.html").read_bytes(), "a/page.html")
    return out.getvalue()


def _new_format_seeds() -> dict[str, bytes]:
    """E-mail, MHTML, XML and OFD seeds, built by the builders their tests use (attachments and resources included)."""
    from tests.extract.planted import PLANT
    from tests.extract.test_eml import _mail
    from tests.extract.test_mhtml import _word_mht
    from tests.extract.test_ofd import _doc
    from tests.extract.test_xmlfile import _feed

    return {".eml": _mail(PLANT, with_pdf=False), ".mht": _word_mht(PLANT, image=b"\x89PNG\r\n\x1a\n" + b"\x00" * 16),
            ".xml": _feed(PLANT).encode("gbk"), ".ofd": _doc(PLANT)}


SEEDS.update(_new_format_seeds())
_SEVEN = _seven_zip_seed()
if _SEVEN is not None:
    SEEDS[".7z"] = _SEVEN


@pytest.fixture(autouse=True)
def _no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzing is about the parsers: an installed OCR engine would spend seconds per mutated scanned page."""
    from reviewer.extract import pdf

    monkeypatch.setattr(pdf, "ocr_available", lambda: False)
LIMITS = Limits(max_seconds=10)
QUICK = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=3000, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "splice"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 256))]
        else:  # repeat a stretch: confuses length fields and offsets
            end = min(len(data), pos + draw(st.integers(1, 512)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@st.composite
def mutated_member(draw: st.DrawFn, seed: bytes) -> bytes:
    """Mutate the XML inside one member of a DOCX/XLSX (any member of an archive) and zip it again with valid CRCs,
    so the XML walkers and the member extractors (not only the zip reader) meet damaged input."""
    with zipfile.ZipFile(io.BytesIO(seed)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    target = draw(st.sampled_from(sorted(n for n in members if n.endswith(".xml")) or sorted(members)))
    members[target] = draw(mutated(members[target]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def _check(data: bytes, name: str) -> None:
    result = extract(data, name, LIMITS)
    assert isinstance(result, Extraction)
    if result.error:
        assert isinstance(result.error, str) and result.error.strip()
        assert not result.parts
    else:
        assert all(isinstance(p.text, str) for p in result.parts)
        for part in result.parts:
            part.locate(0, len(part.text))


def _mutation_test(suffix: str, config: settings):  # type: ignore[no-untyped-def]
    @config
    @given(data=mutated(SEEDS[suffix]))
    def run(data: bytes) -> None:
        _check(data, f"fuzz{suffix.split('-')[0]}")

    return run


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_mutated_samples(suffix: str) -> None:
    _mutation_test(suffix, QUICK)()


def _member_test(suffix: str, config: settings):  # type: ignore[no-untyped-def]
    @config
    @given(data=mutated_member(SEEDS[suffix]))
    def run(data: bytes) -> None:
        _check(data, f"fuzz{suffix}")

    return run


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".zip", ".ofd"])
def test_mutated_package_members(suffix: str) -> None:
    _member_test(suffix, QUICK)()


@QUICK
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_any_extension(data: bytes, suffix: str) -> None:
    _check(data, f"random{suffix}")


@QUICK
@given(prefix=st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html>", b"\xef\xbb\xbf", b"\xff\xfe", b"7z\xbc\xaf\x27\x1c\x00\x04", b"\x1f\x8b\x08\x00", b"{\"a\": \"\\u", b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b\r\n", b"Subject: =?GBK?B?", b"<?xml version='1.0' encoding='gbk'?><rss>"]), rest=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
def test_magic_prefix_then_garbage(prefix: bytes, rest: bytes, suffix: str) -> None:
    _check(prefix + rest, f"magic{suffix}")


@QUICK
@given(text=st.text(max_size=2000))
def test_arbitrary_html(text: str) -> None:
    _check(text.encode("utf-8", "surrogatepass"), "page.html")


@pytest.mark.slow
@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_mutated_samples_long(suffix: str) -> None:
    _mutation_test(suffix, LONG)()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_mutated_package_members_long(suffix: str) -> None:
    _member_test(suffix, LONG)()


@pytest.mark.slow
@LONG
@given(data=st.binary(max_size=65536), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_long(data: bytes, suffix: str) -> None:
    _check(data, f"random{suffix}")


def test_seeds_cover_every_extractor() -> None:
    assert set(SEEDS) == {".txt", ".txt-utf16", ".txt-big5", ".html", ".docx", ".xlsx", ".pdf", ".json", ".zip", ".7z",
                          ".eml", ".mht", ".xml", ".ofd"}
    assert Path(SAMPLES).is_dir()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><body><![A[ x ]]>\xe7\xbb\x9d\xe5\xaf\x86<![<!DOCTYPE html><p>", "found-by-fuzzing.html"),
        (b"<html><![\x01", "found-by-fuzzing.html"),
    ],
)
def test_regressions_found_by_fuzzing(data: bytes, name: str) -> None:
    _check(data, name)


def test_regression_unknown_xml_encoding() -> None:
    from tests.extract.helpers import zip_of

    data = zip_of({"word/document.xml": b'<?xml version="1.0" encoding="U-F-8"?><w:document/>'})
    result = extract(data, "enc.docx")
    assert result.error and "XML" in result.error
