"""The HTTP transport under ``QlikClient``: one ``httpx.AsyncClient`` with our TLS, proxy and
timeout policy, and the translation of transport failures into ``qlik_tui.core.errors``.

CONTRACT:
    make_http_client(settings) -> httpx.AsyncClient   # TLS always verified; proxies checked first
    SpreadTransport(make, connections=n)               # HTTP/2 past 100 streams: another pool
    http2_available() -> bool                          # the h2 package is installed
    tls_context() -> ssl.SSLContext                    # SSL_CERT_FILE / SSL_CERT_DIR or certifi
    proxy_for(url) -> EnvironmentProxy | None          # the proxy the environment names for url
    map_transport_error(exc, ...) -> QlikError         # DNS, refused, reset, TLS, timeout, proxy
    unreadable_location(exc) -> str | None             # a Location httpx could not parse
    await https_hint(failure, url, settings) -> QlikError   # a dropped http:// to a TLS port
    read_capped(response, limit) -> bytes              # a body, refused past the limit
"""

from __future__ import annotations

import os
import platform
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

import qlik_tui
from qlik_tui.core.errors import (
    CaCertificatesUnreadable,
    ConnectionRefused,
    ConnectionReset,
    DNSFailure,
    NetworkFailure,
    NotHttps,
    ProxyFailure,
    ProxySettingInvalid,
    QlikError,
    RequestTimedOut,
    ResponseTooLarge,
    SpeaksHttps,
    TLSFailure,
)
from qlik_tui.core.regular_file import refuse_unless_regular
from qlik_tui.core.settings import ClientSettings as ClientSettings  # re-exported
from qlik_tui.core.settings import Deadline as Deadline  # re-exported
from qlik_tui.core.untrusted import neutralise

if TYPE_CHECKING:
    pass

USER_AGENT = f"qlik-tui/{qlik_tui.__version__} ({platform.system().lower() or 'unknown'})"


def tls_context() -> ssl.SSLContext:
    """A verifying client context; SSL_CERT_FILE / SSL_CERT_DIR replace the bundled CA list.

    httpx 0.28 does the same for ``verify=True``; building it here keeps that behaviour across
    httpx versions and reports an unreadable CA file as that setting's problem.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    try:
        if cafile:
            refuse_unless_regular(Path(cafile))  # OpenSSL would wait forever on a FIFO
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


def http2_available() -> bool:
    """The ``h2`` package can be imported (httpx speaks HTTP/2 only with it). Its package alone
    is cheap; httpcore loads the rest only once a tenant has chosen HTTP/2."""
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True


def make_http_client(settings: ClientSettings | None = None) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with this module's policy (the same for every origin); share
    one per tenant origin. Raises ``SettingError`` when SSL_CERT_FILE / SSL_CERT_DIR or a
    proxy variable cannot be used as written.

    HTTP/2 is offered (ALPN) when ``h2`` is installed: a tenant that takes it (Qlik Cloud
    does) carries every request to it as a stream of one connection, one TLS handshake; a
    tenant that does not is spoken to in HTTP/1.1, a kept-alive connection per request in
    flight."""
    settings = settings or ClientSettings()
    proxies = environment_proxies()
    for proxy in proxies:
        proxy.validate()
    failure: QlikError | None = None
    verify = tls_context()
    http2 = http2_available()
    # As many kept alive as may be in flight: a connection is never closed only to be
    # opened again (another TLS handshake) by the next of many checks.
    limits = httpx.Limits(
        max_connections=settings.max_in_flight,
        max_keepalive_connections=settings.max_in_flight,
    )
    # httpx applies the environment's proxies only to a client with its own transport: with
    # a proxy set, every request goes its way (one connection to the proxy, as before).
    spread = (
        None
        if proxies
        else SpreadTransport(
            lambda: httpx.AsyncHTTPTransport(verify=verify, http2=http2, limits=limits),
            connections=-(-settings.max_streams // STREAMS_PER_CONNECTION) if http2 else 1,
        )
    )
    try:
        return httpx.AsyncClient(
            transport=spread,
            verify=verify,
            trust_env=True,
            http2=http2,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            limits=limits,
        )
    except ImportError:  # httpx needs the optional socksio package for socks:// proxies
        failure = _proxy_setting_problem(
            lambda p: p.scheme.startswith("socks"),
            "SOCKS proxies need the optional socksio package, which is not installed",
        )
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        failure = _proxy_setting_problem(lambda p: True, f"httpx refused it: {_short(exc)}")
    raise failure


STREAMS_PER_CONNECTION = 100  # httpcore opens one HTTP/2 connection per origin, capped at 100


class SpreadTransport(httpx.AsyncBaseTransport):
    """Requests over up to ``connections`` pools: the first that has fewer than 100 requests
    in flight takes the next, a new one is opened only when all are that busy. httpcore
    carries every request to an origin on one HTTP/2 connection of at most 100 streams, so
    200 keys' 400 requests would need four round trips on it; over HTTP/1.1 (at most
    ``max_in_flight`` at once, fewer than 100) only the first pool is ever used."""

    def __init__(
        self, make: Callable[[], httpx.AsyncBaseTransport], *, connections: int = 1
    ) -> None:
        self._make = make
        self._most = max(1, connections)
        self._pools: list[httpx.AsyncBaseTransport] = []
        self._in_flight: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._choose()
        self._in_flight[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            raise
        response.stream = _Releasing(response.stream, lambda: self._release(index))
        return response

    def _choose(self) -> int:
        for index, count in enumerate(self._in_flight):
            if count < STREAMS_PER_CONNECTION:
                return index
        if len(self._pools) < self._most:
            self._pools.append(self._make())
            self._in_flight.append(0)
            return len(self._pools) - 1
        return min(range(len(self._pools)), key=self._in_flight.__getitem__)

    def _release(self, index: int) -> None:
        self._in_flight[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Releasing(httpx.AsyncByteStream):
    """A response's body that counts its request as ended once closed."""

    def __init__(
        self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, release: Callable[[], None]
    ) -> None:
        assert isinstance(stream, httpx.AsyncByteStream)
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


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


def map_transport_error(
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


async def https_hint(failure: QlikError, url: httpx.URL, settings: ClientSettings) -> QlikError:
    """``SpeaksHttps`` when an http:// request was dropped by a port that answers a TLS
    handshake (nothing is sent in it), else ``failure`` as it is. http:// is only ever allowed
    for this computer (loopback), so the probe never leaves it."""
    if not isinstance(failure, ConnectionReset) or url.scheme != "http" or url.host is None:
        return failure
    import asyncio  # deferred: only on this failure path

    port = url.port or 80
    try:
        connecting = asyncio.open_connection(url.host, port, ssl=tls_context(),
                                             server_hostname=url.host)  # fmt: skip
        _, writer = await asyncio.wait_for(connecting, settings.connect_timeout)
    except ssl.SSLCertVerificationError:
        pass  # a certificate came back: TLS is spoken there, whoever signed it
    except (OSError, asyncio.TimeoutError, QlikError):
        return failure
    else:
        writer.close()
    host = f"[{url.host}]:{port}" if ":" in url.host else f"{url.host}:{port}"
    return SpeaksHttps(f"{host}: answers TLS; the address needs https://")


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


def unreadable_location(exc: httpx.TransportError) -> str | None:
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


async def read_capped(response: httpx.Response, limit: int) -> bytes:
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


async def read_prefix(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes: an error body only matters for its (small) envelope."""
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) >= limit:
            break
    return bytes(buffer[:limit])
