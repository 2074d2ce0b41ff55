"""``scan --verify``: is a found API key live? Asked only of a tenant the user has a profile for.

CONTRACT:
    verify_findings(findings, profiles, settings) -> dict[str, LeakCheck]   # key id -> check

Where a request may go: a finding's ``tenantId`` claim is matched against the tenant ids the
profiles' origins answered with (``services.login.learnt_tenant_ids``); the request goes to that
profile's origin, and nowhere else. A host named
in the scanned file is never contacted; a key of a tenant without a profile is not checked at
all (``LeakStatus.NOT_CHECKED``). Each key is asked about once (``GET /api-keys/{its id}``, with
the key itself), however many places hold it. When the tenant rejects the key (401: revoked or
expired, it does not say which) and the profile's own key belongs to the same user, the key's
record is asked for with the stored key (``load_stored``): its status, or 404 for a key its
owner deleted (revoked).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.core.client import ClientSettings, QlikClient
from qlik_tui.core.errors import KeyRejected, NotFound, QlikError
from qlik_tui.core.models import ApiKeyRecord, KeyStatus
from qlik_tui.core.outcomes import outcome_from_error
from qlik_tui.core.scan import Finding, FindingKind
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.login import learnt_tenant_ids
from qlik_tui.store.errors import StoreError
from qlik_tui.store.profiles import Profile

if TYPE_CHECKING:
    from qlik_tui.services.context import Services

LoadStored = Callable[[Profile], "ApiKey | None"]


def load_stored_key(services: Services, profile: Profile) -> ApiKey | None:
    """The profile's stored key, or None when it cannot be read (a locked encrypted file is
    not unlocked for a scan: the fallback it serves is optional)."""
    try:
        return services.secrets_for(profile).load(profile.name)
    except StoreError:
        return None


CONCURRENCY = 8


class LeakStatus(str, Enum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    REJECTED = "rejected"  # the tenant refuses the key: revoked or expired, it does not say
    UNKNOWN = "unknown"  # the tenant could not tell (network, 403, 5xx ...)
    NOT_CHECKED = "not-checked"  # no profile for its tenant: nothing was asked anywhere


@dataclass(frozen=True)
class LeakCheck:
    status: LeakStatus
    profile: str | None = None  # the profile whose tenant was asked
    expiry: str | None = None  # ISO 8601, when the tenant said
    reason: str | None = None  # for UNKNOWN: the outcome's title


def profile_for_tenant(tenant_id: str | None, profiles: Sequence[Profile]) -> Profile | None:
    """The first profile whose origin is known to be the tenant ``tenant_id``."""
    if not tenant_id:
        return None
    learnt = learnt_tenant_ids(profiles)
    return next((p for p in profiles if learnt.get(p.origin) == tenant_id), None)


def verify_findings(
    findings: Sequence[Finding],
    profiles: Sequence[Profile],
    settings: ClientSettings | None = None,
    load_stored: LoadStored | None = None,
) -> dict[str, LeakCheck]:
    """A check per distinct API key id among ``findings``. ``load_stored`` reads a profile's
    stored key (blocking; run in a thread), None when it cannot."""
    unique: dict[str, Finding] = {}
    for finding in findings:
        if finding.kind is FindingKind.API_KEY and finding.key_id:
            unique.setdefault(finding.key_id, finding)
    settings = settings or ClientSettings()
    return asyncio.run(_verify_all(list(unique.values()), profiles, settings, load_stored))


async def _verify_all(
    findings: list[Finding],
    profiles: Sequence[Profile],
    settings: ClientSettings,
    load_stored: LoadStored | None,
) -> dict[str, LeakCheck]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(finding: Finding) -> tuple[str, LeakCheck]:
        async with limit:
            check = await _verify_one(finding, profiles, settings, load_stored)
            return str(finding.key_id), check

    return dict(await asyncio.gather(*(one(finding) for finding in findings)))


async def _verify_one(
    finding: Finding,
    profiles: Sequence[Profile],
    settings: ClientSettings,
    load_stored: LoadStored | None,
) -> LeakCheck:
    profile = profile_for_tenant(finding.tenant_id, profiles)
    if profile is None or not finding.key_id:
        return LeakCheck(LeakStatus.NOT_CHECKED)
    try:
        tenant = parse_tenant(profile.origin)
        key = parse_key(finding.secret.reveal())
    except (TenantError, KeyFormatError):
        reason = "the profile's tenant address is unusable"
        return LeakCheck(LeakStatus.UNKNOWN, profile.name, reason=reason)
    try:
        async with QlikClient(tenant, key, settings=settings) as client:
            record = (await client.api_key(finding.key_id)).value
    except KeyRejected:
        same_user = load_stored is not None and profile.user_id == finding.subject
        if not same_user or load_stored is None:
            return LeakCheck(LeakStatus.REJECTED, profile.name)
        return await _ask_with_stored_key(finding, profile, tenant, settings, load_stored)
    except QlikError as exc:
        reason = outcome_from_error(exc, tenant=tenant, key_info=key.info).title
        return LeakCheck(LeakStatus.UNKNOWN, profile.name, reason=reason)
    return _check_of(record, profile)


async def _ask_with_stored_key(
    finding: Finding,
    profile: Profile,
    tenant: Tenant,
    settings: ClientSettings,
    load_stored: LoadStored,
) -> LeakCheck:
    stored = await asyncio.to_thread(load_stored, profile)
    if stored is None:
        return LeakCheck(LeakStatus.REJECTED, profile.name)
    try:
        async with QlikClient(tenant, stored, settings=settings) as client:
            record = (await client.api_key(str(finding.key_id))).value
    except NotFound:  # its owner deleted it
        return LeakCheck(LeakStatus.REVOKED, profile.name)
    except QlikError:
        return LeakCheck(LeakStatus.REJECTED, profile.name)
    return _check_of(record, profile)


def _check_of(record: ApiKeyRecord, profile: Profile) -> LeakCheck:
    expiry = record.expiry.isoformat() if record.expiry else None
    statuses = {
        KeyStatus.ACTIVE.value: LeakStatus.ACTIVE,
        KeyStatus.REVOKED.value: LeakStatus.REVOKED,
        KeyStatus.EXPIRED.value: LeakStatus.EXPIRED,
    }
    return LeakCheck(statuses.get(record.status or "", LeakStatus.UNKNOWN), profile.name, expiry)
