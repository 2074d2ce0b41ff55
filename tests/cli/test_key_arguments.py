"""No argument carries a key: every option and positional of every subcommand refuses a key-like
value (exit 2) without echoing it, sending it or storing it. The cases are built by walking the
real parser, so an argument added later is covered without editing this file."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qlik_tui.cli import build_parser, main
from qlik_tui.commands.parsers import NotAKey
from qlik_tui.services.context import Services
from tests.fixtures.cli import store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.security.leaks import Observed

PROFILE = "p"


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _takes_values(action: argparse.Action) -> bool:
    return action.nargs != 0 and not isinstance(action, argparse._SubParsersAction)


def test_every_argument_that_takes_a_value_has_the_key_refusing_type() -> None:
    parser = build_parser()
    checked = 0
    for where, each in [("qlik-tui", parser), *_subcommands(parser)]:
        for action in each._actions:
            if _takes_values(action):
                assert isinstance(action.type, NotAKey), (where, action.dest)
                checked += 1
    assert checked >= 20  # the walk reached the subcommands' arguments


def test_a_type_given_to_an_argument_is_kept_behind_the_key_check() -> None:
    check = dict(_subcommands(build_parser()))["check"]
    assert check.parse_args(["--warn-hours", "2.5"]).warn_hours == 2.5
    with pytest.raises(SystemExit):
        check.parse_args(["--warn-hours", "soon"])


@dataclass(frozen=True)
class Case:
    command: str
    dest: str
    shown: str  # the option, or the positional's metavar

    @property
    def label(self) -> str:
        return f"{self.command} {self.shown}"


def _cases() -> list[Case]:
    return [
        Case(name, action.dest, (action.option_strings or [str(action.metavar or action.dest)])[-1])
        for name, sub in _subcommands(build_parser())
        for action in sub._actions
        if _takes_values(action)
    ]


def _plain_value(action: argparse.Action, origin: str) -> str:
    """A value the parser accepts for ``action`` (so that only the key makes a case fail)."""
    if action.choices:
        return str(next(iter(action.choices)))
    if action.dest == "tenant":
        return origin
    if isinstance(action.type, NotAKey) and action.type.convert is not str:
        return "5"  # a number of seconds, hours or a port
    return PROFILE if action.dest in ("name", "names") else "P1D"


def _argv(case: Case, value: str | None, origin: str) -> list[str]:
    """``case.command`` with every positional and required option filled in with a plain value,
    ``value`` for the argument under test (None: a plain value too), and --json / --with-token
    where the command has them (so that a key that got through would reach the JSON and the
    tenant)."""
    sub = dict(_subcommands(build_parser()))[case.command]
    options: list[str] = []
    positionals: list[str] = []
    for action in sub._actions:
        target = action.dest == case.dest
        given = _plain_value(action, origin) if value is None or not target else value
        if action.option_strings:
            flag = action.option_strings[-1]
            if target or action.required:
                options += [flag, given]
            elif flag in ("--json", "--with-token"):
                options.append(flag)
        elif action.nargs == argparse.REMAINDER:
            positionals += ["--", "echo", given]
        elif _takes_values(action):
            positionals.append(given)
    return [case.command, *options, *positionals]


CASES = _cases()


def test_the_cases_cover_every_subcommand_with_arguments() -> None:
    labels = {case.label for case in CASES}
    for expected in ("revoke KEY_ID", "rotate --expiry", "rotate --description", "exec --key-var"):
        assert expected in labels
    assert len({case.command for case in CASES}) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_the_plain_command_line_parses(case: Case) -> None:
    """The command lines below differ only by the key: without it they are accepted."""
    args = build_parser().parse_args(_argv(case, None, "https://127.0.0.1:1"))
    assert args.command == case.command


def test_a_key_given_to_any_argument_is_refused_and_never_seen_again(
    sandbox: FaultySandbox,
    services: Services,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    store_profile(services, PROFILE, sandbox.origin, sandbox.issue_key())
    login_key = sandbox.issue_key()  # what a login reads on stdin: not the sentinel
    sentinel = sandbox.issue_key()
    sandbox.clear_requests()
    profiles_before = services.profiles.path.read_bytes()
    observed = Observed()
    codes: dict[str, int] = {}
    unexplained: list[str] = []
    for case in CASES:
        out, err = io.StringIO(), io.StringIO()
        argv = _argv(case, sentinel, sandbox.origin)
        codes[case.label] = main(
            argv, stdin=io.StringIO(login_key), stdout=out, stderr=err, services=services
        )
        observed.add(f"stdout:{case.label}", out.getvalue())
        observed.add(f"stderr:{case.label}", err.getvalue())
        if "looks like an API key" not in err.getvalue():
            unexplained.append(case.label)
        fds = capfd.readouterr()  # what a child (exec) wrote to the real descriptors
        observed.add(f"fd:{case.label}", fds.out + fds.err)
    for key_id in sandbox.key_ids(status=None):
        observed.add(f"tenant:{key_id}", sandbox.key_record(key_id)["description"])
    observed.add_tree(tmp_path, label="files")

    assert {label: code for label, code in codes.items() if code != 2} == {}
    assert unexplained == []
    assert observed.leaks_of(sentinel) == []
    assert [(r.method, r.path) for r in sandbox.requests] == []  # nothing was sent at all
    assert services.profiles.path.read_bytes() == profiles_before
