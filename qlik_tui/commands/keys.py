"""``qlik-tui keys NAME``: the tenant's API keys of the profile's user; the stored one marked."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import DEFAULT_PROFILE_HELP, Call, Subcommands, add_command

if TYPE_CHECKING:
    from datetime import datetime

    from qlik_tui.commands.stored_key import StoredKey
    from qlik_tui.core.errors import QlikError
    from qlik_tui.core.models import ApiKeyRecord
    from qlik_tui.services.context import Services
    from qlik_tui.services.key_admin import KeyListing
    from qlik_tui.store.profiles import Profile


def explain_failure(exc: QlikError, stored: StoredKey, stderr: TextIO) -> int:
    from qlik_tui.commands.output import explain_outcome
    from qlik_tui.core.outcomes import Verdict, outcome_from_error
    from qlik_tui.core.untrusted import neutralise
    from qlik_tui.services.check import with_store_sentence

    outcome = outcome_from_error(exc, tenant=stored.tenant, key_info=stored.key.info)
    outcome = with_store_sentence(outcome, stored.profile.name)
    explain_outcome(outcome, stderr)
    if outcome.server_message:
        print(f"  tenant said: {neutralise(outcome.server_message or '')}", file=stderr)
    return exits.REJECTED if outcome.verdict is Verdict.REJECTED else exits.INCONCLUSIVE


DESCRIPTION = """\
List the API keys of profile NAME's user on its tenant (id, description, status, created,
expiry), newest first; the key stored in the profile is marked with *. --all-users lists every
user's keys (TenantAdmin only), with their owner."""
# keys' and revoke's exit codes.
EPILOG = exits.render(
    (
        (exits.OK, "listed (revoke: every key deleted)"),
        (
            exits.REJECTED,
            "the stored key was rejected, or not allowed (403, --all-users without TenantAdmin)",
        ),
        (
            exits.USAGE,
            "usage error, unknown profile, or (revoke) the profile's own key, an unknown key id, "
            "or the deletion not confirmed (declined, or no terminal and no --yes)",
        ),
        (
            exits.INCONCLUSIVE,
            "inconclusive: network, TLS, server error, rate limit or key store trouble",
        ),
        (exits.INTERNAL, "internal error (a bug in qlik-tui)"),
        (exits.INTERRUPTED, "interrupted"),
    )
)


def add_arguments(commands: Subcommands) -> None:
    keys = add_command(
        commands, "keys", "list the tenant's API keys of a profile's user", DESCRIPTION, EPILOG
    )
    keys.add_argument("name", nargs="?", metavar="NAME", help=DEFAULT_PROFILE_HELP)
    keys.add_argument("--all-users", action="store_true", help="every user's keys (TenantAdmin)")
    keys.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, call: Call) -> int:
    from qlik_tui.commands.default_profile import fill_in_name

    services = call.services()
    refused = fill_in_name(args, services.profiles, call.stderr)
    if refused is not None:
        return refused
    return list_tenant_keys(args, services, call.stdout, call.stderr)


def list_tenant_keys(
    args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO
) -> int:
    import asyncio
    import json

    from qlik_tui.commands.output import error
    from qlik_tui.commands.stored_key import load_stored_key
    from qlik_tui.commands.stray_lines import print_left_behind, strays_json
    from qlik_tui.core.errors import QlikError
    from qlik_tui.services.key_admin import NotTenantAdmin, list_keys
    from qlik_tui.services.strays import look_for_left_behind

    stored = load_stored_key(args.name, services, stderr)
    if isinstance(stored, int):
        return stored
    try:
        listing = asyncio.run(
            list_keys(
                stored.tenant,
                stored.key,
                all_users=args.all_users,
                settings=services.client_settings,
            )
        )
    except NotTenantAdmin as exc:
        error(stderr, str(exc))
        return exits.REJECTED
    except QlikError as exc:
        return explain_failure(exc, stored, stderr)
    stored_id = stored.key.info.key_id
    # Keys an unfinished renewal left: named here, deleted by the next rotate or renewal.
    found = asyncio.run(look_for_left_behind(services, args.name, delete=False))
    if args.json:
        answer = listing_json(listing, stored_id)
        answer["strays"] = strays_json(found.strays)
        json.dump(answer, stdout, indent=2)
        print(file=stdout)
    else:
        print_listing(listing, stored_id, stored.profile, stdout)
    print_left_behind(found, stderr)
    return exits.OK


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else "-"


def key_json(record: ApiKeyRecord, stored_id: str | None) -> dict[str, object]:
    return {
        "id": record.id,
        "description": record.description,
        "status": record.status,
        "created": record.created.isoformat() if record.created else None,
        "expiry": record.expiry.isoformat() if record.expiry else None,
        "owner": record.sub,
        "stored": record.id == stored_id,
    }


def listing_json(listing: KeyListing, stored_id: str | None) -> dict[str, object]:
    return {
        "user_id": listing.user.id,
        "tenant_id": listing.user.tenant_id,
        "all_users": listing.all_users,
        "complete": listing.complete,
        "keys": [key_json(r, stored_id) for r in listing.keys],
    }


def print_listing(
    listing: KeyListing, stored_id: str | None, profile: Profile, stdout: TextIO
) -> None:
    from qlik_tui.core.untrusted import neutralise

    user = listing.user
    whose = "all users" if listing.all_users else neutralise(user.email or user.name or "")
    print(f"API keys of {whose} on {profile.origin} ({len(listing.keys)} active):", file=stdout)
    header = ["", "ID", "DESCRIPTION", "STATUS", "CREATED", "EXPIRY"]
    if listing.all_users:
        header.append("OWNER")
    rows = [header]
    for record in listing.keys:
        row = [
            "*" if record.id == stored_id else "",
            record.id,
            neutralise(record.description or "", 40) or "-",
            neutralise(record.status or "") or "-",
            _when(record.created),
            _when(record.expiry),
        ]
        if listing.all_users:
            row.append("you" if record.sub == user.id else neutralise(record.sub or "") or "-")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=stdout)
    if stored_id and all(r.id != stored_id for r in listing.keys):
        print(f"The stored key {stored_id} is not among the active keys.", file=stdout)
    else:
        print("* the key stored in profile " + repr(profile.name), file=stdout)
    if not listing.complete:
        print(f"(stopped after {listing.pages} pages; more keys exist)", file=stdout)
