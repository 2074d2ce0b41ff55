"""The core and the services import each other one way only: no cycle, not even a type-only one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import qlik_tui


def _imports_within(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports, type-checking-only imports included."""
    root = Path(qlik_tui.__file__).parent.parent
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts): path
        for path in package.glob("*.py")
        if path.name != "__init__.py"
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


@pytest.mark.parametrize("package", ["core", "services"])
def test_import_graph_has_no_cycle(package: str) -> None:
    graph = _imports_within(Path(qlik_tui.__file__).parent / package)
    assert graph  # the walk found the modules
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in graph[module]:
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
