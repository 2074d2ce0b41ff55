"""The sandbox tenant: answers like a Qlik Cloud tenant where it matters to qlik-tui.

- ``GET /api/v1/users/me`` answers 301 with an absolute Location ``/api/v1/users/{id}`` on the
  same origin; ``GET /api/v1/users/{id}`` answers the user record (plus unknown fields).
- ``GET /api/v1/tenants/me`` answers 302 to ``/api/v1/tenants/{id}``, the tenant record.
- ``GET /api/v1/api-keys/{id}``: the record; another user's key is 403 (TenantAdmins see all).
- ``GET /api/v1/api-keys?sub=&status=&limit=&sort=`` paged by opaque cursors: absolute
  ``links.next.href`` / ``links.prev.href`` carrying ``startingAfter`` / ``endingBefore``;
  ``limit`` 1..100, default 20. Other users' keys need TenantAdmin (403).
- ``POST /api/v1/api-keys`` ``{description, expiry?}`` -> 201 with the record plus ``token``.
  Enforces ``max_keys_per_user`` (active keys) and ``max_api_key_expiry`` from ``config``
  (400 with an envelope, as the API documents only 400/403), and 403 for a user without the
  Manage API keys permission (``SandboxUser.can_create_keys``). ``expiry`` omitted: the maximum.
- ``DELETE /api/v1/api-keys/{id}``: the owner's delete removes the key (then 404, and 401 on
  use); a TenantAdmin's delete of another user's key revokes it; anyone else gets 403.
- ``GET/PATCH /api/v1/api-keys/configs/{tenantId}`` (TenantAdmin only, 403 otherwise); PATCH
  takes JSON-patch ``replace`` operations, as the real endpoint.
- OAuth (``qlik_tui.sandbox.oauth``): ``POST /oauth/token`` with a JSON or form body and the
  ``client_credentials`` grant answers ``{access_token, token_type, expires_in, scope}``; its
  refusals come as RFC 6749 ``{"error", "error_description"}`` (unknown or deleted client, wrong
  secret: 401 ``invalid_client``; no M2M: 400 ``unauthorized_client``; a scope the client
  lacks: 400 ``invalid_scope``) or in Qlik's envelope (a disabled client: 401; consent not
  "Trusted": 403 ``consent_required``). Access tokens act as the client's bot user (a
  TenantAdmin) and are accepted as bearer wherever keys are, until they expire.
  ``GET /api/v1/oauth-clients/{id}``, ``POST .../client-secrets`` (201, at most five: 400) and
  ``DELETE .../client-secrets/{hint}`` (204; unknown hint 404) need a TenantAdmin (403).
- Missing, unknown, revoked, expired and other-tenant keys get 401 with the envelope whose
  ``status`` is the *string* "401"; the users and api-keys services' envelopes use an integer
  status, the tenants service's a string, as their published types say.

Every answer conforms to Qlik's published types (``@qlik/api``; the JSON Schemas and contract
tests are in ``tests/contracts/``): records carry only the members those types declare, plus
``sandboxFutureField`` on users, standing for the fields a newer API adds.

Over TLS it speaks HTTP/2 and HTTP/1.1, as Qlik Cloud does (``http2=False``: HTTP/1.1 only);
the answers are the same on both. Only loopback addresses are accepted. Records of what the
tenant answers (``_user_record``, ``_key_record``, ``_error``) are methods so that a test tenant
can vary them.
"""

from __future__ import annotations

import hmac
import json
import random
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

from qlik_tui.core.apikey import make_fake_key
from qlik_tui.sandbox.keys import KEY_KINDS, KeyEntry, bearer, iso, parse_duration
from qlik_tui.sandbox.oauth import (
    DEFAULT_SCOPE,
    DEFAULT_TOKEN_LIFETIME,
    M2M_GRANT,
    MAX_CLIENT_SECRETS,
    ClientSecret,
    OAuthClientEntry,
    access_token_text,
    read_token_request,
    token_lifetime_s,
)
from qlik_tui.sandbox.server import Handler, LoopbackServer, Request

