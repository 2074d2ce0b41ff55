"""What ``QlikClient`` answers with, and turning a raw answer's body into typed records.

CONTRACT:
    ApiResult[T]      a parsed answer: value, status, latency, the URL that answered
    CreatedKey        a new API key record with its token (shown once)
    RawAnswer         status, headers and body bytes of one answer, before parsing
    parse_body(raw, parse) -> T                  # JSON decoded, then ``parse``; MalformedResponse
    page_items(page, status) -> list[ApiKeyRecord]
    created_key(obj) -> CreatedKey
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

import httpx

from qlik_tui.core.errors import (
    MalformedResponse,
)
from qlik_tui.core.models import (
    ApiKeyRecord,
)
from qlik_tui.core.settings import ClientSettings as ClientSettings  # re-exported
from qlik_tui.core.settings import Deadline as Deadline  # re-exported
from qlik_tui.core.transport import USER_AGENT as USER_AGENT  # re-exported
from qlik_tui.core.transport import make_http_client as make_http_client  # re-exported

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey


T = TypeVar("T")


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


def decode_json(body: bytes, status: int) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        problem = "is empty" if not body.strip() else "is not JSON"
        failure = MalformedResponse(f"the HTTP {status} answer {problem}", status_code=status)
    raise failure


class RawAnswer(NamedTuple):
    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL


# --------------------------------------------------------------------------------------------
# The client


def parse_body(raw: RawAnswer, parse: Callable[[object], T]) -> T:
    try:
        return parse(decode_json(raw.body, raw.status))
    except MalformedResponse as exc:
        if exc.status_code is None:
            exc.status_code = raw.status
        raise


def page_items(page: object, status: int) -> list[ApiKeyRecord]:
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list):
        raise MalformedResponse("API key list without a 'data' array", status_code=status)
    return [ApiKeyRecord.from_json(item) for item in data]


def created_key(obj: object) -> CreatedKey:
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
