"""Turn a key's expiry into words: "expires in 5 h", "expired 2 d ago", "unknown". Never guesses.

CONTRACT:
    describe_expiry(expiry: datetime | None, *, now: datetime, warn_below: timedelta = 24h)
        -> ExpiryView(state: ExpiryState, text)
    expiry_sentence(expiry: datetime | None, *, now, warn_below) -> str
        "expires in 5 h (2025-06-01T17:00+00:00)", or "unknown (the API did not say)"
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from qlik_tui.core.timestamps import as_utc, span_text

DEFAULT_WARNING = timedelta(hours=24)
UNKNOWN_EXPIRY = "unknown (the API did not say)"


class ExpiryState(str, Enum):
    """Written to ``check --json`` as ``expiry_state``."""

    UNKNOWN = "unknown"
    OK = "ok"
    SOON = "soon"  # less than the warning span left
    EXPIRED = "expired"


@dataclass(frozen=True)
class ExpiryView:
    state: ExpiryState
    text: str


def describe_expiry(
    expiry: datetime | None, *, now: datetime, warn_below: timedelta = DEFAULT_WARNING
) -> ExpiryView:
    """Words for the time left. Naive datetimes are taken as UTC. Spans are rounded down, so
    the time left is never overstated."""
    if expiry is None:
        return ExpiryView(ExpiryState.UNKNOWN, "expiry unknown")
    remaining = as_utc(expiry) - as_utc(now)
    if remaining <= timedelta(0):
        return ExpiryView(ExpiryState.EXPIRED, f"expired {_span(-remaining)} ago")
    state = ExpiryState.SOON if remaining < warn_below else ExpiryState.OK
    return ExpiryView(state, f"expires in {_span(remaining)}")


def expiry_sentence(
    expiry: datetime | None, *, now: datetime, warn_below: timedelta = DEFAULT_WARNING
) -> str:
    """The time left and the moment itself, as every detail view shows a key's expiry."""
    if expiry is None:
        return UNKNOWN_EXPIRY
    view = describe_expiry(expiry, now=now, warn_below=warn_below)
    return f"{view.text} ({expiry.isoformat(timespec='minutes')})"


def _span(length: timedelta) -> str:
    return span_text(length) or "less than a minute"
