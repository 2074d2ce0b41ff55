"""``qlik-tui revoke NAME KEY_ID...``: delete keys on the profile's tenant, showing each first.

The profile's own stored key is refused here: ``forget NAME --revoke`` removes it everywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error, explain_outcome
from qlik_tui.commands.stored_key import load_stored_key
from qlik_tui.core.models import ApiKeyRecord
from qlik_tui.core.outcomes import OutcomeKind, Verdict
from qlik_tui.core.untrusted import neutralise
from qlik_tui.services.context import Services
from qlik_tui.services.key_admin import revoke_keys
from qlik_tui.store.names import quoted_name


def run(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
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

    def shown(key_id: str, record: ApiKeyRecord | None) -> None:
        if args.json:
            return
        if record is None:
            print(f"  {key_id}: the tenant will not show this key; not deleted", file=stdout)
            return
        expiry = record.expiry.isoformat(timespec="minutes") if record.expiry else "unknown"
        description = neutralise(record.description or "", 60) or "(no description)"
        owner = (
            ""
            if record.sub == stored.key.info.subject
            else f", owner {neutralise(record.sub or '')}"
        )
        print(
            f"  {key_id}: {description}, {neutralise(record.status or '')}, "
            f"expires {expiry}{owner}",
            file=stdout,
        )

    if not args.json:
        print(f"Revoking on {stored.profile.origin}:", file=stdout)
    results = asyncio.run(
        revoke_keys(
            stored.tenant, stored.key, key_ids, settings=services.client_settings, on_shown=shown
        )
    )
    code = exits.OK
    for result in results:
        if result.removed:
            if not args.json:
                print(f"✓ deleted {result.key_id}", file=stdout)
            continue
        outcome = result.outcome
        if outcome is None:
            continue
        if not args.json:
            print(f"✗ {result.key_id} not deleted:", file=stderr)
            explain_outcome(outcome, stderr, indent="  ")
        if outcome.kind is OutcomeKind.NOT_FOUND:
            worse = exits.USAGE
        elif outcome.verdict is Verdict.REJECTED:
            worse = exits.REJECTED
        else:
            worse = exits.INCONCLUSIVE
        code = max(code, worse) if code != exits.REJECTED else code
    if args.json:
        entries = [
            {
                "key_id": r.key_id,
                "removed": r.removed,
                "description": r.record.description if r.record else None,
                "status": r.record.status if r.record else None,
                "outcome": r.outcome.kind.value if r.outcome else None,
            }
            for r in results
        ]
        json.dump(entries, stdout, indent=2)
        print(file=stdout)
    return code
