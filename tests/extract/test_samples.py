"""Every hiding place of samples/formats is read and located as samples/formats/expected.json says."""

from __future__ import annotations

import json

import pytest

from reviewer.extract import extract
from reviewer.scan.model import Severity
from tests.extract.helpers import SAMPLES, locations_of

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", EXPECTED["places"], ids=lambda c: f"{c['file']}:{c['location']}")
def test_place_is_read_and_located(case: dict[str, str]) -> None:
    result = extract((SAMPLES / case["file"]).read_bytes(), case["file"])
    assert result.error is None
    found = locations_of(result, case["text"])
    assert any(case["location"] in where for where in found), found


@pytest.mark.parametrize("name", EXPECTED["errors"])
def test_broken_sample_is_an_error(name: str) -> None:
    result = extract((SAMPLES / name).read_bytes(), name)
    assert result.error and not result.parts
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.error)  # a message a person reads


@pytest.mark.parametrize("case", EXPECTED["review_issues"], ids=lambda c: c["file"])
def test_review_issue(case: dict[str, str]) -> None:
    result = extract((SAMPLES / case["file"]).read_bytes(), case["file"])
    assert [(i.code, i.location, i.severity) for i in result.issues] == [(case["code"], case["location"], Severity.REVIEW)]


def test_samples_are_reproducible(tmp_path: pytest.TempPathFactory) -> None:
    """make_samples.py regenerates the committed files byte for byte (the encrypted PDF has a random salt)."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "formats"  # type: ignore[operator]
    shutil.copytree(SAMPLES, copy)
    subprocess.run([sys.executable, str(copy / "make_samples.py")], check=True, capture_output=True)
    for path in SAMPLES.rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc") and path.name != "password.pdf" and "__pycache__" not in path.parts:
            assert (copy / path.relative_to(SAMPLES)).read_bytes() == path.read_bytes(), path.name
