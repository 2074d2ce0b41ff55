"""Usage errors that name the real problem in one or two lines: "did you mean" for a mistyped
command, option or choice, and a pointer to ``--help`` instead of the whole usage. A word that
looks like an API key is never echoed."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from qlik_tui.core.untrusted import looks_like_key

HIDDEN_KEY = "<an API key: pass keys on standard input with --with-token>"
_INVALID_CHOICE = re.compile(
    r"argument (?P<arg>[^:]+): invalid choice: '(?P<word>.*)' \(choose from"
)
_UNRECOGNIZED = "unrecognized arguments: "


def hide_keys(message: str) -> str:
    return " ".join(HIDDEN_KEY if looks_like_key(word) else word for word in message.split(" "))


class UsageParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (two with a hint), never the usage."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # The words, to tell which subcommand an unrecognized option was meant for.
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        self.exit(2, hide_keys(f"{self.prog}: error: {self._explain(message)}") + "\n")

    def _explain(self, message: str) -> str:
        choice = _INVALID_CHOICE.match(message)
        if choice is not None:
            return self._invalid_choice(choice["arg"], choice["word"], message)
        if message.startswith(_UNRECOGNIZED):
            return self._unrecognized(message[len(_UNRECOGNIZED) :].split(" "), message)
        return f"{message} (see `{self.prog} --help`)"

    def _invalid_choice(self, argument: str, word: str, message: str) -> str:
        subcommands = self._subcommands()
        if subcommands is not None and argument == "COMMAND":
            text = f"unknown command {_shown(word)}"
            guess = _closest(word, list(subcommands))
            if guess:
                return f"{text}; did you mean `{self.prog} {guess}`?"
            return f"{text} (`{self.prog} --help` lists the commands)"
        choices = [str(c) for c in self._choices_of(argument)]
        guess = _closest(word, choices)
        listed = ", ".join(choices)
        hint = f"; did you mean {guess}?" if guess else ""
        return f"argument {argument}: {_shown(word)} is not one of {listed}{hint}"

    def _unrecognized(self, words: list[str], message: str) -> str:
        parser = self._command_parser()
        options = [word for word in words if word.startswith("-")]
        if not options:
            return f"{message} (see `{parser.prog} --help`)"
        option = options[0].partition("=")[0]
        known = [s for action in parser._actions for s in action.option_strings]
        guess = _closest(option, known)
        text = f"unknown option {_shown(option)} for `{parser.prog}`"
        if guess:
            return f"{text}; did you mean {guess}?"
        return f"{text} (`{parser.prog} --help` lists its options)"

    def _subcommands(self) -> dict[str, argparse.ArgumentParser] | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return None

    def _command_parser(self) -> argparse.ArgumentParser:
        """The subcommand's parser the words named (argparse reports its unrecognized options
        from the top), else this one."""
        subcommands = self._subcommands() or {}
        for word in getattr(self, "_words", []):
            if word in subcommands:
                return subcommands[word]
        return self

    def _choices_of(self, argument: str) -> Sequence[Any]:
        for action in self._actions:
            names = [*action.option_strings, action.metavar, action.dest]
            if argument in names or argument in "/".join(action.option_strings):
                return list(action.choices or ())
        return ()


def _closest(word: str, candidates: list[str]) -> str | None:
    from difflib import get_close_matches  # only on a usage error: not on every start-up

    matches = get_close_matches(word, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _shown(word: str) -> str:
    return HIDDEN_KEY if looks_like_key(word) else repr(word)
