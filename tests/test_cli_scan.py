"""`reviewer scan` and `reviewer rules check`: exit codes, the JSON contract, encodings, stdin, directories."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.settings import REPO_ROOT

BLOCK_TEXT = "机密★10年\n关于某事的通知\n"
REVIEW_TEXT = "联系人手机13812345678\n"
CLEAN_TEXT = "关于做好政府信息公开工作的通知，坚持涉密不上网。\n"
KEYS = {"path", "verdict", "rules_version", "findings", "error"}
FINDING_KEYS = {"rule", "category", "severity", "start", "end", "match", "context", "location", "message"}


@pytest.fixture(autouse=True)
def _no_env_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVIEWER_RULES_PATH", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["scan", *args])
    return code, capsys.readouterr().out


def jsonl(out: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in out.splitlines()]


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in {"b.txt": BLOCK_TEXT, "r.txt": REVIEW_TEXT, "c.txt": CLEAN_TEXT}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert run(capsys, str(tmp_path / "c.txt"))[0] == 0
    assert run(capsys, str(tmp_path / "r.txt"))[0] == 1
    assert run(capsys, str(tmp_path / "b.txt"), str(tmp_path / "c.txt"))[0] == 1
    assert run(capsys, str(tmp_path / "c.txt"), str(tmp_path / "missing.txt"))[0] == 2
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    assert run(capsys, str(tmp_path / "bin.txt"))[0] == 2


def test_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.txt").write_text("前言\n" + BLOCK_TEXT + REVIEW_TEXT, encoding="utf-8")
    (tmp_path / "c.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code, out = run(capsys, "--format", "json", str(tmp_path / "b.txt"), str(tmp_path / "c.txt"), str(tmp_path / "no.txt"))
    assert code == 2
    rows = jsonl(out)
    assert [r["verdict"] for r in rows] == ["block", "pass", "error"]
    for row in rows:
        assert KEYS <= set(row)
        assert len(row["rules_version"]) == 16
    assert rows[2]["error"] and rows[0]["error"] is None
    text = (tmp_path / "b.txt").read_text(encoding="utf-8")
    for f in rows[0]["findings"]:
        assert FINDING_KEYS <= set(f)
        assert text[f["start"] : f["end"]] == f["match"]
        assert f["location"] == "正文"
    assert {f["rule"] for f in rows[0]["findings"]} >= {"classification-marking", "mobile"}


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("gb18030", b"")],
)
def test_encodings(tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, prefix: bytes) -> None:
    text = "前言：本文件\n" + BLOCK_TEXT
    path = tmp_path / "doc.txt"
    path.write_bytes(prefix + text.encode(encoding))
    code, out = run(capsys, "--format", "json", str(path))
    [row] = jsonl(out)
    assert code == 1 and row["verdict"] == "block"
    [f] = [f for f in row["findings"] if f["rule"] == "classification-marking"]
    assert f["match"] == "机密★10年" and text[f["start"] : f["end"]] == "机密★10年"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(REVIEW_TEXT.encode("gb18030"))))
    code, out = run(capsys, "--format", "json", "-")
    [row] = jsonl(out)
    assert code == 1 and row["path"] == "-" and row["verdict"] == "review"


def test_directory_walk_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text(BLOCK_TEXT, encoding="utf-8")
    (tmp_path / "c.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code, out = run(capsys, str(tmp_path))
    assert code == 1
    assert "【机密★10年】" in out  # not a TTY: the hit is marked with 【】, no ANSI colour
    assert "\033[" not in out
    assert "禁止发布" in out and "共审查 2 个文件" in out


def test_org_rules_option(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sample = str(REPO_ROOT / "samples" / "org-term.txt")
    assert run(capsys, sample)[0] == 0
    assert run(capsys, "--rules", str(REPO_ROOT / "examples" / "org-rules"), sample)[0] == 1
    monkeypatch.setenv("REVIEWER_RULES_PATH", str(REPO_ROOT / "examples" / "org-rules"))
    assert run(capsys, sample)[0] == 1


def test_invalid_rules_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("id: other\nkind: terms\nseverity: block\nterms: [x]\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text(CLEAN_TEXT, encoding="utf-8")
    code = main(["scan", "--rules", str(tmp_path), str(tmp_path / "c.txt")])
    assert code == 2 and "规则错误" in capsys.readouterr().err


def test_rules_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check"]) == 0
    assert main(["rules", "check", str(REPO_ROOT / "examples" / "org-rules")]) == 0
    (tmp_path / "org.yaml").write_text("id: org\nkind: terms\nseverity: block\nterms: [青鸾四号]\n", encoding="utf-8")
    (tmp_path / "org.examples.txt").write_text("命中: 青鸾\n不命中: 白鹭\n", encoding="utf-8")
    assert main(["rules", "check", str(tmp_path)]) == 1
    assert "org.examples.txt:1" in capsys.readouterr().out


def test_text_output_colour_and_info() -> None:
    from reviewer.cli.scan import print_text
    from reviewer.scan.scanner import Scanner

    result = Scanner.load().scan("机密★10年\n会议讨论了机密文件的管理。")
    out = io.StringIO()
    print_text(out, "a.txt", result, color=True, show_info=False)
    text = out.getvalue()
    assert "\033[31m\033[1m机密★10年\033[0m" in text and "【" not in text
    assert "另有 1 条提示" in text
    out = io.StringIO()
    print_text(out, "a.txt", result, color=False, show_info=True)
    assert "[提示]" in out.getvalue() and "另有" not in out.getvalue()


def test_unreadable_input_is_explained_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--format", "json", str(tmp_path / "missing.txt"))
    (record,) = jsonl(out)
    assert code == 2 and record["verdict"] == "error"
    assert record["error"] == "无法读取文件：文件或目录不存在"


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    """`reviewer scan --format json DIR | head -1`: the scan stops quietly when its reader is gone."""
    import subprocess

    for i in range(400):
        (tmp_path / f"{i:03d}.txt").write_text("区政府关于做好冬季供暖保障工作的通知。" * 50, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "reviewer", "scan", "--format", "json", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    code = proc.wait(120)
    assert json.loads(first)["verdict"] == "pass"
    assert "Traceback" not in err, err
    assert code == 141
