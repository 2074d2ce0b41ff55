"""OAuth machine-to-machine clients: prove one, and hand out access tokens from its secret.

CONTRACT:
    await prove_client(tenant, client_id, secret, settings=...) -> ClientProof   (never raises)
        mint at /oauth/token, then GET /users/me with the token (the client's bot user), then
        the client's record when the bot may read it (its secrets' hints; a bonus, never a
        failure). ``proof.outcome`` is the row of the outcome table.
    await access_token_for(services, profile) -> TokenResult   (never raises)
        the cached token when it has more than ``REMINT_WITHIN`` left, else a new one minted
        with the stored secret and cached, with its expiry, in the profile's key store.

The token cache: ``services.token_cache``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from qlik_tui.core.client import ClientSettings, QlikClient
from qlik_tui.core.errors import QlikError
from qlik_tui.core.models import User
from qlik_tui.core.oauth import AccessToken, ClientSecret, OAuthClientRecord
from qlik_tui.core.outcomes import Outcome, OutcomeKind, outcome_from_error
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.token_cache import cached_token, save_cached_token
from qlik_tui.store.errors import StoreError
from qlik_tui.store.profiles import Profile


@dataclass(frozen=True)
class ClientProof:
    outcome: Outcome
    user: User | None = None  # the client's bot user
    token: AccessToken | None = field(default=None, repr=False)
    client: OAuthClientRecord | None = None  # None: the bot may not read it


async def prove_client(
    tenant: Tenant,
    client_id: str,
    secret: ClientSecret,
    *,
    settings: ClientSettings | None = None,
    http: httpx.AsyncClient | None = None,
) -> ClientProof:
    """Mint with ``secret``, then read the token's user (see the module)."""
    try:
        async with QlikClient(tenant, None, settings=settings, http=http) as minting:
            minted = await minting.mint_token(client_id, secret)
        token = minted.value
        async with QlikClient(tenant, token, settings=settings, http=http) as client:
            me = await client.me()
            record: OAuthClientRecord | None = None
            with contextlib.suppress(QlikError):
                record = (await client.oauth_client(client_id)).value
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure becomes an outcome; the table explains it
        return ClientProof(outcome=outcome_from_error(exc, tenant=tenant))
    outcome = Outcome(
        kind=OutcomeKind.VALID,
        http_status=me.status_code,
        latency_ms=minted.latency_ms + me.latency_ms,
        context={"host": tenant.display_host, "tenant": me.value.tenant_id, "what": "Client"},
    )
    return ClientProof(outcome=outcome, user=me.value, token=token, client=record)


@dataclass(frozen=True)
class TokenResult:
    """An access token for a profile (``token``), or why there is none: the tenant's answer
    (``outcome``) or the secret that could not be read (``store_failure``)."""

    token: AccessToken | None = field(default=None, repr=False)
    outcome: Outcome | None = None
    store_failure: StoreError | None = None
    minted: bool = False  # False: it came from the cache


async def access_token_for(
    services: Services, profile: Profile, *, now: datetime | None = None
) -> TokenResult:
    """A token for an OAuth profile (see the module). Never raises."""
    now = now or datetime.now(timezone.utc)
    cached = await asyncio.to_thread(cached_token, services, profile, now)
    if cached is not None:
        return TokenResult(token=cached)
    try:
        tenant = parse_tenant(profile.origin)
    except TenantError as exc:
        return TokenResult(outcome=outcome_from_error(exc))
    store = services.secrets_for(profile)
    failure: StoreError | None = None
    try:
        secret = await asyncio.to_thread(store.load_client_secret, profile.name)
    except StoreError as exc:
        failure = exc
    if failure is not None:
        return TokenResult(store_failure=failure)
    try:
        async with QlikClient(tenant, None, settings=services.client_settings) as client:
            token = (await client.mint_token(profile.client_id or "", secret)).value
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return TokenResult(outcome=outcome_from_error(exc, tenant=tenant))
    await asyncio.to_thread(save_cached_token, services, profile, token)
    return TokenResult(token=token, minted=True)


__all__ = [
    "ClientProof",
    "TokenResult",
    "access_token_for",
    "cached_token",
    "prove_client",
    "save_cached_token",
]


def describe_token(token: AccessToken | None) -> str:
    """ "access tokens live 360 min, scope user_default" (what the token endpoint said)."""
    if token is None:
        return "no token"
    parts = []
    if token.expires_at is not None:
        from datetime import datetime, timezone

        left = token.seconds_left(datetime.now(timezone.utc)) or 0.0
        parts.append(f"access tokens live {round(left / 60)} min")
    else:
        parts.append("the token's lifetime was not given")
    parts.append(f"scope {token.scope}" if token.scope else "no scope given")
    return ", ".join(parts)
