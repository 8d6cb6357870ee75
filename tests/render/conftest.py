from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.scan.scanner import Scanner

RULES = Path(__file__).parent / "rules"


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """Built-in rules plus the fictional project codes of tests/render/rules (苍龙计划, 北辰三号, 天枢工程)."""
    return Scanner.load(RULES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The full public-corpus renderings (about a thousand, hours of OCR) run only when asked for by marker
    (`-m slow`) or REVIEWER_RENDER_CORPUS=all; a plain `pytest tests/render` (and scripts/test.sh --all) runs the
    default sample plus every trick case."""
    import os

    if config.getoption("-m") or os.environ.get("REVIEWER_RENDER_CORPUS") == "all":
        return
    skip = pytest.mark.skip(reason="公开文档全集渲染：用 -m slow 或 REVIEWER_RENDER_CORPUS=all 运行")
    for item in items:
        if "test_public_corpus" in item.nodeid and item.get_closest_marker("slow"):
            item.add_marker(skip)
