"""Which profile a command means when NAME is left out: ``QLIK_TUI_PROFILE``, else the default
kept in the profiles file (``qlik-tui use NAME``)."""

from __future__ import annotations

import argparse
import os
from enum import Enum
from typing import NamedTuple, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error
from qlik_tui.store.profiles import ProfilesFileError, ProfileStore

PROFILE_ENV = "QLIK_TUI_PROFILE"
NO_DEFAULT = (
    "name the profile ({usage}), or choose a default one with `qlik-tui use NAME` "
    f"or {PROFILE_ENV}=NAME; `qlik-tui list` shows the stored ones"
)


class DefaultSource(str, Enum):
    ENVIRONMENT = "environment"  # QLIK_TUI_PROFILE
    PROFILES_FILE = "profiles-file"  # qlik-tui use NAME


class DefaultProfile(NamedTuple):
    name: str
    source: DefaultSource

    @property
    def origin_text(self) -> str:
        if self.source is DefaultSource.ENVIRONMENT:
            return f"from {PROFILE_ENV}"
        return "set with `qlik-tui use`"


def default_profile(profiles: ProfileStore) -> DefaultProfile | None:
    """The default profile, if any. Raises ``ProfilesFileError`` (the file is read only when
    the environment names none)."""
    from_env = os.environ.get(PROFILE_ENV, "")
    if from_env:
        return DefaultProfile(from_env, DefaultSource.ENVIRONMENT)
    name = profiles.default_name()
    return None if name is None else DefaultProfile(name, DefaultSource.PROFILES_FILE)


def profile_name(
    given: str | None, profiles: ProfileStore, stderr: TextIO, *, usage: str
) -> str | int:
    """``given``, else the default profile's name; or the exit code after saying why there is
    none (``usage`` shows the command with NAME, e.g. "qlik-tui token NAME")."""
    if given is not None:
        return given
    try:
        chosen = default_profile(profiles)
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if chosen is None:
        error(stderr, "no profile given and no default profile: " + NO_DEFAULT.format(usage=usage))
        return exits.USAGE
    return chosen.name


def fill_in_name(args: argparse.Namespace, profiles: ProfileStore, stderr: TextIO) -> int | None:
    """Set ``args.name`` to the default profile's when NAME was left out (token, exec, rotate,
    keys); or return the exit code after saying why there is none."""
    name = profile_name(args.name, profiles, stderr, usage=f"qlik-tui {args.command} NAME")
    if isinstance(name, int):
        return name
    args.name = name
    return None
