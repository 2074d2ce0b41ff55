"""``forget NAME --revoke``: delete the stored key on its tenant before forgetting it; and the
consent ``forget --all`` and ``forget --revoke`` ask for first (``commands.consent``)."""

from __future__ import annotations

import asyncio
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.consent import confirmed
from qlik_tui.commands.output import error, explain_outcome, store_label
from qlik_tui.commands.stored_key import StoredKey, load_stored_key
from qlik_tui.core.client import QlikClient
from qlik_tui.core.errors import KeyRejected, NotFound, QlikError
from qlik_tui.core.models import ApiKeyRecord
from qlik_tui.core.outcomes import Verdict, outcome_from_error
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.core.untrusted import neutralise
from qlik_tui.services.context import Services
from qlik_tui.services.shared_keys import holders, names_of
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import Profile, ProfilesFileError
from qlik_tui.store.secrets import StoreError


def revoke_stored_key(services: Services, name: str, stdout: TextIO, stderr: TextIO) -> int:
    """OK when the key is gone from the tenant (deleted now, or already unknown or dead there);
    otherwise the exit code after saying why (the profile is then kept)."""
    stored = load_stored_key(name, services, stderr)
    if isinstance(stored, int):
        return stored
    key_id = stored.key.info.key_id
    if not key_id:
        error(stderr, f"the key of {quoted_name(name)} has no id to delete; nothing was removed")
        return exits.USAGE
    failure = asyncio.run(_delete(stored, key_id, services))
    if failure is None:
        print(f"Deleted key {key_id} on {stored.profile.origin}.", file=stdout)
        return exits.OK
    if isinstance(failure, (NotFound, KeyRejected)):
        print(f"Key {key_id} no longer works on {stored.profile.origin}.", file=stdout)
        return exits.OK
    outcome = outcome_from_error(failure, tenant=stored.tenant, key_info=stored.key.info)
    error(stderr, f"key {key_id} could not be deleted on the tenant; {quoted_name(name)} is kept")
    explain_outcome(outcome, stderr, indent="  ")
    return exits.REJECTED if outcome.verdict is Verdict.REJECTED else exits.INCONCLUSIVE


async def _delete(stored: StoredKey, key_id: str, services: Services) -> QlikError | None:
    try:
        async with QlikClient(
            stored.tenant, stored.key, settings=services.client_settings
        ) as client:
            await client.delete_api_key(key_id)
    except QlikError as exc:
        return exc
    return None


def consent_to_forget(
    services: Services,
    names: list[str],
    *,
    revoke: bool,
    yes: bool,
    stdin: TextIO | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int | None:
    """Show what ``forget`` (``--all`` / ``--revoke``) will delete and ask; None: go ahead."""
    try:
        everyone = services.profiles.all()
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    chosen = [p for p in everyone if p.name in names]
    records = asyncio.run(_records(services, chosen)) if revoke else {}
    where = "on its tenant and from this machine" if revoke else "from this machine"
    print(f"To be deleted {where}:", file=stdout)
    for profile in chosen:
        print(f"  {forget_line(profile, records.get(profile.name))}", file=stdout)
        others = [
            p
            for p in holders(everyone, origin=profile.origin, key_id=profile.key_id)
            if p.name not in names
        ]
        if others and revoke:
            print(
                f"    also stored in profile {names_of(others)}: it stops working too", file=stdout
            )
        elif others:
            print(f"    also stored in profile {names_of(others)}, which keeps it", file=stdout)
    verb = "Revoke the keys and forget" if revoke else "Forget"
    command = "forget --revoke" if revoke else "forget --all"
    question = f"{verb} {len(chosen)} profile(s)?"
    return confirmed(question, yes=yes, command=command, stdin=stdin, stderr=stderr)


def forget_line(profile: Profile, record: ApiKeyRecord | None) -> str:
    description = "description not read"
    if record is not None:
        description = neutralise(record.description or "", 60) or "no description"
    expiry = profile.expiry or "expiry unknown"
    if record is not None and record.expiry is not None:
        expiry = record.expiry.isoformat(timespec="minutes")
    return (
        f"{quoted_name(profile.name)}: key {profile.key_id or '(no key id)'} ({description}), "
        f"expires {expiry}, stored in {store_label(profile)}"
    )


async def _records(services: Services, profiles: list[Profile]) -> dict[str, ApiKeyRecord]:
    """Each profile's key record, read with its own key (what is about to be revoked)."""

    async def one(profile: Profile) -> tuple[str, ApiKeyRecord | None]:
        if not profile.key_id:
            return profile.name, None
        try:
            tenant = parse_tenant(profile.origin)
            key = await asyncio.to_thread(services.secrets_for(profile).load, profile.name)
            async with QlikClient(tenant, key, settings=services.client_settings) as client:
                return profile.name, (await client.api_key(profile.key_id)).value
        except (QlikError, StoreError, TenantError):
            return profile.name, None  # the revoke itself then says what is wrong

    found = await asyncio.gather(*(one(p) for p in profiles))
    return {name: record for name, record in found if record is not None}
