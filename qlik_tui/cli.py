"""Command-line entry point. argparse only: Textual is imported only when the TUI is launched,
and each subcommand's module is imported only when that subcommand runs."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, NoReturn, TextIO

from qlik_tui import __version__
from qlik_tui.commands import exits
from qlik_tui.commands.parsers import add_command

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

DESCRIPTION = """\
Take a Qlik Cloud API key from "I need one" to "stored safely and proven to work".

Run with no command to start the guided setup (or the dashboard when keys are stored).
Keys are read from standard input or a hidden prompt, never from the command line,
and are kept in the OS keyring."""
NEEDS_TERMINAL = (
    "Standard input and output must be a terminal; otherwise it exits 2 at once and names "
    "the command to use instead (login --with-token, check, list)."
)


def _looks_like_key(word: str) -> bool:
    return word.lstrip("'\"").startswith("eyJ") and word.count(".") >= 2


class _Parser(argparse.ArgumentParser):
    """Never echoes something that looks like an API key back in a usage error."""

    def error(self, message: str) -> NoReturn:
        words = [
            "<an API key: pass keys on standard input with --with-token>"
            if _looks_like_key(word)
            else word
            for word in message.split(" ")
        ]
        super().error(" ".join(words))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qlik-tui",
        description=DESCRIPTION,
        epilog=exits.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qlik-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        return add_command(commands, name, help_text, description)

    command(
        "setup",
        "start the guided setup wizard",
        f"Start the guided setup wizard (TUI). {NEEDS_TERMINAL}",
    )
    command(
        "dashboard",
        "open the dashboard of stored keys",
        f"Open the dashboard (TUI). {NEEDS_TERMINAL}",
    )
    demo = command(
        "demo",
        "try everything against a built-in sandbox tenant (no Qlik account needed)",
        "Start a fake Qlik Cloud tenant on 127.0.0.1 and run the wizard against it. Demo "
        f"profiles are kept apart from real ones. {NEEDS_TERMINAL}",
    )
    demo.add_argument(
        "--port", type=int, help="sandbox port (default: 47470, or any free one if taken)"
    )

    login = command(
        "login",
        "prove an API key against a tenant and store it in the OS keyring",
        "Read an API key from standard input (--with-token) or a hidden prompt, test it "
        "with GET /api/v1/users/me, then store it in the OS keyring. The key is never "
        "accepted as a command-line argument. A second login for a profile replaces its "
        "key only after the new key has been proven. Closing the input at the hidden "
        "prompt (Ctrl-D) stores nothing and exits 2.",
    )
    login.add_argument("--tenant", required=True, help="tenant address, e.g. acme.eu.qlikcloud.com")
    login.add_argument("--name", help="profile name (default: the tenant hostname)")
    login.add_argument("--with-token", action="store_true", help="read the key from standard input")
    login.add_argument("--no-verify", action="store_true", help="skip the live /users/me test")
    login.add_argument(
        "--oauth-client-id",
        metavar="ID",
        help="log in an OAuth machine-to-machine client instead of an API key: its client ID "
        "(the secret is read like a key: standard input with --with-secret, or a hidden "
        "prompt); proven by minting an access token and reading its bot user",
    )
    login.add_argument(
        "--with-secret", action="store_true", help="read the client secret from standard input"
    )
    login.add_argument(
        "--store",
        choices=["keyring", "encrypted-file"],
        help="where to keep the key: the OS keyring, or qlik-tui's passphrase-encrypted file "
        "(asked for with a hidden prompt, or read from the file QLIK_TUI_PASSPHRASE_FILE "
        "names). Default: where the profile's key is now, else the OS keyring",
    )

    listing = command(
        "list",
        "list stored profiles",
        "List stored profiles: tenant, user, key id, where the key is kept (OS keyring or "
        "encrypted file) and last outcome.",
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    forget = command(
        "forget",
        "remove profiles: key from its store, metadata from disk",
        "Remove profiles: the key from where it is kept (the OS keyring or the encrypted "
        "file; removing needs no passphrase) and the metadata from disk.",
    )
    forget.add_argument("names", nargs="*", metavar="NAME", help="profiles to remove")
    forget.add_argument("--all", action="store_true", help="remove every profile")
    forget.add_argument(
        "--revoke",
        action="store_true",
        help="first delete each key on its tenant (with the key itself), then forget it; a key "
        "the tenant cannot delete is kept",
    )

    check = command(
        "check",
        "re-validate stored keys (all, or the named profiles)",
        "Re-validate stored keys concurrently: GET /api/v1/users/me, then the key's own "
        "record for its status and expiry.",
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="profiles (default: all)")
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON array")
    output.add_argument("--quiet", action="store_true", help="print only failures")
    check.add_argument(
        "--warn-hours",
        type=float,
        help="warn when less than this many hours are left, or a fifth of the key's lifetime "
        "(default: 6, as the dashboard)",
    )
    from qlik_tui.commands.deadline import add_deadline_option

    add_deadline_option(check)
    check.add_argument(
        "--renew-within", metavar="DURATION",
        help="then renew (as `rotate`) each valid key expiring within DURATION, e.g. 12h, 2d, "
        "PT12H; one line per renewal. Exit 0 only when every check and renewal succeeded",
    )  # fmt: skip
    check.add_argument(
        "--secret-max-age", metavar="DURATION",
        help="with --renew-within: renew an OAuth client's secret once it is this old "
        "(a secret has no expiry), e.g. 30d (default: 90d)",
    )  # fmt: skip
    _add_use_commands(commands)
    _add_key_commands(commands)
    from qlik_tui.commands import scan  # its parser only: the scanner loads when scan runs

    scan.add_arguments(commands)
    return parser


def _add_key_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """``rotate``, ``keys`` and ``revoke``: the tenant's API keys of a profile's user."""
    from qlik_tui.commands.key_help import add_key_commands

    add_key_commands(commands)


def _add_use_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """``token``, ``exec`` and ``import``: put stored keys to use, or bring keys in."""
    from qlik_tui.commands.use_help import EXEC_EPILOG, IMPORT_EPILOG, TOKEN_EPILOG

    def command(
        name: str, help_text: str, description: str, epilog: str
    ) -> argparse.ArgumentParser:
        return add_command(commands, name, help_text, description, epilog)

    token = command(
        "token",
        "print a stored key to a pipe (refuses a terminal)",
        "Print the stored key of profile NAME and a newline to standard output, for "
        "$(qlik-tui token NAME) and pipes. Refuses when standard output is a terminal.",
        TOKEN_EPILOG,
    )
    token.add_argument("name", metavar="NAME", help="the profile")

    run = command(
        "exec",
        "run a command with a stored key in its environment",
        "Run COMMAND with the key of profile NAME in its environment (never on a command "
        "line) and exit with COMMAND's exit code.",
        EXEC_EPILOG,
    )
    run.add_argument("name", metavar="NAME", help="the profile")
    run.add_argument("--check", action="store_true", help="prove the key first; refuse if it fails")
    run.add_argument(
        "--key-var", action="append", default=[], metavar="VAR",
        help="also put the key in VAR (repeatable), e.g. QLIK_API_KEY",
    )  # fmt: skip
    run.add_argument(
        "--server-var", action="append", default=[], metavar="VAR",
        help="also put the origin URL in VAR (repeatable)",
    )  # fmt: skip
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARG...]")

    bring = command(
        "import",
        "prove qlik-cli's plain-text keys and move them into the keyring (or --store)",
        "Read qlik-cli's contexts file, prove every API key in it against its server and "
        "store each proven key as a profile named after its context. The file is never "
        "written: the summary says how to remove qlik-cli's plain-text copies.",
        IMPORT_EPILOG,
    )
    bring.add_argument("source", choices=["qlik-cli"], help="where the keys are (qlik-cli)")
    bring.add_argument("--file", metavar="PATH", help="the contexts file (default: see below)")
    which = bring.add_mutually_exclusive_group()
    which.add_argument(
        "--context", nargs="+", metavar="NAME", help="only these contexts (default: all)"
    )
    which.add_argument("--all", action="store_true", help="every context (the default)")
    bring.add_argument("--dry-run", action="store_true", help="prove every key, store nothing")
    bring.add_argument(
        "--store",
        choices=["keyring", "encrypted-file"],
        help="where to keep the imported keys: the OS keyring, or qlik-tui's passphrase-encrypted "
        "file (asked for with a hidden prompt, or read from the file QLIK_TUI_PASSPHRASE_FILE "
        "names). Default: the OS keyring; when it is not usable, nothing is imported and the "
        "reason is explained",
    )
    bring.add_argument("--json", action="store_true", help="machine-readable output")


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    services: Services | None = None,
) -> int:
    """Run the CLI. Tests pass their own streams and ``services`` (stores bound to test dirs)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = _tui_arguments(sys.argv[1:] if argv is None else argv)
    if args is None:
        try:
            with redirect_stdout(stdout), redirect_stderr(stderr):
                args = build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
            return int(exc.code or 0)
    try:
        return dispatch(args, stdin, stdout, stderr, services)
    except KeyboardInterrupt:
        print("qlik-tui: interrupted", file=stderr)
        return exits.INTERRUPTED
    except Exception as exc:  # a bug: one line, and never the message (it could quote a key)
        print(
            f"qlik-tui: internal error ({type(exc).__name__}); please report it with the "
            "command you ran (never include a key)",
            file=stderr,
        )
        return exits.INTERNAL


