"""Async Qlik Cloud REST client over one ``httpx.AsyncClient``.

CONTRACT:
    async with QlikClient(tenant, key, settings=ClientSettings()) as client:
        res = await client.me()              # -> ApiResult[User]
        res = await client.api_key(key_id)   # -> ApiResult[ApiKeyRecord]
        res = await client.list_api_keys(sub=..., status="active", limit=100)
                                             # -> ApiResult[list[ApiKeyRecord]] (follows `next`)
        res = await client.api_key_config(tenant_id)   # -> ApiResult[ApiKeyConfig]
        res = await client.create_api_key(description, expiry="P30D")  # -> ApiResult[CreatedKey]
        res = await client.delete_api_key(key_id)       # -> ApiResult[None] (204)
        res = await client.tenant_me()                 # -> ApiResult[TenantRecord]
    Failures raise ``qlik_tui.core.errors.QlikError`` subclasses.
    ``QlikClient(..., http=shared_async_client)`` reuses a client (one per tenant origin);
    use ``make_http_client(settings)`` to build one with the right policy.

Policy:
- Redirects are followed here, not by httpx: same origin (scheme, host, port) with the key, at
  most ``max_redirects``; any other origin raises ``OffsiteRedirect`` without a request to it.
- TLS is always verified. ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` replace the bundled CAs (for
  corporate proxies); proxy variables are honoured (``trust_env``).
- The key goes into each request's Authorization header only (the shared client has none).
- Bodies are streamed and cut at ``max_body_bytes``; 429 honours ``retry-after`` within bounds.
- Exceptions raised from here carry no cause or context: httpx exceptions hold the request,
  and the request holds the key.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import platform
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import quote

import httpx

import qlik_tui
from qlik_tui.core.errors import (
    CaCertificatesUnreadable,
    ConnectionRefused,
    ConnectionReset,
    DNSFailure,
    DowngradeRedirect,
    Forbidden,
    KeyRejected,
    LookalikeRedirect,
    MalformedResponse,
    NetworkFailure,
    NotFound,
    NotHttps,
    OffsiteRedirect,
    ProxyFailure,
    ProxySettingInvalid,
    QlikError,
    RateLimited,
    RateLimitWaitRefused,
    RedirectLoop,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
    StatusError,
    TLSFailure,
)
from qlik_tui.core.models import (
    ApiKeyConfig,
    ApiKeyRecord,
    TenantRecord,
    User,
    parse_error_envelope,
)
from qlik_tui.core.settings import ClientSettings as ClientSettings  # re-exported
from qlik_tui.core.settings import Deadline as Deadline  # re-exported
from qlik_tui.core.untrusted import neutralise

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.tenant import Tenant

T = TypeVar("T")

USER_AGENT = f"qlik-tui/{qlik_tui.__version__} ({platform.system().lower() or 'unknown'})"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ApiResult(Generic[T]):
    value: T
    status_code: int
    latency_ms: float  # whole call, including redirects and retries
    rate_limit_waited_s: float = 0.0
    url: str = ""  # final URL (never contains the key)
    complete: bool = True  # False when paging stopped at max_pages with more to come


@dataclass(frozen=True)
class CreatedKey:
    """A key the tenant has just created: its record and the key itself (shown only once)."""

    record: ApiKeyRecord
    key: ApiKey

    def __repr__(self) -> str:
        return f"CreatedKey(id={self.record.id!r}, key=<hidden>)"


# --------------------------------------------------------------------------------------------
# The shared httpx client


def tls_context() -> ssl.SSLContext:
    """A verifying client context; SSL_CERT_FILE / SSL_CERT_DIR replace the bundled CA list.

    httpx 0.28 does the same for ``verify=True``; building it here keeps that behaviour across
    httpx versions and reports an unreadable CA file as that setting's problem.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    try:
        if cafile or capath:
            return ssl.create_default_context(cafile=cafile, capath=capath)
        import certifi  # deferred: not needed when SSL_CERT_FILE / SSL_CERT_DIR is set

        return ssl.create_default_context(cafile=certifi.where())
    except (OSError, ssl.SSLError) as exc:
        setting, where = ("SSL_CERT_FILE", cafile) if cafile else ("SSL_CERT_DIR", capath)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _tls_reason(exc)
        reason = f"{neutralise(str(where))}: {neutralise(str(why))}"
        failure = CaCertificatesUnreadable(setting=setting, reason=reason)
    raise failure


