"""The offline bundle's scripts, cheaply: argument handling and refusals of scripts/install.sh and scripts/bundle.sh
(the full build and the offline install are tests/integration/test_offline_bundle.py, marked slow)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.services import REPO

INSTALL = REPO / "scripts" / "install.sh"
BUNDLE = REPO / "scripts" / "bundle.sh"
CJK = re.compile(r"[\u4e00-\u9fff]")


def bash(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_scripts_parse() -> None:
    for script in (INSTALL, BUNDLE):
        assert bash("-n", str(script)).returncode == 0, script


@pytest.mark.parametrize("args, code, expect", [
    ([], 2, "缺少必填参数 --prefix"),
    (["--prefix"], 2, "--prefix 需要一个目录"),
    (["--prefix="], 2, "--prefix 需要一个目录"),
    (["--bogus"], 2, "无法识别的参数：--bogus"),
    (["--help"], 0, "用法：bash install.sh --prefix DIR"),
])
def test_install_arguments(tmp_path: Path, args: list[str], code: int, expect: str) -> None:
    copy = tmp_path / "install.sh"
    copy.write_bytes(INSTALL.read_bytes())
    r = bash(str(copy), *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert expect in r.stdout + r.stderr and "command not found" not in r.stderr


def _fake_bundle(root: Path, *, wheel: bool = True, required: bool = True) -> Path:
    root.mkdir()
    (root / "install.sh").write_bytes(INSTALL.read_bytes())
    (root / "wheels").mkdir()
    (root / "debs").mkdir()
    if wheel:
        (root / "wheels" / "secrecy_review-0.1.0-py3-none-any.whl").write_bytes(b"")
    if required:
        (root / "debs" / "REQUIRED").write_text("bash\n")
    return root


def test_install_refuses_an_incomplete_bundle(tmp_path: Path) -> None:
    for name, kw, reason in [("nowheel", {"wheel": False}, "没有本项目的 wheel"),
                             ("noreq", {"required": False}, "不是完整的离线安装包")]:
        bundle = _fake_bundle(tmp_path / name, **kw)
        r = bash(str(bundle / "install.sh"), "--prefix", str(tmp_path / "p"))
        assert r.returncode == 2 and reason in r.stderr and CJK.search(r.stderr), r.stderr
        assert not (tmp_path / "p").exists()  # nothing was installed


@pytest.mark.slow  # builds a virtual environment (half a minute on the shared machine)
def test_install_from_an_empty_wheelhouse_fails_without_network(tmp_path: Path) -> None:
    """With `--no-index` pip can only use the bundle: a bundle whose wheel is broken fails, it never downloads."""
    bundle = _fake_bundle(tmp_path / "b")
    r = subprocess.run(["bash", str(bundle / "install.sh"), "--prefix", str(tmp_path / "p"), "--skip-system"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "从 wheel 安装失败" in r.stderr, (r.stdout, r.stderr)
    assert not (tmp_path / "p" / "bin" / "reviewer").exists()


def test_bundle_arguments_and_refusals(tmp_path: Path) -> None:
    r = bash(str(BUNDLE))
    assert r.returncode == 2 and "用法：bash scripts/bundle.sh OUT_DIR" in r.stderr
    inside = bash(str(BUNDLE), str(REPO / "build" / "bundle-test"))
    assert inside.returncode == 2 and "不能在项目目录内" in inside.stderr
    foreign = tmp_path / "someone-elses"
    foreign.mkdir()
    (foreign / "important.txt").write_text("x")
    r = bash(str(BUNDLE), str(foreign))
    assert r.returncode == 2 and "不是空目录" in r.stderr and (foreign / "important.txt").read_text() == "x"


def test_bundle_lists_what_a_fresh_debian_machine_lacks() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    listed = re.search(r"SYSTEM_PACKAGES=\(([^)]*)\)", text)
    assert listed is not None
    packages = set(listed.group(1).split())
    assert {"redis-server", "postgresql", "libreoffice-writer-nogui", "libreoffice-calc-nogui",
            "libreoffice-impress-nogui", "chromium", "fonts-noto-cjk", "python3-venv"} <= packages
    assert "pip\" wheel" in text.replace("/bin/pip\" wheel", "pip\" wheel") and "--recurse" in text
    assert "dpkg-scanpackages" in text
    install = INSTALL.read_text(encoding="utf-8")
    assert "--no-index" in install and "file:$BUNDLE/debs" in install
