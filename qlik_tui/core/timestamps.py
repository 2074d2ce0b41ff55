"""Moments in time: reading the ISO 8601 date-times the API and our files write, and saying how
long ago or ahead one is, in whole units rounded down ("5 min", "3 h", "2 d").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

NEVER = "never"

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


def parse_iso_datetime(text: object) -> datetime | None:
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


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is left as it is."""
    return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment


def span_text(length: timedelta) -> str | None:
    """ "12 min", "5 h", "3 d", rounded down so a span is never overstated; None under a minute
    (negative spans included)."""
    if length < _MINUTE:
        return None
    if length < _HOUR:
        return f"{length // _MINUTE} min"
    if length < _DAY:
        return f"{length // _HOUR} h"
    return f"{length // _DAY} d"


def time_ago(iso: str | None, now: datetime) -> str:
    """ "5 min ago", "3 h ago", "2 d ago", "just now" or "never" (text that is not a date-time)."""
    moment = parse_iso_datetime(iso)
    if moment is None:
        return NEVER
    span = span_text(now - moment)
    # A clock a little behind the file's gives a negative age: that is "just now" too.
    return f"{span} ago" if span else "just now"
