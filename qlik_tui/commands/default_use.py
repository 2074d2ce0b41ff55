"""``qlik-tui use [NAME]`` and ``qlik-tui status``: the default profile, and whether it works."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.colour import Painter, add_color_option
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.commands.default_profile import DefaultProfile
    from qlik_tui.services.context import Services


USE_DESCRIPTION = """\
Make NAME the default profile: token, exec, rotate and keys then work without NAME, and
`qlik-tui status` checks it. It is kept in the profiles file; QLIK_TUI_PROFILE, when set, wins
over it (inside `qlik-tui exec` it names the profile exec runs with). Without NAME, print the
default profile's name."""

STATUS_DESCRIPTION = """\
Say which profile is the default (QLIK_TUI_PROFILE, else `qlik-tui use`'s choice) and whether
its key works: GET /api/v1/users/me, then the key's own record for its status and expiry, as
`qlik-tui check` does. Exit codes as check's; 2 when there is no default profile."""


def add_arguments(commands: Subcommands) -> None:
    use = add_command(commands, "use", "choose the default profile", USE_DESCRIPTION)
    use.add_argument("name", nargs="?", metavar="NAME", help="the profile to use by default")
    use.add_argument("--clear", action="store_true", help="have no default profile")

    status = add_command(
        commands, "status", "the default profile and whether its key works", STATUS_DESCRIPTION
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    add_color_option(status)


def run(args: argparse.Namespace, call: Call) -> int:
    from qlik_tui.commands.output import error
    from qlik_tui.store.profiles import ProfilesFileError

    services, stdout, stderr = call.services(), call.stdout, call.stderr
    try:
        if args.command == "use":
            return _use(args, services, stdout, stderr)
        return _status(args, services, stdout, stderr)
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE


def _use(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    from qlik_tui.commands.default_profile import PROFILE_ENV
    from qlik_tui.commands.output import error
    from qlik_tui.store.profiles import ProfileNotFound, quoted_name

    if args.clear and args.name is not None:
        error(stderr, "name a profile or pass --clear, not both")
        return exits.USAGE
    if args.name is None and not args.clear:
        chosen = services.profiles.default_name()
        if chosen is None:
            error(stderr, "no default profile: choose one with `qlik-tui use NAME`")
            return exits.USAGE
        print(chosen, file=stdout)
        return exits.OK
    try:
        services.profiles.set_default(args.name)
    except ProfileNotFound:
        shown = quoted_name(args.name)
        error(stderr, f"no profile named {shown}: `qlik-tui list` shows the stored ones")
        return exits.USAGE
    if args.name is None:
        print("No default profile now.", file=stdout)
    else:
        print(f"Default profile: {quoted_name(args.name)}.", file=stdout)
    overriding = os.environ.get(PROFILE_ENV, "")
    if overriding and overriding != args.name:
        print(
            f"Note: {PROFILE_ENV} is set (to {quoted_name(overriding)}) and wins in this shell.",
            file=stderr,
        )
    return exits.OK


def _status(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    from datetime import datetime, timezone

    from qlik_tui.commands.default_profile import PROFILE_ENV, DefaultSource, default_profile
    from qlik_tui.commands.output import error
    from qlik_tui.store.profiles import quoted_name

    chosen = default_profile(services.profiles)
    if chosen is None:
        if args.json:
            _print_json(None, None, stdout)
        error(stderr, f"no default profile: choose one with `qlik-tui use NAME` or {PROFILE_ENV}")
        return exits.USAGE
    profile = services.profiles.get(chosen.name)
    if profile is None:
        if args.json:
            _print_json(chosen, None, stdout)
        where = f"{PROFILE_ENV} names" if chosen.source is DefaultSource.ENVIRONMENT else "is"
        error(
            stderr,
            f"the default profile {where} {quoted_name(chosen.name)}, which is not stored: "
            "`qlik-tui list` shows the stored ones",
        )
        return exits.USAGE

    import asyncio

    from qlik_tui.commands.check import (
        DEFAULT_DEADLINE_S,
        print_lines,
        result_json,
        unlock_for_check,
    )
    from qlik_tui.services.check import check_profiles, with_store_command

    unlock_for_check(services, [profile], stderr)
    checked = asyncio.run(check_profiles(services, [profile], deadline_s=DEFAULT_DEADLINE_S))
    result = with_store_command(checked[0])
    now, warn_below = datetime.now(timezone.utc), services.expiry_warning
    if args.json:
        _print_json(chosen, result_json(result, now, warn_below), stdout)
    else:
        print(f"Default profile: {quoted_name(chosen.name)} ({chosen.origin_text})", file=stdout)
        paint = Painter.for_stream(args, stdout)
        print_lines([result], now, warn_below, stdout, indent="  ", paint=paint)
    return exits.for_verdicts([result.outcome.verdict])


def _print_json(
    chosen: DefaultProfile | None, check: dict[str, object] | None, stdout: TextIO
) -> None:
    """``default`` and its ``source`` (null: none), and ``check``: as one of `check --json`'s
    entries (null: not checked)."""
    import json

    payload = {
        "default": chosen.name if chosen else None,
        "source": chosen.source.value if chosen else None,
        "check": check,
    }
    json.dump(payload, stdout, indent=2)
    print(file=stdout)