# The commands that start the TUI (``None``: no command at all).
TUI_COMMANDS = (None, "setup", "dashboard", "demo")
# The TUI's own command lines, and what the parser makes of them: they skip building the
# parser of every subcommand, a part of the time to the TUI's first frame.
_TUI_COMMAND_LINES: dict[tuple[str, ...], str | None] = {
    (): None,
    ("setup",): "setup",
    ("dashboard",): "dashboard",
}


def _tui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    words = tuple(argv)
    if words not in _TUI_COMMAND_LINES:
        return None
    return argparse.Namespace(command=_TUI_COMMAND_LINES[words])


NO_TERMINAL_ADVICE = (
    "to store a key from a pipe use `qlik-tui login --tenant HOST --with-token < key.txt`; "
    "to re-validate stored keys use `qlik-tui check`; to see them use `qlik-tui list`"
)


def _refuse_without_terminal(
    command: str | None, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int | None:
    """The TUI draws with escape codes and reads keys: without a terminal on both ends it
    would hang writing to a pipe. Say which command works there instead (exit 2)."""
    not_terminals = [
        name for name, stream in (("input", stdin), ("output", stdout)) if not _is_terminal(stream)
    ]
    if not not_terminals:
        return None
    shown = "qlik-tui" if command is None else f"qlik-tui {command}"
    which = " and ".join(not_terminals)
    print(
        f"qlik-tui: error: `{shown}` needs a terminal, and standard {which} is not one; "
        f"{NO_TERMINAL_ADVICE}.",
        file=stderr,
    )
    return exits.USAGE


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):  # closed or detached
        return False


