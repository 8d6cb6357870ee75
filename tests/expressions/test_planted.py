"""The expression pack on drafts it never saw: wrong forms planted in real public documents are reported (review, a
rule of the pack, the right form offered), the same documents with the correct forms pass, correction notices that
quote wrong forms pass — scored through `reviewer scan --format json`, as the held-out sets are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from reviewer.scan.model import Severity
from reviewer.settings import BUILTIN_RULES_DIR, REPO_ROOT
from tests.expressions import generate

PACK = {"political-fixed-expressions", "territorial-expressions", "xinhua-banned-words"}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[generate.Sample], dict[str, dict]]:  # type: ignore[type-arg]
    directory = tmp_path_factory.mktemp("planted")
    made = generate.write(directory)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "REVIEWER_RULES_PATH": ""}
    proc = subprocess.run([sys.executable, "-m", "reviewer", "scan", "--no-default-rules", "--rules", str(BUILTIN_RULES_DIR),
                           "--exclude", "EXPECTED.json", "--format", "json", str(directory)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    rows = {Path(r["path"]).name: r for r in map(json.loads, proc.stdout.splitlines())}
    return made, rows


def test_planted_wrong_forms_are_reported_and_right_forms_pass(scored) -> None:  # type: ignore[no-untyped-def]
    made, rows = scored
    assert len(rows) == len(made) and len(generate.hosts()) >= 20
    hit: Counter[str] = Counter()
    missed, noisy = [], []
    for s in made:
        row = rows[s.name]
        counting = [f for f in row["findings"] if f["severity"] != str(Severity.INFO)]
        if s.wrong:
            ours = [f for f in counting if f["rule"] in PACK and f["suggestion"] and f["message"].startswith("应为：")]
            if row["verdict"] == "review" and ours:
                hit[s.kind] += 1
            else:
                missed.append(s.name)
        elif row["verdict"] != "pass":
            noisy.append((s.name, [(f["rule"], f["match"]) for f in counting]))
    totals = Counter(s.kind for s in made if s.wrong)
    print({k: f"{hit[k]}/{n}" for k, n in sorted(totals.items())}, f"clean {sum(not s.wrong for s in made)}")
    assert missed == [] and noisy == []
    assert set(totals) == {"political", "territorial", "xinhua"} and sum(totals.values()) >= 70


def test_corrections_are_notes_not_findings(scored) -> None:  # type: ignore[no-untyped-def]
    made, rows = scored
    notices = [s for s in made if s.kind == "correction"]
    assert len(notices) == len(generate.CORRECTIONS)
    for s in notices:
        notes = [f for f in rows[s.name]["findings"] if f["rule"] in PACK]
        assert rows[s.name]["verdict"] == "pass" and notes and all(f["severity"] == "info" for f in notes), s.name
