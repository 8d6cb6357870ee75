"""Every hiding place of samples/formats is read and located as samples/formats/expected.json says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_samples_are_reproducible(tmp_path: Path) -> None:
    """make_samples.py regenerates the committed samples: files it writes itself byte for byte; DOCX/XLSX, whose bytes
    depend on the python-docx/openpyxl version installed, as the same extracted text at the same places; the encrypted
    PDF (random salt) as the same error."""
    copy = tmp_path / "formats"
    shutil.copytree(SAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    script = SAMPLES.parents[1] / "scripts" / "samples" / "make_samples.py"
    subprocess.run([sys.executable, str(script), str(copy)], check=True, capture_output=True)
    for path in SAMPLES.rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        fresh = (copy / path.relative_to(SAMPLES)).read_bytes()
        if path.suffix in (".docx", ".xlsx") or path.name == "password.pdf":
            old, new = extract(path.read_bytes(), path.name), extract(fresh, path.name)
            assert (old.error, old.parts, old.issues) == (new.error, new.parts, new.issues), path.name
        else:
            assert fresh == path.read_bytes(), path.name
