"""What every command module is made of: ``add_arguments(commands)`` (its parser: name, help,
description, epilog with examples, arguments) and ``run(args, call) -> int`` (``Call``: the
streams and the services). One shape for every subcommand's --help, and one type for every
argument (``NotAKey``), so that no argument carries a key into the run.

A command module imports only the standard library and this layer's light modules (this one,
``exits``, ``colour``) at its top: building the parser imports every command module, so what a
command runs with is imported inside ``run``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TextIO, TypeAlias, TypeVar

from qlik_tui.commands import exits
from qlik_tui.commands.usage_errors import UsageParser
from qlik_tui.core.kinds import KeyStoreKind
from qlik_tui.core.untrusted import looks_like_key

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

T = TypeVar("T")
ActionT = TypeVar("ActionT", bound=argparse.Action)

KEY_AS_ARGUMENT = (
    "this looks like an API key, so it was not used. A key is never a command-line argument: "
    "shell history and the process list keep it (treat one typed here as exposed). Store a key "
    "from standard input with `qlik-tui login --tenant HOST --with-token < key.txt`, then hand "
    "it to programs with `qlik-tui exec` or `qlik-tui token`"
)


class NotAKey(Generic[T]):
    """The argparse ``type`` of every option and positional (none of them is a key): a key-like
    value is refused as a usage error (exit 2) before anything runs, and the message never
    repeats it; any other value goes on to ``convert`` (the type the argument was declared
    with, else ``str``). A test walks the real parser and fails for an argument that takes a
    value without this type."""

    def __init__(self, convert: Callable[[str], T]) -> None:
        self.convert = convert
        # argparse names the type in "invalid <name> value" errors.
        self.__name__ = getattr(convert, "__name__", "value")

    def __call__(self, text: str) -> T:
        if looks_like_key(text):
            raise argparse.ArgumentTypeError(KEY_AS_ARGUMENT)
        return self.convert(text)

    def __repr__(self) -> str:
        return f"NotAKey({self.__name__})"


class Parser(UsageParser):
    """The parser of qlik-tui and of every subcommand. Every argument that takes a value gets
    the type ``NotAKey`` (wrapping the type it was given), also arguments added later and in
    groups: none can skip it. Its usage errors are ``UsageParser``'s: one line, a "did you
    mean", never a word that looks like a key."""

    def _add_action(self, action: ActionT) -> ActionT:
        if action.nargs != 0 and not isinstance(action, argparse._SubParsersAction):
            convert = action.type
            if not isinstance(convert, NotAKey):
                action.type = NotAKey(convert if callable(convert) else str)
        return super()._add_action(action)


# What ``add_arguments`` adds its subcommands to.
Subcommands: TypeAlias = "argparse._SubParsersAction[Any]"


class Call:
    """One run of a command: its streams, the CLI's parser (for ``completion``) and the
    services, built on first use (``given``: the tests' stores bound to their directories).
    A plain class: ``dataclasses`` would cost every command line its import."""

    def __init__(
        self,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
        build_parser: Callable[[], argparse.ArgumentParser],
        given: Services | None = None,
    ) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.build_parser = build_parser
        self.given = given

    def services(self) -> Services:
        if self.given is None:
            from qlik_tui.services.context import Services  # the stores: not for --help

            self.given = Services.default()
        return self.given


# ``--store``'s choices (login, import): the key store kinds' values.
KEY_STORE_CHOICES = [kind.value for kind in KeyStoreKind]


class CommandModule(Protocol):
    """What the CLI's table of commands points at: a module in ``qlik_tui/commands``."""

    def add_arguments(self, commands: Subcommands) -> None: ...

    def run(self, args: argparse.Namespace, call: Call) -> int: ...


# The help of an optional NAME (token, exec, rotate, keys, status).
DEFAULT_PROFILE_HELP = "the profile (default: $QLIK_TUI_PROFILE, else `qlik-tui use`'s choice)"


def add_command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    help_text: str,
    description: str,
    epilog: str = exits.SEE_MAIN_HELP,
) -> argparse.ArgumentParser:
    """A subcommand whose --help keeps the description's line breaks and ends with ``epilog``
    (by default a pointer to the exit codes in the main --help)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
