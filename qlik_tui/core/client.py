"""Async Qlik Cloud REST client over one ``httpx.AsyncClient``.

CONTRACT:
    async with QlikClient(tenant, key, settings=ClientSettings()) as client:
        res = await client.me()              # -> ApiResult[User]
        res = await client.caller(sub)       # -> ApiResult[User]: /users/{sub}, else /users/me
        res = await client.api_key(key_id)   # -> ApiResult[ApiKeyRecord]
        res = await client.list_api_keys(sub=..., status="active", limit=100)
                                             # -> ApiResult[list[ApiKeyRecord]] (follows `next`)
        res = await client.api_key_config(tenant_id)   # -> ApiResult[ApiKeyConfig]
        res = await client.create_api_key(description, expiry="P30D")  # -> ApiResult[CreatedKey]
        res = await client.delete_api_key(key_id)       # -> ApiResult[None] (204)
        res = await client.tenant_me()                 # -> ApiResult[TenantRecord]
        res = await client.mint_token(client_id, secret)  # -> ApiResult[AccessToken]
        res = await client.oauth_client(client_id)     # -> ApiResult[OAuthClientRecord]
        res = await client.create_client_secret(client_id)   # -> ApiResult[CreatedClientSecret]
        res = await client.delete_client_secret(client_id, hint)  # -> ApiResult[None]
    ``key`` is an API key or a minted ``AccessToken`` (anything with ``reveal()``); None for a
    client that only mints (``QlikClient(tenant, None)``).
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
- Every request waits for its place in the origin's pace (``core/pacing``): how many at once
  is learnt from the tenant's answers, within Qlik's rate tiers.
- Exceptions raised from here carry no cause or context: httpx exceptions hold the request,
  and the request holds the key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

import httpx

from qlik_tui.core.errors import (
    DowngradeRedirect,
    Forbidden,
    KeyRejected,
    LookalikeRedirect,
    MalformedResponse,
    NetworkFailure,
    NotFound,
    OffsiteRedirect,
    QlikError,
    RateLimited,
    RateLimitWaitRefused,
    RedirectLoop,
    ServerError,
    StatusError,
)
from qlik_tui.core.hidden import DEFAULT_SCOPE
from qlik_tui.core.models import (
    ApiKeyConfig,
    ApiKeyRecord,
    TenantRecord,
    User,
    parse_error_envelope,
)
from qlik_tui.core.pacing import Ticket, pace_for
from qlik_tui.core.pacing import parse_retry_after as parse_retry_after  # re-exported
from qlik_tui.core.responses import (
    ApiResult,
    CreatedKey,
    RawAnswer,
    created_key,
    decode_json,
    page_items,
    parse_body,
)
from qlik_tui.core.settings import ClientSettings as ClientSettings  # re-exported
from qlik_tui.core.settings import Deadline as Deadline  # re-exported
from qlik_tui.core.transport import USER_AGENT as USER_AGENT  # re-exported
from qlik_tui.core.transport import (
    https_hint,
    map_transport_error,
    proxy_for,
    read_capped,
    read_prefix,
    unreadable_location,
)
from qlik_tui.core.transport import make_http_client as make_http_client  # re-exported
from qlik_tui.core.untrusted import neutralise

if TYPE_CHECKING:
    from qlik_tui.core.hidden import AccessToken, ClientSecret
    from qlik_tui.core.oauth import CreatedClientSecret, OAuthClientRecord
    from qlik_tui.core.tenant import Tenant


class Bearer(Protocol):
    """What goes in the Authorization header: an API key or an access token."""

    def reveal(self) -> str: ...


T = TypeVar("T")

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


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


class _CallState:
    """One call's running tally: rate-limit waits, redirects and retries, URLs visited."""

    __slots__ = ("redirects", "retries", "visited", "waited_s")

    def __init__(self) -> None:
        self.waited_s = 0.0
        self.redirects = 0
        self.retries = 0
        self.visited: set[str] = set()


