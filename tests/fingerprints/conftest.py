from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.cli import main
from tests.fingerprints.helpers import IN_REPO, split, texts


@pytest.fixture(autouse=True)
def _no_env_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVIEWER_RULES_PATH", raising=False)


@pytest.fixture(scope="session")
def halves() -> tuple[list[str], list[str]]:
    """The 369 in-repo public documents split in two at random: one half registered, drafts from the other."""
    return split(list(texts()), seed=20251201)


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory, halves: tuple[list[str], list[str]]) -> Path:
    """A rule directory built by `reviewer fingerprints build` from ~185 real public documents."""
    out = tmp_path_factory.mktemp("registered")
    sources = [str(IN_REPO / name) for name in halves[0]]
    assert main(["fingerprints", "build", "--id", "stand-ins", "--out", str(out), *sources]) == 0
    return out
