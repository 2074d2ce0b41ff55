"""The suite's own layout: a test module is imported by no other module (shared helpers live in
``tests/<folder>/helpers.py`` or ``tests/fixtures/``), and every fixture module in
``tests/fixtures/`` is loaded as a plugin, once, from ``tests/conftest.py``."""

from __future__ import annotations

import ast
from pathlib import Path

from tests import conftest

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_module_imports_a_test_module() -> None:
    imports = {path: imported_modules(path) for path in TESTS.rglob("*.py")}
    assert sum("tests.tui.helpers" in names for names in imports.values()) > 5  # the scan works
    offenders = {
        f"{path.relative_to(TESTS)} imports {name}"
        for path, names in imports.items()
        for name in names
        if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
    }
    assert offenders == set()


def test_every_fixture_module_is_a_plugin_and_only_fixture_modules_are() -> None:
    defines_fixtures = {
        f"tests.fixtures.{path.stem}"
        for path in (TESTS / "fixtures").glob("*.py")
        if "@pytest.fixture" in path.read_text(encoding="utf-8")
    }
    assert defines_fixtures  # the scan found the fixture modules
    assert sorted(conftest.pytest_plugins) == sorted(defines_fixtures)
