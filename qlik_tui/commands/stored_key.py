"""Reading one profile's stored key for a command that uses it (``token``, ``exec``, ``keys``,
``revoke``, ``forget --revoke``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import error, explain_outcome, explain_store_error, key_store_for
from qlik_tui.core.hidden import AccessToken
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.profile_key import StoredKeyMismatch, load_profile_key
from qlik_tui.store.profiles import Profile, ProfilesFileError, quoted_name
from qlik_tui.store.secrets import KeyNotFound, StoreError

if TYPE_CHECKING:  # exec and token with a cached access token never load core.apikey
    from qlik_tui.core.apikey import ApiKey


class StoredKey(NamedTuple):
    profile: Profile
    tenant: Tenant
    key: ApiKey


class StoredBearer(NamedTuple):
    """What a tool is handed: the profile's API key, or an access token of its OAuth client."""

    profile: Profile
    tenant: Tenant
    bearer: ApiKey | AccessToken

    @property
    def is_access_token(self) -> bool:
        return isinstance(self.bearer, AccessToken)


def load_bearer(name: str, services: Services, stderr: TextIO) -> StoredBearer | int:
    """The profile's key, or for an OAuth profile a valid access token (cached, or minted
    with the stored secret: ``services.oauth_clients.access_token_for``); or the exit code
    after explaining on ``stderr`` why not. The client secret itself is never handed out."""
    found = load_profile(name, services, stderr)
    if isinstance(found, int):
        return found
    profile, tenant = found
    if not profile.is_oauth_client:
        stored = load_stored_key(name, services, stderr)
        if isinstance(stored, int):
            return stored
        return StoredBearer(stored.profile, stored.tenant, stored.key)
    from datetime import datetime, timezone

    from qlik_tui.services.token_cache import cached_token

    cached = cached_token(services, profile, datetime.now(timezone.utc))
    if cached is not None:  # no request, and no HTTP client to load
        return StoredBearer(profile, tenant, cached)
    import asyncio

    from qlik_tui.services.oauth_clients import access_token_for

    got = asyncio.run(access_token_for(services, profile))
    if got.token is not None:
        return StoredBearer(profile, tenant, got.token)
    if got.store_failure is not None:
        explain_store_error(got.store_failure, stderr)
        return exits.REJECTED if isinstance(got.store_failure, KeyNotFound) else exits.INCONCLUSIVE
    assert got.outcome is not None
    explain_outcome(got.outcome, stderr)
    return exits.for_verdicts([got.outcome.verdict])


def load_profile(name: str, services: Services, stderr: TextIO) -> tuple[Profile, Tenant] | int:
    """The profile and its tenant, or the exit code after explaining why not."""
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
    return profile, tenant


def load_stored_key(name: str, services: Services, stderr: TextIO) -> StoredKey | int:
    """The profile, its tenant and its key (from the profile's own store), or the exit code
    after explaining on ``stderr`` why not."""
    found = load_profile(name, services, stderr)
    if isinstance(found, int):
        return found
    profile, tenant = found
    if profile.is_oauth_client:
        error(
            stderr,
            f"profile {quoted_name(name)} holds an OAuth client, not an API key: this command "
            "works with API keys (`token`, `exec` and `check` take both)",
        )
        return exits.USAGE
    try:
        key = load_profile_key(services, profile, key_store_for(services, profile))
    except (KeyNotFound, StoredKeyMismatch) as exc:  # no key of this profile's to use
        explain_store_error(exc, stderr)
        return exits.REJECTED
    except StoreError as exc:
        explain_store_error(exc, stderr)
        return exits.INCONCLUSIVE
    return StoredKey(profile, tenant, key)
