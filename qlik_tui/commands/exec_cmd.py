"""``qlik-tui exec NAME [--check] -- COMMAND [ARG...]``: run COMMAND with the key in its
environment, never in any argv.

Variables (named after Qlik's own SDK and enigma examples): ``QCS_SERVER`` (origin URL),
``QCS_HOST`` (host[:port]), ``QCS_API_KEY`` (the key), ``QLIK_TUI_PROFILE`` (the profile, so
qlik-tui inside COMMAND defaults to it) and ``QLIK_TUI_EXEC`` (the same name: marks an exec, which
refuses to nest), plus any ``--key-var`` / ``--server-var`` aliases. NAME may be left out (the
default profile) when COMMAND follows ``--``. For an OAuth client's profile, an access token
(never the secret) in ``QCS_ACCESS_TOKEN`` and ``QCS_API_KEY`` alike, and its expiry in
``QCS_ACCESS_TOKEN_EXPIRES_AT``; the token has more than 60 s left when COMMAND starts, and is
not renewed while it runs.

Signals: COMMAND runs in qlik-tui's own process group, so what the terminal sends (Ctrl-C,
Ctrl-\\, hang-up) reaches it directly; meanwhile qlik-tui ignores Ctrl-C and Ctrl-\\ itself and
forwards SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to it alone. It exits with COMMAND's code, or
128+N when COMMAND died of signal N. Nothing is printed on standard output.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import DEFAULT_PROFILE_HELP, Call, Subcommands, add_command

if TYPE_CHECKING:
    import subprocess

    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.hidden import AccessToken
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services

PROFILE_VAR = "QLIK_TUI_PROFILE"
# Set only by exec: QLIK_TUI_PROFILE alone may be the user's own choice of default profile.
EXEC_VAR = "QLIK_TUI_EXEC"
USAGE = "qlik-tui exec NAME -- COMMAND [ARG...]"
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


EPILOG = exits.render(
    (
        ("N", "COMMAND's own exit code; 128+N when it died of signal N"),
        (exits.REJECTED, "(with --check) the key was rejected; COMMAND was not run"),
        (exits.USAGE, "usage error, unknown profile, or already inside `qlik-tui exec`"),
        (
            exits.INCONCLUSIVE,
            "(with --check) inconclusive; or the key store (keyring or encrypted file) could not "
            "be read",
        ),
        (exits.STORAGE, "the profiles file cannot be read"),
        (126, "COMMAND cannot be executed"),
        (127, "COMMAND was not found"),
    ),
    before="""variables set for COMMAND:
  QCS_SERVER        the tenant's origin, https://host[:port]
  QCS_HOST          host[:port]
  QCS_API_KEY       the key (never put on any command line)
  QLIK_TUI_PROFILE  the profile name (qlik-tui inside COMMAND defaults to it)
  QLIK_TUI_EXEC     the profile name too: exec refuses to run inside another exec
""",
    after="""
