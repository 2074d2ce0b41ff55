"""Real ways a profiles write fails, for the all-or-nothing store tests.

- ``garbage``: profiles.json holds text that is not JSON.
- ``read-only-folder``: the folder refuses new files. Tests run as root, where mode bits do not
  stop anything, so root makes the folder immutable with ``chattr +i`` (the kernel refuses
  every new entry, even root's); anyone else gets mode 0500. Either way the fixture proves the
  folder refuses a new file before the test relies on it.
- ``config-under-a-file``: ``XDG_CONFIG_HOME`` points below a regular file, so the config
  folder cannot exist.

``break_profiles(kind)`` breaks the store in place (or returns the store at the broken path);
everything is undone at teardown.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qlik_tui.store.profiles import ProfileStore

FAULTS = ("garbage", "read-only-folder", "config-under-a-file")
GARBAGE = b"{ this is not JSON"

BreakProfiles = Callable[[str, ProfileStore], ProfileStore]


def _make_read_only(folder: Path) -> Callable[[], None]:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True) and None
    folder.chmod(0o500)
    return lambda: folder.chmod(0o700)


def _assert_refuses_new_files(folder: Path) -> None:
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()
    raise AssertionError(f"{folder} still accepts new files: the fault is not real")


@pytest.fixture
def break_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[BreakProfiles]:
    undo: list[Callable[[], None]] = []

    def broken(kind: str, store: ProfileStore) -> ProfileStore:
        if kind == "garbage":
            store.path.parent.mkdir(parents=True, exist_ok=True)
            store.path.write_bytes(GARBAGE)
            return store
        if kind == "read-only-folder":
            store.path.parent.mkdir(parents=True, exist_ok=True)
            undo.append(_make_read_only(store.path.parent))
            _assert_refuses_new_files(store.path.parent)
            return store
        if kind == "config-under-a-file":
            regular_file = tmp_path / "not-a-folder"
            regular_file.write_text("a regular file\n")
            monkeypatch.setenv("XDG_CONFIG_HOME", str(regular_file / "config"))
            moved = ProfileStore()
            assert moved.path.is_relative_to(regular_file)
            return moved
        raise ValueError(kind)

    yield broken
    for step in reversed(undo):
        step()


def snapshot_folder(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (a missing folder is empty): to prove nothing changed."""
    if not folder.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}
