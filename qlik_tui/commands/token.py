"""``qlik-tui token NAME``: print a stored key to a pipe, for ``$(qlik-tui token prod)``.

For an OAuth client's profile it prints an access token, never the client secret: the cached
one while it has more than 60 s left (no request), else one minted now and cached.

Standard output carries the key and a newline, and nothing else ever. It refuses when standard
output is a terminal: a key printed on screen lands in scroll-back and screen recordings.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error
from qlik_tui.commands.stored_key import load_bearer
from qlik_tui.services.context import Services

TERMINAL_REFUSAL = (
    "standard output is a terminal: the key would stay in scroll-back and screen recordings. "
    "Pipe it or capture it instead, e.g. `qlik-tui token {name} | your-tool` or "
    '`KEY="$(qlik-tui token {name})"`; or run your tool with `qlik-tui exec {name} -- COMMAND`.'
)


def run(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    name = args.name
    if _is_terminal(stdout):
        error(stderr, TERMINAL_REFUSAL.format(name=_shell_word(name)))
        return exits.USAGE
    stored = load_bearer(name, services, stderr)
    if isinstance(stored, int):
        return stored
    stdout.write(stored.bearer.reveal() + "\n")
    stdout.flush()
    return exits.OK


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _shell_word(name: str) -> str:
    import shlex

    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shlex.quote(name))
