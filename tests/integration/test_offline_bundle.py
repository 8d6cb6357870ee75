"""The offline bundle, end to end: `bash scripts/bundle.sh OUT` (needs the package registries) builds it, then — inside
a network namespace with nothing but loopback (`unshare -n`) — `bash OUT/install.sh --check-closure` proves the .debs
install on an empty Debian from the bundle alone, `bash OUT/install.sh --prefix DIR` installs, and the installed
`DIR/bin/reviewer` runs `rules check`, `scan`, `scan --render` and `worker` (against a redis-server on loopback).

Heavy (the bundle is about 900 MB: 600 .debs and 90 wheels; building it takes minutes), so it is `slow`. Set
REVIEWER_TEST_BUNDLE=/path/to/an/existing/bundle to reuse one instead of building. Needs root (unshare, apt)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OFFLINE_CHECKS = r"""
set -u
ip link set lo up
cd "$WORK"
export HOME="$WORK/home" REVIEWER_DATA_DIR="$WORK/data"
unset PYTHONPATH
if getent hosts pypi.org >/dev/null 2>&1 || python3 -c 'import socket; socket.create_connection(("1.1.1.1", 53), 2)' 2>/dev/null; then
  echo "NETWORK-REACHABLE"; exit 90
fi
R="$PREFIX/bin/reviewer"
"$R" rules check > rules.out 2>&1; echo "rules=$?"
"$R" scan --format json classified-head.txt > scan.out 2>&1; echo "scan=$?"
"$R" scan --render --format json report-with-scan.pdf > render.out 2>&1; echo "render=$?"
redis-server --port 6399 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir "$WORK" >/dev/null
export REVIEWER_REDIS_URL=redis://127.0.0.1:6399/0
"$R" db upgrade > db.out 2>&1; echo "db=$?"
"$R" worker --pool solo -c 1 -n offline@%h > worker.out 2>&1 &
W=$!
for i in $(seq 1 120); do grep -q "ready\." worker.out && break; sleep 1; done
grep -q "ready\." worker.out && echo "worker=ready" || echo "worker=not-ready"
kill "$W"; wait "$W" 2>/dev/null
redis-cli -p 6399 shutdown nosave >/dev/null 2>&1 || true
"""


def _bundle(tmp_path: Path) -> Path:
    given = os.environ.get("REVIEWER_TEST_BUNDLE")
    if given:
        return Path(given)
    out = tmp_path / "bundle"
    build = subprocess.run(["bash", str(REPO / "scripts" / "bundle.sh"), str(out)], capture_output=True, text=True,
                           timeout=3600)
    assert build.returncode == 0, build.stderr[-3000:]
    return out


def test_offline_install_and_commands(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (a network namespace)")
    bundle = _bundle(tmp_path)
    size = subprocess.run(["du", "-sb", str(bundle)], capture_output=True, text=True, check=True).stdout.split()[0]
    print(f"\nbundle size: {int(size) / 1e6:.0f} MB ({bundle})")
    closure = subprocess.run(["unshare", "-n", "bash", str(bundle / "install.sh"), "--check-closure"], capture_output=True,
                             text=True, timeout=300)
    assert closure.returncode == 0 and "依赖齐全" in closure.stdout, closure.stderr
    prefix = tmp_path / "opt"
    install = subprocess.run(["unshare", "-n", "bash", str(bundle / "install.sh"), "--prefix", str(prefix)],
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (prefix / "bin" / "reviewer").exists() and "安装完成" in install.stdout
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "samples" / "classified-head.txt", work)
    shutil.copy(REPO / "samples" / "formats" / "report-with-scan.pdf", work)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "WORK": str(work), "PREFIX": str(prefix), "LANG": "C.UTF-8"}
    run = subprocess.run(["unshare", "-n", "bash", "-c", OFFLINE_CHECKS], capture_output=True, text=True, timeout=1800,
                         env=env)
    assert run.returncode != 90, "the namespace reached the network"
    status = dict(line.split("=", 1) for line in run.stdout.split() if "=" in line)
    outputs = {n: (work / f"{n}.out").read_text(errors="replace")[-2000:] for n in ("rules", "scan", "render", "db", "worker")}
    assert status.get("rules") == "0" and "规则检查通过" in outputs["rules"], outputs["rules"]
    assert status.get("scan") == "1", outputs["scan"]  # the marking is found: exit 1 (needs review / blocked)
    assert json.loads(outputs["scan"].splitlines()[-1])["verdict"] == "block"
    assert status.get("render") in ("0", "1"), outputs["render"]
    rendered = json.loads((work / "render.out").read_text().splitlines()[-1])
    assert rendered["verdict"] != "error" and rendered["render"], rendered
    assert status.get("db") == "0" and status.get("worker") == "ready", (status, outputs["worker"])
    for queue in ("celery", "scan_large", "render"):
        assert f".> {queue}" in outputs["worker"]
