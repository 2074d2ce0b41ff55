"""``qlik-tui list`` and ``qlik-tui forget``: what is stored, and removing it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.colour import Painter, add_color_option
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from datetime import datetime

    from qlik_tui.services.context import Services
    from qlik_tui.store.profiles import Profile


def add_arguments(commands: Subcommands) -> None:
    listing = add_command(
        commands,
        "list",
        "list stored profiles",
        "List stored profiles: tenant, user, key id, where the key is kept (OS keyring or "
        "encrypted file) and last outcome.",
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add_color_option(listing)

    forget = add_command(
        commands,
        "forget",
        "remove profiles: key from its store, metadata from disk",
        "Remove profiles: the key from where it is kept (the OS keyring or the encrypted "
        "file; removing needs no passphrase) and the metadata from disk.",
    )
    forget.add_argument("names", nargs="*", metavar="NAME", help="profiles to remove")
    forget.add_argument("--all", action="store_true", help="remove every profile")
    forget.add_argument(
        "--revoke",
        action="store_true",
        help="first delete each key on its tenant (with the key itself), then forget it; a key "
        "the tenant cannot delete is kept",
    )
    forget.add_argument(
        "--yes",
        action="store_true",
        help="with --all or --revoke: go ahead without asking (for scripts). Without it they "
        "show what will be deleted and ask, and refuse without a terminal",
    )
    forget.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, call: Call) -> int:
    if args.command == "list":
        return run_list(args, call.services(), call.stdout, call.stderr)
    return run_forget(args, call.services(), call.stdout, call.stderr, call.stdin)


def run_list(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    import json
    from datetime import datetime, timezone

    from qlik_tui.commands.output import error, insecure_backend_notice, profile_json, store_label
    from qlik_tui.core.models import user_label
    from qlik_tui.store.profiles import ProfilesFileError

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
        now = datetime.now(timezone.utc)
        rows = [
            ("NAME", "KIND", "TENANT", "USER", "KEY/CLIENT ID", "EXPIRES", "STORED IN",
             "LAST OUTCOME")
        ]  # fmt: skip
        rows += [
            (
                p.name,
                p.credential.value,
                p.origin,
                user_label(p.user_email, p.user_name, p.user_id) or "-",
                (p.client_id if p.is_oauth_client else p.key_id) or "-",
                expiry_text(p, now),
                store_label(p),
                last_outcome_text(p),
            )
            for p in profiles
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        paint = Painter.for_stream(args, stdout)
        for number, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            if number:  # the last outcome's mark; the last column, so no padding to keep
                cells[-1] = paint.leading_mark(row[-1])
            print("  ".join(cells).rstrip(), file=stdout)
    insecure_backend_notice(services.secrets, stderr)
    return exits.OK


def expiry_text(profile: Profile, now: datetime) -> str:
    """The key's expiry as the tenant last said (``expiry`` in --json): the day, UTC, and the
    time left, e.g. "2026-12-20 (expires in 13 days)"; "-" when unknown."""
    from qlik_tui.core.expiry import describe_expiry
    from qlik_tui.core.timestamps import as_utc, parse_iso_datetime

    moment = parse_iso_datetime(profile.expiry)
    if moment is None:
        return "-"
    left = describe_expiry(moment, now=now).text
    return f"{as_utc(moment):%Y-%m-%d} ({left})"


def last_outcome_text(profile: Profile) -> str:
    """The last check's outcome as its title reads ("✓ Key works"), not its id."""
    from qlik_tui.core.outcomes import OutcomeKind, make_outcome
    from qlik_tui.store.key_stores import key_store_words

    if not profile.last_outcome:
        return "never checked"
    try:
        kind = OutcomeKind(profile.last_outcome)
    except ValueError:  # written by a newer qlik-tui: its id is all there is
        return profile.last_outcome
    what = "Client" if profile.is_oauth_client else "Key"
    outcome = make_outcome(kind, key_id=profile.key_id or "", what=what, **key_store_words(profile))
    return f"{outcome.mark} {outcome.title}"


def run_forget(
    args: argparse.Namespace,
    services: Services,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
) -> int:
    import json

    from qlik_tui.commands.output import error
    from qlik_tui.services.forgetting import forget_profile
    from qlik_tui.store.profiles import ProfilesFileError, quoted_name

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
    # With --json the sentences go to stderr and one record per profile to stdout.
    said = stderr if args.json else stdout
    if not names:
        print("No profiles to forget.", file=said)
        if args.json:
            print("[]", file=stdout)
        return exits.OK
    revoke = getattr(args, "revoke", False)
    if args.all or revoke:  # consent first: show what goes, ask (or --yes)
        from qlik_tui.commands.forget_revoke import consent_to_forget

        refused = consent_to_forget(
            services, names, revoke=revoke, yes=args.yes,
            stdin=stdin, stdout=stdout, stderr=stderr,
        )  # fmt: skip
        if refused is not None:
            return refused
    status = exits.OK
    records: list[dict[str, object]] = []
    for name in names:
        if getattr(args, "revoke", False):
            from qlik_tui.commands.forget_revoke import revoke_stored_key

            revoked = revoke_stored_key(services, name, said, stderr)
            if revoked != exits.OK:
                status = max(status, revoked)
                records.append({"name": name, "forgotten": False, "revoked": False})
                continue
        result = forget_profile(services, name)
        records.append(
            {
                "name": name,
                "forgotten": result.complete,
                "key_removed": result.key_removed,
                "profile_removed": result.profile_removed,
                "summary": result.summary(),
                "problem": result.problem,
                **({"revoked": True} if getattr(args, "revoke", False) else {}),
            }
        )
        if result.complete:
            print(result.summary(), file=said)
            continue
        status = exits.STORAGE
        error(stderr, result.summary())
        if result.problem:
            print(f"  problem: {result.problem}", file=stderr)
        if result.fix:
            print(f"  fix: {result.fix}", file=stderr)
    if args.json:
        json.dump(records, stdout, indent=2)
        print(file=stdout)
    return status
