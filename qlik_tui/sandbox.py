"""A fake Qlik Cloud tenant on loopback: a real HTTP(S) server for the demo and the tests.

    with SandboxTenant(ssl_context=server_ctx) as sandbox:      # or .start() / .stop()
        key = sandbox.issue_key("valid", user="admin")          # JWT-shaped, made up
        sandbox.origin                                          # "https://127.0.0.1:PORT"
        sandbox.set_fault("rate_limit", count=1, retry_after=1)
        sandbox.requests                                        # what arrived (never the key)

Behaves like a tenant where it matters to qlik-tui:

- ``GET /api/v1/users/me`` answers 301 with an absolute Location ``/api/v1/users/{id}`` on the
  same origin; ``GET /api/v1/users/{id}`` answers the user record (plus unknown fields).
- ``GET /api/v1/api-keys/{id}``, ``GET /api/v1/api-keys?sub=&status=&limit=&next=`` (paged with
  absolute ``links.next.href``), ``GET /api/v1/api-keys/configs/{tenantId}`` (TenantAdmin only,
  403 otherwise), ``DELETE /api/v1/api-keys/{id}`` (revokes).
- Missing, unknown, revoked, expired and other-tenant keys get 401 with the envelope whose
  ``status`` is the *string* "401"; 403 and 404 envelopes use an integer status, as Qlik's do.

Faults (``set_fault(name, count=None, path=None, **params)``; ``count`` requests, or all):
    slow(delay=2.0)               wait before answering (then answer normally)
    status_500                    500 with a Qlik envelope
    html_502                      502 with a gateway's HTML page
    status(status=418)            any status with an envelope
    malformed_json                200 with truncated JSON
    wrong_shape(body="[]")        200 with valid JSON of the wrong shape
    oversized(mb=50, declare_length=True)   a huge body, generated lazily while sending
    offsite_redirect(target=ORIGIN)         301 from /users/me to another origin
    redirect_loop(growing=False)  301 back to the same URL (growing: ?hop=n, never repeating)
    reset                         partial headers, then a TCP reset (SO_LINGER 0)
    rate_limit(retry_after=1, http_date=False)   429 with retry-after and Qlik's 429 body
    rate_limit_no_retry_after     429 without retry-after
    forbidden_me                  403 on /users/me
    not_found                     404 for every path (as a host that is not a tenant)

``delay`` (seconds, default 0) is added to every request, for benchmarks. ``max_in_flight``
records the highest number of requests handled at once.

``OffsiteRecorder`` is a second server (another origin) that records every connection and
request, so tests can prove that an offsite redirect never delivered the key.

Only loopback addresses are accepted. Requests are recorded with the key id (the JWT's public
``jti``), never the key.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import ipaddress
import json
import random
import socket
import socketserver
import ssl
import struct
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from qlik_tui.core.apikey import make_fake_key

API = "/api/v1"
FAULTS = (
    "slow",
    "status_500",
    "html_502",
    "status",
    "malformed_json",
    "wrong_shape",
    "oversized",
    "offsite_redirect",
    "redirect_loop",
    "reset",
    "rate_limit",
    "rate_limit_no_retry_after",
    "forbidden_me",
    "not_found",
)
_DEFAULT_FAULT_PATHS = {
    "offsite_redirect": f"{API}/users/me",
    "forbidden_me": f"{API}/users/me",
}
KEY_KINDS = ("valid", "revoked", "expired", "other-tenant")
_TENANT_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_BODY_CHUNK = 64 * 1024
_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox only listens on loopback addresses, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox only listens on loopback addresses, not {host!r}")


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def key_id_of(token: str | None) -> str | None:
    """The public ``jti`` (or ``kid``) of a JWT-shaped key, without trusting or keeping it."""
    if not token or token.count(".") != 2:
        return None
    header, payload, _ = token.split(".")
    for part, claim in ((payload, "jti"), (header, "kid")):
        try:
            claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except (ValueError, TypeError):
            continue
        if isinstance(claims, dict) and isinstance(claims.get(claim), str):
            return str(claims[claim])[:64]
    return None


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query
    query: str
    authorization: bool  # an Authorization header arrived
    key_id: str | None  # the key's public id (jti), never the key
    headers: dict[str, str]  # lower-cased names; the Authorization value is "<redacted>"
    status: int | None = None
    fault: str | None = None
    body_bytes_sent: int = 0
    completed: bool = False  # the sandbox has finished answering (or gave up on the socket)


@dataclass
class SandboxUser:
    id: str
    name: str
    email: str
    subject: str
    is_admin: bool
    created_at: datetime

    def record(self, tenant_id: str, origin: str) -> dict[str, Any]:
        roles: list[dict[str, Any]] = []
        if self.is_admin:
            roles.append(
                {
                    "id": "608050f7634644db3678b1a2",
                    "name": "TenantAdmin",
                    "type": "default",
                    "level": "admin",
                }
            )
        roles.append(
            {
                "id": "605a1c2151382ffc836af862",
                "name": "API key users",  # a custom role granting Manage API keys
                "type": "custom",
                "level": "user",
            }
        )
        return {
            "id": self.id,
            "tenantId": tenant_id,
            "clientId": "sandbox-idp",
            "status": "active",
            "subject": self.subject,
            "name": self.name,
            "email": self.email,
            "locale": "en",
            "zoneinfo": "Europe/Stockholm",
            "preferredZoneinfo": "Europe/Stockholm",
            "picture": f"{origin}/api/v1/users/{self.id}/actions/get-picture",
            "createdAt": _iso(self.created_at),
            "lastUpdatedAt": _iso(self.created_at),
            "assignedRoles": roles,
            "assignedGroups": [
                {
                    "id": "65f1e4a2b0c0c0c0c0c0c0c1",
                    "name": "Analysts",
                    "providerType": "idp",
                    "assignedRoles": [],
                }
            ],
            "assignedScopes": [],
            "roles": [r["name"] for r in roles],  # deprecated field, still sent
            "links": {"self": {"href": f"{origin}/api/v1/users/{self.id}"}},
            "sandboxFutureField": {"nested": [1, "two", None]},
        }


@dataclass
class _KeyEntry:
    key_id: str
    token: str
    kind: str
    tenant_id: str
    sub: str
    description: str
    created: datetime
    expiry: datetime
    revoked: bool = False

    def status(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        return "expired" if now >= self.expiry else "active"

    def record(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "tenantId": self.tenant_id,
            "description": self.description,
            "sub": self.sub,
            "subType": "user",
            "status": self.status(now),
            "expiry": _iso(self.expiry),
            "createdByUser": self.sub,
            "created": _iso(self.created),
            "lastUpdated": _iso(self.created),
        }


@dataclass
class _Fault:
    name: str
    remaining: int | None
    path: str | None
    params: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# The HTTP(S) plumbing shared by the sandbox and the recorder


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # socketserver's 5 drops connections when 20+ checks arrive at once

    def __init__(
        self,
        address: tuple[str, int],
        owner: _LoopbackServer,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.owner = owner
        self.ssl_context = ssl_context
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(): a reverse DNS lookup off loopback.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        if self.ssl_context is not None:
            self.socket = self.ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def get_request(self) -> tuple[Any, Any]:
        request = super().get_request()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer, which no real tenant does.
        with contextlib.suppress(OSError):
            request[0].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._connected()
        return request

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-answer is what several faults are about


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QlikSandbox/1.0"
    sys_version = ""
    timeout = 30
    server: _Server

    def handle(self) -> None:
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            try:
                connection.do_handshake()
            except (OSError, ValueError):
                self.close_connection = True
                return
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _dispatch


class _LoopbackServer:
    """A threaded HTTP(S) server on a loopback address, as a context manager."""

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        _check_loopback(host)
        self.host = host
        self._requested_port = port
        self.ssl_context = ssl_context
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.connections = 0

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.server_port

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{_bracket(self.host)}:{self.port}"

    def start(self) -> _LoopbackServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self._requested_port), self, self.ssl_context)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a "slow" fault
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _connected(self) -> None:
        with self._lock:
            self.connections += 1

    def _handle(self, handler: _Handler) -> None:
        raise NotImplementedError

    # -- response helpers ---------------------------------------------------------------------

    @staticmethod
    def _drain_body(handler: _Handler) -> None:
        length = handler.headers.get("Content-Length", "0").strip()
        if length.isdigit() and 0 < int(length) <= 1024 * 1024:
            handler.rfile.read(int(length))

    @staticmethod
    def _send(
        handler: _Handler,
        record: RecordedRequest | None,
        status: int,
        body: bytes = b"",
        *,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        if status != 204:  # a 204 has neither a body nor body headers
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if body:
            handler.wfile.write(body)
        if record is not None:
            record.status = status
            record.body_bytes_sent = len(body)

    def _send_json(
        self,
        handler: _Handler,
        record: RecordedRequest | None,
        status: int,
        obj: object,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(obj, separators=(",", ":")).encode()
        self._send(handler, record, status, body, headers=headers)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# The tenant


class SandboxTenant(_LoopbackServer):
    """A loopback HTTP(S) server that answers like a Qlik Cloud tenant."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        tenant_id: str | None = None,
        seed: int | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(host, port, ssl_context)
        self._rng: random.Random = (
            random.Random(seed) if seed is not None else random.SystemRandom()
        )
        self.tenant_id = tenant_id or self._random_tenant_id()
        self.delay = delay
        now = datetime.now(timezone.utc).replace(microsecond=0)
        self._epoch = now
        self.admin = SandboxUser(
            id=self._hex_id(),
            name="Ada Sandbox",
            email="ada.sandbox@example.com",
            subject="auth0|ada-sandbox",
            is_admin=True,
            created_at=now - timedelta(days=400),
        )
        self.user = SandboxUser(
            id=self._hex_id(),
            name="Basil Plain",
            email="basil.plain@example.com",
            subject="auth0|basil-plain",
            is_admin=False,
            created_at=now - timedelta(days=90),
        )
        self.config: dict[str, Any] = {
            "max_api_key_expiry": "PT24H",
            "max_keys_per_user": 5,
            "scim_externalClient_expiry": "P365D",
        }
        self._keys_by_token: dict[str, _KeyEntry] = {}
        self._keys_by_id: dict[str, _KeyEntry] = {}
        self._issued = 0
        self._faults: list[_Fault] = []
        self._requests: list[RecordedRequest] = []
        self._demo_keys: dict[str, str] | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    def start(self) -> SandboxTenant:
        super().start()
        return self

    def __enter__(self) -> SandboxTenant:
        return self.start()

    def __repr__(self) -> str:
        where = self.origin if self._server is not None else "stopped"
        return f"SandboxTenant({where}, tenant_id={self.tenant_id!r})"

    # -- ids ----------------------------------------------------------------------------------

    def _hex_id(self) -> str:
        return f"{self._rng.getrandbits(96):024x}"

    def _random_tenant_id(self) -> str:
        return "".join(self._rng.choice(_TENANT_ID_ALPHABET) for _ in range(32))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- users and keys -----------------------------------------------------------------------

    @property
    def users(self) -> dict[str, SandboxUser]:
        return {"admin": self.admin, "user": self.user}

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
        owner = self.users[user]
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
            token = make_fake_key(
                key_id=key_id, tenant_id=tenant_id, sub=sub, signature=self._rng.randbytes(96)
            )
            entry = _KeyEntry(
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
        return token

    def key_record(self, key_id: str) -> dict[str, Any]:
        """The key's record as ``GET /api-keys/{id}`` would answer it (KeyError if unknown)."""
        with self._lock:
            entry = self._keys_by_id[key_id]
        return entry.record(self._now())

    def revoke_key(self, key_id: str) -> None:
        with self._lock:
            self._keys_by_id[key_id].revoked = True

    def demo_keys(self) -> dict[str, str]:
        """One key of each kind for the demo (the same ones on every call)."""
        if self._demo_keys is None:
            self._demo_keys = {
                "valid": self.issue_key("valid", "admin", description="demo: admin key"),
                "user": self.issue_key("valid", "user", description="demo: plain user key"),
                "revoked": self.issue_key("revoked", "admin", description="demo: revoked key"),
                "expired": self.issue_key("expired", "admin", description="demo: expired key"),
                "other-tenant": self.issue_key("other-tenant", "admin"),
            }
        return dict(self._demo_keys)

    # -- faults and records -------------------------------------------------------------------

    def set_fault(
        self, name: str, *, count: int | None = None, path: str | None = None, **params: Any
    ) -> None:
        """Switch a fault on for the next ``count`` requests (None: all) matching ``path``."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; use one of {', '.join(FAULTS)}")
        if name == "offsite_redirect" and "target" not in params:
            raise ValueError("offsite_redirect needs target=<origin of another server>")
        fault = _Fault(name, count, path or _DEFAULT_FAULT_PATHS.get(name), dict(params))
        with self._lock:
            self._faults = [f for f in self._faults if f.name != name] + [fault]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests = []
            self.max_in_flight = self.in_flight

    def _take_faults(self, path: str) -> list[_Fault]:
        taken: list[_Fault] = []
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and not path.startswith(fault.path):
                    continue
                taken.append(fault)
                if fault.remaining is not None:
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return taken

    # -- request handling ---------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._handle_request(handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle_request(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path = split.path
        token = _bearer(handler.headers.get("Authorization"))
        with self._lock:
            entry = self._keys_by_token.get(token) if token else None
        record = RecordedRequest(
            method=handler.command,
            path=path,
            query=split.query,
            authorization=handler.headers.get("Authorization") is not None,
            key_id=entry.key_id if entry else key_id_of(token),
            headers=_redacted_headers(handler),
        )
        faults = self._take_faults(path)
        terminal = next((f for f in faults if f.name != "slow"), None)
        record.fault = ",".join(f.name for f in faults) or None
        with self._lock:
            self._requests.append(record)
        try:
            self._drain_body(handler)
            pause = self.delay + sum(
                float(f.params.get("delay", 2.0)) for f in faults if f.name == "slow"
            )
            if pause > 0:
                self._stopping.wait(pause)
            if self._stopping.is_set():
                handler.close_connection = True
            elif terminal is not None:
                self._apply_fault(handler, record, terminal)
            else:
                self._route(handler, record, path, parse_qs(split.query), entry)
        finally:
            record.completed = True

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    def _caller(self, entry: _KeyEntry | None) -> SandboxUser | None:
        if entry is None or entry.tenant_id != self.tenant_id:
            return None
        if entry.status(self._now()) != "active":
            return None
        return next((u for u in self.users.values() if u.id == entry.sub), None)

    def _route(
        self,
        handler: _Handler,
        record: RecordedRequest,
        path: str,
        query: dict[str, list[str]],
        entry: _KeyEntry | None,
    ) -> None:
        parts = [p for p in path.split("/") if p]
        method = handler.command
        known = (parts[:3] == ["api", "v1", "users"] and len(parts) == 4) or (
            parts[:3] == ["api", "v1", "api-keys"] and len(parts) in (3, 4, 5)
        )
        if not known or (len(parts) == 5 and parts[3] != "configs"):
            self._error(handler, record, 404, "HTTP-404", "Not Found", status_as_text=False)
            return
        caller = self._caller(entry)
        if caller is None:
            self._error(handler, record, 401, "HTTP-401", "Authorization Required")
            return
        if parts[2] == "users":
            if method != "GET":
                self._method_not_allowed(handler, record)
            elif parts[3] == "me":
                location = f"{self.origin}{API}/users/{caller.id}"
                self._send(handler, record, 301, headers={"Location": location})
            else:
                self._get_user(handler, record, caller, parts[3])
            return
        if len(parts) == 3:
            if method != "GET":
                self._method_not_allowed(handler, record)
            else:
                self._list_keys(handler, record, caller, query)
        elif len(parts) == 5:
            if method != "GET":
                self._method_not_allowed(handler, record)
            else:
                self._get_config(handler, record, caller, parts[4])
        elif method == "GET":
            self._get_key(handler, record, caller, parts[3])
        elif method == "DELETE":
            self._delete_key(handler, record, caller, parts[3])
        else:
            self._method_not_allowed(handler, record)

    def _get_user(
        self, handler: _Handler, record: RecordedRequest, caller: SandboxUser, user_id: str
    ) -> None:
        target = next((u for u in self.users.values() if u.id == user_id), None)
        if target is None:
            self._error(handler, record, 404, "HTTP-404", "Not Found", status_as_text=False)
        elif target is not caller and not caller.is_admin:
            self._error(handler, record, 403, "HTTP-403", "Forbidden", status_as_text=False)
        else:
            self._send_json(handler, record, 200, target.record(self.tenant_id, self.origin))

    def _visible_key(self, caller: SandboxUser, key_id: str) -> _KeyEntry | None:
        with self._lock:
            entry = self._keys_by_id.get(key_id)
        if entry is None or entry.tenant_id != self.tenant_id:
            return None
        return entry if caller.is_admin or entry.sub == caller.id else None

    def _get_key(
        self, handler: _Handler, record: RecordedRequest, caller: SandboxUser, key_id: str
    ) -> None:
        entry = self._visible_key(caller, key_id)
        if entry is None:
            self._error(handler, record, 404, "APIKEYS-404", "Not Found", status_as_text=False)
        else:
            self._send_json(handler, record, 200, entry.record(self._now()))

    def _delete_key(
        self, handler: _Handler, record: RecordedRequest, caller: SandboxUser, key_id: str
    ) -> None:
        entry = self._visible_key(caller, key_id)
        if entry is None:
            self._error(handler, record, 404, "APIKEYS-404", "Not Found", status_as_text=False)
            return
        with self._lock:
            entry.revoked = True
        self._send(handler, record, 204)

    def _list_keys(
        self,
        handler: _Handler,
        record: RecordedRequest,
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
                record,
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
        offset_text = arg("next") or "0"
        offset = int(offset_text) if offset_text.isdigit() else 0
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
        page = entries[offset : offset + limit]
        params = {k: v for k, v in (("sub", sub), ("status", status), ("sort", arg("sort"))) if v}
        params["limit"] = str(limit)
        base = f"{self.origin}{API}/api-keys"
        links: dict[str, Any] = {
            "self": {"href": f"{base}?{urlencode({**params, 'next': offset})}"}
        }
        if offset + limit < len(entries):
            links["next"] = {"href": f"{base}?{urlencode({**params, 'next': offset + limit})}"}
        self._send_json(
            handler, record, 200, {"data": [e.record(now) for e in page], "links": links}
        )

    def _get_config(
        self, handler: _Handler, record: RecordedRequest, caller: SandboxUser, tenant_id: str
    ) -> None:
        if tenant_id != self.tenant_id:
            self._error(handler, record, 404, "APIKEYS-404", "Not Found", status_as_text=False)
        elif not caller.is_admin:
            self._error(handler, record, 403, "HTTP-403", "Forbidden", status_as_text=False)
        else:
            self._send_json(handler, record, 200, dict(self.config))

    # -- errors and faults --------------------------------------------------------------------

    def _error(
        self,
        handler: _Handler,
        record: RecordedRequest,
        status: int,
        code: str,
        title: str,
        *,
        detail: str | None = None,
        status_as_text: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        item: dict[str, Any] = {"code": code, "title": title}
        if detail:
            item["detail"] = detail
        if status != 429:
            item["status"] = str(status) if status_as_text else status
        envelope = {"errors": [item], "traceId": uuid.uuid4().hex}
        self._send_json(handler, record, status, envelope, headers)

    def _method_not_allowed(self, handler: _Handler, record: RecordedRequest) -> None:
        self._error(handler, record, 405, "HTTP-405", "Method Not Allowed", status_as_text=False)

    def _apply_fault(self, handler: _Handler, record: RecordedRequest, fault: _Fault) -> None:
        name, params = fault.name, fault.params
        if name == "status_500":
            self._error(handler, record, 500, "HTTP-500", "Internal Server Error")
        elif name == "html_502":
            handler.close_connection = True
            self._send(handler, record, 502, _HTML_502, content_type="text/html")
        elif name == "status":
            status = int(params.get("status", 418))
            self._error(handler, record, status, f"HTTP-{status}", "Sandbox status")
        elif name == "malformed_json":
            self._send(handler, record, 200, b'{"id": "6373a1b2c3d4e5f6a7b8c9d0", "tenantId": ')
        elif name == "wrong_shape":
            self._send(handler, record, 200, str(params.get("body", "[]")).encode())
        elif name == "oversized":
            self._send_oversized(handler, record, params)
        elif name == "offsite_redirect":
            user = self._caller_or_admin(record)
            location = params.get("location") or f"{params['target']}{API}/users/{user.id}"
            self._send(handler, record, 301, headers={"Location": str(location)})
        elif name == "redirect_loop":
            if params.get("growing"):
                hop = int(parse_qs(record.query).get("hop", ["0"])[0]) + 1
                location = f"{self.origin}{record.path}?hop={hop}"
            else:
                location = f"{self.origin}{record.path}" + (
                    f"?{record.query}" if record.query else ""
                )
            self._send(handler, record, 301, headers={"Location": location})
        elif name == "reset":
            self._reset(handler, record)
        elif name == "rate_limit":
            retry_after = int(params.get("retry_after", 1))
            value = (
                email.utils.format_datetime(
                    self._now() + timedelta(seconds=retry_after), usegmt=True
                )
                if params.get("http_date")
                else str(retry_after)
            )
            self._error(
                handler,
                record,
                429,
                "HTTP-429",
                "API rate limit reached.",
                detail=f"You need to wait {retry_after} seconds until limit is lifted.",
                headers={"Retry-After": value},
            )
        elif name == "rate_limit_no_retry_after":
            self._error(handler, record, 429, "HTTP-429", "API rate limit reached.")
        elif name == "forbidden_me":
            self._error(handler, record, 403, "HTTP-403", "Forbidden", status_as_text=False)
        elif name == "not_found":
            self._error(handler, record, 404, "HTTP-404", "Not Found", status_as_text=False)

    def _caller_or_admin(self, record: RecordedRequest) -> SandboxUser:
        with self._lock:
            entry = self._keys_by_id.get(record.key_id or "")
        return self._caller(entry) or self.admin

    def _send_oversized(
        self, handler: _Handler, record: RecordedRequest, params: dict[str, Any]
    ) -> None:
        size = int(float(params.get("mb", 50)) * 1024 * 1024)
        declare = bool(params.get("declare_length", True))
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        if declare:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        record.status = 200
        chunk = b'{"data":"' + b"x" * (_BODY_CHUNK - 9)
        try:
            while record.body_bytes_sent < size and not self._stopping.is_set():
                piece = chunk[: size - record.body_bytes_sent]
                if declare:
                    handler.wfile.write(piece)
                else:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                record.body_bytes_sent += len(piece)
                chunk = b"x" * _BODY_CHUNK
            if not declare:
                handler.wfile.write(b"0\r\n\r\n")
        except (OSError, ValueError):
            handler.close_connection = True

    @staticmethod
    def _reset(handler: _Handler, record: RecordedRequest) -> None:
        handler.close_connection = True
        record.status = 0
        connection = handler.connection
        with contextlib.suppress(OSError, ValueError):
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Le")
            handler.wfile.flush()
            # Linger 0: close() sends a TCP RST instead of an orderly FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.rfile.close()  # the file holds a reference that would delay close()
            connection.close()


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _redacted_headers(handler: _Handler) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        lowered = name.lower()
        headers[lowered] = "<redacted>" if lowered in ("authorization", "cookie") else value
    return headers


# --------------------------------------------------------------------------------------------
# A second origin that records what reaches it


class OffsiteRecorder(_LoopbackServer):
    """Another origin: records every connection and request; answers 200 with a JSON body.

    Used as an HTTPS proxy (``HTTPS_PROXY`` pointing at a plain-HTTP recorder) it records the
    ``CONNECT`` and refuses the tunnel with 403.

    If a client ever followed an offsite redirect, ``requests`` would show it (with
    ``authorization`` True when the key came along) and ``connections`` would be non-zero.
    """

    def __init__(
        self, host: str = "127.0.0.2", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(host, port, ssl_context)
        self._requests: list[RecordedRequest] = []

    def start(self) -> OffsiteRecorder:
        super().start()
        return self

    def __enter__(self) -> OffsiteRecorder:
        return self.start()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        token = _bearer(handler.headers.get("Authorization"))
        record = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=split.query,
            authorization=handler.headers.get("Authorization") is not None,
            key_id=key_id_of(token),
            headers=_redacted_headers(handler),
        )
        with self._lock:
            self._requests.append(record)
        self._drain_body(handler)
        if handler.command == "CONNECT":  # used as an HTTPS proxy: refuse to tunnel
            handler.close_connection = True
            self._send_json(handler, record, 403, {"recorded": True, "tunnel": "refused"})
            return
        self._send_json(handler, record, 200, {"recorded": True, "path": quote(split.path)})
