"""The engine runs alone: scan/extract/ruleset import nothing from the layers above (docs/design.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "reviewer"

FORBIDDEN = {
    "scan": ("reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "extract": ("reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "ruleset": ("reviewer.scan", "reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "render": ("reviewer.store", "reviewer.workflow", "reviewer.audit", "reviewer.accounts", "reviewer.api", "reviewer.web",
               "workers"),
    "monitor": ("reviewer.store", "reviewer.workflow", "reviewer.audit", "reviewer.accounts", "reviewer.api", "reviewer.web",
                "workers"),
    "workflow": ("reviewer.api", "reviewer.web", "workers"),
    # accounts writes through audit; audit never imports accounts (the actor lives below both, reviewer/actor.py)
    "audit": ("reviewer.accounts", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "accounts": ("reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
}


# Modules below the layers: they import only the standard library, third-party packages, store and each other.
BELOW = {"actor.py": ("reviewer.store", "reviewer.errors"), "rulebase.py": ()}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_does_not_import_upwards(layer: str) -> None:
    files = sorted((PKG / layer).rglob("*.py"))
    assert files, f"reviewer/{layer} has no modules"
    bad = [
        f"{f.relative_to(PKG.parent)} imports {name}"
        for f in files
        for name in _imports(f)
        if any(name == p or name.startswith(p + ".") for p in FORBIDDEN[layer])
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(BELOW))
def test_shared_rooms_import_nothing_above_them(module: str) -> None:
    allowed = BELOW[module]
    bad = [name for name in _imports(PKG / module)
           if name.startswith("reviewer") and not any(name == p or name.startswith(p + ".") for p in allowed)]
    assert not bad, f"reviewer/{module} imports {bad}"


def test_validator_names_below_match_the_validators() -> None:
    from reviewer.rulebase import VALIDATOR_NAMES
    from reviewer.scan.validators import VALIDATORS

    assert set(VALIDATORS) == set(VALIDATOR_NAMES)
