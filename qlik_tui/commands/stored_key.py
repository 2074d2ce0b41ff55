"""Reading one profile's stored key for a command that uses it (``token``, ``exec``, ``keys``,
``revoke``, ``forget --revoke``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error, explain_store_error, key_store_for
from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.profile_key import StoredKeyMismatch, load_profile_key
from qlik_tui.store.profiles import Profile, ProfilesFileError, quoted_name
from qlik_tui.store.secrets import KeyNotFound, StoreError


@dataclass(frozen=True)
class StoredKey:
    profile: Profile
    tenant: Tenant
    key: ApiKey


def load_stored_key(name: str, services: Services, stderr: TextIO) -> StoredKey | int:
    """The profile, its tenant and its key (from the profile's own store), or the exit code
    after explaining on ``stderr`` why not."""
    try:
        profile = services.profiles.get(name)
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if profile is None:
        shown = quoted_name(name)
        error(stderr, f"no profile named {shown}: `qlik-tui list` shows the stored ones")
        return exits.USAGE
    try:
        tenant = parse_tenant(profile.origin)
    except TenantError as exc:
        error(stderr, f"profile {quoted_name(name)} has an unusable tenant address: {exc}")
        return exits.STORAGE
    try:
        key = load_profile_key(services, profile, key_store_for(services, profile))
    except (KeyNotFound, StoredKeyMismatch) as exc:  # no key of this profile's to use
        explain_store_error(exc, stderr)
        return exits.REJECTED
    except StoreError as exc:
        explain_store_error(exc, stderr)
        return exits.INCONCLUSIVE
    return StoredKey(profile, tenant, key)
