"""How many requests go to one tenant origin at once, learnt from what the tenant answers.

CONTRACT:
    pace = pace_for(http, settings)          # one per connection pool (``httpx.AsyncClient``)
    request.extensions["trace"] = pace.trace # until pace.protocol_known: learns HTTP/2
    async with pace.slot(write=False, deadline=deadline) as ticket:
        raw = ...send and read...
        ticket.observe(raw.status, raw.headers)

Policy (instead of a fixed number of checks at once):
- At most ``settings.max_in_flight`` requests in flight over HTTP/1.1 (as many connections kept
  alive, so none is opened twice), and ``settings.max_streams`` once the tenant has chosen
  HTTP/2 (streams, spread over a few connections by ``core/transport``; the tenant's own stream
  limit holds the rest back). The protocol is learnt from httpcore's trace of the first
  connection, before any answer. The tenant's ``Ratelimit-Remaining`` lowers the limit to what
  is left of its window, and it grows back by one per answer that does not say.
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
from dataclasses import dataclass
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


@dataclass(eq=False)
class _Waiter:
    write: bool
    deadline: Deadline | None
    granted: asyncio.Future[None]


class OriginPace:
    """The in-flight limit and the tier budgets of one origin (see the module's docstring).

    Requests that cannot go at once wait in order, each on a future of its own; a request that
    ends, a limit that grows or a wait that runs out wakes only the requests that may go then
    (waking every waiter on each answer made 200 keys cost 100,000 wake-ups)."""

    def __init__(self, ceiling: int, http2_ceiling: int | None = None) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self._http2_ceiling = max(1, http2_ceiling or ceiling)
        self.protocol_known = False
        self.in_flight = 0
        self._paused_until = 0.0
        self._sent: dict[bool, deque[float]] = {False: deque(), True: deque()}
        self._waiting: deque[_Waiter] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return (
            f"OriginPace(limit={self.limit}/{self.ceiling}, in_flight={self.in_flight}, "
            f"waiting={len(self._waiting)})"
        )

    @contextlib.asynccontextmanager
    async def slot(self, *, write: bool, deadline: Deadline | None = None) -> AsyncIterator[Ticket]:
        if self._waiting or self._wait_needed(write, deadline) is not None:
            await self._wait_in_line(write, deadline)
        else:
            self._take(write)
        try:
            yield Ticket(self)
        finally:
            self.in_flight -= 1
            self._wake()

    async def _wait_in_line(self, write: bool, deadline: Deadline | None) -> None:
        waiter = _Waiter(write, deadline, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        self._wake()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self.in_flight -= 1  # granted, then cancelled before it could go: give it back
            else:
                waiter.granted.cancel()
            self._wake()
            raise

    async def trace(self, event: str, info: Mapping[str, object]) -> None:
        """httpcore's ``trace`` extension: the first event of a connection's protocol tells
        the limit to use (HTTP/2 carries many more requests at once than HTTP/1.1)."""
        if self.protocol_known or not event.startswith(("http2.", "http11.")):
            return
        self.protocol_known = True
        if event.startswith("http2."):
            if self.limit == self.ceiling:  # not lowered by the tenant meanwhile
                self.limit = self._http2_ceiling
            self.ceiling = self._http2_ceiling
            self._wake()

    def _take(self, write: bool) -> None:
        self.in_flight += 1
        self._sent[write].append(time.monotonic())

    def _wake(self) -> None:
        """Let go, in order, every waiting request that may go now; behind one that waits for
        a place in flight the rest wait too (first come, first served); one held by a pause or
        its tier's budget does not hold the other kind back. A timer comes back for those."""
        soonest: float | None = None
        for waiter in list(self._waiting):
            if waiter.granted.done():  # cancelled meanwhile
                self._waiting.remove(waiter)
                continue
            wait = self._wait_needed(waiter.write, waiter.deadline)
            if wait is None:
                self._waiting.remove(waiter)
                self._take(waiter.write)
                waiter.granted.set_result(None)
            elif wait == 0:
                break
            else:
                soonest = wait if soonest is None else min(soonest, wait)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if soonest is not None:
            self._timer = asyncio.get_running_loop().call_later(soonest, self._wake)

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
            self._wake()


_PACES: weakref.WeakKeyDictionary[httpx.AsyncClient, OriginPace] = weakref.WeakKeyDictionary()


def pace_for(http: httpx.AsyncClient, settings: ClientSettings) -> OriginPace:
    """The pace of ``http``'s origin: share one ``httpx.AsyncClient`` per origin."""
    pace = _PACES.get(http)
    if pace is None:
        pace = _PACES[http] = OriginPace(settings.max_in_flight, settings.max_streams)
    return pace
