"""The import contracts in pyproject.toml ([tool.importlinter]) hold: layers depend one way only,
the CLI never imports Textual unless it launches the TUI, the core knows no keyring, and no two
sibling modules import each other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_LINTER = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(no_cache=True, no_logo=True))\n"
)


def test_import_contracts_hold() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN_LINTER], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "Contracts:" in done.stdout, done.stdout + done.stderr  # the linter really ran
    assert done.returncode == 0, done.stdout + done.stderr
