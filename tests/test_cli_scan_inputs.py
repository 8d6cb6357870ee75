"""`reviewer scan DIR` reads every file of a folder: nothing is skipped by its name (README…, EXPECTED…, dot files
used to be), `--exclude PATTERN` is the only way to read less; what cannot be read is an input that failed, so an
empty folder, a 0-byte file, a broken symbolic link, a special file or a folder with nothing readable exits 2 with a
Chinese reason — never 0 with "共审查 0 个文件"."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reviewer.cli import main

BLOCK_TEXT = "机密★10年\n关于某事的通知\n"
CLEAN_TEXT = "关于做好政府信息公开工作的通知，坚持涉密不上网。\n"


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    code = main(["scan", "--format", "json", *args])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, rows


@pytest.mark.parametrize("name", ["README.md", "EXPECTED.md", "expected.json", ".hidden.txt", "readme-附件.txt",
                                  "sub/.git/config", ".dir/attachment.txt"])
def test_no_file_is_skipped_by_its_name(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BLOCK_TEXT, encoding="utf-8")
    (tmp_path / "clean.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code, rows = scan(capsys, str(tmp_path))
    assert code == 1, rows
    assert {Path(r["path"]).relative_to(tmp_path).as_posix(): r["verdict"] for r in rows} == {name: "block", "clean.txt": "pass"}


def test_exclude_reads_less_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text(BLOCK_TEXT, encoding="utf-8")
    (tmp_path / "draft.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code, rows = scan(capsys, "--exclude", "*.md", str(tmp_path))
    assert code == 0 and [Path(r["path"]).name for r in rows] == ["draft.txt"]
    code, rows = scan(capsys, "--exclude", "notes/*", str(tmp_path))
    assert code == 0 and [Path(r["path"]).name for r in rows] == ["draft.txt"]
    code, rows = scan(capsys, str(tmp_path))
    assert code == 1 and len(rows) == 2


def _error_rows(rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [r["error"] for r in rows if r["verdict"] == "error"]


def test_empty_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    code, rows = scan(capsys, str(tmp_path / "empty"))
    assert code == 2 and _error_rows(rows) == ["目录中没有文件，没有可审查的内容"]


def test_zero_byte_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "zero.docx").write_bytes(b"")
    code, rows = scan(capsys, str(tmp_path / "zero.docx"))
    assert code == 2 and "0 字节" in _error_rows(rows)[0]
    (tmp_path / "ok.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code, rows = scan(capsys, str(tmp_path))  # one good file does not hide the empty one
    assert code == 2 and len(_error_rows(rows)) == 1


def test_broken_symlink_and_special_files_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ok.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "does-not-exist.pdf")
    os.mkfifo(tmp_path / "pipe")  # reading it would block forever: reported, not read
    other = tmp_path.parent / f"{tmp_path.name}-other"
    other.mkdir()
    (other / "x.txt").write_text(BLOCK_TEXT, encoding="utf-8")
    (tmp_path / "linked-dir").symlink_to(other)
    code, rows = scan(capsys, str(tmp_path))
    errors = _error_rows(rows)
    assert code == 2 and len(errors) == 3, rows
    assert any("符号链接指向的文件不存在" in e for e in errors)
    assert any("不是普通文件" in e for e in errors)
    assert any("符号链接指向一个目录" in e for e in errors)


def test_nothing_readable_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text(BLOCK_TEXT, encoding="utf-8")
    code, rows = scan(capsys, "--exclude", "*", str(tmp_path))
    assert code == 2 and "都被 --exclude 排除" in _error_rows(rows)[0]
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.txt"
        locked.write_text(CLEAN_TEXT, encoding="utf-8")
        locked.chmod(0)
        code, rows = scan(capsys, str(locked))
        assert code == 2 and "没有权限" in _error_rows(rows)[0]


def test_missing_path_reason_is_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(tmp_path / "nope.txt")])
    out = capsys.readouterr().out
    assert code == 2 and "文件或目录不存在" in out and "Errno" not in out and "No such file" not in out
