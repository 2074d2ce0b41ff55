"""Command-line entry point: the table of commands, the parser built from it, one dispatch.

Each command is one module in ``qlik_tui/commands`` with ``add_arguments(commands)`` (its
parser, help, description and epilog) and ``run(args, call)``. A module is imported only to
build the parser of its command (standard library at its top) and runs what it needs inside
``run``: Textual only when the TUI starts, the stores only when a command opens them."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, TextIO, cast

from qlik_tui import __version__
from qlik_tui.commands import exits
from qlik_tui.commands.parsers import Call, CommandModule, Parser

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

DESCRIPTION = """\
Take a Qlik Cloud API key from "I need one" to "stored safely and proven to work".

Run with no command to start the guided setup (or the dashboard when keys are stored).
Keys are read from standard input or a hidden prompt, never from the command line,
and are kept in the OS keyring."""

# Every command and the module that owns it, in the order --help lists them.
COMMANDS: dict[str, str] = {
    "setup": "qlik_tui.commands.wizard",
    "dashboard": "qlik_tui.commands.wizard",
    "demo": "qlik_tui.commands.demo",
    "login": "qlik_tui.commands.login",
    "list": "qlik_tui.commands.profiles",
    "forget": "qlik_tui.commands.profiles",
    "check": "qlik_tui.commands.check",
    "token": "qlik_tui.commands.token",
    "exec": "qlik_tui.commands.exec_cmd",
    "import": "qlik_tui.commands.import_cmd",
    "rotate": "qlik_tui.commands.rotate",
    "keys": "qlik_tui.commands.keys",
    "revoke": "qlik_tui.commands.revoke",
    "scan": "qlik_tui.commands.scan",
    "use": "qlik_tui.commands.default_use",
    "status": "qlik_tui.commands.default_use",
    "completion": "qlik_tui.commands.completion",
}
# No command at all: the TUI (the wizard, or the dashboard when keys are stored).
NO_COMMAND = "qlik_tui.commands.wizard"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``only`` the parser of that command's module alone
    (what parsing its command line needs: the other modules are not imported)."""
    parser = Parser(
        prog="qlik-tui",
        description=DESCRIPTION,
        epilog=exits.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qlik-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    modules = [COMMANDS[only]] if only in COMMANDS else COMMANDS.values()
    for module in dict.fromkeys(modules):  # a module owning several commands adds them once
        _command_module(module).add_arguments(commands)
    return parser


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
            words = sys.argv[1:] if argv is None else list(argv)
            with redirect_stdout(stdout), redirect_stderr(stderr):
                args = build_parser(only=words[0] if words else None).parse_args(words)
        except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
            return int(exc.code or 0)
    try:
        return dispatch(args, Call(stdin, stdout, stderr, build_parser, services))
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


def dispatch(args: argparse.Namespace, call: Call) -> int:
    """Run the command's module (imported now: each command loads only what it runs)."""
    # A one-shot command allocates little after start-up: freezing what the imports created
    # spares the full garbage collection (~20 ms) that otherwise lands on the first request.
    gc.freeze()
    module = COMMANDS[args.command] if args.command else NO_COMMAND
    return _command_module(module).run(args, call)


def _command_module(path: str) -> CommandModule:
    return cast("CommandModule", importlib.import_module(path))


if __name__ == "__main__":
    raise SystemExit(main())
