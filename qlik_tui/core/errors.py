"""What can go wrong talking to a tenant, as a tree of exceptions.

Every exception carries the ``OutcomeKind`` that the outcome table explains. The names are our
own: none repeats an httpx exception's name, so a reader of ``client.py`` (which handles both)
always knows which side an ``except`` is on.

Our exception tree::

    QlikError
    ├── StatusError ·········· the tenant answered with an error status
    │   ├── KeyRejected ······ 401
    │   ├── Forbidden ········ 403
    │   ├── NotFound ········· 404
    │   ├── RateLimited ······ 429, after the retries we allow
    │   │   └── RateLimitWaitRefused  the wait asked for would pass the caller's deadline
    │   └── ServerError ······ 5xx
    ├── MalformedResponse ···· not the JSON the API sends
    │   └── ResponseTooLarge
    ├── OffsiteRedirect ······ a redirect to another origin (not followed)
    │   ├── LookalikeRedirect  to an internationalised (punycode) host name
    │   └── DowngradeRedirect  from https to http on the tenant's own host
    ├── RedirectLoop ········· too many redirects, or back to one already visited
    ├── SettingError ········· an environment setting makes every request impossible
    │   ├── CaCertificatesUnreadable  SSL_CERT_FILE / SSL_CERT_DIR
    │   └── ProxySettingInvalid ····· HTTPS_PROXY / ALL_PROXY as written cannot be used
    └── NetworkFailure ······· nothing usable came back from the network
        ├── DNSFailure
        ├── ConnectionRefused
        ├── ConnectionReset
        │   └── SpeaksHttps  http:// to a port that answers TLS (the URL needs https://)
        ├── TLSFailure
        │   └── NotHttps ····· the port answered without TLS (plain HTTP)
        ├── ProxyFailure ····· the proxy from the environment could not be reached
        └── RequestTimedOut

Secrets: these exceptions never hold the key, a request, its headers or an httpx exception (the
client raises them outside its ``except`` blocks, so ``__cause__`` and ``__context__`` are empty).
``latency_ms`` and ``rate_limit_waited_s`` are filled in by the client before raising.
"""

from __future__ import annotations

from typing import Protocol

from qlik_tui.core.kinds import OutcomeKind


class ErrorBody(Protocol):
    """What an error status needs of the parsed error body (``models.ErrorEnvelope``).

    A protocol rather than the class: ``models`` raises these exceptions, so this module must
    not depend on it.
    """

    @property
    def summary(self) -> str | None: ...


class QlikError(Exception):
    kind: OutcomeKind = OutcomeKind.MALFORMED_RESPONSE

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.latency_ms: float | None = None
        self.rate_limit_waited_s: float = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class StatusError(QlikError):
    """The tenant answered with an error status (any status without a dedicated subclass)."""

    kind = OutcomeKind.UNEXPECTED_STATUS

    def __init__(self, status_code: int, envelope: ErrorBody | None, message: str = "") -> None:
        super().__init__(message or _status_message(status_code, envelope))
        self.status_code = status_code
        self.envelope = envelope

    @property
    def server_message(self) -> str | None:
        return self.envelope.summary if self.envelope is not None else None


def _status_message(status_code: int, envelope: ErrorBody | None) -> str:
    summary = envelope.summary if envelope is not None else None
    return f"HTTP {status_code}: {summary}" if summary else f"HTTP {status_code}"


class KeyRejected(StatusError):
    kind = OutcomeKind.KEY_REJECTED


class Forbidden(StatusError):
    kind = OutcomeKind.FORBIDDEN


class NotFound(StatusError):
    kind = OutcomeKind.NOT_FOUND


class RateLimited(StatusError):
    kind = OutcomeKind.RATE_LIMITED

    def __init__(
        self,
        status_code: int,
        envelope: ErrorBody | None,
        retry_after: float | None,
        message: str = "",
    ) -> None:
        super().__init__(status_code, envelope, message)
        self.retry_after = retry_after


