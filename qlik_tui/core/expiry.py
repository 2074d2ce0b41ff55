"""Turn a key's expiry into words: "expires in 5 h", "expired 2 d ago", "unknown". Never guesses.

CONTRACT:
    describe_expiry(expiry: datetime | None, *, now: datetime, warn_below: timedelta = 24h)
        -> ExpiryView(state, text)
    state: "unknown" | "ok" | "soon" | "expired"
    parse_iso_datetime(text: str | None) -> datetime | None   (timezone-aware; never raises)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

UNKNOWN = "unknown"
OK = "ok"
SOON = "soon"
EXPIRED = "expired"

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

# ISO 8601 / RFC 3339 as APIs write it. Written out by hand because Python 3.10's
# fromisoformat rejects "Z" and fractions that are not 3 or 6 digits (Go writes 9).
_ISO_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[Tt ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_h>[0-9]{2}):?(?P<off_m>[0-9]{2})?)?)?"
)


@dataclass(frozen=True)
class ExpiryView:
    state: str  # unknown | ok | soon | expired
    text: str


def describe_expiry(
    expiry: datetime | None, *, now: datetime, warn_below: timedelta = timedelta(hours=24)
) -> ExpiryView:
    """Words for the time left. Naive datetimes are taken as UTC. Spans are rounded down, so
    the time left is never overstated."""
    if expiry is None:
        return ExpiryView(UNKNOWN, "expiry unknown")
    remaining = _as_utc(expiry) - _as_utc(now)
    if remaining <= timedelta(0):
        return ExpiryView(EXPIRED, f"expired {_span(-remaining)} ago")
    state = SOON if remaining < warn_below else OK
    return ExpiryView(state, f"expires in {_span(remaining)}")


def parse_iso_datetime(text: str | None) -> datetime | None:
    """Read an ISO 8601 date-time ("2025-01-31T12:00:00.123456789Z"). Without an offset it is
    taken as UTC; the result is always timezone-aware. Returns None for anything else."""
    if not isinstance(text, str):
        return None
    match = _ISO_DATETIME.fullmatch(text.strip())
    if match is None:
        return None
    parts = match.groupdict()
    try:
        offset = timedelta(0)
        if parts["sign"]:
            offset = timedelta(hours=int(parts["off_h"]), minutes=int(parts["off_m"] or 0))
            offset = -offset if parts["sign"] == "-" else offset
        fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=timezone(offset),
        )
    except (ValueError, OverflowError):
        return None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment


def _span(length: timedelta) -> str:
    if length < _MINUTE:
        return "less than a minute"
    if length < _HOUR:
        return f"{length // _MINUTE} min"
    if length < _DAY:
        return f"{length // _HOUR} h"
    return f"{length // _DAY} d"
