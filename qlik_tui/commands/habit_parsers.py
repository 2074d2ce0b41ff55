"""The parsers of ``use``, ``status`` and ``completion``: a default profile, and the shell."""

from __future__ import annotations

import argparse
from typing import Any

from qlik_tui.commands.colour import add_color_option
from qlik_tui.commands.parsers import add_command

USE_DESCRIPTION = """\
Make NAME the default profile: token, exec, rotate and keys then work without NAME, and
`qlik-tui status` checks it. It is kept in the profiles file; QLIK_TUI_PROFILE, when set, wins
over it (inside `qlik-tui exec` it names the profile exec runs with). Without NAME, print the
default profile's name."""

STATUS_DESCRIPTION = """\
Say which profile is the default (QLIK_TUI_PROFILE, else `qlik-tui use`'s choice) and whether
its key works: GET /api/v1/users/me, then the key's own record for its status and expiry, as
`qlik-tui check` does. Exit codes as check's; 2 when there is no default profile."""


COMPLETION_DESCRIPTION = """\
Print a completion script for SHELL (commands, options and profile names), generated from
qlik-tui's own parser. Profile names are read from the profiles file when you press Tab (no key
store is touched). To install it:
  bash  echo 'eval "$(qlik-tui completion bash)"' >> ~/.bashrc
  zsh   qlik-tui completion zsh > "${fpath[1]}/_qlik-tui"   (then start a new shell)
  fish  qlik-tui completion fish > ~/.config/fish/completions/qlik-tui.fish"""
SHELLS = ["bash", "zsh", "fish"]


def add_habit_commands(commands: argparse._SubParsersAction[Any]) -> None:
    use = add_command(commands, "use", "choose the default profile", USE_DESCRIPTION)
    use.add_argument("name", nargs="?", metavar="NAME", help="the profile to use by default")
    use.add_argument("--clear", action="store_true", help="have no default profile")

    status = add_command(
        commands, "status", "the default profile and whether its key works", STATUS_DESCRIPTION
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    add_color_option(status)

    completion = add_command(
        commands, "completion", "print a shell completion script (bash, zsh, fish)",
        COMPLETION_DESCRIPTION,
    )  # fmt: skip
    completion.add_argument(
        "shell", nargs="?", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish"
    )
    # What the scripts call on Tab: the profile names, one a line (never a key store).
    completion.add_argument("--profile-names", action="store_true", help=argparse.SUPPRESS)