def make_http_client(settings: ClientSettings | None = None) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with this module's policy (the same for every origin); share
    one per tenant origin. Raises ``SettingError`` when SSL_CERT_FILE / SSL_CERT_DIR or a
    proxy variable cannot be used as written."""
    settings = settings or ClientSettings()
    for proxy in environment_proxies():
        proxy.validate()
    failure: QlikError | None = None
    try:
        return httpx.AsyncClient(
            verify=tls_context(),
            trust_env=True,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
    except ImportError:  # httpx needs the optional socksio package for socks:// proxies
        failure = _proxy_setting_problem(
            lambda p: p.scheme.startswith("socks"),
            "SOCKS proxies need the optional socksio package, which is not installed",
        )
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        failure = _proxy_setting_problem(lambda p: True, f"httpx refused it: {_short(exc)}")
    raise failure


# --------------------------------------------------------------------------------------------
# Proxies from the environment (what httpx's trust_env uses)


@dataclass(frozen=True)
class EnvironmentProxy:
    """One proxy variable: its name (``HTTPS_PROXY``...) and its value, as httpx reads it."""

    setting: str
    value: str

    @property
    def url_text(self) -> str:
        # httpx reads a value without a scheme as an http:// proxy
        return self.value if "://" in self.value else f"http://{self.value}"

    @property
    def scheme(self) -> str:
        return self.url_text.split("://", 1)[0].lower()

    @property
    def display(self) -> str:
        """scheme://host:port: never the credentials the value may carry."""
        try:
            url = httpx.URL(self.url_text)
            host = url.raw_host.decode("ascii", "replace")
            port = f":{url.port}" if url.port else ""
        except (httpx.InvalidURL, ValueError, TypeError, UnicodeError):
            return neutralise(self.setting)
        return neutralise(f"{url.scheme}://{host}{port}")

    def validate(self) -> None:
        """Raise ``ProxySettingInvalid`` when httpx could not use this value as a proxy."""
        reason: str | None = None
        if self.scheme not in _PROXY_SCHEMES:
            reason = f"the scheme {neutralise(self.scheme)}:// is not a proxy scheme"
        else:
            try:
                url = httpx.URL(self.url_text)
                port = url.port
                if not _HOST_NAME.fullmatch(url.raw_host.decode("ascii", "replace")):
                    reason = "it names no usable host"
                elif port is not None and not 0 < port < 65536:
                    reason = f"the port {port} is out of range"
            except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
                reason = f"it is not an address ({neutralise(_short(exc))})"
        if reason is not None:
            raise ProxySettingInvalid(setting=self.setting, reason=reason)


_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_HOST_NAME = re.compile(r"[A-Za-z0-9_.:-]+")  # a DNS name, an IPv4 or a (bracketless) IPv6
_PROXY_VARIABLES = {
    "http": ("http_proxy", "HTTP_PROXY"),
    "https": ("https_proxy", "HTTPS_PROXY"),
    "all": ("all_proxy", "ALL_PROXY"),
}


def environment_proxies() -> list[EnvironmentProxy]:
    """Every proxy variable set in the environment (lower case first, as urllib reads them)."""
    found: list[EnvironmentProxy] = []
    for names in _PROXY_VARIABLES.values():
        for name in names:
            value = os.environ.get(name, "").strip()
            if value:
                found.append(EnvironmentProxy(name, value))
                break
    return found


