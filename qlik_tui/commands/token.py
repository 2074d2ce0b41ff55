"""``qlik-tui token NAME``: print a stored key to a pipe, for ``$(qlik-tui token prod)``.

For an OAuth client's profile it prints an access token, never the client secret: the cached
one while it has more than 60 s left (no request), else one minted now and cached.

Standard output carries the key and a newline, and nothing else ever. It refuses when standard
output is a terminal: a key printed on screen lands in scroll-back and screen recordings.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import DEFAULT_PROFILE_HELP, Call, Subcommands, add_command

if TYPE_CHECKING:
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


EPILOG = exits.render(
    (
        (exits.OK, "the key was printed"),
        (
            exits.REJECTED,
            "the profile has no key in its store (the OS keyring or the encrypted file)",
        ),
        (exits.USAGE, "usage error, unknown profile, or standard output is a terminal"),
        (
            exits.INCONCLUSIVE,
            "the key store could not be read (a keyring locked, not running or too slow; the "
            "encrypted file locked, its passphrase wrong, or damaged)",
        ),
        (exits.STORAGE, "the profiles file cannot be read"),
        (exits.INTERNAL, "internal error (a bug in qlik-tui)"),
    ),
    """
examples:
  KEY="$(qlik-tui token prod)"
  echo "header = \\"Authorization: Bearer $(qlik-tui token prod)\\"" |
    curl -LK - https://acme.eu.qlikcloud.com/api/v1/users/me
  (echo is a shell builtin, so the key is in no process's argv; curl -H "...$KEY" would be)""",
)


def add_arguments(commands: Subcommands) -> None:
    token = add_command(
        commands,
        "token",
        "print a stored key to a pipe (refuses a terminal)",
        "Print the stored key of profile NAME (for an OAuth client: an access token, never its "
        "secret) and a newline to standard output, for "
        "$(qlik-tui token NAME) and pipes. Refuses when standard output is a terminal.",
        EPILOG,
    )
    token.add_argument("name", nargs="?", metavar="NAME", help=DEFAULT_PROFILE_HELP)


def run(args: argparse.Namespace, call: Call) -> int:
    from qlik_tui.commands.default_profile import fill_in_name

    services = call.services()
    refused = fill_in_name(args, services.profiles, call.stderr)
    if refused is not None:
        return refused
    return print_token(args, services, call.stdout, call.stderr)


def print_token(
    args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO
) -> int:
    from qlik_tui.commands.output import error
    from qlik_tui.commands.stored_key import load_bearer

    name = args.name
    if stdout is None or getattr(stdout, "closed", False):  # started with `>&-`
        error(stderr, CLOSED_REFUSAL.format(name=_shell_word(name)))
        return exits.USAGE
    if _is_terminal(stdout):
        error(stderr, TERMINAL_REFUSAL.format(name=_shell_word(name)))
        return exits.USAGE
    stored = load_bearer(name, services, stderr)
    if isinstance(stored, int):
        return stored
    key = stored.bearer
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
