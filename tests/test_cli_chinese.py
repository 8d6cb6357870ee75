"""The command line speaks Chinese: argparse's own words, every help text, its error messages."""

from __future__ import annotations

import re

import pytest

from reviewer.cli import build_parser, main

ENGLISH = re.compile(r"\b(usage|positional arguments|options|optional arguments|show this help|error|required|invalid"
                     r"|choose from|expected|unrecognized|Exit status|every input)\b", re.IGNORECASE)


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _commands(parser, path=()):  # type: ignore[no-untyped-def]
    import argparse

    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if name != "worker":  # passes its arguments to celery unchanged
                    yield from _commands(sub, (*path, name))


def test_every_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    paths = list(_commands(build_parser()))
    assert ("scan",) in paths and len(paths) > 10
    for path in paths:
        out = _help(list(path), capsys)
        assert out.startswith("用法："), path
        assert not ENGLISH.search(out), (path, ENGLISH.search(out))
        for line in out.splitlines():
            m = re.match(r"^\s+(-\S+(?:, -\S+)*)(?:\s+\S+)?\s{2,}(.*)$", line)
            if m and m.group(2):
                assert re.search(r"[\u4e00-\u9fff]", m.group(2)), (path, line)


def test_argparse_errors_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expect in [(["audit", "stats"], "缺少必填参数：--year"), (["audit", "stats", "--year", "二〇二六"], "应为整数"),
                         (["no-such-command"], "无效的选项值"), (["scan", "--format", "yaml", "x"], "无效的选项值"),
                         (["scan", "--bogus", "x"], "无法识别的参数")]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert expect in err and "错误" in err and not ENGLISH.search(err), (argv, err)


def test_worker_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：reviewer worker") and "同时扫描" in out