API = "/api/v1"
hmac_equal = hmac.compare_digest
_TENANT_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_ADMIN_ROLE_ID = "608050f7634644db3678b1a2"
_CUSTOM_ROLE_ID = "605a1c2151382ffc836af862"
_GROUP_ID = "65f1e4a2b0c0c0c0c0c0c0c1"
_ADMIN_AGE, _USER_AGE = timedelta(days=400), timedelta(days=90)  # since the users were created


@dataclass
class SandboxUser:
    id: str
    name: str
    email: str | None
    subject: str
    is_admin: bool
    created_at: datetime
    custom_role: str = "API key users"  # a custom role granting Manage API keys
    group: str = "Analysts"
    can_create_keys: bool = True  # holds the Manage API keys permission

    def record(self, tenant_id: str, origin: str) -> dict[str, Any]:
        record = self._record(tenant_id, origin)
        if self.email is None:  # an OAuth client's bot user has none
            del record["email"]
        return record

    def _record(self, tenant_id: str, origin: str) -> dict[str, Any]:
        roles: list[dict[str, Any]] = []
        if self.is_admin:
            roles.append(
                {"id": _ADMIN_ROLE_ID, "name": "TenantAdmin", "type": "default", "level": "admin"}
            )
        roles.append(
            {"id": _CUSTOM_ROLE_ID, "name": self.custom_role, "type": "custom", "level": "user"}
        )
        return {
            "id": self.id,
            "tenantId": tenant_id,
            "status": "active",
            "subject": self.subject,
            "name": self.name,
            "email": self.email,
            "locale": "en",
            "zoneinfo": "Europe/Stockholm",
            "preferredZoneinfo": "Europe/Stockholm",
            "picture": f"{origin}/api/v1/users/{self.id}/actions/get-picture",
            "createdAt": iso(self.created_at),
            "lastUpdatedAt": iso(self.created_at),
            "assignedRoles": roles,
            "assignedGroups": [
                {
                    "id": _GROUP_ID,
                    "name": self.group,
                    "providerType": "idp",
                    "assignedRoles": [],
                }
            ],
            "assignedScopes": [],
            "links": {"self": {"href": f"{origin}/api/v1/users/{self.id}"}},
            "sandboxFutureField": {"nested": [1, "two", None]},  # clients must tolerate it
        }


