"""`reviewer keys init|show`, and the warning when a process creates a signing key it should have been given."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reviewer.audit.keys import CHECKPOINT_KEY_FILE, RECEIPT_KEY_FILE, load_or_create_key
from reviewer.cli import main


def test_init_creates_once_and_show_prints_public_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    assert main(["keys", "show"]) == 1 and "reviewer keys init" in capsys.readouterr().err
    assert main(["keys", "init"]) == 0
    assert capsys.readouterr().out.count("已生成") == 2
    before = {n: (tmp_path / "data" / n).read_bytes() for n in (RECEIPT_KEY_FILE, CHECKPOINT_KEY_FILE)}
    assert main(["keys", "init"]) == 0
    assert capsys.readouterr().out.count("已有，未改动") == 2
    assert before == {n: (tmp_path / "data" / n).read_bytes() for n in before}
    assert main(["keys", "show"]) == 0
    out = capsys.readouterr().out
    assert out.count("BEGIN PUBLIC KEY") == 2 and "PRIVATE" not in out


def test_a_process_creating_a_key_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="reviewer.audit.keys"):
        load_or_create_key(tmp_path, RECEIPT_KEY_FILE)
        load_or_create_key(tmp_path, RECEIPT_KEY_FILE)  # loading an existing key is silent
    warnings = [r for r in caplog.records if "已新建签名密钥" in r.getMessage()]
    assert len(warnings) == 1 and "REVIEWER_DATA_DIR" in warnings[0].getMessage()