def dispatch(
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    services: Services | None,
) -> int:
    if args.command in TUI_COMMANDS:
        refused = _refuse_without_terminal(args.command, stdin, stdout, stderr)
        if refused is not None:
            return refused
    if args.command == "demo":
        from qlik_tui.commands import demo  # the sandbox server: only for the demo

        return demo.run(args, stdout, stderr)

    # A one-shot command allocates little after start-up: freezing what the imports created
    # spares the full garbage collection (~20 ms) that otherwise lands on the first request.
    gc.freeze()
    if args.command in (None, "setup", "dashboard"):
        from qlik_tui.tui.launch import launch  # Textual: only when the TUI starts

        # Without ``services`` the app builds the default ones after its first frame.
        return launch(services, start=args.command or "auto")
    if args.command == "scan":  # builds the key stores itself, only when --verify/--fix ask
        from qlik_tui.commands import scan

        return scan.run(args, services, stdin, stdout, stderr)
    if services is None:
        from qlik_tui.services.context import Services  # the stores: not for --help

        services = Services.default()
    if args.command == "login":
        from qlik_tui.commands import login  # each command loads only what it runs

        return login.run(args, services, stdin, stdout, stderr)
    if args.command == "list":
        from qlik_tui.commands import profiles  # each command loads only what it runs

        return profiles.run_list(args, services, stdout, stderr)
    if args.command == "forget":
        from qlik_tui.commands import profiles  # each command loads only what it runs

        return profiles.run_forget(args, services, stdout, stderr)
    if args.command == "check":
        from qlik_tui.commands import check  # each command loads only what it runs

        return check.run(args, services, stdout, stderr)
    if args.command == "token":
        from qlik_tui.commands import token

        return token.run(args, services, stdout, stderr)
    if args.command == "exec":
        from qlik_tui.commands import exec_cmd

        return exec_cmd.run(args, services, stdout, stderr)
    if args.command == "import":
        from qlik_tui.commands import import_cmd

        return import_cmd.run(args, services, stdout, stderr)
    if args.command in ("rotate", "keys", "revoke"):
        from qlik_tui.commands.key_help import run_key_command

        return run_key_command(args, services, stdout, stderr)
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    raise SystemExit(main())