class SandboxTenant(LoopbackServer):
    """A loopback HTTP(S) server that answers like a Qlik Cloud tenant."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        tenant_id: str | None = None,
        seed: int | None = None,
        *,
        http2: bool = True,
    ) -> None:
        super().__init__(host, port, ssl_context, http2=http2)
        self._rng: random.Random = (
            random.Random(seed) if seed is not None else random.SystemRandom()
        )
        self.tenant_id = tenant_id or self._random_tenant_id()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        self._epoch = now
        self.admin = self._new_user("Ada Sandbox", "ada", is_admin=True, created=now - _ADMIN_AGE)
        self.user = self._new_user("Basil Plain", "basil", is_admin=False, created=now - _USER_AGE)
        self.config: dict[str, Any] = {
            "max_api_key_expiry": "PT24H",
            "max_keys_per_user": 5,
            "scim_externalClient_expiry": "P365D",
        }
        self._keys_by_token: dict[str, KeyEntry] = {}
        self._keys_by_id: dict[str, KeyEntry] = {}
        self._issued = 0
        self._oauth_clients: dict[str, OAuthClientEntry] = {}
        self._bots: dict[str, SandboxUser] = {}  # by client id
        self._access_tokens: dict[str, KeyEntry] = {}  # by token text
        self.token_requests = 0  # POST /oauth/token requests answered

    def start(self) -> SandboxTenant:
        super().start()
        return self

    def __enter__(self) -> SandboxTenant:
        return self.start()

    def __repr__(self) -> str:
        where = self.origin if self._server is not None else "stopped"
        return f"{type(self).__name__}({where}, tenant_id={self.tenant_id!r})"

    # -- ids ------------------------------------------------------------------------------------

    def _hex_id(self) -> str:
        return f"{self._rng.getrandbits(96):024x}"

    def _random_tenant_id(self) -> str:
        return "".join(self._rng.choice(_TENANT_ID_ALPHABET) for _ in range(32))

    def _new_user(
        self, name: str, handle: str, *, is_admin: bool, created: datetime
    ) -> SandboxUser:
        surname = name.split()[-1].lower()
        return SandboxUser(
            id=self._hex_id(),
            name=name,
            email=f"{handle}.{surname}@example.com",
            subject=f"auth0|{handle}-{surname}",
            is_admin=is_admin,
            created_at=created,
        )

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- users and keys -------------------------------------------------------------------------

    @property
    def users(self) -> dict[str, SandboxUser]:
        """The people, then each OAuth client's bot user as ``bot:<client id>``."""
        with self._lock:
            bots = {f"bot:{cid}": bot for cid, bot in self._bots.items()}
        return {"admin": self.admin, "user": self.user, **bots}

    # -- OAuth clients --------------------------------------------------------------------------

    def create_oauth_client(
        self,
        name: str = "sandbox automation",
        *,
        scopes: tuple[str, ...] = (DEFAULT_SCOPE,),
        m2m: bool = True,
        consent_method: str = "trusted",
        token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> tuple[str, str]:
        """A new web client with one secret, as an admin's console does: (client id, secret)."""
        now = self._now().replace(microsecond=0)
        client_id = f"{self._rng.getrandbits(128):032x}"
        bot = SandboxUser(
            id=self._hex_id(),
            name=name,
            email=None,
            subject=f"qlikbot\\{client_id}",
            is_admin=True,  # M2M clients act with the TenantAdmin role
            created_at=now,
            custom_role="Bot",
            group="Automation",
        )
        entry = OAuthClientEntry(
            client_id=client_id,
            client_name=name,
            bot_user_id=bot.id,
            created_at=now,
            created_by=self.admin.id,
            allowed_scopes=list(scopes),
            m2m=m2m,
            consent_method=consent_method,
            token_lifetime=token_lifetime,
        )
        secret = self._new_client_secret(entry, self.admin.id)
        with self._lock:
            self._oauth_clients[client_id] = entry
            self._bots[client_id] = bot
        return client_id, secret

    def oauth_client(self, client_id: str) -> OAuthClientEntry:
        """The client's entry (KeyError if unknown), for tests to change."""
        with self._lock:
            return self._oauth_clients[client_id]

    def secret_hints(self, client_id: str) -> list[str]:
        with self._lock:
            return [s.hint for s in self._oauth_clients[client_id].secrets]

    def add_client_secret(self, client_id: str) -> str:
        """One more secret for the client (as another admin would create), returned."""
        return self._new_client_secret(self.oauth_client(client_id), self.admin.id)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now past its expiry."""
        past = self._now() - timedelta(seconds=1)
        with self._lock:
            for entry in self._access_tokens.values():
                entry.expiry = past

    def _new_client_secret(self, entry: OAuthClientEntry, created_by: str) -> str:
        value = self._rng.randbytes(32).hex()
        with self._lock:
            hint = f"{self._rng.getrandbits(32):08x}"  # not derived from the secret
            entry.secrets.append(ClientSecret(hint, value, self._now(), created_by))
        return value

    def issue_key(
        self,
        kind: str = "valid",
        user: str = "admin",
        expires_in: timedelta = timedelta(hours=24),
        description: str | None = None,
    ) -> str:
        """A new JWT-shaped key; ``kind``: valid | revoked | expired | other-tenant."""
        if kind not in KEY_KINDS:
            raise ValueError(f"unknown key kind {kind!r}; use one of {', '.join(KEY_KINDS)}")
        return self._mint(self.users[user], kind, expires_in, description).token

    def _mint(
        self, owner: SandboxUser, kind: str, expires_in: timedelta, description: str | None
    ) -> KeyEntry:
        now = datetime.now(timezone.utc)
        with self._lock:
            self._issued += 1
            created = self._epoch + timedelta(seconds=self._issued)  # strictly increasing
            key_id = self._uuid()
            if kind == "other-tenant":
                tenant_id, sub = self._random_tenant_id(), self._hex_id()
            else:
                tenant_id, sub = self.tenant_id, owner.id
            expiry = now + expires_in
            if kind == "expired":
                expiry = now - timedelta(hours=1)
                created = expiry - expires_in
            token = self._key_text(key_id, tenant_id, sub)
            entry = KeyEntry(
                key_id=key_id,
                token=token,
                kind=kind,
                tenant_id=tenant_id,
                sub=sub,
                description=description or f"sandbox {kind} key for {owner.name}",
                created=created,
                expiry=expiry,
                revoked=kind == "revoked",
            )
            self._keys_by_token[token] = entry
            self._keys_by_id[key_id] = entry
        return entry

    def key_ids(self, user: str = "admin", status: str | None = "active") -> list[str]:
        """The ids of a user's keys on this tenant (optionally of one status), oldest first."""
        owner, now = self.users[user], self._now()
        with self._lock:
            entries = sorted(self._keys_by_id.values(), key=lambda e: e.created)
        return [
            e.key_id
            for e in entries
            if e.sub == owner.id
            and e.tenant_id == self.tenant_id
            and (status is None or e.status(now) == status)
        ]

    def has_key(self, key_id: str) -> bool:
        """The tenant still knows this key (an owner's delete removes it)."""
        with self._lock:
            return key_id in self._keys_by_id

    def set_config(self, **changes: Any) -> None:
        """Change the tenant's API key config, as a TenantAdmin's PATCH would."""
        unknown = set(changes) - set(self.config)
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(sorted(unknown))}")
        with self._lock:
            self.config.update(changes)

    def _key_text(self, key_id: str, tenant_id: str, sub: str) -> str:
        """The text of a key being issued (the tenant knows a key by its text, not its claims)."""
        return make_fake_key(
            key_id=key_id, tenant_id=tenant_id, sub=sub, signature=self._rng.randbytes(96)
        )

    def key_record(self, key_id: str) -> dict[str, Any]:
        """The key's record as ``GET /api-keys/{id}`` would answer it (KeyError if unknown)."""
        with self._lock:
            entry = self._keys_by_id[key_id]
        return self._key_record(entry, self._now())

    def revoke_key(self, key_id: str) -> None:
        with self._lock:
            self._keys_by_id[key_id].revoked = True

    def _key_of(self, handler: Handler) -> KeyEntry | None:
        """The issued key that the request's Authorization header carries, if any."""
        token = bearer(handler.headers.get("Authorization"))
        if not token:
            return None
        with self._lock:
            return self._keys_by_token.get(token) or self._access_tokens.get(token)

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    def _caller(self, entry: KeyEntry | None) -> SandboxUser | None:
        if entry is None or entry.tenant_id != self.tenant_id:
            return None
        if entry.status(self._now()) != "active":
            return None
        return next((u for u in self.users.values() if u.id == entry.sub), None)

    # -- records --------------------------------------------------------------------------------

    def _user_record(self, user: SandboxUser) -> dict[str, Any]:
        return user.record(self.tenant_id, self.origin)

    def _key_record(self, entry: KeyEntry, now: datetime) -> dict[str, Any]:
        return entry.record(now)

    def _me_location(self, caller: SandboxUser) -> str:
        return f"{self.origin}{API}/users/{caller.id}"

    # -- routing --------------------------------------------------------------------------------

    def _answer(self, handler: Handler, request: Request) -> None:
        if self._stopping.is_set():
            handler.close_connection = True
            return
        if request.path == "/oauth/token":
            self._token(handler, request)
            return
        self._route(handler, request, self._key_of(handler))

    def _route(self, handler: Handler, request: Request, entry: KeyEntry | None) -> None:
        parts = [p for p in request.path.split("/") if p]
        method = handler.command
        if parts[:3] == ["api", "v1", "oauth-clients"] and len(parts) in (4, 5, 6):
            self._oauth_clients_route(handler, request, self._caller(entry), parts[3:])
            return
        known = (
            (parts[:3] in (["api", "v1", "users"], ["api", "v1", "tenants"])) and len(parts) == 4
        ) or (parts[:3] == ["api", "v1", "api-keys"] and len(parts) in (3, 4, 5))
        if not known or (len(parts) == 5 and parts[3] != "configs"):
            self._error(handler, request, 404, "HTTP-404", "Not Found", status_as_text=False)
            return
        caller = self._caller(entry)
        if caller is None:
            self._error(handler, request, 401, "HTTP-401", "Authorization Required")
            return
        allowed = {3: ("GET", "POST"), 4: ("GET", "DELETE"), 5: ("GET", "PATCH")}
        if method not in (allowed[len(parts)] if parts[2] == "api-keys" else ("GET",)):
            self._error(
                handler, request, 405, "HTTP-405", "Method Not Allowed", status_as_text=False
            )
        elif parts[2] == "users" and parts[3] == "me":
            self._send(handler, request, 301, headers={"Location": self._me_location(caller)})
        elif parts[2] == "users":
            self._get_user(handler, request, caller, parts[3])
        elif parts[2] == "tenants":
            self._get_tenant(handler, request, parts[3])
        elif len(parts) == 3 and method == "POST":
            self._create_key(handler, request, caller, handler.body)
        elif len(parts) == 3:
            self._list_keys(handler, request, caller, parse_qs(request.query))
        elif len(parts) == 5 and method == "PATCH":
            self._patch_config(handler, request, caller, parts[4], handler.body)
        elif len(parts) == 5:
            self._get_config(handler, request, caller, parts[4])
        elif method == "GET":
            self._get_key(handler, request, caller, parts[3])
        else:
            self._delete_key(handler, request, caller, parts[3])

    def _get_tenant(self, handler: Handler, request: Request, tenant_id: str) -> None:
        if tenant_id == "me":
            location = f"{self.origin}{API}/tenants/{self.tenant_id}"
            self._send(handler, request, 302, headers={"Location": location})
        elif tenant_id != self.tenant_id:  # the tenants service types its status as a string
            self._error(handler, request, 404, "TENANTS-404", "Not Found")
        else:
            self._send_json(handler, request, 200, self._tenant_record())

    def _tenant_record(self) -> dict[str, Any]:
        return {
            "id": self.tenant_id,
            "name": "sandbox",
            "hostnames": [self.host],
            "status": "active",
            "createdByUser": self.admin.id,
            "created": iso(self._epoch),
            "links": {"self": {"href": f"{self.origin}{API}/tenants/{self.tenant_id}"}},
        }

    def _get_user(
        self, handler: Handler, request: Request, caller: SandboxUser, user_id: str
    ) -> None:
        target = next((u for u in self.users.values() if u.id == user_id), None)
        if target is None:
            self._error(handler, request, 404, "HTTP-404", "Not Found", status_as_text=False)
        elif target is not caller and not caller.is_admin:
            self._error(handler, request, 403, "HTTP-403", "Forbidden", status_as_text=False)
        else:
            self._send_json(handler, request, 200, self._user_record(target))

    def _key_for(
        self, handler: Handler, request: Request, caller: SandboxUser, key_id: str
    ) -> KeyEntry | None:
        """The key, or None after answering 404 (unknown) or 403 (another user's key)."""
        with self._lock:
            entry = self._keys_by_id.get(key_id)
        if entry is None or entry.tenant_id != self.tenant_id:
            self._error(handler, request, 404, "APIKEYS-404", "Not Found", status_as_text=False)
            return None
        if entry.sub != caller.id and not caller.is_admin:
            self._error(
                handler,
                request,
                403,
                "APIKEYS-403",
                "Forbidden",
                detail="Requestor not allowed to access this API key",
                status_as_text=False,
            )
            return None
        return entry

    def _get_key(
        self, handler: Handler, request: Request, caller: SandboxUser, key_id: str
    ) -> None:
        entry = self._key_for(handler, request, caller, key_id)
        if entry is not None:
            self._send_json(handler, request, 200, self._key_record(entry, self._now()))

    def _delete_key(
        self, handler: Handler, request: Request, caller: SandboxUser, key_id: str
    ) -> None:
        entry = self._key_for(handler, request, caller, key_id)
        if entry is None:
            return
        with self._lock:
            if entry.sub == caller.id:  # the owner's delete removes the key
                self._keys_by_id.pop(entry.key_id, None)
                self._keys_by_token.pop(entry.token, None)
            else:  # a TenantAdmin's delete of someone else's key disables it
                entry.revoked = True
        self._send(handler, request, 204)

    def _create_key(
        self, handler: Handler, request: Request, caller: SandboxUser, body: bytes
    ) -> None:
        def refuse(status: int, code: str, title: str, detail: str) -> None:
            self._error(handler, request, status, code, title, detail=detail, status_as_text=False)

        if not caller.can_create_keys:
            refuse(403, "APIKEYS-403", "Forbidden", "Requestor not allowed to create an API key")
            return
        try:
            fields = json.loads(body or b"{}")
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or not isinstance(fields.get("description", ""), str):
            refuse(400, "APIKEYS-400", "Bad Request", "The request body is not a valid API key")
            return
        with self._lock:
            maximum_text = str(self.config["max_api_key_expiry"])
            max_keys = int(self.config["max_keys_per_user"])
        maximum = parse_duration(maximum_text) or timedelta(hours=24)
        wanted = fields.get("expiry")
        expires_in = maximum if wanted is None else parse_duration(wanted)
        if expires_in is None or expires_in <= timedelta(0):
            refuse(400, "APIKEYS-400", "Invalid expiry", f"{wanted!s:.40} is not a duration")
            return
        if expires_in > maximum:
            refuse(
                400,
                "APIKEYS-400",
                "Invalid expiry",
                f"The expiry exceeds the maximum allowed expiry of {maximum_text}",
            )
            return
        now = self._now()
        with self._lock:
            active = sum(
                1
                for e in self._keys_by_id.values()
                if e.sub == caller.id
                and e.tenant_id == self.tenant_id
                and e.status(now) == "active"
            )
        if active >= max_keys:
            refuse(
                400,
                "APIKEYS-400",
                "Maximum number of API keys reached",
                f"The user already has {active} active API keys; the limit is {max_keys}",
            )
            return
        entry = self._mint(caller, "valid", expires_in, fields.get("description") or "")
        record = {**self._key_record(entry, self._now()), "token": entry.token}
        self._send_json(handler, request, 201, record)

    def _patch_config(
        self, handler: Handler, request: Request, caller: SandboxUser, tenant_id: str, body: bytes
    ) -> None:
        if tenant_id != self.tenant_id:
            self._error(handler, request, 404, "APIKEYS-404", "Not Found", status_as_text=False)
            return
        if not caller.is_admin:
            self._error(handler, request, 403, "HTTP-403", "Forbidden", status_as_text=False)
            return
        try:
            operations = json.loads(body or b"[]")
        except ValueError:
            operations = None
        changes: dict[str, Any] = {}
        for op in operations if isinstance(operations, list) else [None]:
            field_name = op.get("path", "").lstrip("/") if isinstance(op, dict) else ""
            if (
                not isinstance(op, dict)
                or op.get("op") != "replace"
                or field_name not in self.config
            ):
                self._error(
                    handler, request, 400, "APIKEYS-400", "Bad Request", status_as_text=False
                )
                return
            changes[field_name] = op.get("value")
        self.set_config(**changes)
        self._send(handler, request, 204)

    def _list_keys(
        self,
        handler: Handler,
        request: Request,
        caller: SandboxUser,
        query: dict[str, list[str]],
    ) -> None:
        def arg(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        sub = arg("sub")
        if not caller.is_admin and sub not in (None, caller.id):
            self._error(
                handler,
                request,
                403,
                "APIKEYS-403",
                "Requestor not allowed to list other users' API keys",
                status_as_text=False,
            )
            return
        status = arg("status")
        limit_text = arg("limit") or "20"
        limit = int(limit_text) if limit_text.isdigit() else 20
        limit = max(1, min(limit, 100))
        now = self._now()
        with self._lock:
            entries = [e for e in self._keys_by_id.values() if e.tenant_id == self.tenant_id]
        wanted_sub = sub if sub is not None else (None if caller.is_admin else caller.id)
        entries = [
            e
            for e in entries
            if (wanted_sub is None or e.sub == wanted_sub)
            and (status is None or e.status(now) == status)
        ]
        entries.sort(key=lambda e: e.created, reverse=(arg("sort") or "-created") == "-created")
        ids = [e.key_id for e in entries]
        after, before = arg("startingAfter"), arg("endingBefore")
        if after is not None:
            start = ids.index(after) + 1 if after in ids else len(ids)
        elif before is not None:
            start = max(0, (ids.index(before) if before in ids else 0) - limit)
        else:
            start = 0
        page = entries[start : start + limit]
        params = {k: v for k, v in (("sub", sub), ("status", status), ("sort", arg("sort"))) if v}
        params["limit"] = str(limit)
        base = f"{self.origin}{API}/api-keys"
        links: dict[str, Any] = {"self": {"href": f"{base}?{urlencode(params)}"}}
        if page and start + limit < len(entries):
            cursor = {"startingAfter": page[-1].key_id}
            links["next"] = {"href": f"{base}?{urlencode({**params, **cursor})}"}
        if page and start > 0:
            cursor = {"endingBefore": page[0].key_id}
            links["prev"] = {"href": f"{base}?{urlencode({**params, **cursor})}"}
        data = [self._key_record(e, now) for e in page]
        self._send_json(handler, request, 200, {"data": data, "links": links})

    def _get_config(
        self, handler: Handler, request: Request, caller: SandboxUser, tenant_id: str
    ) -> None:
        if tenant_id != self.tenant_id:
            self._error(handler, request, 404, "APIKEYS-404", "Not Found", status_as_text=False)
        elif not caller.is_admin:
            self._error(handler, request, 403, "HTTP-403", "Forbidden", status_as_text=False)
        else:
            self._send_json(handler, request, 200, dict(self.config))

    # -- OAuth ----------------------------------------------------------------------------------

    def _token(self, handler: Handler, request: Request) -> None:
        """``POST /oauth/token``: the client credentials grant (see the module's docstring)."""
        with self._lock:
            self.token_requests += 1

        def oauth_error(status: int, error: str, description: str) -> None:
            body = {"error": error, "error_description": description}
            self._send_json(handler, request, status, body, {"Cache-Control": "no-store"})

        if handler.command != "POST":
            self._error(
                handler, request, 405, "HTTP-405", "Method Not Allowed", status_as_text=False
            )
            return
        asked = read_token_request(handler.body, handler.headers.get("Content-Type"))
        if asked is None or not asked.grant_type:
            oauth_error(400, "invalid_request", "The request body is not a token request.")
            return
        with self._lock:
            client = self._oauth_clients.get(asked.client_id or "")
        if client is None or client.deleted:
            oauth_error(401, "invalid_client", "The client was not found (unknown or deleted).")
            return
        if client.disabled:
            self._error(
                handler, request, 401, "OAUTH-1", "invalid_client",
                detail="The client is disabled.",
            )  # fmt: skip
            return
        given = (asked.client_secret or "").encode()
        if not any(hmac_equal(given, s.value.encode()) for s in client.secrets):
            oauth_error(401, "invalid_client", "Client authentication failed.")
            return
        if asked.grant_type != M2M_GRANT:
            oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
            return
        if not client.m2m:
            oauth_error(
                400, "unauthorized_client", "The client may not use the client_credentials grant."
            )
            return
        if client.consent_method != "trusted":
            self._error(
                handler, request, 403, "OAUTH-3", "consent_required",
                detail="The client's consent method is not Trusted.",
            )  # fmt: skip
            return
        scope = asked.scope or DEFAULT_SCOPE
        lacking = [s for s in scope.split() if s not in client.allowed_scopes]
        if lacking:
            oauth_error(
                400, "invalid_scope", f"The client is not allowed the scope {lacking[0]:.60}."
            )
            return
        lifetime = token_lifetime_s(client)
        now = self._now()
        token_id = self._uuid()
        text = access_token_text(
            token_id, self.tenant_id, client.bot_user_id, self._rng.randbytes(96)
        )
        entry = KeyEntry(
            key_id=token_id,
            token=text,
            kind="access-token",
            tenant_id=self.tenant_id,
            sub=client.bot_user_id,
            description=f"access token of {client.client_id}",
            created=now,
            expiry=now + timedelta(seconds=lifetime),
        )
        with self._lock:
            self._access_tokens[text] = entry
        answer = {
            "access_token": text,
            "token_type": "bearer",
            "expires_in": lifetime,
            "scope": scope,
        }
        self._send_json(handler, request, 200, answer, {"Cache-Control": "no-store"})

    def _oauth_clients_route(
        self, handler: Handler, request: Request, caller: SandboxUser | None, parts: list[str]
    ) -> None:
        """``/api/v1/oauth-clients/{id}[/client-secrets[/{hint}]]`` (``parts`` from the id)."""
        method = handler.command
        if len(parts) > 1 and parts[1] != "client-secrets":
            self._error(handler, request, 404, "HTTP-404", "Not Found", status_member=False)
            return
        if caller is None:
            self._error(handler, request, 401, "HTTP-401", "Authorization Required")
            return
        wanted = {1: "GET", 2: "POST", 3: "DELETE"}[len(parts)]
        if method != wanted:
            self._error(
                handler, request, 405, "HTTP-405", "Method Not Allowed", status_as_text=False
            )
            return
        if not caller.is_admin:
            self._error(
                handler, request, 403, "OAUTH-403", "Forbidden",
                detail="Requires the TenantAdmin role", status_member=False,
            )  # fmt: skip
            return
        with self._lock:
            client = self._oauth_clients.get(parts[0])
        if client is None or client.deleted:
            self._error(handler, request, 404, "OAUTH-404", "Not Found", status_member=False)
        elif len(parts) == 1:
            self._send_json(handler, request, 200, client.record())
        elif len(parts) == 2:
            self._create_client_secret(handler, request, caller, client)
        else:
            self._delete_client_secret(handler, request, client, parts[2])

    def _create_client_secret(
        self, handler: Handler, request: Request, caller: SandboxUser, client: OAuthClientEntry
    ) -> None:
        with self._lock:
            count = len(client.secrets)
        if count >= MAX_CLIENT_SECRETS:
            self._error(
                handler, request, 400, "OAUTH-400", "Maximum number of client secrets reached",
                detail=f"A client may have at most {MAX_CLIENT_SECRETS} secrets.",
                status_member=False,
            )  # fmt: skip
            return
        value = self._new_client_secret(client, caller.id)
        with self._lock:
            made = client.secrets[-1]
        answer = {
            "clientId": client.client_id,
            "clientSecret": value,
            "hint": made.hint,
            "createdAt": iso(made.created_at),
            "createdBy": made.created_by,
        }
        self._send_json(handler, request, 201, answer)

    def _delete_client_secret(
        self, handler: Handler, request: Request, client: OAuthClientEntry, hint: str
    ) -> None:
        with self._lock:
            kept = [s for s in client.secrets if s.hint != hint]
            found = len(kept) != len(client.secrets)
            client.secrets = kept
        if found:
            self._send(handler, request, 204)
        else:
            self._error(handler, request, 404, "OAUTH-404", "Not Found", status_member=False)

    # -- errors ---------------------------------------------------------------------------------

    def _error(
        self,
        handler: Handler,
        request: Request,
        status: int,
        code: str,
        title: str,
        *,
        detail: str | None = None,
        status_as_text: bool = True,
        status_member: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Qlik's error envelope (no ``status`` member on a 429, as Qlik's rate limiter, nor
        where the service's type declares none: ``status_member=False``)."""
        item: dict[str, Any] = {"code": code, "title": title}
        if detail:
            item["detail"] = detail
        if status != 429 and status_member:
            item["status"] = str(status) if status_as_text else status
        envelope = {"errors": [item], "traceId": uuid.uuid4().hex}
        self._send_json(handler, request, status, envelope, headers)
