"""The access token cache of an OAuth client's profile, kept in the profile's key store.

The entry is the profile's under ``ACCESS_TOKEN_SERVICE``: JSON ``{"client_id",
"access_token", "expires_at", "scope"}``. A cache that cannot be read or written costs a mint,
never a failure: the secret, not the cache, is what must not be lost. Light on purpose (no
HTTP client): ``exec`` and ``token`` with a cached token need nothing more.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta

from qlik_tui.core.hidden import AccessToken
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.services.context import Services
from qlik_tui.store.errors import StoreError
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import ACCESS_TOKEN_SERVICE

REMINT_WITHIN = timedelta(seconds=60)


def cached_token(services: Services, profile: Profile, now: datetime) -> AccessToken | None:
    """The profile's cached token while it has more than ``REMINT_WITHIN`` left."""
    try:
        text = services.secrets_for(profile).read_text(profile.name, ACCESS_TOKEN_SERVICE)
    except StoreError:
        return None
    token = _from_cache(text, profile.client_id) if text else None
    if token is None or token.expires_at is None or token.expires_at - now <= REMINT_WITHIN:
        return None
    return token


def save_cached_token(services: Services, profile: Profile, token: AccessToken) -> None:
    """Best effort: a store that refuses the cache only costs the next call a mint."""
    if token.expires_at is None:
        return  # a token of unknown lifetime is not cached: it could be handed out dead
    entry = _CacheEntry(profile.client_id or "", token)
    with contextlib.suppress(StoreError):
        services.secrets_for(profile).save(profile.name, entry, service=ACCESS_TOKEN_SERVICE)


class _CacheEntry:
    """The cache's JSON text, revealed only to the store."""

    __slots__ = ("_client_id", "_token")

    def __init__(self, client_id: str, token: AccessToken) -> None:
        self._client_id = client_id
        self._token = token

    def __repr__(self) -> str:
        return "_CacheEntry(<hidden>)"

    def reveal(self) -> str:
        expires_at = self._token.expires_at
        return json.dumps(
            {
                "client_id": self._client_id,
                "access_token": self._token.reveal(),
                "expires_at": expires_at.isoformat() if expires_at else None,
                "scope": self._token.scope,
            }
        )


def _from_cache(text: str, client_id: str | None) -> AccessToken | None:
    """The cached token, when the entry is ours, whole, and for this client."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("client_id") != client_id:
        return None
    token, expires = obj.get("access_token"), obj.get("expires_at")
    if not isinstance(token, str) or not token or not isinstance(expires, str):
        return None
    expires_at = parse_iso_datetime(expires)
    if expires_at is None:
        return None
    scope = obj.get("scope")
    return AccessToken(token, expires_at, scope if isinstance(scope, str) else None)
