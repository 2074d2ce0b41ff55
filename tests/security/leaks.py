"""Collecting everything observable, and searching it for a sentinel key."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qlik_tui.store.profiles import ProfileStore


@dataclass
class Observed:
    """Everything a flow let out, by where it was seen."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.texts[where] = self.texts.get(where, "") + text

    def add_tree(self, root: Path, *, label: str) -> int:
        """Every file under ``root`` (raw bytes, decoded leniently). Returns the file count."""
        count = 0
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            self.add(f"{label}:{path.relative_to(root)}", path.read_bytes())
            count += 1
        return count

    def add_argv(self, where: str, argv: Iterable[str]) -> None:
        self.add(f"argv:{where}", "\0".join(argv))

    def leaks_of(self, key: str) -> list[str]:
        """Where the key, or its signature segment alone, appears."""
        signature = key.rsplit(".", 1)[1]
        return [where for where, text in self.texts.items() if key in text or signature in text]


def run(observed: Observed, label: str, *args: str, stdin: str = "") -> int:
    argv = [sys.executable, "-m", "qlik_tui", *args]
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
    observed.add_argv(label, argv)
    observed.add(f"stdout:{label}", done.stdout)
    observed.add(f"stderr:{label}", done.stderr)
    return done.returncode


def config_profiles(home: Path) -> ProfileStore:
    return ProfileStore(home / ".config" / "qlik-tui" / "profiles.json")
