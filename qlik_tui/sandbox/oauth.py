"""The sandbox's OAuth machine-to-machine clients: what the tenant knows about each client.

Shapes follow ``@qlik/api`` 2.19.0 (``oauth-clients.d.ts``: ``OAuthClientAdminReadResponse``,
``OAuthClientSecretResponse``; the token answer as its auth module reads it).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from qlik_tui.sandbox.keys import iso

DEFAULT_TOKEN_LIFETIME = timedelta(minutes=360)  # Qlik's default; a client may set 15..1440
MAX_CLIENT_SECRETS = 5
M2M_GRANT = "client_credentials"
DEFAULT_SCOPE = "user_default"


@dataclass
class ClientSecret:
    hint: str
    value: str = field(repr=False)
    created_at: datetime
    created_by: str


@dataclass
class OAuthClientEntry:
    """One OAuth client; tests change ``disabled``, ``deleted``, ``m2m``, ``consent_method``,
    ``allowed_scopes`` and ``token_lifetime`` to provoke each refusal."""

    client_id: str
    client_name: str
    bot_user_id: str  # the client's own (bot) user, whom its access tokens act as
    created_at: datetime
    created_by: str
    secrets: list[ClientSecret] = field(default_factory=list)
    allowed_scopes: list[str] = field(default_factory=lambda: [DEFAULT_SCOPE])
    m2m: bool = True  # the "Machine-to-machine" checkbox: the client_credentials grant
    consent_method: str = "trusted"  # "required" until an admin changes it to "Trusted"
    disabled: bool = False
    deleted: bool = False
    token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME

    def record(self) -> dict[str, Any]:
        """The client as ``GET /api/v1/oauth-clients/{id}`` answers a TenantAdmin."""
        record: dict[str, Any] = {
            "clientId": self.client_id,
            "clientName": self.client_name,
            "appType": "web",
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.created_at),
            "createdByType": "user",
            "description": "",
            "allowedScopes": list(self.allowed_scopes),
            "allowedGrantTypes": [M2M_GRANT] if self.m2m else [],
            "allowedAuthMethods": ["client_secret"],
            "redirectUris": [],
            "connectionConfig": {"consentMethod": self.consent_method},
            "clientSecrets": [
                {"hint": s.hint, "createdAt": iso(s.created_at), "createdBy": s.created_by}
                for s in self.secrets
            ],
        }
        if self.disabled:
            record["disableTag"] = "disabled-by-admin"
        return record


@dataclass
class TokenRequest:
    """The fields of a ``POST /oauth/token`` body, JSON or form-encoded (None: unreadable)."""

    client_id: str | None
    client_secret: str | None = field(repr=False)
    grant_type: str | None
    scope: str | None


def read_token_request(body: bytes, content_type: str | None) -> TokenRequest | None:
    fields: dict[str, object]
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return None
        fields = {name: values[0] for name, values in parsed.items()}
    else:
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            return None
        if not isinstance(loaded, dict):
            return None
        fields = loaded

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    return TokenRequest(text("client_id"), text("client_secret"), text("grant_type"), text("scope"))


def access_token_text(token_id: str, tenant_id: str, sub: str, signature: bytes) -> str:
    """A JWT-shaped access token (Qlik's are ES384 JWTs; the sandbox never checks claims)."""

    def part(obj: dict[str, str]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = part({"alg": "ES384", "kid": token_id, "typ": "JWT"})
    payload = part(
        {
            "subType": "user",
            "tenantId": tenant_id,
            "jti": token_id,
            "aud": "qlik.api",
            "iss": "qlik.api/oauth",
            "sub": sub,
        }
    )
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def token_lifetime_s(entry: OAuthClientEntry) -> int:
    return max(1, int(entry.token_lifetime.total_seconds()))


def later(moment: datetime, seconds: int) -> datetime:
    return moment + timedelta(seconds=seconds)
