"""``qlik-tui`` (no command), ``setup`` and ``dashboard``: start the TUI. Textual is imported
only in ``run``: building the parser, and every other command, never loads it."""

from __future__ import annotations

import argparse
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import Call, Subcommands, add_command

NEEDS_TERMINAL = (
    "Standard input and output must be a terminal; otherwise it exits 2 at once and names "
    "the command to use instead (login --with-token, check, list)."
)
NO_TERMINAL_ADVICE = (
    "to store a key from a pipe use `qlik-tui login --tenant HOST --with-token < key.txt`; "
    "to re-validate stored keys use `qlik-tui check`; to see them use `qlik-tui list`"
)


def add_arguments(commands: Subcommands) -> None:
    add_command(
        commands,
        "setup",
        "start the guided setup wizard",
        f"Start the guided setup wizard (TUI). {NEEDS_TERMINAL}",
    )
    add_command(
        commands,
        "dashboard",
        "open the dashboard of stored keys",
        f"Open the dashboard (TUI). {NEEDS_TERMINAL}",
    )


def run(args: argparse.Namespace, call: Call) -> int:
    refused = refuse_without_terminal(args.command, call)
    if refused is not None:
        return refused
    from qlik_tui.tui.launch import StartWith, launch  # Textual: only when the TUI starts

    # Without ``services`` the app builds the default ones after its first frame.
    return launch(call.given, start=StartWith(args.command or StartWith.AUTO))


def refuse_without_terminal(command: str | None, call: Call) -> int | None:
    """The TUI draws with escape codes and reads keys: without a terminal on both ends it
    would hang writing to a pipe. Say which command works there instead (exit 2)."""
    not_terminals = [
        name
        for name, stream in (("input", call.stdin), ("output", call.stdout))
        if not _is_terminal(stream)
    ]
    if not not_terminals:
        return None
    shown = "qlik-tui" if command is None else f"qlik-tui {command}"
    which = " and ".join(not_terminals)
    print(
        f"qlik-tui: error: `{shown}` needs a terminal, and standard {which} is not one; "
        f"{NO_TERMINAL_ADVICE}.",
        file=call.stderr,
    )
    return exits.USAGE


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):  # closed or detached
        return False
