"""Consent before destruction (``revoke``, ``forget --all``, ``forget --revoke``): on a terminal
the user is shown what goes and asked; ``--yes`` answers for scripts; without a terminal and
without ``--yes`` nothing is deleted (exit 2), as gh and friends do."""

from __future__ import annotations

from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error

NO_TERMINAL = (
    "`qlik-tui {command}` asks before it deletes, and standard input is not a terminal to ask "
    "on; nothing was deleted. Pass --yes to confirm from a script."
)
DECLINED = "Nothing was deleted."


def confirmed(
    question: str, *, yes: bool, command: str, stdin: TextIO | None, stderr: TextIO
) -> int | None:
    """None when the deletion may go ahead; otherwise the exit code, after saying why not."""
    if yes:
        return None
    if not _is_terminal(stdin):
        error(stderr, NO_TERMINAL.format(command=command))
        return exits.USAGE
    assert stdin is not None
    print(f"{question} [y/N] ", end="", file=stderr, flush=True)
    answer = stdin.readline()
    if answer.strip().lower() in ("y", "yes"):
        return None
    print(DECLINED if answer else f"\n{DECLINED}", file=stderr)
    return exits.USAGE


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError, AttributeError):  # closed or detached
        return False
