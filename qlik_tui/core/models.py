"""Records the API answers with, parsed leniently: unknown fields are ignored everywhere.

CONTRACT: each record has ``from_json(obj: object) -> Self`` raising
``qlik_tui.core.errors.MalformedResponse`` when a required field is missing or of the wrong type.
Optional fields of the wrong type become ``None`` (or are skipped, for list items) rather than
failing the whole record: the API grows fields over time and we only need a few of them.
Every text a record holds is tenant data, neutralised here as it is read
(``qlik_tui.core.untrusted.neutralise``): no record carries a control or bidi character, or a
value longer than ``MAX_DATA_CHARS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import NamedTuple, TypeVar

from qlik_tui.core.errors import MalformedResponse
from qlik_tui.core.phrases import join_heading
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.core.untrusted import neutralise, neutralise_optional

# The records are NamedTuples: on Python 3.11 defining a frozen dataclass compiles its six
# generated methods at import (these eight: ~23 M instructions, 1.5% of a ``check``).
JsonObject = Mapping[str, object]
ItemT = TypeVar("ItemT")


def _object(obj: object, what: str) -> JsonObject:
    if not isinstance(obj, dict):
        raise MalformedResponse(f"{what}: expected a JSON object, got {_json_type(obj)}")
    return obj


def _json_type(obj: object) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float)):
        return "a number"
    if isinstance(obj, str):
        return "a string"
    if isinstance(obj, list):
        return "an array"
    return "an object" if isinstance(obj, dict) else type(obj).__name__


def _required_str(data: JsonObject, name: str, what: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedResponse(f"{what}: missing or invalid field {name!r}")
    return neutralise(value)


def _optional_str(data: JsonObject, name: str) -> str | None:
    value = data.get(name)
    return neutralise(value) if isinstance(value, str) else None


def _optional_int(data: JsonObject, name: str) -> int | None:
    return _as_int(data.get(name))


def _as_int(value: object) -> int | None:
    """401 or "401" -> 401; anything else (bools, floats with fractions, junk) -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


class Role(NamedTuple):
    id: str
    name: str
    type: str | None = None  # default | custom
    level: str | None = None  # admin | user

    @classmethod
    def from_json(cls, obj: object) -> Role:
        data = _object(obj, "role")
        return cls(
            id=_required_str(data, "id", "role"),
            name=_required_str(data, "name", "role"),
            type=_optional_str(data, "type"),
            level=_optional_str(data, "level"),
        )


class Group(NamedTuple):
    id: str
    name: str

    @classmethod
    def from_json(cls, obj: object) -> Group:
        data = _object(obj, "group")
        return cls(id=_required_str(data, "id", "group"), name=_required_str(data, "name", "group"))


def _lenient_items(value: object, parse: Callable[[object], ItemT]) -> tuple[ItemT, ...]:
    if not isinstance(value, list):
        return ()
    items: list[ItemT] = []
    for item in value:
        try:
            items.append(parse(item))
        except MalformedResponse:
            continue  # one odd entry must not hide the others
    return tuple(items)


UNKNOWN_NAME = "unknown"  # a user record without a usable name still proves the key


class User(NamedTuple):
    id: str
    tenant_id: str
    subject: str
    name: str
    email: str | None = None
    status: str | None = None
    roles: tuple[Role, ...] = ()
    groups: tuple[Group, ...] = ()

    @property
    def is_tenant_admin(self) -> bool:
        return any(r.name == "TenantAdmin" for r in self.roles)

    @classmethod
    def from_json(cls, obj: object) -> User:
        data = _object(obj, "user")
        return cls(
            id=_required_str(data, "id", "user"),
            tenant_id=_required_str(data, "tenantId", "user"),
            # id and tenantId prove the key; display fields may be missing or null
            subject=_optional_str(data, "subject") or "",
            name=_optional_str(data, "name") or UNKNOWN_NAME,
            email=_optional_str(data, "email"),
            status=_optional_str(data, "status"),
            roles=_lenient_items(data.get("assignedRoles"), Role.from_json),
            groups=_lenient_items(data.get("assignedGroups"), Group.from_json),
        )


