"""Colour for the ✓ / ✗ / ⚠ marks on a terminal: plain ANSI (the CLI never imports Textual or
Rich). ``--color never|auto|always``; ``auto`` honours ``NO_COLOR`` and ``TERM=dumb``."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

COLOR_CHOICES = ["never", "auto", "always"]
_RESET = "\033[0m"
_MARK_COLOURS = {"✓": "\033[32m", "✗": "\033[31m", "⚠": "\033[33m"}  # green, red, yellow


def add_color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color", choices=COLOR_CHOICES, default="auto", metavar="WHEN",
        help="colour the ✓/✗/⚠ marks: never, auto (on a terminal, unless NO_COLOR is set; the "
        "default) or always",
    )  # fmt: skip


def wants_colour(choice: str | None, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":  # https://no-color.org
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or detached
        return False


class Painter:
    """Paints marks when colour is on; otherwise returns them as they are."""

    def __init__(self, on: bool) -> None:
        self.on = on

    @classmethod
    def for_stream(cls, args: argparse.Namespace, stream: TextIO) -> Painter:
        return cls(wants_colour(getattr(args, "color", None), stream))

    def mark(self, mark: str) -> str:
        colour = _MARK_COLOURS.get(mark)
        return f"{colour}{mark}{_RESET}" if self.on and colour else mark

    def leading_mark(self, text: str) -> str:
        """``text`` with its first character painted when that is a mark ("✓ Key works")."""
        return self.mark(text[:1]) + text[1:] if text else text
