"""How many requests go to one tenant origin at once, learnt from what the tenant answers.

CONTRACT:
    pace = pace_for(http, settings)          # one per connection pool (``httpx.AsyncClient``)
    async with pace.slot(write=False, deadline=deadline) as ticket:
        raw = ...send and read...
        ticket.observe(raw.status, raw.headers)

Policy (instead of a fixed number of checks at once):
- At most ``settings.max_in_flight`` requests in flight: over HTTP/2 streams of one connection
  (the tenant's own stream limit holds the rest back), over HTTP/1.1 as many connections kept
  alive, so none is opened twice. The tenant's ``Ratelimit-Remaining`` lowers it to what is
  left of its window, and it grows back by one per answer that does not say.
- A 429 halves it once per storm and holds every new request until its ``retry-after`` has
  passed (unless that would pass the operation's deadline: the request then goes, and its own
  429 is reported as a refused wait).
- Never past Qlik's rate tiers within any 60 s: tier 1 (1000 requests a minute) for reads,
  tier 2 (100 a minute) for writes (``POST`` / ``DELETE`` of API keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone

import httpx

from qlik_tui.core.settings import ClientSettings, Deadline

TIER_WINDOW_S = 60.0
TIER_1_PER_WINDOW = 1000  # reads
TIER_2_PER_WINDOW = 100  # writes (create / delete API keys)
_REMAINING_HEADER = "ratelimit-remaining"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``retry-after`` as seconds to wait: delta-seconds or an HTTP-date; junk -> None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class Ticket:
    """One request's place in the pace; it tells the pace what the tenant answered."""

    def __init__(self, pace: OriginPace) -> None:
        self._pace = pace

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self._pace._observe(status, headers)


class OriginPace:
    """The in-flight limit and the tier budgets of one origin (see the module's docstring)."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.in_flight = 0
        self._paused_until = 0.0
        self._sent: dict[bool, deque[float]] = {False: deque(), True: deque()}
        self._changed = asyncio.Condition()

    def __repr__(self) -> str:
        return f"OriginPace(limit={self.limit}/{self.ceiling}, in_flight={self.in_flight})"

    @contextlib.asynccontextmanager
    async def slot(self, *, write: bool, deadline: Deadline | None = None) -> AsyncIterator[Ticket]:
        async with self._changed:
            while (wait := self._wait_needed(write, deadline)) is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait or None)
            self.in_flight += 1
            self._sent[write].append(time.monotonic())
        try:
            yield Ticket(self)
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def _wait_needed(self, write: bool, deadline: Deadline | None) -> float | None:
        """None: go now; 0: wait for a request to end; else at most that many seconds."""
        now = time.monotonic()
        paused = self._paused_until - now
        if paused > 0 and (deadline is None or now + paused <= deadline.at):
            return paused
        sent = self._sent[write]
        while sent and sent[0] <= now - TIER_WINDOW_S:
            sent.popleft()
        budget = TIER_2_PER_WINDOW if write else TIER_1_PER_WINDOW
        if len(sent) >= budget:
            return sent[0] + TIER_WINDOW_S - now
        return 0 if self.in_flight >= self.limit else None

    def _observe(self, status: int, headers: Mapping[str, str]) -> None:
        now = time.monotonic()
        if status == 429:
            if now >= self._paused_until:  # the first 429 of a storm halves the limit
                self.limit = max(1, self.limit // 2)
            retry_after = parse_retry_after(headers.get("retry-after"))
            self._paused_until = max(self._paused_until, now + (retry_after or 1.0))
            return
        remaining = headers.get(_REMAINING_HEADER, "").strip()
        if remaining.isdigit():
            self.limit = max(1, min(self.ceiling, int(remaining)))
        elif self.limit < self.ceiling:
            self.limit += 1


_PACES: weakref.WeakKeyDictionary[httpx.AsyncClient, OriginPace] = weakref.WeakKeyDictionary()


def pace_for(http: httpx.AsyncClient, settings: ClientSettings) -> OriginPace:
    """The pace of ``http``'s origin: share one ``httpx.AsyncClient`` per origin."""
    pace = _PACES.get(http)
    if pace is None:
        pace = _PACES[http] = OriginPace(settings.max_in_flight)
    return pace
