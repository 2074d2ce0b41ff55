"""``qlik-tui completion SHELL``: a completion script generated from the parser by ``shtab``
(imported here only: no other command pays for it). Profile names come from
``qlik-tui completion --profile-names``, which reads the profiles file and nothing else."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.store.profiles import ProfileStore

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


COMPLETION_DESCRIPTION = """\
Print a completion script for SHELL (commands, options and profile names), generated from
qlik-tui's own parser. Profile names are read from the profiles file when you press Tab (no key
store is touched). To install it:
  bash  echo 'eval "$(qlik-tui completion bash)"' >> ~/.bashrc
  zsh   qlik-tui completion zsh > "${fpath[1]}/_qlik-tui"   (then start a new shell)
  fish  qlik-tui completion fish > ~/.config/fish/completions/qlik-tui.fish"""
SHELLS = ["bash", "zsh", "fish"]


def add_arguments(commands: Subcommands) -> None:
    completion = add_command(
        commands, "completion", "print a shell completion script (bash, zsh, fish)",
        COMPLETION_DESCRIPTION,
    )  # fmt: skip
    completion.add_argument(
        "shell", nargs="?", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish"
    )
    # What the scripts call on Tab: the profile names, one a line (never a key store).
    completion.add_argument("--profile-names", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace, call: Call) -> int:
    """Before any key store is opened (Tab must be quick): the profiles file only. The parser
    is the CLI's, handed over in ``call`` (commands never import the CLI module)."""
    from qlik_tui.commands.output import error
    from qlik_tui.store.profiles import ProfileStore

    stdout, stderr = call.stdout, call.stderr
    profiles = call.given.profiles if call.given else None

    if args.profile_names:
        return _print_profile_names(profiles or ProfileStore(), stdout)
    if args.shell is None:
        error(stderr, "name the shell: qlik-tui completion bash|zsh|fish")
        return exits.USAGE
    import shtab  # only here: generating the script is the only use of it

    parser = call.build_parser()
    _complete_profile_names(parser)
    # shtab takes a preamble per shell as a dict too (its annotation says str).
    script = shtab.complete(parser, args.shell, preamble=PREAMBLE)  # type: ignore[arg-type]
    print(script, file=stdout)
    return exits.OK


def _print_profile_names(profiles: ProfileStore, stdout: TextIO) -> int:
    from qlik_tui.store.profiles import ProfilesFileError

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
