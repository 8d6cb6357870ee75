"""The engine runs alone: scan/extract/ruleset import nothing from the layers above (docs/design.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "reviewer"

FORBIDDEN = {
    "scan": ("reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "extract": ("reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "ruleset": ("reviewer.store", "reviewer.workflow", "reviewer.api", "reviewer.web", "workers"),
    "render": ("reviewer.store", "reviewer.workflow", "reviewer.audit", "reviewer.accounts", "reviewer.api", "reviewer.web",
               "workers"),
    "monitor": ("reviewer.store", "reviewer.workflow", "reviewer.audit", "reviewer.accounts", "reviewer.api", "reviewer.web",
                "workers"),
    "workflow": ("reviewer.api", "reviewer.web", "workers"),
    "audit": ("reviewer.api", "reviewer.web", "workers"),
    "accounts": ("reviewer.api", "reviewer.web", "workers"),
}


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
