"""Exit codes, shared by every subcommand and documented in ``--help`` and the README."""

from __future__ import annotations

from collections.abc import Iterable

from qlik_tui.core.kinds import Verdict

OK = 0
REJECTED = 1  # at least one key rejected (401/403, revoked, expired, other tenant, not stored)
USAGE = 2  # bad arguments or input, unknown or no profiles
INCONCLUSIVE = 3  # could not tell: network, TLS, 5xx, rate-limited, keyring unavailable
STORAGE = 4  # the key could not be stored or removed (keyring or profiles file)
INTERNAL = 70  # a bug in qlik-tui (EX_SOFTWARE)
INTERRUPTED = 130  # SIGINT: 128 + 2
TERMINATED = 143  # SIGTERM: 128 + 15

HELP = """exit codes:
  0  success: every key checked is valid
  1  at least one key was rejected (401/403, revoked, expired, other tenant, not stored)
  2  usage error, bad input (input closed at the key prompt), unknown profile or no
     profiles, or the TUI started without a terminal
  3  inconclusive: network, TLS, server error, rate limit or keyring trouble, none rejected
  4  the key could not be stored or removed (keyring or profiles file)
  70  internal error (a bug in qlik-tui)
  130 interrupted (SIGINT)
  143 terminated (SIGTERM)"""


def for_verdicts(verdicts: Iterable[Verdict]) -> int:
    seen = set(verdicts)
    if Verdict.REJECTED in seen:
        return REJECTED
    if Verdict.INCONCLUSIVE in seen:
        return INCONCLUSIVE
    return OK
