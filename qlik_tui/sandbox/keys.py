"""The sandbox's API keys: what the tenant knows about each key it issued."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

KEY_KINDS = ("valid", "revoked", "expired", "other-tenant")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bearer(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header value, if that is what it is."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


@dataclass
class KeyEntry:
    key_id: str
    token: str = field(repr=False)
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
        """The key as ``GET /api-keys/{id}`` answers it."""
        return {
            "id": self.key_id,
            "tenantId": self.tenant_id,
            "description": self.description,
            "sub": self.sub,
            "subType": "user",
            "status": self.status(now),
            "expiry": iso(self.expiry),
            "createdByUser": self.sub,
            "created": iso(self.created),
            "lastUpdated": iso(self.created),
        }


_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: object) -> timedelta | None:
    """An ISO 8601 duration in weeks, days, hours, minutes and seconds (``P30D``, ``PT24H``);
    None for anything else (years and months have no fixed length, so the sandbox refuses them
    as the real tenant's "invalid expiry" would)."""
    if not isinstance(text, str) or text in ("P", "PT") or text.endswith("T"):
        return None
    match = _DURATION.match(text)
    if match is None:
        return None
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    if not parts:
        return None
    return timedelta(**parts)
