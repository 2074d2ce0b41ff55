"""``qlik-tui exec NAME [--check] -- COMMAND [ARG...]``: run COMMAND with the key in its
environment, never in any argv.

Variables (named after Qlik's own SDK and enigma examples): ``QCS_SERVER`` (origin URL),
``QCS_HOST`` (host[:port]), ``QCS_API_KEY`` (the key) and ``QLIK_TUI_PROFILE`` (the profile),
plus any ``--key-var`` / ``--server-var`` aliases. For an OAuth client's profile, an access
token (never the secret) in ``QCS_ACCESS_TOKEN`` and ``QCS_API_KEY`` alike, and its expiry in
``QCS_ACCESS_TOKEN_EXPIRES_AT``; the token has more than 60 s left when COMMAND starts, and is
not renewed while it runs.

Signals: COMMAND runs in qlik-tui's own process group, so what the terminal sends (Ctrl-C,
Ctrl-\\, hang-up) reaches it directly; meanwhile qlik-tui ignores Ctrl-C and Ctrl-\\ itself and
forwards SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to it alone. It exits with COMMAND's code, or
128+N when COMMAND died of signal N. Nothing is printed on standard output.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import Any, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error, explain_outcome
from qlik_tui.commands.stored_key import load_bearer
from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.kinds import Verdict
from qlik_tui.core.oauth import AccessToken
from qlik_tui.core.tenant import Tenant
from qlik_tui.core.untrusted import echoed
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import quoted_name

PROFILE_VAR = "QLIK_TUI_PROFILE"
SERVER_VAR = "QCS_SERVER"
HOST_VAR = "QCS_HOST"
KEY_VAR = "QCS_API_KEY"
# OAuth profiles: the access token (also in QCS_API_KEY, for tools that only send a bearer
# from it) and when it expires (ISO 8601 UTC): a COMMAND that outlives it gets 401s.
ACCESS_TOKEN_VAR = "QCS_ACCESS_TOKEN"
TOKEN_EXPIRES_VAR = "QCS_ACCESS_TOKEN_EXPIRES_AT"
COMMAND_NOT_FOUND = 127
COMMAND_NOT_EXECUTABLE = 126
_LOOKS_LIKE_KEY = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORWARDED = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2")
_LEFT_TO_THE_TERMINAL = ("SIGINT", "SIGQUIT")


def run(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    outer = os.environ.get(PROFILE_VAR)
    if outer is not None:
        error(
            stderr,
            f"already running inside `qlik-tui exec` (profile {quoted_name(outer)}, "
            f"{PROFILE_VAR} is set): "
            f"run the command directly, or leave that shell first to use another profile",
        )
        return exits.USAGE
    try:
        command = take_options(list(args.argv), args)
    except ValueError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    if not command:
        error(stderr, "no command given: qlik-tui exec NAME -- COMMAND [ARG...]")
        return exits.USAGE
    if _LOOKS_LIKE_KEY.search(command[0]):
        error(stderr, f"COMMAND is {_shown_word(command[0])}; name the program to run instead")
        return exits.USAGE
    extra_names = [*args.key_var, *args.server_var]
    bad = [n for n in extra_names if not _VARIABLE_NAME.fullmatch(n)]
    if bad:
        shown = echoed(bad[0], what="variable name")
        error(stderr, f"not a valid environment variable name: {shown}")
        return exits.USAGE

    stored = load_bearer(args.name, services, stderr)
    if isinstance(stored, int):
        return stored
    profile, tenant, key = stored.profile, stored.tenant, stored.bearer
    if args.check:
        refused = _prove(services, tenant, key, stderr)
        if refused is not None:
            return refused

    environment = child_environment(
        os.environ,
        profile=profile.name,
        tenant=tenant,
        key=key,
        key_vars=args.key_var,
        server_vars=args.server_var,
    )
    return run_child(command, environment, stderr)


def take_options(words: list[str], args: argparse.Namespace) -> list[str]:
    """Read exec's own options written after NAME (argparse hands everything after NAME over
    untouched); return COMMAND: what follows ``--``, or the first word that is no option."""
    valued = {"--key-var": args.key_var, "--server-var": args.server_var}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return words[index + 1 :]
        if word == "--check":
            args.check = True
        elif word.partition("=")[0] in valued:
            flag, has_value, value = word.partition("=")
            if not has_value:
                index += 1
                if index == len(words):
                    raise ValueError(f"{flag} needs a variable name")
                value = words[index]
            valued[flag].append(value)
        elif word.startswith("-"):
            raise ValueError(
                f"unknown option {_shown_word(word)}: put COMMAND after `--`, as in "
                "qlik-tui exec NAME -- COMMAND [ARG...]"
            )
        else:
            return words[index:]
        index += 1
    return []


def child_environment(
    base: Mapping[str, str],
    *,
    profile: str,
    tenant: Tenant,
    key: ApiKey | AccessToken,
    key_vars: list[str],
    server_vars: list[str],
) -> dict[str, str]:
    environment = dict(base)
    environment[SERVER_VAR] = tenant.origin
    environment[HOST_VAR] = tenant.display_host
    environment[KEY_VAR] = key.reveal()
    if isinstance(key, AccessToken):
        environment[ACCESS_TOKEN_VAR] = key.reveal()
        if key.expires_at is not None:
            environment[TOKEN_EXPIRES_VAR] = key.expires_at.isoformat()
    environment[PROFILE_VAR] = profile
    for name in key_vars:
        environment[name] = key.reveal()
    for name in server_vars:
        environment[name] = tenant.origin
    return environment


def _prove(
    services: Services, tenant: Tenant, key: ApiKey | AccessToken, stderr: TextIO
) -> int | None:
    import asyncio  # only for --check: a plain exec needs no event loop

    from qlik_tui.services.verify import Detail, verify_bearer

    outcome = asyncio.run(
        verify_bearer(tenant, key, settings=services.client_settings, detail=Detail.NONE)
    )
    if outcome.verdict is Verdict.VALID:
        return None
    explain_outcome(outcome, stderr)
    print("The command was not run.", file=stderr)
    return exits.for_verdicts([outcome.verdict])


def run_child(command: list[str], environment: dict[str, str], stderr: TextIO) -> int:
    """Start COMMAND, relay signals to it, and return its exit code (128+N for signal N)."""
    relay = _SignalRelay()
    sys.stdout.flush()
    sys.stderr.flush()
    # The handlers are in place before the child exists, so no signal in between can kill
    # qlik-tui and orphan it. Python handlers (never SIG_IGN) are reset by exec in the child.
    with relay:
        try:
            child = subprocess.Popen(command, env=environment)
        except FileNotFoundError:
            error(stderr, f"command not found: {_shown_word(command[0])}")
            return COMMAND_NOT_FOUND
        except PermissionError:
            error(stderr, f"cannot execute {_shown_word(command[0])}: permission denied")
            return COMMAND_NOT_EXECUTABLE
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            error(stderr, f"cannot execute {_shown_word(command[0])}: {reason}")
            return COMMAND_NOT_EXECUTABLE
        finally:
            environment.clear()  # the key stays in this process no longer than needed
        relay.attach(child)
        code = child.wait()
    return 128 - code if code < 0 else code


class _SignalRelay:
    """While installed: SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 sent to qlik-tui go to the child (held
    until it exists); Ctrl-C and Ctrl-\\ are left to the child, which the terminal signals too."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._pending: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalRelay:
        if threading.current_thread() is not threading.main_thread():
            return self  # handlers can only be installed from the main thread
        for name in _FORWARDED + _LEFT_TO_THE_TERMINAL:
            number = getattr(signal, name, None)
            if number is not None:
                handler = self._forward if name in _FORWARDED else self._let_the_child_decide
                self._previous[number] = signal.signal(number, handler)
        return self

    def __exit__(self, *_: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        for signum in self._pending:
            child.send_signal(signum)
        self._pending.clear()

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        if self._child is None:
            self._pending.append(signum)
        elif self._child.poll() is None:
            self._child.send_signal(signum)

    def _let_the_child_decide(self, signum: int, _frame: FrameType | None) -> None:
        """The terminal sent it to the whole job: COMMAND got it too and decides what happens."""


def _shown_word(word: str) -> str:
    """A word of the command line for a message; never echo what looks like a key."""
    if _LOOKS_LIKE_KEY.search(word):
        return "<something that looks like an API key: keys never go on a command line>"
    return repr(word)