def proxy_for(url: httpx.URL) -> EnvironmentProxy | None:
    """The proxy httpx sends requests for ``url`` through, or None (direct, or NO_PROXY)."""
    by_scheme = {
        scheme: proxy
        for scheme, names in _PROXY_VARIABLES.items()
        for proxy in environment_proxies()
        if proxy.setting in names
    }
    proxy = by_scheme.get(url.scheme) or by_scheme.get("all")
    if proxy is None:
        return None
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    host = url.host.lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        name = entry.split("://", 1)[-1].rsplit(":", 1)[0] if "]" not in entry else entry
        if entry == "*" or (
            name and (host == name.lstrip(".") or host.endswith("." + name.lstrip(".")))
        ):
            return None
    return proxy


def _proxy_setting_problem(
    matches: Callable[[EnvironmentProxy], bool], reason: str
) -> ProxySettingInvalid:
    chosen = next((p for p in environment_proxies() if matches(p)), None)
    setting = chosen.setting if chosen else "HTTPS_PROXY"
    return ProxySettingInvalid(setting=setting, reason=reason)


# --------------------------------------------------------------------------------------------
# Helpers


def _origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


def _display_host(url: httpx.URL) -> str:
    """host[:port] in its ASCII form: an internationalised name as punycode (xn--...), never
    decoded into letters that may imitate another host's, and never a control character."""
    host = url.raw_host.decode("ascii", "backslashreplace")
    host = f"[{host}]" if ":" in host else host
    return neutralise(f"{host}:{url.port}" if url.port else host)


def _is_internationalised(url: httpx.URL) -> bool:
    return any(label.startswith(b"xn--") for label in url.raw_host.lower().split(b"."))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``retry-after`` as seconds to wait: delta-seconds or an HTTP-date; junk -> None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = getattr(current, "exceptions", None)  # ExceptionGroup from happy eyeballs
        if isinstance(nested, (list, tuple)):
            todo.extend(e for e in nested if isinstance(e, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)


def _first(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((e for e in _exception_chain(exc) if isinstance(e, kind)), None)


def _tls_reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return str(error.verify_message).rstrip(".")
    if isinstance(error, ssl.SSLError):
        return str(error.reason or error.strerror or type(error).__name__).replace("_", " ").lower()
    return str(error)


def _map_transport_error(
    exc: httpx.TransportError,
    settings: ClientSettings,
    host: str,
    proxy: EnvironmentProxy | None = None,
) -> QlikError:
    """httpx's exception (which holds the request, hence the key) -> one of ours, key-free."""
    through_proxy = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError))
    if proxy is not None and through_proxy and _first(exc, ssl.SSLError) is None:
        return _proxy_failure(exc, proxy)  # connecting means connecting to the proxy
    if isinstance(exc, httpx.TimeoutException):
        phase, seconds = {
            httpx.ConnectTimeout: ("connect", settings.connect_timeout),
            httpx.ReadTimeout: ("read", settings.read_timeout),
            httpx.WriteTimeout: ("write", settings.write_timeout),
            httpx.PoolTimeout: ("pool", settings.pool_timeout),
        }.get(type(exc), ("network", settings.read_timeout))
        return RequestTimedOut(
            f"{host}: {phase} timeout after {seconds:g} s", phase=phase, seconds=seconds
        )
    verify_error = _first(exc, ssl.SSLCertVerificationError)
    if verify_error is not None:
        reason = _tls_reason(verify_error)
        return TLSFailure(f"{host}: certificate verify failed: {reason}", reason=reason)
    if isinstance(exc, httpx.ConnectError):
        if _first(exc, socket.gaierror) is not None:
            return DNSFailure(f"{host}: name not found")
        tls_error = _first(exc, ssl.SSLError)
        if tls_error is not None:
            reason = _tls_reason(tls_error)
            if isinstance(tls_error, ssl.SSLError) and tls_error.reason in _NOT_TLS_REASONS:
                return NotHttps(f"{host}: the port does not speak HTTPS: {reason}", reason=reason)
            return TLSFailure(f"{host}: TLS handshake failed: {reason}", reason=reason)
        if _first(exc, ConnectionRefusedError) is not None or "refused" in str(exc).lower():
            return ConnectionRefused(f"{host}: connection refused")
        if "name or service not known" in str(exc).lower() or "nodename" in str(exc).lower():
            return DNSFailure(f"{host}: name not found")
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return ConnectionReset(f"{host}: connection closed mid-answer ({type(exc).__name__})")
    if isinstance(exc, httpx.ProxyError):
        return NetworkFailure(f"{host}: the proxy failed: {_short(exc)}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return NetworkFailure(f"{host}: unsupported address scheme")
    return NetworkFailure(f"{host}: {type(exc).__name__}: {_short(exc)}")


# OpenSSL's words for "the bytes that came back are not a TLS record" (e.g. an HTTP answer)
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"}
)


