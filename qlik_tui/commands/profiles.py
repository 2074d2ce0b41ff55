"""``qlik-tui list`` and ``qlik-tui forget``: what is stored, and removing it."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import (
    error,
    insecure_backend_notice,
    profile_json,
    store_label,
)
from qlik_tui.core.models import user_label
from qlik_tui.core.outcomes import OutcomeKind, make_outcome
from qlik_tui.services.context import Services
from qlik_tui.services.forgetting import forget_profile
from qlik_tui.store.key_stores import key_store_words
from qlik_tui.store.profiles import Profile, ProfilesFileError, quoted_name


def run_list(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    try:
        profiles = services.profiles.all()
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if args.json:
        json.dump([profile_json(p) for p in profiles], stdout, indent=2)
        print(file=stdout)
    elif not profiles:
        print("No profiles yet. Run `qlik-tui` to set one up, or `qlik-tui login`.", file=stdout)
    else:
        rows = [("NAME", "KIND", "TENANT", "USER", "KEY/CLIENT ID", "STORED IN", "LAST OUTCOME")]
        rows += [
            (
                p.name,
                p.credential.value,
                p.origin,
                user_label(p.user_email, p.user_name, p.user_id) or "-",
                (p.client_id if p.is_oauth_client else p.key_id) or "-",
                store_label(p),
                last_outcome_text(p),
            )
            for p in profiles
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            print("  ".join(cells).rstrip(), file=stdout)
    insecure_backend_notice(services.secrets, stderr)
    return exits.OK


def last_outcome_text(profile: Profile) -> str:
    """The last check's outcome as its title reads ("✓ Key works"), not its id."""
    if not profile.last_outcome:
        return "never checked"
    try:
        kind = OutcomeKind(profile.last_outcome)
    except ValueError:  # written by a newer qlik-tui: its id is all there is
        return profile.last_outcome
    what = "Client" if profile.is_oauth_client else "Key"
    outcome = make_outcome(kind, key_id=profile.key_id or "", what=what, **key_store_words(profile))
    return f"{outcome.mark} {outcome.title}"


def run_forget(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    if args.names and args.all:
        error(stderr, "name the profiles to forget or pass --all, not both")
        return exits.USAGE
    if not args.names and not args.all:
        error(stderr, "name the profiles to forget, or pass --all")
        return exits.USAGE
    try:
        known = {p.name for p in services.profiles.all()}
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        print("Nothing was removed.", file=stderr)
        return exits.STORAGE
    names = sorted(known) if args.all else args.names
    unknown = [n for n in names if n not in known]
    if unknown:
        error(stderr, f"no profile named {', '.join(quoted_name(n) for n in unknown)}")
        return exits.USAGE
    if not names:
        print("No profiles to forget.", file=stdout)
        return exits.OK
    status = exits.OK
    for name in names:
        if getattr(args, "revoke", False):
            from qlik_tui.commands.forget_revoke import revoke_stored_key

            revoked = revoke_stored_key(services, name, stdout, stderr)
            if revoked != exits.OK:
                status = max(status, revoked)
                continue
        result = forget_profile(services, name)
        if result.complete:
            print(result.summary(), file=stdout)
            continue
        status = exits.STORAGE
        error(stderr, result.summary())
        if result.problem:
            print(f"  problem: {result.problem}", file=stderr)
        if result.fix:
            print(f"  fix: {result.fix}", file=stderr)
    return status
