"""What ships does not depend on what never ships: no module of `bot/` or `actions/` imports
`devtools` (the sandbox, the test harness, the terminal chat)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

SHIPPED = sorted(path for package in ("bot", "actions") for path in (PROJECT_ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_shipped_code_does_not_import_devtools(path: Path) -> None:
    assert not {name for name in imported_modules(path) if name.split(".")[0] == "devtools"}