examples:
  qlik-tui exec prod -- python my_sdk_script.py
  qlik-tui exec prod -- sh -c 'echo "header = \\"Authorization: Bearer $QCS_API_KEY\\"" |
    curl -sLK - "$QCS_SERVER/api/v1/users/me"'
  qlik-tui exec prod --key-var QLIK_API_KEY -- my-tool
  qlik-tui exec -- my-tool       (the default profile: QLIK_TUI_PROFILE or `qlik-tui use`)""",
)


def add_arguments(commands: Subcommands) -> None:
    run = add_command(
        commands,
        "exec",
        "run a command with a stored key in its environment",
        "Run COMMAND with the key of profile NAME in its environment (never on a command "
        "line) and exit with COMMAND's exit code.",
        EPILOG,
    )
    run.add_argument("--check", action="store_true", help="prove the key first; refuse if it fails")
    run.add_argument(
        "--key-var", action="append", default=[], metavar="VAR",
        help="also put the key in VAR (repeatable), e.g. QLIK_API_KEY",
    )  # fmt: skip
    run.add_argument(
        "--server-var", action="append", default=[], metavar="VAR",
        help="also put the origin URL in VAR (repeatable)",
    )  # fmt: skip
    run.add_argument(
        "argv", nargs=argparse.REMAINDER, metavar="[NAME] -- COMMAND [ARG...]",
        help=f"NAME is {DEFAULT_PROFILE_HELP}; left out, COMMAND must follow --",
    )  # fmt: skip


def run(args: argparse.Namespace, call: Call) -> int:
    # exec reads one entry, then only waits for COMMAND: it makes no garbage worth collecting,
    # and the collections its imports and the profiles file would trigger are ~2% of its work.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return run_with_key(args, call.services(), call.stdout, call.stderr)
    finally:
        if collecting:
            gc.enable()


def run_with_key(
    args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO
) -> int:
    from qlik_tui.commands.output import error
    from qlik_tui.commands.stored_key import load_bearer
    from qlik_tui.core.untrusted import echoed
    from qlik_tui.store.profiles import quoted_name

    outer = os.environ.get(EXEC_VAR)
    if outer is not None:
        error(
            stderr,
            f"already running inside `qlik-tui exec` (profile {quoted_name(outer)}, "
            f"{EXEC_VAR} is set): "
            f"run the command directly, or leave that shell first to use another profile",
        )
        return exits.USAGE
    try:
        given, command = take_options(list(args.argv), args)
    except ValueError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    if not command:
        error(stderr, f"no command given: {USAGE}")
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
    acted_on = _refused_name(args.key_var, args.server_var)
    if acted_on is not None:
        error(stderr, acted_on)
        return exits.USAGE

    from qlik_tui.commands.default_profile import profile_name

    name = profile_name(given, services.profiles, stderr, usage=USAGE)
    if isinstance(name, int):
        return name
    stored = load_bearer(name, services, stderr)
    if isinstance(stored, int):
        return stored
    profile, tenant, key = stored.profile, stored.tenant, stored.bearer
    if args.check:
        refused = _prove(services, profile.name, tenant, key, stderr)
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


def _refused_name(key_vars: list[str], server_vars: list[str]) -> str | None:
    """Why the first name something else acts on (``exec_names``) cannot be used, or None."""
    from qlik_tui.commands.exec_names import why_refused

    for flag, names in (("--key-var", key_vars), ("--server-var", server_vars)):
        for name in names:
            reason = why_refused(name)
            if reason is not None:
                return (
                    f"{flag} {name}: {reason}, so it never carries the key or the origin; "
                    "choose a name of your own, e.g. QLIK_API_KEY or QLIK_SERVER"
                )
    return None


def take_options(words: list[str], args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """Split ``[NAME] [OPTION...] [--] COMMAND...`` (argparse hands over everything from the
    first word that is no option, untouched) into NAME (None: left out, COMMAND after ``--``)
    and COMMAND: what follows ``--``, or the first word after NAME that is no option. exec's
    own options written after NAME are read here."""
    valued = {"--key-var": args.key_var, "--server-var": args.server_var}
    name: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return name, words[index + 1 :]
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
                f"unknown option {_shown_word(word)}: put COMMAND after `--`, as in {USAGE}"
            )
        elif name is None:
            name = word
        else:
            return name, words[index:]
        index += 1
    return name, []


def child_environment(
    base: Mapping[str, str],
    *,
    profile: str,
    tenant: Tenant,
    key: ApiKey | AccessToken,
    key_vars: list[str],
    server_vars: list[str],
) -> dict[str, str]:
    from qlik_tui.core.hidden import AccessToken

    environment = dict(base)
    environment[SERVER_VAR] = tenant.origin
    environment[HOST_VAR] = tenant.display_host
    environment[KEY_VAR] = key.reveal()
    if isinstance(key, AccessToken):
        environment[ACCESS_TOKEN_VAR] = key.reveal()
        if key.expires_at is not None:
            environment[TOKEN_EXPIRES_VAR] = key.expires_at.isoformat()
    environment[PROFILE_VAR] = profile
    environment[EXEC_VAR] = profile
    for name in key_vars:
        environment[name] = key.reveal()
    for name in server_vars:
        environment[name] = tenant.origin
    return environment


def _prove(
    services: Services, name: str, tenant: Tenant, key: ApiKey | AccessToken, stderr: TextIO
) -> int | None:
    import asyncio  # only for --check: a plain exec needs no event loop

    from qlik_tui.commands.output import explain_outcome
    from qlik_tui.core.outcomes import Verdict
    from qlik_tui.services.check import with_store_sentence
    from qlik_tui.services.verify import Detail, verify_bearer

    outcome = asyncio.run(
        verify_bearer(tenant, key, settings=services.client_settings, detail=Detail.NONE)
    )
    if outcome.verdict is Verdict.VALID:
        return None
    explain_outcome(with_store_sentence(outcome, name), stderr)
    print("The command was not run.", file=stderr)
    return exits.for_verdicts([outcome.verdict])


def run_child(command: list[str], environment: dict[str, str], stderr: TextIO) -> int:
    """Start COMMAND, relay signals to it, and return its exit code (128+N for signal N)."""
    import subprocess

    from qlik_tui.commands.output import error

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
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return self  # handlers can only be installed from the main thread
        for name in _FORWARDED + _LEFT_TO_THE_TERMINAL:
            number = getattr(signal, name, None)
            if number is not None:
                handler = self._forward if name in _FORWARDED else self._let_the_child_decide
                self._previous[number] = signal.signal(number, handler)
        return self

    def __exit__(self, *_: object) -> None:
        import signal

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
