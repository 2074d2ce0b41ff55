"""Sharper 401s: when a stored key is rejected and another stored key of the same user on the
same tenant still works, the working key reads the dead key's record, which says "revoked" or
"expired (at ...)" where a bare 401 cannot.

CONTRACT:
    same_owner(a: Profile, b: Profile) -> bool      same origin, user and key tenant
    await sharpen(services, dead, witnesses, clients) -> CheckResult
        ``dead`` itself, or with KEY_REJECTED replaced by KEY_REVOKED / KEY_EXPIRED when the
        first valid witness reads a record saying so (written to the profile); one request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone

import httpx

from qlik_tui.core.client import QlikClient
from qlik_tui.core.errors import QlikError
from qlik_tui.core.models import ApiKeyRecord, KeyStatus
from qlik_tui.core.outcomes import OutcomeKind, Verdict
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.services.check_results import CheckResult
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile, ProfilesFileError
from qlik_tui.store.secrets import StoreError


def same_owner(pa: Profile, pb: Profile) -> bool:
    return (
        pa.origin == pb.origin
        and bool(pa.user_id)
        and pa.user_id == pb.user_id
        and bool(pa.key_tenant_id)
        and pa.key_tenant_id == pb.key_tenant_id
    )


async def sharpen(
    services: Services,
    dead: CheckResult,
    witnesses: Sequence[CheckResult],
    clients: Mapping[str, httpx.AsyncClient],
) -> CheckResult:
    if dead.outcome.kind is not OutcomeKind.KEY_REJECTED or not dead.profile.key_id:
        return dead
    witness = next(
        (
            w
            for w in witnesses
            if w.outcome.verdict is Verdict.VALID
            and w.profile.name != dead.profile.name
            and same_owner(w.profile, dead.profile)
        ),
        None,
    )
    if witness is None:
        return dead
    record = await _record_of(services, witness, dead.profile.key_id, clients)
    return dead if record is None else await _explained(services, dead, record)


async def _record_of(
    services: Services,
    witness: CheckResult,
    key_id: str,
    clients: Mapping[str, httpx.AsyncClient],
) -> ApiKeyRecord | None:
    try:
        tenant = parse_tenant(witness.profile.origin)
        key = await asyncio.to_thread(
            services.secrets_for(witness.profile).load, witness.profile.name
        )
        async with QlikClient(
            tenant,
            key,
            settings=services.client_settings,
            http=clients.get(witness.profile.origin),
        ) as client:
            return (await client.api_key(key_id)).value
    except (QlikError, StoreError, TenantError):
        return None  # the record is a bonus: the generic 401 stands


async def _explained(services: Services, dead: CheckResult, record: ApiKeyRecord) -> CheckResult:
    now = datetime.now(timezone.utc)
    expired = record.status == KeyStatus.EXPIRED.value or (
        record.status != KeyStatus.REVOKED.value
        and record.expiry is not None
        and record.expiry <= now
    )
    if record.status == KeyStatus.REVOKED.value:
        kind, key_text = OutcomeKind.KEY_REVOKED, record.id
    elif expired:
        at = record.expiry.isoformat(timespec="minutes") if record.expiry else "an unknown time"
        kind, key_text = OutcomeKind.KEY_EXPIRED, f"{record.id} (expired at {at})"
    else:
        return dead
    old = dead.outcome
    outcome = replace(old, kind=kind, context={**old.context, "key_id": key_text})
    changes: dict[str, object] = {"last_outcome": kind.value, "key_status": record.status}
    if record.expiry:
        changes["expiry"] = record.expiry.isoformat()
    try:
        profile = await asyncio.to_thread(services.profiles.update, dead.profile.name, **changes)
    except (ProfilesFileError, LookupError):
        profile = dead.profile
    return CheckResult(profile, outcome, dead.user)
