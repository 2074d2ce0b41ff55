"""``qlik-tui token NAME``: print a stored key to a pipe, for ``$(qlik-tui token prod)``.

Standard output carries the key and a newline, and nothing else ever. It refuses when standard
output is a terminal: a key printed on screen lands in scroll-back and screen recordings.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error
from qlik_tui.commands.stored_key import load_stored_key
from qlik_tui.services.context import Services

TERMINAL_REFUSAL = (
    "standard output is a terminal: the key would stay in scroll-back and screen recordings. "
    "Pipe it or capture it instead, e.g. `qlik-tui token {name} | your-tool` or "
    '`KEY="$(qlik-tui token {name})"`; or run your tool with `qlik-tui exec {name} -- COMMAND`.'
)


CLOSED_REFUSAL = (
    "standard output is closed, so the key has nowhere to go; nothing was printed. Give the "
    "command a pipe or a capture, e.g. `qlik-tui token {name} | your-tool` or "
    '`KEY="$(qlik-tui token {name})"`.'
)
UNWRITABLE = (
    "the key could not be written to standard output ({why}); nothing usable was printed. "
    "Give the command a pipe or a capture, e.g. `qlik-tui token {name} | your-tool`."
)


def run(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    name = args.name
    if stdout is None or getattr(stdout, "closed", False):  # started with `>&-`
        error(stderr, CLOSED_REFUSAL.format(name=_shell_word(name)))
        return exits.USAGE
    if _is_terminal(stdout):
        error(stderr, TERMINAL_REFUSAL.format(name=_shell_word(name)))
        return exits.USAGE
    stored = load_stored_key(name, services, stderr)
    if isinstance(stored, int):
        return stored
    key = stored.key
    problem: str | None = None
    try:
        stdout.write(key.reveal() + "\n")
        stdout.flush()
    except (OSError, ValueError) as exc:  # closed or detached descriptor: never the text
        problem = getattr(exc, "strerror", None) or type(exc).__name__
    if problem is not None:
        error(stderr, UNWRITABLE.format(why=problem, name=_shell_word(name)))
        return exits.USAGE
    return exits.OK


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _shell_word(name: str) -> str:
    import shlex

    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shlex.quote(name))