class KeyStatus(str, Enum):
    """The status an API key record can have. ``ApiKeyRecord.status`` stays the wire's text:
    a status this version does not know is kept, not dropped."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def user_label(email: str | None, name: str | None, user_id: str | None) -> str | None:
    """The one word a list shows for a key's user: the email, else the name, else the id."""
    return email or name or user_id or None


def user_with_email(name: str | None, email: str | None) -> str | None:
    """ "Ann Lee <ann@example.com>", or whichever of the two is known."""
    if name and email:
        return f"{name} <{email}>"
    return name or email


class ApiKeyRecord(NamedTuple):
    id: str
    tenant_id: str | None = None
    description: str | None = None
    status: str | None = None  # a KeyStatus value, or one this version does not know
    sub: str | None = None
    sub_type: str | None = None
    expiry: datetime | None = None  # timezone-aware
    created: datetime | None = None

    @classmethod
    def from_json(cls, obj: object) -> ApiKeyRecord:
        data = _object(obj, "API key")
        return cls(
            id=_required_str(data, "id", "API key"),
            tenant_id=_optional_str(data, "tenantId"),
            description=_optional_str(data, "description"),
            status=_optional_str(data, "status"),
            sub=_optional_str(data, "sub"),
            sub_type=_optional_str(data, "subType"),
            expiry=parse_iso_datetime(data.get("expiry")),
            created=parse_iso_datetime(data.get("created")),
        )


class ApiKeyConfig(NamedTuple):
    max_api_key_expiry: str | None  # ISO 8601 duration, e.g. "PT24H"
    max_keys_per_user: int | None

    @classmethod
    def from_json(cls, obj: object) -> ApiKeyConfig:
        data = _object(obj, "API key config")
        return cls(
            max_api_key_expiry=_optional_str(data, "max_api_key_expiry"),
            max_keys_per_user=_optional_int(data, "max_keys_per_user"),
        )


class ApiErrorItem(NamedTuple):
    code: str | None
    title: str | None
    detail: str | None = None
    status: int | None = None  # accepts "401" or 401 on the wire

    @classmethod
    def from_json(cls, obj: object) -> ApiErrorItem:
        data = _object(obj, "error")
        code = data.get("code")
        whole = _as_int(code) if not isinstance(code, str) else None
        if isinstance(code, str):
            code_text: str | None = code
        elif whole is not None:  # users.d.ts types some codes as numbers: 1001, or 1001.0
            code_text = str(whole)
        elif isinstance(code, float):
            code_text = str(code)
        else:
            code_text = None
        return cls(
            code=neutralise_optional(code_text),
            title=_optional_str(data, "title"),
            detail=_optional_str(data, "detail"),
            status=_optional_int(data, "status"),
        )


class ErrorEnvelope(NamedTuple):
    errors: tuple[ApiErrorItem, ...]
    trace_id: str | None = None

    @property
    def summary(self) -> str | None:
        """First error's title (and detail), for display; None when there are none."""
        for item in self.errors:
            head = item.title or item.code
            if head and item.detail and item.detail != head:
                return join_heading(head, item.detail)
            if head or item.detail:
                return head or item.detail
        return None

    @classmethod
    def from_json(cls, obj: object) -> ErrorEnvelope:
        data = _object(obj, "error envelope")
        raw = data.get("errors")
        if not isinstance(raw, list):
            raise MalformedResponse("error envelope: missing 'errors' array")
        items: list[ApiErrorItem] = []
        for item in raw:
            try:
                items.append(ApiErrorItem.from_json(item))
            except MalformedResponse:
                continue
        return cls(errors=tuple(items), trace_id=_optional_str(data, "traceId"))


def parse_error_envelope(body: bytes | str) -> ErrorEnvelope | None:
    """Lenient: returns None for anything that is not a Qlik error envelope (HTML, junk, ...)."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError, TypeError):
        return None
    try:
        return ErrorEnvelope.from_json(obj)
    except MalformedResponse:
        return None


class TenantRecord(NamedTuple):
    """``GET /tenants/{id}``: the id, and the hostnames (the first is the display name)."""

    id: str
    hostnames: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: object) -> TenantRecord:
        data = _object(obj, "tenant")
        names = data.get("hostnames")
        listed = names if isinstance(names, list) else []
        hostnames = tuple(neutralise(n) for n in listed if isinstance(n, str))
        return cls(id=_required_str(data, "id", "tenant"), hostnames=hostnames)
