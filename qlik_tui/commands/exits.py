"""Exit codes, shared by every subcommand and documented in ``--help`` and the README."""

from __future__ import annotations

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

HELP = """exit codes:
  0    success: every key checked is valid
  1    at least one key was rejected (401/403, revoked, expired, other tenant, not stored)
  2    usage error, bad input (input closed at the key prompt), unknown profile or no
       profiles, the TUI started without a terminal, or a deletion (revoke, forget --all,
       forget --revoke) not confirmed: declined, or no terminal to ask on and no --yes
  3    inconclusive: network, TLS, server error, rate limit or key store trouble, none rejected
  4    the key could not be stored or removed (key store (keyring or encrypted file) or
       profiles file)
  70   internal error (a bug in qlik-tui)
  129  hung up (SIGHUP): the terminal was closed
  130  interrupted (SIGINT)
  143  terminated (SIGTERM)"""
# A subcommand's --help points to the table instead of repeating it.
SEE_MAIN_HELP = "exit codes: see `qlik-tui --help`"


def for_verdicts(verdicts: Iterable[Verdict]) -> int:
    seen = set(verdicts)
    if Verdict.REJECTED in seen:
        return REJECTED
    if Verdict.INCONCLUSIVE in seen:
        return INCONCLUSIVE
    return OK


ROTATE_HELP = """exit codes:
  0    renewed: the new key is proven and stored, the old key deleted (or kept: --keep-old)
  1    refused: the stored key was rejected, or the tenant refused a new key (key limit,
       permission missing (403), expiry above the maximum); the stored key is unchanged
  2    usage error or unknown profile
  3    inconclusive: network, TLS, server error, rate limit, or the key store could not be
       read; the stored key is unchanged
  4    the new key could not be stored (in this profile, or in another that holds the same
       key): every profile still holds the old key, the new one was deleted
  5    renewed, but the old key could not be deleted: it stays active until it expires;
       the output names its id and the command that removes it
  70   internal error (a bug in qlik-tui)
  130  interrupted (SIGINT) before the store: the stored key is unchanged; a key the tenant
       made meanwhile was deleted again (or is named with the command that removes it).
       Interrupted after the store began, the renewal finishes and exits as above
  143  terminated (SIGTERM) before the store: as 130
A key left active by a failed clean-up is always named with the command that removes it."""
