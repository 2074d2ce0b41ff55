"""Re-validate stored profiles, many at once: one HTTP client per tenant origin, bounded.

Each result is an outcome from the core's table plus latency, user and expiry, and is written
back to the profile metadata (last checked, outcome, expiry).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack

import httpx

from qlik_tui.core.client import make_http_client
from qlik_tui.core.models import ApiKeyRecord
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.services.context import Services
from qlik_tui.services.login import learnt_tenant_ids
from qlik_tui.services.results import CheckResult as CheckResult
from qlik_tui.services.results import Detail, VerifyReport
from qlik_tui.services.verify import verify_key
from qlik_tui.store.profiles import Profile, ProfilesFileError, now_iso
from qlik_tui.store.secrets import KeyNotFound, StoreError

ResultCallback = Callable[[CheckResult], None]
StartCallback = Callable[[Profile], None]


async def check_profiles(
    services: Services,
    profiles: Sequence[Profile],
    *,
    on_start: StartCallback | None = None,
    on_result: ResultCallback | None = None,
) -> list[CheckResult]:
    """Check every profile; results come back in the order of ``profiles``."""
    limit = asyncio.Semaphore(max(1, services.check_concurrency))
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        tenant_ids = learnt_tenant_ids(profiles)
        for profile in profiles:
            if profile.origin not in clients:
                clients[profile.origin] = await stack.enter_async_context(
                    make_http_client(services.client_settings)
                )

        async def one(profile: Profile) -> CheckResult:
            async with limit:
                if on_start:
                    on_start(profile)
                result = await check_one(
                    services,
                    profile,
                    http=clients[profile.origin],
                    known_tenant_id=tenant_ids.get(profile.origin),
                )
            if on_result:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(p) for p in profiles)))


async def check_one(
    services: Services,
    profile: Profile,
    *,
    http: httpx.AsyncClient | None = None,
    known_tenant_id: str | None = None,
) -> CheckResult:
    try:
        tenant = parse_tenant(profile.origin)
    except TenantError as exc:
        outcome = make_outcome(OutcomeKind.MALFORMED_RESPONSE, detail=str(exc))
        return CheckResult(profile, outcome)
    try:
        key = await asyncio.to_thread(services.secrets.load, profile.name)
    except KeyNotFound:
        outcome = make_outcome(
            OutcomeKind.KEY_NOT_STORED, tenant=tenant, backend=_backend(services)
        )
        return await _record(services, profile, outcome, None)
    except StoreError as exc:
        outcome = make_outcome(OutcomeKind.KEYRING_UNAVAILABLE, tenant=tenant, detail=exc.problem)
        return await _record(services, profile, outcome, None)
    report = await verify_key(
        tenant,
        key,
        settings=services.client_settings,
        http=http,
        detail=Detail.KEY_RECORD,
        known_tenant_id=known_tenant_id,
        remembered_record=remembered_record(profile),
    )
    return await _record(services, profile, report.outcome, report)


def remembered_record(profile: Profile) -> ApiKeyRecord | None:
    """What the last check learnt of the key: lets a 401 past the expiry read "expired"."""
    if not profile.key_id or not (profile.key_status or profile.expiry):
        return None
    return ApiKeyRecord(
        id=profile.key_id, status=profile.key_status, expiry=parse_iso_datetime(profile.expiry)
    )


def _backend(services: Services) -> str:
    try:
        return services.secrets.backend_name
    except StoreError:
        return "the OS keyring"


async def _record(
    services: Services, profile: Profile, outcome: Outcome, report: VerifyReport | None
) -> CheckResult:
    changes: dict[str, object] = {
        "last_checked_at": now_iso(),
        "last_outcome": outcome.kind.value,
    }
    user = report.user if report else None
    if user:
        changes.update(user_id=user.id, user_name=user.name, user_email=user.email)
        changes["roles"] = tuple(role.name for role in user.roles)
    record = report.key_record if report else None
    if record:
        changes["key_status"] = record.status
        changes["expiry"] = record.expiry.isoformat() if record.expiry else None
        changes["key_created"] = record.created.isoformat() if record.created else None
    try:
        updated = await asyncio.to_thread(services.profiles.update, profile.name, **changes)
    except (ProfilesFileError, LookupError):  # LookupError: removed meanwhile
        updated = profile  # the check result stands even when the metadata cannot be saved
    return CheckResult(updated, outcome, user)
