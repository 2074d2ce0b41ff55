"""Turn a key's expiry into words: "expires in 5 h", "expired 2 d ago", "unknown". Never guesses.

CONTRACT:
    describe_expiry(expiry: datetime | None, *, now: datetime, issued: datetime | None = None,
                    warn_below: timedelta = 6h) -> ExpiryView(state: ExpiryState, text)
    expiry_sentence(expiry, *, now, issued=None, warn_below=6h) -> str
        "expires in 5 h (2025-06-01T17:00+00:00)", or "unknown (the API did not say)"
    warning_span(lifetime: timedelta | None, warn_below=6h) -> timedelta
    renewal_hint(name: str) -> str           "renew it: qlik-tui rotate NAME" (shell-quoted)

The warning rule: a key is "expiring soon" when less than a fifth of its lifetime (from when the
tenant created it to its expiry) or less than ``warn_below`` (6 hours unless the user chose) is
left. A fresh 24-hour key is therefore not flagged; it is from 6 hours before its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple

from qlik_tui.core.settings import DEFAULT_WARNING as DEFAULT_WARNING  # re-exported
from qlik_tui.core.timestamps import as_utc, span_text

LIFETIME_FRACTION = 5  # warn in the last fifth of a key's lifetime
UNKNOWN_EXPIRY = "unknown (the API did not say)"


class ExpiryState(str, Enum):
    """Written to ``check --json`` as ``expiry_state``."""

    UNKNOWN = "unknown"
    OK = "ok"
    SOON = "soon"  # less than the warning span left
    EXPIRED = "expired"


class ExpiryView(NamedTuple):
    state: ExpiryState
    text: str


def warning_span(lifetime: timedelta | None, warn_below: timedelta = DEFAULT_WARNING) -> timedelta:
    """How long before its expiry a key counts as expiring soon: a fifth of its lifetime, or
    ``warn_below`` when that is longer (or the lifetime is unknown)."""
    if lifetime is None or lifetime <= timedelta(0):
        return warn_below
    return max(warn_below, lifetime / LIFETIME_FRACTION)


def describe_expiry(
    expiry: datetime | None,
    *,
    now: datetime,
    issued: datetime | None = None,
    warn_below: timedelta = DEFAULT_WARNING,
) -> ExpiryView:
    """Words for the time left. Naive datetimes are taken as UTC. Spans are rounded down, so
    the time left is never overstated. ``issued`` is when the key was created, if known."""
    if expiry is None:
        return ExpiryView(ExpiryState.UNKNOWN, "expiry unknown")
    remaining = as_utc(expiry) - as_utc(now)
    if remaining <= timedelta(0):
        return ExpiryView(ExpiryState.EXPIRED, f"expired {_span(-remaining)} ago")
    lifetime = as_utc(expiry) - as_utc(issued) if issued is not None else None
    soon = remaining < warning_span(lifetime, warn_below)
    return ExpiryView(
        ExpiryState.SOON if soon else ExpiryState.OK, f"expires in {_span(remaining)}"
    )


def expiry_sentence(
    expiry: datetime | None,
    *,
    now: datetime,
    issued: datetime | None = None,
    warn_below: timedelta = DEFAULT_WARNING,
) -> str:
    """The time left and the moment itself, as every detail view shows a key's expiry."""
    if expiry is None:
        return UNKNOWN_EXPIRY
    view = describe_expiry(expiry, now=now, issued=issued, warn_below=warn_below)
    return f"{view.text} ({expiry.isoformat(timespec='minutes')})"


def renewal_hint(name: str) -> str:
    """What to do about a key that expires soon, with the command as it can be typed."""
    import shlex  # only when a key is near its end: not on every start-up

    return f"renew it: qlik-tui rotate {shlex.quote(name)}"


def _span(length: timedelta) -> str:
    return span_text(length) or "less than a minute"