class RateLimitWaitRefused(RateLimited):
    """The tenant asked to wait longer than the caller's deadline leaves: not waited."""

    kind = OutcomeKind.RATE_LIMIT_WAIT_REFUSED

    def __init__(
        self,
        status_code: int,
        envelope: ErrorBody | None,
        retry_after: float | None,
        *,
        deadline_s: float | None,
        message: str = "",
    ) -> None:
        super().__init__(status_code, envelope, retry_after, message)
        self.deadline_s = deadline_s


class ServerError(StatusError):
    kind = OutcomeKind.SERVER_ERROR


class MalformedResponse(QlikError):
    kind = OutcomeKind.MALFORMED_RESPONSE

    def __init__(self, message: str = "", *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ResponseTooLarge(MalformedResponse):
    kind = OutcomeKind.RESPONSE_TOO_LARGE

    def __init__(
        self,
        message: str = "",
        *,
        limit: int | None = None,
        received: int = 0,
        declared: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message or f"answer larger than {limit} bytes", status_code=status_code)
        self.limit = limit
        self.received = received  # body bytes actually read before giving up
        self.declared = declared  # Content-Length, when the server announced one


class OffsiteRedirect(QlikError):
    kind = OutcomeKind.OFFSITE_REDIRECT

    def __init__(self, location: str, target_host: str) -> None:
        super().__init__(f"redirected to another host: {target_host}")
        self.location = location
        self.target_host = target_host


class LookalikeRedirect(OffsiteRedirect):
    """``target_host`` is the ASCII (punycode) form of an internationalised host name."""

    kind = OutcomeKind.LOOKALIKE_REDIRECT


class DowngradeRedirect(OffsiteRedirect):
    """A redirect from https to plain http: the key would travel unencrypted."""

    kind = OutcomeKind.REDIRECT_DOWNGRADE


class RedirectLoop(QlikError):
    kind = OutcomeKind.REDIRECT_LOOP

    def __init__(self, message: str = "", *, max_redirects: int | None = None) -> None:
        super().__init__(message)
        self.max_redirects = max_redirects


class SettingError(QlikError):
    """An environment variable (``setting``) that makes every request impossible as written."""

    def __init__(self, message: str = "", *, setting: str, reason: str) -> None:
        super().__init__(message or f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class CaCertificatesUnreadable(SettingError):
    kind = OutcomeKind.CA_CERTIFICATES_UNREADABLE


class ProxySettingInvalid(SettingError):
    kind = OutcomeKind.PROXY_SETTING_INVALID


class NetworkFailure(QlikError):
    """Nothing usable came back from the network."""

    kind = OutcomeKind.NETWORK_ERROR


class DNSFailure(NetworkFailure):
    kind = OutcomeKind.DNS_FAILURE


class ConnectionRefused(NetworkFailure):
    kind = OutcomeKind.CONNECTION_REFUSED


class TLSFailure(NetworkFailure):
    kind = OutcomeKind.TLS_FAILURE

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # e.g. "unable to get local issuer certificate"


class NotHttps(TLSFailure):
    """The port answered, but not with a TLS handshake (typically a plain HTTP server)."""

    kind = OutcomeKind.NOT_HTTPS


class ProxyFailure(NetworkFailure):
    """The proxy named by ``setting`` could not be reached (refused, unknown name, timeout)."""

    kind = OutcomeKind.PROXY_FAILED

    def __init__(self, message: str = "", *, proxy: str, setting: str, reason: str) -> None:
        super().__init__(message or f"proxy {proxy} ({setting}): {reason}")
        self.proxy = proxy  # scheme://host:port, never the credentials
        self.setting = setting
        self.reason = reason


class RequestTimedOut(NetworkFailure):
    kind = OutcomeKind.TIMEOUT

    def __init__(
        self, message: str = "", *, phase: str | None = None, seconds: float | None = None
    ) -> None:
        super().__init__(message)
        self.phase = phase  # connect | read | write | pool
        self.seconds = seconds


class ConnectionReset(NetworkFailure):
    kind = OutcomeKind.CONNECTION_RESET


class SpeaksHttps(ConnectionReset):
    """An http:// address whose port dropped the plain request and answers a TLS handshake."""

    kind = OutcomeKind.SPEAKS_HTTPS
