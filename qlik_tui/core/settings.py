"""Client settings, apart from the client: building ``Services`` must not import httpx."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import NamedTuple

# A key with less left than this reads "expiring soon" (core.expiry; Services.expiry_warning).
# Here, not in core.expiry: building Services loads no expiry wording.
DEFAULT_WARNING = timedelta(hours=6)


# Records of fixed fields, as NamedTuples: on Python 3.11 a frozen dataclass compiles six
# generated methods when it is defined (~7 M instructions for these two, ~1% of an ``exec``,
# which only builds ``Services``), a NamedTuple one.


class ClientSettings(NamedTuple):
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_body_bytes: int = 1024 * 1024
    max_retry_wait: float = 30.0  # longest single retry-after we honour
    max_retries: int = 2  # 429 retries
    max_redirects: int = 5
    write_timeout: float = 15.0
    pool_timeout: float = 5.0
    default_retry_wait: float = 1.0  # a 429 without a usable retry-after waits this long
    max_pages: int = 20  # list_api_keys stops following `next` after this many pages
    max_error_body_bytes: int = 64 * 1024  # error bodies are only read for their envelope
    # Requests in flight to one origin at most, and connections kept alive to it (core/pacing),
    # over HTTP/1.1 and until the tenant has chosen its protocol.
    max_in_flight: int = 64
    # The same over HTTP/2: streams, spread over connections of at most 100 streams each
    # (httpcore's cap on one connection): 256 is three connections, two round trips for the
    # 400 requests of 200 keys, well inside Qlik's tier 1 (1000 reads a minute).
    max_streams: int = 256


class Deadline(NamedTuple):
    """A point in time (``time.monotonic``) that a whole operation must finish by."""

    seconds: float  # the budget it was given, for messages
    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds=seconds, at=time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())
