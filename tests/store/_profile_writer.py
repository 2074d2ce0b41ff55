"""Run in a separate process by the concurrency test: many profile writes in a row."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_profiles(path: str, prefix: str, count: int, start: Any) -> None:
    from qlik_tui.store.profiles import Profile, ProfileStore

    store = ProfileStore(Path(path))
    start.wait(30)
    for index in range(count):
        store.put(Profile(name=f"{prefix}-{index}", origin=f"https://{prefix}.example.com"))