def _proxy_failure(exc: httpx.TransportError, proxy: EnvironmentProxy) -> ProxyFailure:
    if isinstance(exc, httpx.ConnectTimeout):
        reason = "it did not answer in time"
    elif _first(exc, socket.gaierror) is not None:
        reason = "its host name was not found"
    elif isinstance(exc, httpx.ProxyError):
        reason = f"it answered {neutralise(_short(exc))}"
    elif _first(exc, ConnectionRefusedError) is not None or "refused" in str(exc).lower():
        reason = "it refused the connection"
    else:
        reason = f"the connection to it failed ({neutralise(_short(exc))})"
    return ProxyFailure(proxy=proxy.display, setting=proxy.setting, reason=reason)


_BAD_LOCATION = re.compile(r"^Invalid URL in location header: .*?(?:hostname: '(?P<host>.*)')?\.?$")


def _unreadable_location(exc: httpx.TransportError) -> str | None:
    """httpx reads a redirect's Location while receiving the answer, even when it will not
    follow it; a host it cannot parse (raw Unicode, controls) fails the whole exchange there.
    That is a redirect to a host we cannot use: the host as shown (escaped), else a phrase."""
    if not isinstance(exc, httpx.RemoteProtocolError):
        return None
    match = _BAD_LOCATION.match(str(exc).splitlines()[0] if str(exc) else "")
    if match is None:
        return None
    host = match.group("host")
    return neutralise(host, limit=120) if host else "a host name that cannot be read"


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _decode_json(body: bytes, status: int) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        problem = "is empty" if not body.strip() else "is not JSON"
        failure = MalformedResponse(f"the HTTP {status} answer {problem}", status_code=status)
    raise failure


@dataclass
class _CallState:
    waited_s: float = 0.0
    redirects: int = 0
    retries: int = 0
    visited: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Raw:
    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL


# --------------------------------------------------------------------------------------------
# The client


