"""Building the subcommand parsers: one shape for every subcommand's --help."""

from __future__ import annotations

import argparse
from typing import Any

from qlik_tui.commands import exits

# The help of an optional NAME (token, exec, rotate, keys, status).
DEFAULT_PROFILE_HELP = "the profile (default: $QLIK_TUI_PROFILE, else `qlik-tui use`'s choice)"


def add_command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    help_text: str,
    description: str,
    epilog: str = exits.SEE_MAIN_HELP,
) -> argparse.ArgumentParser:
    """A subcommand whose --help keeps the description's line breaks and ends with ``epilog``
    (by default a pointer to the exit codes in the main --help)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
