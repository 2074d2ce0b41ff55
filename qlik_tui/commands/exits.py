"""Exit codes, shared by every subcommand and documented in ``--help`` and the README."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from qlik_tui.core.kinds import Verdict

OK = 0
REJECTED = 1  # at least one key rejected (401/403, revoked, expired, other tenant, not stored)
USAGE = 2  # bad arguments or input, unknown or no profiles, a deletion not confirmed
INCONCLUSIVE = 3  # could not tell: network, TLS, 5xx, rate-limited, key store unavailable
STORAGE = 4  # the key could not be stored or removed (key store or profiles file)
OLD_KEY_LEFT = 5  # rotate: the new key is stored and works; the old key could not be deleted
INTERNAL = 70  # a bug in qlik-tui (EX_SOFTWARE)
HUNG_UP = 129  # SIGHUP: 128 + 1, the terminal was closed (the TUI also when its input ends)
INTERRUPTED = 130  # SIGINT: 128 + 2
TERMINATED = 143  # SIGTERM: 128 + 15

# The exit codes every command shares: the one table that main --help and the README show
# (``tests/cli/test_exit_codes.py`` holds the README to it).
CODES: tuple[tuple[int, str], ...] = (
    (OK, "success: every key checked is valid"),
    (
        REJECTED,
        "at least one key was rejected (401/403, revoked, expired, other tenant, not stored)",
    ),
    (
        USAGE,
        "usage error, bad input (Ctrl-D at `login`'s hidden prompt: nothing stored), unknown "
        "profile or no profiles, the TUI (`qlik-tui`, `setup`, `dashboard`, `demo`) started "
        "without a terminal on standard input and output, or a deletion (`revoke`, `forget "
        "--all`, `forget --revoke`) not confirmed: declined, or no terminal to ask on and no "
        "`--yes`",
    ),
    (
        INCONCLUSIVE,
        "inconclusive: network, TLS, server error, rate limit or key store trouble, none rejected",
    ),
    (
        STORAGE,
        "the key could not be stored or removed (key store (keyring or encrypted file) or "
        "profiles file)",
    ),
    (
        OLD_KEY_LEFT,
        "`rotate` / `check --renew-within`: renewed, but the old key could not be deleted "
        "(named, with the command that removes it)",
    ),
    (INTERNAL, "internal error (a bug in qlik-tui): one line, never a traceback"),
    (
        HUNG_UP,
        "hung up (SIGHUP): the terminal was closed. The TUI also ends with 129 when its "
        "terminal's input ends; sent a SIGHUP, it ends as on SIGINT",
    ),
    (
        INTERRUPTED,
        "interrupted (SIGINT); the TUI restores the terminal and says on stderr when a pasted "
        "key was not stored",
    ),
    (TERMINATED, "terminated (SIGTERM), likewise"),
)
HELP_WIDTH = 92


def render(codes: Iterable[tuple[int | str, str]], after: str = "", before: str = "") -> str:
    """A --help epilog: ``before``, ``exit codes:``, a code and its meaning a row (wrapped
    under the meaning), then ``after`` (notes, examples)."""
    lines = [before, "exit codes:"] if before else ["exit codes:"]
    for code, meaning in codes:
        lead = f"  {code!s:<5}"
        lines.extend(
            textwrap.wrap(
                meaning, HELP_WIDTH, initial_indent=lead, subsequent_indent=" " * len(lead)
            )
        )
    return "\n".join(lines) + (f"\n{after}" if after else "")


def markdown(codes: Iterable[tuple[int | str, str]]) -> str:
    """The same table for the README."""
    rows = "".join(f"| {code} | {meaning} |\n" for code, meaning in codes)
    return f"| code | meaning |\n| --- | --- |\n{rows}"


HELP = render(CODES)
# A subcommand's --help points to the table instead of repeating it.
SEE_MAIN_HELP = "exit codes: see `qlik-tui --help`"


def for_verdicts(verdicts: Iterable[Verdict]) -> int:
    seen = set(verdicts)
    if Verdict.REJECTED in seen:
        return REJECTED
    if Verdict.INCONCLUSIVE in seen:
        return INCONCLUSIVE
    return OK
