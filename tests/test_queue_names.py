"""One list of queues: every `-Q …` that the docs, the deploy files or `reviewer worker --help` suggest names a queue
the code declares (workers.app.QUEUES); `reviewer worker --help` used to suggest `-Q scan`, which does not exist."""

from __future__ import annotations

import re

import pytest

from reviewer.cli import main
from tests.services import REPO
from workers.app import QUEUE_DESCRIPTIONS, QUEUES

Q = re.compile(r"worker\b[^\n]*?-Q\s+([A-Za-z0-9_,]+)")


def _named(text: str) -> set[str]:
    return {q for m in Q.finditer(text) for q in m.group(1).split(",") if q}


def test_docs_and_deploy_files_name_only_real_queues() -> None:
    files = [*REPO.glob("docs/*.md"), REPO / "README.md", *REPO.glob("deploy/**/*"), *REPO.glob("workers/*.py")]
    named: dict[str, set[str]] = {str(f.relative_to(REPO)): _named(f.read_text(encoding="utf-8")) for f in files if f.is_file()}
    assert any(named.values())
    bad = {f: q - set(QUEUES) for f, q in named.items() if q - set(QUEUES)}
    assert not bad, bad
    served = set().union(*(_named((REPO / "deploy" / "systemd" / n).read_text()) for n in
                           ("reviewer-worker-scan.service", "reviewer-worker-render.service")))
    assert served == set(QUEUES)  # the production layout serves every queue


def test_worker_help_lists_every_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--help"]) == 0
    out = capsys.readouterr().out
    assert _named(out) and _named(out) <= set(QUEUES)
    assert set(QUEUE_DESCRIPTIONS) == set(QUEUES)
    for q in QUEUES:
        assert re.search(rf"^\s+{q}\s+\S", out, re.M), q
