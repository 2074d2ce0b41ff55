"""``qlik-tui completion SHELL``: a completion script generated from the parser by ``shtab``
(imported here only: no other command pays for it). Profile names come from
``qlik-tui completion --profile-names``, which reads the profiles file and nothing else."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error
from qlik_tui.store.profiles import ProfilesFileError, ProfileStore

PROFILES_FUNCTION = "_qlik_tui_profiles"
# Each shell's function listing the profile names that start with the word being completed.
PREAMBLE = {
    "bash": f"""{PROFILES_FUNCTION}() {{
  local name
  while IFS= read -r name; do
    [[ $name == "$1"* ]] && printf '%s\\n' "$name"
  done < <(command qlik-tui completion --profile-names 2>/dev/null)
}}""",
    "zsh": f"""{PROFILES_FUNCTION}() {{
  local -a names
  names=(${{(f)"$(command qlik-tui completion --profile-names 2>/dev/null)"}})
  compadd -a names
}}""",
}
COMPLETE_PROFILE = {
    "bash": PROFILES_FUNCTION,
    "zsh": PROFILES_FUNCTION,
    "fish": "(command qlik-tui completion --profile-names 2>/dev/null)",
}


def run(
    args: argparse.Namespace,
    build_parser: Callable[[], argparse.ArgumentParser],
    profiles: ProfileStore | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """``build_parser``: the CLI's (handed over: commands never import the CLI module)."""
    if args.profile_names:
        return _print_profile_names(profiles or ProfileStore(), stdout)
    if args.shell is None:
        error(stderr, "name the shell: qlik-tui completion bash|zsh|fish")
        return exits.USAGE
    import shtab  # only here: generating the script is the only use of it

    parser = build_parser()
    _complete_profile_names(parser)
    # shtab takes a preamble per shell as a dict too (its annotation says str).
    script = shtab.complete(parser, args.shell, preamble=PREAMBLE)  # type: ignore[arg-type]
    print(script, file=stdout)
    return exits.OK


def _print_profile_names(profiles: ProfileStore, stdout: TextIO) -> int:
    try:
        names = [profile.name for profile in profiles.all()]
    except ProfilesFileError:
        return exits.OK  # Tab offers nothing; the commands themselves explain the file
    for name in names:
        print(name, file=stdout)
    return exits.OK


def _complete_profile_names(parser: argparse.ArgumentParser) -> None:
    """Every positional NAME (token, rotate, check, forget, use, login, …) completes profile
    names; shtab reads the ``complete`` attribute."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in dict(action.choices).values():
                _complete_profile_names(subparser)
        elif not action.option_strings and action.metavar == "NAME":
            action.complete = COMPLETE_PROFILE  # type: ignore[attr-defined]