class QlikClient:
    """Talks to one tenant with one key. Use as ``async with``; methods return ``ApiResult``."""

    def __init__(
        self,
        tenant: Tenant,
        key: Bearer | None,
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

    async def user(self, user_id: str) -> ApiResult[User]:
        """GET /api/v1/users/{id}."""
        return await self._call(f"/api/v1/users/{quote(user_id, safe='')}", None, User.from_json)

    async def caller(self, subject: str | None) -> ApiResult[User]:
        """The key's own user in one round trip: ``GET /users/{sub}`` with the ``sub`` claim
        (the tenant checks the key's signature on every request, so an answer proves the key
        as /users/me's does). Where that read is refused (403/404 says nothing about the key)
        or answers another user, or there is no ``sub``: /users/me and its redirect."""
        if subject:
            try:
                direct = await self.user(subject)
            except (Forbidden, NotFound):
                direct = None
            if direct is not None and direct.value.id == subject:
                return direct
        return await self.me()

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
        last: RawAnswer | None = None
        try:
            while url is not None and pages < self._settings.max_pages:
                seen_pages.add(url)
                last = await self._fetch(url, query, state)
                pages += 1
                page = decode_json(last.body, last.status)
                records.extend(page_items(page, last.status))
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
        return await self._write("POST", "/api/v1/api-keys", body, created_key)

    async def delete_api_key(self, key_id: str) -> ApiResult[None]:
        """DELETE /api/v1/api-keys/{id}: removes the caller's own key; revokes another user's
        key when the caller is a TenantAdmin."""
        path = f"/api/v1/api-keys/{quote(key_id, safe='')}"
        return await self._write("DELETE", path, None, lambda _: None)

    async def tenant_me(self) -> ApiResult[TenantRecord]:
        """GET /api/v1/tenants/me (answered with a same-origin 302 to /tenants/{id})."""
        return await self._call("/api/v1/tenants/me", None, TenantRecord.from_json)

    async def mint_token(
        self, client_id: str, secret: ClientSecret, scope: str = DEFAULT_SCOPE
    ) -> ApiResult[AccessToken]:
        """POST /oauth/token with the client credentials grant (JSON body, as Qlik's own client
        sends; no Authorization header). A refusal in either error shape raises the exception
        of its outcome row (``core.oauth.token_refusal``); the secret is never in its text."""
        # Imported here: checking an API key's profile needs no OAuth parsers or records.
        from qlik_tui.core.oauth import parse_token_answer, token_refusal

        body = {
            "client_id": client_id,
            "client_secret": secret.reveal(),
            "grant_type": "client_credentials",
            "scope": scope,
        }
        return await self._write(
            "POST",
            "/oauth/token",
            body,
            lambda obj: parse_token_answer(obj, datetime.now(timezone.utc)),
            refusal=lambda raw: token_refusal(raw.status, raw.body, secret),
            bearer=False,
        )

    async def oauth_client(self, client_id: str) -> ApiResult[OAuthClientRecord]:
        """GET /api/v1/oauth-clients/{id} (TenantAdmin): the client and its secrets' hints."""
        from qlik_tui.core.oauth import OAuthClientRecord

        path = f"/api/v1/oauth-clients/{quote(client_id, safe='')}"
        return await self._call(path, None, OAuthClientRecord.from_json)

    async def create_client_secret(self, client_id: str) -> ApiResult[CreatedClientSecret]:
        """POST /api/v1/oauth-clients/{id}/client-secrets: one more secret (at most 5)."""
        from qlik_tui.core.oauth import CreatedClientSecret

        path = f"/api/v1/oauth-clients/{quote(client_id, safe='')}/client-secrets"
        return await self._write("POST", path, {}, CreatedClientSecret.from_json)

    async def delete_client_secret(self, client_id: str, hint: str) -> ApiResult[None]:
        """DELETE /api/v1/oauth-clients/{id}/client-secrets/{hint}."""
        path = (
            f"/api/v1/oauth-clients/{quote(client_id, safe='')}/client-secrets/"
            f"{quote(hint, safe='')}"
        )
        return await self._write("DELETE", path, None, lambda _: None)

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
            page = decode_json(raw.body, raw.status)
            records = page_items(page, raw.status)
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
        self,
        method: str,
        path: str,
        body: dict[str, str] | None,
        parse: Callable[[object], T],
        *,
        refusal: Callable[[RawAnswer], QlikError] | None = None,
        bearer: bool = True,
    ) -> ApiResult[T]:
        """One POST or DELETE: no redirects followed (a write is never replayed elsewhere);
        429 honoured as for reads (the tenant did not act on a rate-limited request).
        ``refusal`` maps an error status (default: by status); ``bearer=False`` sends no
        Authorization header."""
        start = time.perf_counter()
        state = _CallState()
        try:
            while True:
                raw = await self._send(method, self._url(path), body=body, bearer=bearer)
                if raw.status in _REDIRECT_STATUSES:
                    raise MalformedResponse(
                        f"HTTP {raw.status}: a {method} was redirected; not followed",
                        status_code=raw.status,
                    )
                if raw.status == 429:
                    await self._wait_after_429(raw, state)
                    continue
                if not 200 <= raw.status < 300:
                    raise (refusal or self._status_error)(raw)
                value = parse(None) if raw.status == 204 or not raw.body else parse_body(raw, parse)
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
            value = parse_body(raw, parse)
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

    async def _fetch(self, url: str, params: dict[str, str] | None, state: _CallState) -> RawAnswer:
        """One logical GET: follows same-origin redirects, honours 429, maps error statuses."""
        while True:
            raw = await self._send("GET", url, params=params)
            url, params = str(raw.url), None  # from now on the URL carries the query
            state.visited.add(url)
            if raw.status in _REDIRECT_STATUSES:
                url = self._redirect_target(raw, state)
                continue
            if raw.status == 429:
                await self._wait_after_429(raw, state)
                continue
            if 200 <= raw.status < 300:
                return raw
            raise self._status_error(raw)

    async def _wait_after_429(self, raw: RawAnswer, state: _CallState) -> None:
        """Wait as the 429 asks, or raise when that wait is too long, too often or past the
        deadline."""
        settings = self._settings
        envelope = parse_error_envelope(raw.body)
        retry_after = parse_retry_after(raw.headers.get("retry-after"))
        wait = retry_after if retry_after is not None else settings.default_retry_wait
        if state.retries >= settings.max_retries or wait > settings.max_retry_wait:
            shown = "unknown" if retry_after is None else f"{retry_after:g} s"
            raise RateLimited(
                429,
                envelope,
                retry_after,
                f"HTTP 429: rate limited (retry-after {shown}, waited {state.waited_s:g} s)",
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

    def _redirect_target(self, raw: RawAnswer, state: _CallState) -> str:
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
    def _status_error(raw: RawAnswer) -> QlikError:
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

    def _keyed_request(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
        bearer: bool = True,
    ) -> httpx.Request:
        """A request to the tenant with the key in its Authorization header (and nowhere else)."""
        failure: QlikError | None = None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if bearer:
            if self._key is None:
                raise NetworkFailure("no key or access token to send")
            headers["Authorization"] = "Bearer " + self._key.reveal()
        try:
            return http.build_request(method, url, params=params, json=body, headers=headers)
        except (UnicodeError, ValueError, httpx.InvalidURL):
            # The message of a UnicodeEncodeError would quote the header value, i.e. the key;
            # raised outside the handler so it carries no context either.
            failure = NetworkFailure(
                "the request could not be built (a character in the key or address cannot be sent)"
            )
        raise failure

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
        bearer: bool = True,
    ) -> RawAnswer:
        """One request and its answer, within the origin's pace; transport failures mapped.
        ``bearer=False``: without the key (the token endpoint takes the client's credentials)."""
        http = self._require_http()
        host = _display_host(self._origin)
        failure: QlikError | None = None
        request = self._keyed_request(http, method, url, params=params, body=body, bearer=bearer)
        pace = pace_for(http, self._settings)
        if not pace.protocol_known:
            request.extensions = {**request.extensions, "trace": pace.trace}
        try:
            async with pace.slot(write=method != "GET", deadline=self._deadline) as ticket:
                # Shielded: a cancel (Ctrl-C, SIGTERM, a deadline) landing inside one of
                # httpcore's writes loses bytes already taken from the TLS and HTTP/2 state,
                # which breaks the connection for every other request on it (over HTTP/2, all
                # of this origin's). The caller is released at once; the exchange ends on its
                # own (bounded by the timeouts) and gives its connection back. One that has not
                # begun is cancelled with its caller: nothing of it was sent.
                begun: list[bool] = []
                exchange = asyncio.ensure_future(self._exchange(http, request, ticket, begun))
                try:
                    status, headers, payload, answered = await asyncio.shield(exchange)
                except asyncio.CancelledError:
                    if begun:
                        _finish_unattended(exchange)
                    else:
                        exchange.cancel()
                    raise
        except httpx.TransportError as exc:
            unreadable = unreadable_location(exc)
            if unreadable is not None:
                failure = OffsiteRedirect("", unreadable)
            else:
                proxy = proxy_for(request.url)
                failure = map_transport_error(exc, self._settings, host, proxy)
        except httpx.DecodingError:
            failure = MalformedResponse("the answer's content encoding is corrupt")
        except httpx.StreamError as exc:
            failure = NetworkFailure(f"{host}: {type(exc).__name__}")
        if failure is not None:
            # Outside the except block: no __context__ holding the request.
            raise await https_hint(failure, request.url, self._settings)
        return RawAnswer(status=status, headers=headers, body=payload, url=answered)

    async def _exchange(
        self, http: httpx.AsyncClient, request: httpx.Request, ticket: Ticket, begun: list[bool]
    ) -> tuple[int, httpx.Headers, bytes, httpx.URL]:
        """Send ``request`` and read its answer (capped); the response is always closed."""
        begun.append(True)
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            status = response.status_code
            ticket.observe(status, response.headers)
            if status in _REDIRECT_STATUSES:
                # Read the (small) body so the connection goes back to the pool: the
                # same-origin redirect of /users/me then needs no second TLS handshake.
                await read_prefix(response, self._settings.max_error_body_bytes)
                payload = b""
            elif 200 <= status < 300:
                payload = await read_capped(response, self._settings.max_body_bytes)
            else:
                payload = await read_prefix(response, self._settings.max_error_body_bytes)
        finally:
            await response.aclose()
        return status, response.headers, payload, response.url


# Exchanges whose caller was cancelled, kept referenced until they end (asyncio keeps only
# weak references to tasks).
_UNATTENDED: set[asyncio.Future[Any]] = set()


def _finish_unattended(exchange: asyncio.Future[Any]) -> None:
    """Let a cancelled caller's exchange end by itself; its outcome is nobody's business."""

    def ended(done: asyncio.Future[Any]) -> None:
        _UNATTENDED.discard(done)
        if not done.cancelled():
            done.exception()  # retrieved: not reported as "never retrieved"

    _UNATTENDED.add(exchange)
    exchange.add_done_callback(ended)
