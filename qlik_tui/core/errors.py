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
    │   └── ServerError ······ 5xx
    ├── MalformedResponse ···· not the JSON the API sends
    │   └── ResponseTooLarge
    ├── OffsiteRedirect ······ a redirect to another origin (not followed)
    ├── RedirectLoop ········· too many redirects, or back to one already visited
    └── NetworkFailure ······· nothing usable came back from the network
        ├── DNSFailure
        ├── ConnectionRefused
        ├── ConnectionReset
        ├── TLSFailure
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


class RedirectLoop(QlikError):
    kind = OutcomeKind.REDIRECT_LOOP

    def __init__(self, message: str = "", *, max_redirects: int | None = None) -> None:
        super().__init__(message)
        self.max_redirects = max_redirects


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
