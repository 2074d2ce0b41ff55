"""``qlik-tui revoke NAME KEY_ID...``: delete keys on the profile's tenant, showing each first
and asking (``--yes`` for scripts; refused without a terminal, see ``commands.consent``).

The profile's own stored key is refused here: ``forget NAME --revoke`` removes it everywhere.
A key another profile stores is named with that profile: revoking it stops that profile too.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits, keys
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.core.models import ApiKeyRecord
    from qlik_tui.services.context import Services
    from qlik_tui.services.key_admin import Revocation
    from qlik_tui.store.profiles import Profile


DESCRIPTION = """\
Delete the keys KEY_ID... on profile NAME's tenant, using its stored key: your own keys, or any
user's as a TenantAdmin (another user's key is then revoked). Each key is shown first (id,
description, status, expiry, and the other profiles that store it), then you are asked; --yes
answers for scripts, and without a terminal and without --yes nothing is deleted (exit 2). The
profile's own stored key is refused: `qlik-tui forget NAME --revoke` deletes it on the tenant
and then forgets it locally."""


def add_arguments(commands: Subcommands) -> None:
    revoke = add_command(
        commands, "revoke", "delete API keys on a profile's tenant", DESCRIPTION, keys.EPILOG
    )
    revoke.add_argument("name", metavar="NAME", help="the profile whose key does the deleting")
    revoke.add_argument("key_ids", nargs="+", metavar="KEY_ID", help="ids of the keys to delete")
    revoke.add_argument("--json", action="store_true", help="machine-readable output")
    revoke.add_argument(
        "--yes", action="store_true", help="delete without asking (for scripts; see above)"
    )


def run(args: argparse.Namespace, call: Call) -> int:
    return revoke(args, call.services(), call.stdout, call.stderr, call.stdin)


def revoke(
    args: argparse.Namespace,
    services: Services,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
) -> int:
    import asyncio
    import json
    import shlex

    from qlik_tui.commands.consent import confirmed
    from qlik_tui.commands.output import error
    from qlik_tui.commands.stored_key import load_stored_key
    from qlik_tui.services.key_admin import revoke_keys
    from qlik_tui.services.shared_keys import holders, names_of
    from qlik_tui.store.names import quoted_name
    from qlik_tui.store.profiles import ProfilesFileError

    stored = load_stored_key(args.name, services, stderr)
    if isinstance(stored, int):
        return stored
    key_ids = list(dict.fromkeys(args.key_ids))
    own = stored.key.info.key_id
    if own in key_ids:
        error(
            stderr,
            f"key {own} is the key stored in profile {quoted_name(args.name)}; revoking it here "
            "would leave "
            "the profile with a dead key. To delete it on the tenant and forget it locally run: "
            f"qlik-tui forget {shlex.quote(args.name)} --revoke",
        )
        return exits.USAGE
    try:
        everyone = services.profiles.all()
    except ProfilesFileError:
        everyone = [stored.profile]  # it was just read: the holders are named when it reads

    def held_by(key_id: str) -> tuple[Profile, ...]:
        return holders(everyone, origin=stored.profile.origin, key_id=key_id, besides=args.name)

    def shown(key_id: str, record: ApiKeyRecord | None) -> None:
        if args.json or record is None:  # an unreadable key is explained once, below
            return
        print(f"  {key_line(record, stored.key.info.subject)}", file=stdout)
        others = held_by(key_id)
        if others:
            print(
                f"    stored in profile {names_of(others)}: revoking it stops "
                f"{'that profile' if len(others) == 1 else 'those profiles'} too",
                file=stdout,
            )

    def approve(records: list[ApiKeyRecord]) -> bool:
        shared = sorted({p.name for r in records for p in held_by(r.id)})
        also = f" ({len(shared)} other profile(s) store them)" if shared else ""
        question = f"Delete {len(records)} key(s) on {stored.profile.origin}{also}?"
        refused = confirmed(question, yes=args.yes, command="revoke", stdin=stdin, stderr=stderr)
        return refused is None

    if not args.json:
        print(f"Revoking on {stored.profile.origin}:", file=stdout)
    results = asyncio.run(
        revoke_keys(
            stored.tenant,
            stored.key,
            key_ids,
            settings=services.client_settings,
            on_shown=shown,
            approve=approve,
            profile_name=args.name,
        )
    )
    if args.json:
        json.dump([result_json(r, held_by(r.key_id)) for r in results], stdout, indent=2)
        print(file=stdout)
    return report(results, args.json, stdout, stderr)


def key_line(record: ApiKeyRecord, own_subject: str | None) -> str:
    from qlik_tui.core.untrusted import neutralise

    expiry = record.expiry.isoformat(timespec="minutes") if record.expiry else "unknown"
    description = neutralise(record.description or "", 60) or "(no description)"
    owner = "" if record.sub == own_subject else f", owner {neutralise(record.sub or '')}"
    return f"{record.id}: {description}, {neutralise(record.status or '')}, expires {expiry}{owner}"


def report(results: list[Revocation], as_json: bool, stdout: TextIO, stderr: TextIO) -> int:
    """Each result's line (unless ``as_json``) and the exit code of the whole run."""
    from qlik_tui.commands.output import explain_outcome
    from qlik_tui.core.outcomes import OutcomeKind, Verdict

    code = exits.OK
    for result in results:
        if result.removed:
            if not as_json:
                print(f"✓ deleted {result.key_id}", file=stdout)
            continue
        if result.declined:
            code = max(code, exits.USAGE) if code != exits.REJECTED else code
            continue
        outcome = result.outcome
        if outcome is None:
            continue
        if not as_json:
            print(f"✗ {result.key_id} not deleted:", file=stderr)
            explain_outcome(outcome, stderr, indent="  ")
        if outcome.kind is OutcomeKind.KEY_ID_UNKNOWN:
            worse = exits.USAGE
        elif outcome.verdict is Verdict.REJECTED:
            worse = exits.REJECTED
        else:
            worse = exits.INCONCLUSIVE
        code = max(code, worse) if code != exits.REJECTED else code
    return code


def result_json(result: Revocation, others: tuple[Profile, ...]) -> dict[str, object]:
    return {
        "key_id": result.key_id,
        "removed": result.removed,
        "declined": result.declined,
        "description": result.record.description if result.record else None,
        "status": result.record.status if result.record else None,
        "stored_in_profiles": [p.name for p in others],
        "outcome": result.outcome.kind.value if result.outcome else None,
    }
