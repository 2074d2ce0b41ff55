"""Turn a verified key into a stored profile: the key into the keyring, the rest into profiles.

The caller keeps the key until ``store_login`` returns: if the keyring refuses, a ``StoreError``
propagates and the key is still in the caller's hands (see ``rescue.py`` for the user's choices).
"""

from __future__ import annotations

from collections.abc import Iterable

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.context import Services
from qlik_tui.services.verify import VerifyReport
from qlik_tui.store.profiles import Profile, ProfileStore, now_iso


def default_profile_name(tenant: Tenant) -> str:
    return tenant.display_host


def learnt_tenant_ids(profiles: Iterable[Profile]) -> dict[str, str]:
    """origin -> tenant id, from profiles whose key was valid there at their last check."""
    return {
        p.origin: p.key_tenant_id
        for p in profiles
        if p.key_tenant_id and p.last_outcome == OutcomeKind.VALID.value
    }


def known_tenant_id(profiles: ProfileStore, tenant: Tenant) -> str | None:
    """The tenant id learnt from an earlier valid key on the same origin, if any."""
    return learnt_tenant_ids(profiles.all()).get(tenant.origin)


def profile_from_report(
    name: str, tenant: Tenant, key: ApiKey, report: VerifyReport | None, backend: str
) -> Profile:
    info = key.info
    user = report.user if report else None
    record = report.key_record if report else None
    now = now_iso()
    return Profile(
        name=name,
        origin=tenant.origin,
        key_id=info.key_id,
        key_tenant_id=info.tenant_id,
        user_id=user.id if user else info.subject,
        user_name=user.name if user else None,
        user_email=user.email if user else None,
        roles=tuple(role.name for role in user.roles) if user else (),
        created_at=now,
        last_checked_at=now if report else None,
        last_outcome=report.outcome.kind.value if report else None,
        expiry=record.expiry.isoformat() if record and record.expiry else None,
        key_status=record.status if record else None,
        backend=backend,
    )


def store_login(
    services: Services,
    *,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
) -> Profile:
    """Store the key, then its metadata. Raises ``StoreError`` / ``ProfilesFileError``.

    Blocking (keyring and file I/O): call it from a worker thread in the TUI.
    """
    services.secrets.save(name, key)
    profile = profile_from_report(name, tenant, key, report, services.secrets.backend_name)
    services.profiles.put(profile)
    return profile


def forget_profile(services: Services, name: str) -> tuple[bool, bool]:
    """Remove a profile's key and metadata. Returns (key removed, metadata removed)."""
    key_removed = services.secrets.delete(name)
    metadata_removed = services.profiles.remove(name)
    return key_removed, metadata_removed
