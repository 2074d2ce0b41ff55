"""Layers depend one way only, and the CLI never pays for Textual: checked in fresh
interpreters, by what importing each layer loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

LAYERS = {
    # layer: packages it must not load (directly or through anything it imports)
    "qlik_tui.core": ("textual", "keyring", "qlik_tui.store", "qlik_tui.services", "qlik_tui.tui"),
    "qlik_tui.store": ("textual", "qlik_tui.services", "qlik_tui.tui", "qlik_tui.commands"),
    "qlik_tui.services": ("textual", "qlik_tui.tui", "qlik_tui.commands", "argparse"),
    "qlik_tui.commands": ("textual", "qlik_tui.tui"),
}


def loaded_by(package: str, extra: str = "") -> set[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"package = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        f"{extra}"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_loads_only_what_is_below_it(layer: str) -> None:
    modules = loaded_by(layer)
    assert any(m.startswith(layer + ".") for m in modules)  # the walk did import the layer
    for forbidden in LAYERS[layer]:
        assert not {m for m in modules if m == forbidden or m.startswith(forbidden + ".")}, (
            forbidden
        )


def test_the_cli_entry_module_does_not_import_textual() -> None:
    modules = loaded_by("qlik_tui.commands", extra="import qlik_tui.cli\n")
    assert "qlik_tui.cli" in modules
    assert not {m for m in modules if m.split(".")[0] == "textual"}
