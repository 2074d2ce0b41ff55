"""The lines naming keys left active on the tenant, shared by ``rotate``, ``keys`` and
``check --renew-within``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from qlik_tui.services.strays import LeftBehind, StrayKey


def print_strays(strays: Iterable[StrayKey], stream: TextIO, indent: str = "") -> None:
    for stray in strays:
        print(
            f"{indent}Stray {stray.what} {stray.key_id} is still active on the tenant: "
            f"{stray.why}. "
            f"Remove it with: {stray.command}",
            file=stream,
        )


def print_left_behind(found: LeftBehind, stream: TextIO, indent: str = "") -> None:
    for note in found.notes:
        print(f"{indent}{note}", file=stream)
    print_strays(found.strays, stream, indent)


def strays_json(strays: Iterable[StrayKey]) -> list[dict[str, str]]:
    return [{"key_id": s.key_id, "why": s.why, "command": s.command} for s in strays]
