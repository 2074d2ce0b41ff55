"""Logging in: the default profile name, what earlier logins taught us, and a shorthand for
storing a proven key (the all-or-nothing store itself is ``services.storing``).

The caller keeps the key until storing returns: if it fails, the key is still in the caller's
hands (see ``rescue.py`` for the user's choices).
"""

from __future__ import annotations

from collections.abc import Iterable

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.context import Services
from qlik_tui.services.verify import VerifyReport
from qlik_tui.store.profiles import Profile, ProfileStore


def default_profile_name(tenant: Tenant) -> str:
    return tenant.display_host


def learnt_tenant_ids(profiles: Iterable[Profile]) -> dict[str, str]:
    """origin -> tenant id: the id a valid answer once gave (kept on the profile whatever its
    later outcomes), else the key's tenant of a profile valid at its last check."""
    profiles = list(profiles)
    learnt = {
        p.origin: p.key_tenant_id
        for p in profiles
        if p.key_tenant_id and p.last_outcome == OutcomeKind.VALID.value
    }
    learnt.update({p.origin: p.tenant_id for p in profiles if p.tenant_id})
    return learnt


def known_tenant_id(profiles: ProfileStore, tenant: Tenant) -> str | None:
    """The tenant id learnt from an earlier valid key on the same origin, if any."""
    return learnt_tenant_ids(profiles.all()).get(tenant.origin)


def store_login(
    services: Services,
    *,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
) -> Profile:
    """Store the key under ``name``, replacing any profile of that name; the stored profile.
    A shorthand for ``storing.store_key(..., replace=True)`` (raises ``KeyNotStored``)."""
    from qlik_tui.services.storing import store_key  # storing builds on this module

    stored = store_key(services, name=name, tenant=tenant, key=key, report=report, replace=True)
    return stored.profile