class QlikClient:
    """Talks to one tenant with one key. Use as ``async with``; methods return ``ApiResult``."""

    def __init__(
        self,
        tenant: Tenant,
        key: ApiKey,
        *,
        settings: ClientSettings | None = None,
        http: httpx.AsyncClient | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self._tenant = tenant
        self._key = key
        self._settings = settings or ClientSettings()
        self._http = http
        self._owns_http = http is None
        self._origin = httpx.URL(tenant.origin)
        self._deadline = deadline  # no retry-after wait may run past it

    def __repr__(self) -> str:
        return f"QlikClient({self._tenant.origin!r}, key=<hidden>)"

    @property
    def settings(self) -> ClientSettings:
        return self._settings

    async def __aenter__(self) -> QlikClient:
        self._require_http()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    def _require_http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = make_http_client(self._settings)
            self._owns_http = True
        return self._http

    # --- endpoints ---------------------------------------------------------------------------

    async def me(self) -> ApiResult[User]:
        """GET /api/v1/users/me (answered with a same-origin 301 to /users/{id})."""
        return await self._call("/api/v1/users/me", None, User.from_json)

    async def api_key(self, key_id: str) -> ApiResult[ApiKeyRecord]:
        return await self._call(
            f"/api/v1/api-keys/{quote(key_id, safe='')}", None, ApiKeyRecord.from_json
        )

    async def api_key_config(self, tenant_id: str) -> ApiResult[ApiKeyConfig]:
        path = f"/api/v1/api-keys/configs/{quote(tenant_id, safe='')}"
        return await self._call(path, None, ApiKeyConfig.from_json)

    async def list_api_keys(
        self, sub: str | None = None, status: str | None = "active", limit: int = 100
    ) -> ApiResult[list[ApiKeyRecord]]:
        """All pages of GET /api/v1/api-keys (same-origin ``links.next`` only, bounded)."""
        params: dict[str, str] = {"limit": str(max(1, min(limit, 100))), "sort": "-created"}
        if sub:
            params["sub"] = sub
        if status:
            params["status"] = status
        start = time.perf_counter()
        state = _CallState()
        records: list[ApiKeyRecord] = []
        url: str | None = self._url("/api/v1/api-keys")
        query: dict[str, str] | None = params
        seen_pages: set[str] = set()
        pages = 0
        last: _Raw | None = None
        try:
            while url is not None and pages < self._settings.max_pages:
                seen_pages.add(url)
                last = await self._fetch(url, query, state)
                pages += 1
                page = _decode_json(last.body, last.status)
                records.extend(_page_items(page, last.status))
                url = self._next_page(page, last.url, seen_pages)
                query = None  # the next link carries its own query
        except QlikError as exc:
            self._annotate(exc, start, state)
            raise
        assert last is not None
        return ApiResult(
            value=records,
            status_code=last.status,
            latency_ms=(time.perf_counter() - start) * 1000,
            rate_limit_waited_s=state.waited_s,
            url=str(last.url),
            complete=url is None,
        )

    async def create_api_key(
        self, description: str, expiry: str | None = None
    ) -> ApiResult[CreatedKey]:
        """POST /api/v1/api-keys: a new key for the caller (``expiry``: ISO 8601 duration;
        None leaves it to the tenant's maximum). The answer's ``token`` is the new key."""
        body: dict[str, str] = {"description": description}
        if expiry:
            body["expiry"] = expiry
        return await self._write("POST", "/api/v1/api-keys", body, _created_key)

    async def delete_api_key(self, key_id: str) -> ApiResult[None]:
        """DELETE /api/v1/api-keys/{id}: removes the caller's own key; revokes another user's
        key when the caller is a TenantAdmin."""
        path = f"/api/v1/api-keys/{quote(key_id, safe='')}"
        return await self._write("DELETE", path, None, lambda _: None)

    async def tenant_me(self) -> ApiResult[TenantRecord]:
        """GET /api/v1/tenants/me (answered with a same-origin 302 to /tenants/{id})."""
        return await self._call("/api/v1/tenants/me", None, TenantRecord.from_json)

    async def api_key_page(
        self, url: str | None = None, *, sub: str | None = None, status: str | None = "active",
        limit: int = 100,
    ) -> tuple[ApiResult[list[ApiKeyRecord]], str | None]:  # fmt: skip
        """One page of GET /api/v1/api-keys and the same-origin next-page URL (None: last).
        ``url`` is a next-page URL from an earlier call; without it the first page is asked."""
        start = time.perf_counter()
        state = _CallState()
        query: dict[str, str] | None = None
        if url is None:
            query = {"limit": str(max(1, min(limit, 100))), "sort": "-created"}
            query.update({k: v for k, v in (("sub", sub), ("status", status)) if v})
            url = self._url("/api/v1/api-keys")
        elif _origin_of(httpx.URL(url)) != _origin_of(self._origin):
            raise MalformedResponse("the next-page link points to another host; not followed")
        try:
            raw = await self._fetch(url, query, state)
            page = _decode_json(raw.body, raw.status)
            records = _page_items(page, raw.status)
            next_url = self._next_page(page, raw.url, {str(raw.url)})
        except QlikError as exc:
            self._annotate(exc, start, state)
            raise
        result = ApiResult(
            value=records,
            status_code=raw.status,
            latency_ms=(time.perf_counter() - start) * 1000,
            rate_limit_waited_s=state.waited_s,
            url=str(raw.url),
            complete=next_url is None,
        )
        return result, next_url

    async def _write(
        self, method: str, path: str, body: dict[str, str] | None, parse: Callable[[object], T]
    ) -> ApiResult[T]:
        """One POST or DELETE: no redirects followed (a write is never replayed elsewhere);
        429 honoured as for reads (the tenant did not act on a rate-limited request)."""
        start = time.perf_counter()
        state = _CallState()
        settings = self._settings
        try:
            while True:
                raw = await self._send_write(method, self._url(path), body)
                if raw.status == 429:
                    retry_after = parse_retry_after(raw.headers.get("retry-after"))
                    wait = retry_after if retry_after is not None else settings.default_retry_wait
                    if state.retries >= settings.max_retries or wait > settings.max_retry_wait:
                        shown = "unknown" if retry_after is None else f"{retry_after:g} s"
                        raise RateLimited(
                            429,
                            parse_error_envelope(raw.body),
                            retry_after,
                            f"HTTP 429: rate limited (retry-after {shown}, "
                            f"waited {state.waited_s:g} s)",
                        )
                    await asyncio.sleep(wait)
                    state.waited_s += wait
                    state.retries += 1
                    continue
                if not 200 <= raw.status < 300:
                    raise self._status_error(raw)
                value = (
                    parse(None) if raw.status == 204 or not raw.body else _parse_body(raw, parse)
                )
                break
        except QlikError as exc:
            self._annotate(exc, start, state)
            raise
        return ApiResult(
            value=value,
            status_code=raw.status,
            latency_ms=(time.perf_counter() - start) * 1000,
            rate_limit_waited_s=state.waited_s,
            url=str(raw.url),
        )

    async def _send_write(self, method: str, url: str, body: dict[str, str] | None) -> _Raw:
        http = self._require_http()
        host = _display_host(self._origin)
        failure: QlikError | None = None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        try:
            headers["Authorization"] = "Bearer " + self._key.reveal()
            request = http.build_request(method, url, json=body, headers=headers)
        except (UnicodeError, ValueError, httpx.InvalidURL):
            failure = NetworkFailure(
                "the request could not be built (a character in the key or address cannot be sent)"
            )
        if failure is not None:
            raise failure
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                limit = (
                    self._settings.max_body_bytes
                    if 200 <= status < 300
                    else self._settings.max_error_body_bytes
                )
                reader = _read_capped if 200 <= status < 300 else _read_prefix
                payload = await reader(response, limit)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            failure = _map_transport_error(exc, self._settings, host)
        except httpx.DecodingError:
            failure = MalformedResponse("the answer's content encoding is corrupt")
        except httpx.StreamError as exc:
            failure = NetworkFailure(f"{host}: {type(exc).__name__}")
        if failure is not None:
            raise failure  # outside the except block: no __context__ holding the request
        if status in _REDIRECT_STATUSES:
            raise MalformedResponse(
                f"HTTP {status}: a {method} was redirected; not followed", status_code=status
            )
        return _Raw(status=status, headers=response.headers, body=payload, url=response.url)

    # --- machinery ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return str(self._origin.join(path))

    def _next_page(self, page: object, current: httpx.URL, seen: set[str]) -> str | None:
        links = page.get("links") if isinstance(page, dict) else None
        nxt = links.get("next") if isinstance(links, dict) else None
        href = nxt.get("href") if isinstance(nxt, dict) else nxt
        if not isinstance(href, str) or not href:
            return None
        try:
            target = current.join(href)
        except httpx.InvalidURL:
            target = None
        if target is None:
            raise MalformedResponse("the next-page link is not a usable URL")
        if _origin_of(target) != _origin_of(self._origin):
            raise MalformedResponse(
                f"the next-page link points to another host ({_display_host(target)}); "
                "not followed, the key was not sent there"
            )
        text = str(target)
        return None if text in seen else text

    async def _call(
        self, path: str, params: dict[str, str] | None, parse: Callable[[object], T]
    ) -> ApiResult[T]:
        start = time.perf_counter()
        state = _CallState()
        try:
            raw = await self._fetch(self._url(path), params, state)
            value = _parse_body(raw, parse)
        except QlikError as exc:
            self._annotate(exc, start, state)
            raise
        return ApiResult(
            value=value,
            status_code=raw.status,
            latency_ms=(time.perf_counter() - start) * 1000,
            rate_limit_waited_s=state.waited_s,
            url=str(raw.url),
        )

    @staticmethod
    def _annotate(exc: QlikError, start: float, state: _CallState) -> None:
        exc.latency_ms = (time.perf_counter() - start) * 1000
        exc.rate_limit_waited_s = state.waited_s

    async def _fetch(self, url: str, params: dict[str, str] | None, state: _CallState) -> _Raw:
        """One logical GET: follows same-origin redirects, honours 429, maps error statuses."""
        settings = self._settings
        while True:
            raw = await self._send_once(url, params)
            url, params = str(raw.url), None  # from now on the URL carries the query
            state.visited.add(url)
            if raw.status in _REDIRECT_STATUSES:
                url = self._redirect_target(raw, state)
                continue
            if raw.status == 429:
                envelope = parse_error_envelope(raw.body)
                retry_after = parse_retry_after(raw.headers.get("retry-after"))
                wait = retry_after if retry_after is not None else settings.default_retry_wait
                if state.retries >= settings.max_retries or wait > settings.max_retry_wait:
                    shown = "unknown" if retry_after is None else f"{retry_after:g} s"
                    raise RateLimited(
                        429,
                        envelope,
                        retry_after,
                        f"HTTP 429: rate limited (retry-after {shown}, "
                        f"waited {state.waited_s:g} s)",
                    )
                deadline = self._deadline
                if deadline is not None and wait > deadline.remaining():
                    raise RateLimitWaitRefused(
                        429,
                        envelope,
                        retry_after,
                        deadline_s=deadline.seconds,
                        message=f"HTTP 429: asked to wait {wait:g} s, past the deadline",
                    )
                await asyncio.sleep(wait)
                state.waited_s += wait
                state.retries += 1
                continue
            if 200 <= raw.status < 300:
                return raw
            raise self._status_error(raw)

    def _redirect_target(self, raw: _Raw, state: _CallState) -> str:
        location = raw.headers.get("location")
        if not location:
            raise MalformedResponse(
                f"HTTP {raw.status} redirect without a Location", status_code=raw.status
            )
        try:
            target: httpx.URL | None = raw.url.join(location)
        except httpx.InvalidURL:
            target = None
        if target is None or target.scheme not in _DEFAULT_PORTS or not target.host:
            raise MalformedResponse(
                f"HTTP {raw.status} redirect to an unusable Location", status_code=raw.status
            )
        if _origin_of(target) != _origin_of(self._origin):
            shown = _display_host(target)
            if (
                self._origin.scheme == "https"
                and target.scheme == "http"
                and target.raw_host.lower() == self._origin.raw_host.lower()
            ):
                raise DowngradeRedirect(neutralise(location), f"http://{shown}")
            if _is_internationalised(target):
                raise LookalikeRedirect(neutralise(location), shown)
            raise OffsiteRedirect(neutralise(location), shown)
        state.redirects += 1
        limit = self._settings.max_redirects
        if str(target) in state.visited:
            raise RedirectLoop(
                f"redirect loop: {target.path} redirects back to itself", max_redirects=limit
            )
        if state.redirects > limit:
            raise RedirectLoop(f"more than {limit} redirects", max_redirects=limit)
        return str(target)

    @staticmethod
    def _status_error(raw: _Raw) -> QlikError:
        envelope = parse_error_envelope(raw.body)
        status = raw.status
        if status == 401:
            return KeyRejected(status, envelope)
        if status == 403:
            return Forbidden(status, envelope)
        if status == 404:
            return NotFound(status, envelope)
        if status >= 500:
            return ServerError(status, envelope)
        return StatusError(status, envelope)

    async def _send_once(self, url: str, params: dict[str, str] | None) -> _Raw:
        http = self._require_http()
        host = _display_host(self._origin)
        failure: QlikError | None = None
        try:
            request = http.build_request(
                "GET",
                url,
                params=params,
                headers={
                    "Authorization": "Bearer " + self._key.reveal(),
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                },
            )
        except (UnicodeError, ValueError, httpx.InvalidURL):
            # The message of a UnicodeEncodeError would quote the header value, i.e. the key.
            failure = NetworkFailure(
                "the request could not be built (a character in the key or address cannot be sent)"
            )
        if failure is not None:
            raise failure
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                if status in _REDIRECT_STATUSES:
                    # Read the (small) body so the connection goes back to the pool: the
                    # same-origin redirect of /users/me then needs no second TLS handshake.
                    await _read_prefix(response, self._settings.max_error_body_bytes)
                    body = b""
                elif 200 <= status < 300:
                    body = await _read_capped(response, self._settings.max_body_bytes)
                else:
                    body = await _read_prefix(response, self._settings.max_error_body_bytes)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            unreadable = _unreadable_location(exc)
            if unreadable is not None:
                failure = OffsiteRedirect("", unreadable)
            else:
                proxy = proxy_for(request.url)
                failure = _map_transport_error(exc, self._settings, host, proxy)
        except httpx.DecodingError:
            failure = MalformedResponse("the answer's content encoding is corrupt")
        except httpx.StreamError as exc:
            failure = NetworkFailure(f"{host}: {type(exc).__name__}")
        if failure is not None:
            raise failure  # outside the except block: no __context__ holding the request
        return _Raw(status=status, headers=response.headers, body=body, url=response.url)


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The whole body, or ResponseTooLarge as soon as it is known to exceed ``limit``."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(
            f"HTTP {response.status_code} answer announces {int(declared)} bytes (limit {limit})",
            limit=limit,
            received=0,
            declared=int(declared),
            status_code=response.status_code,
        )
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) > limit:
            raise ResponseTooLarge(
                f"HTTP {response.status_code} answer exceeds {limit} bytes",
                limit=limit,
                received=len(buffer),
                status_code=response.status_code,
            )
    return bytes(buffer)


async def _read_prefix(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes: an error body only matters for its (small) envelope."""
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) >= limit:
            break
    return bytes(buffer[:limit])


def _parse_body(raw: _Raw, parse: Callable[[object], T]) -> T:
    try:
        return parse(_decode_json(raw.body, raw.status))
    except MalformedResponse as exc:
        if exc.status_code is None:
            exc.status_code = raw.status
        raise


def _page_items(page: object, status: int) -> list[ApiKeyRecord]:
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list):
        raise MalformedResponse("API key list without a 'data' array", status_code=status)
    return [ApiKeyRecord.from_json(item) for item in data]


def _created_key(obj: object) -> CreatedKey:
    """The 201 answer of POST /api-keys: the record, and its ``token`` as an ``ApiKey``.
    A token that is not an API key is reported without quoting it."""
    from qlik_tui.core.apikey import KeyFormatError, parse_key

    record = ApiKeyRecord.from_json(obj)
    token = obj.get("token") if isinstance(obj, dict) else None
    key: ApiKey | None = None
    if isinstance(token, str):
        try:
            key = parse_key(token)
        except KeyFormatError:
            key = None
    if key is None:
        raise MalformedResponse("the created key's answer holds no usable key ('token')")
    return CreatedKey(record=record, key=key)
