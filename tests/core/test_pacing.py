"""The pace of one origin (``core/pacing.OriginPace``): how many requests go at once, in what
order the rest go, and what the tenant's answers and protocol change. Pure asyncio: the
requests here are the pace's slots, held and ended by the test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from qlik_tui.core.pacing import TIER_2_PER_WINDOW, OriginPace, Ticket
from qlik_tui.core.settings import Deadline


class Requests:
    """Requests through ``pace``: each enters its slot, notes it, and stays until ended."""

    def __init__(self, pace: OriginPace) -> None:
        self.pace = pace
        self.entered: list[str] = []
        self.tickets: dict[str, Ticket] = {}
        self._end: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, *, write: bool = False, deadline: Deadline | None = None) -> None:
        self._end[name] = asyncio.Event()
        self.tasks[name] = asyncio.ensure_future(self._run(name, write, deadline))

    async def _run(self, name: str, write: bool, deadline: Deadline | None) -> None:
        async with self.pace.slot(write=write, deadline=deadline) as ticket:
            self.entered.append(name)
            self.tickets[name] = ticket
            await self._end[name].wait()

    async def end(
        self, name: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.tickets[name].observe(status, headers or {})
        self._end[name].set()
        await self.tasks[name]
        await settle()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def requests(pace: OriginPace) -> AsyncIterator[Requests]:
    running = Requests(pace)
    try:
        yield running
    finally:
        for task in running.tasks.values():
            task.cancel()
        await asyncio.gather(*running.tasks.values(), return_exceptions=True)


async def test_at_most_the_limit_go_and_the_rest_follow_in_order() -> None:
    pace = OriginPace(2)
    async with requests(pace) as r:
        for name in "abcdef":
            r.start(name)
        await settle()
        assert r.entered == ["a", "b"]
        await r.end("b")
        assert r.entered == ["a", "b", "c"]
        await r.end("a")
        await r.end("c")
        assert r.entered == ["a", "b", "c", "d", "e"]
        assert pace.in_flight == 2


async def test_a_thousand_waiting_requests_all_go_through_a_limit_of_one() -> None:
    pace = OriginPace(1)
    order: list[int] = []

    async def one(index: int) -> None:
        async with pace.slot(write=False):
            order.append(index)
            await asyncio.sleep(0)

    await asyncio.gather(*(one(i) for i in range(1000)))
    assert order == list(range(1000))
    assert (pace.in_flight, repr(pace).endswith("waiting=0)")) == (0, True)


async def test_ratelimit_remaining_lowers_the_limit_and_silence_lets_it_grow_back() -> None:
    pace = OriginPace(4)
    async with requests(pace) as r:
        for name in "abcdefgh":
            r.start(name)
        await settle()
        assert r.entered == ["a", "b", "c", "d"]
        await r.end("a", headers={"ratelimit-remaining": "1"})
        assert pace.limit == 1
        assert r.entered == ["a", "b", "c", "d"]  # 3 still in flight: none may go
        await r.end("b")  # no header: one more allowed (2), 2 in flight
        await r.end("c")  # 3 allowed, 1 in flight: two go
        assert (pace.limit, r.entered[4:]) == (3, ["e", "f"])


async def test_a_429_halves_the_limit_and_holds_new_requests_for_its_retry_after() -> None:
    pace = OriginPace(4)
    async with requests(pace) as r:
        for name in "abcd":
            r.start(name)
        await settle()
        await r.end("a", status=429, headers={"retry-after": "30"})
        assert pace.limit == 2
        r.start("e")
        r.start("urgent", deadline=Deadline.after(5))  # the wait would pass its deadline
        await r.end("b")
        await r.end("c")
        assert r.entered[4:] == ["urgent"]  # it goes (and will report its own 429)
        assert "e" not in r.entered


async def test_http2_learnt_from_the_trace_raises_the_limit_at_once() -> None:
    pace = OriginPace(2, http2_ceiling=5)
    async with requests(pace) as r:
        for name in "abcdefg":
            r.start(name)
        await settle()
        assert r.entered == ["a", "b"]
        await pace.trace("connection.start_tls.complete", {})
        assert not pace.protocol_known
        await pace.trace("http2.send_connection_init.started", {})
        await settle()
        assert pace.protocol_known
        assert (pace.ceiling, pace.limit, r.entered) == (5, 5, list("abcde"))


async def test_http11_keeps_the_limit_and_a_lowered_limit_is_not_raised() -> None:
    http1 = OriginPace(2, http2_ceiling=5)
    await http1.trace("http11.send_request_headers.started", {})
    await http1.trace("http2.send_connection_init.started", {})  # learnt once: ignored
    assert (http1.protocol_known, http1.ceiling, http1.limit) == (True, 2, 2)

    lowered = OriginPace(4, http2_ceiling=50)
    async with requests(lowered) as r:
        r.start("a")
        await settle()
        await r.end("a", headers={"ratelimit-remaining": "3"})
    await lowered.trace("http2.send_connection_init.started", {})
    assert (lowered.ceiling, lowered.limit) == (50, 3)  # grows back by answers, as before


async def test_a_cancelled_waiter_takes_no_place() -> None:
    pace = OriginPace(1)
    async with requests(pace) as r:
        for name in "abc":
            r.start(name)
        await settle()
        r.tasks["b"].cancel()
        await settle()
        await r.end("a")
        assert r.entered == ["a", "c"]
        await r.end("c")
        assert pace.in_flight == 0


async def test_a_read_is_not_held_behind_a_write_waiting_for_tier_2s_budget() -> None:
    pace = OriginPace(TIER_2_PER_WINDOW * 2)
    async with requests(pace) as r:
        for index in range(TIER_2_PER_WINDOW):
            r.start(f"w{index}", write=True)
        await settle()
        for index in range(TIER_2_PER_WINDOW):
            await r.end(f"w{index}")
        r.start("one write too many", write=True)
        r.start("read")
        await settle()
        assert r.entered[-1] == "read"
        assert "one write too many" not in r.entered
        assert pace.in_flight == 1


@pytest.mark.parametrize("limit", [1, 3])
async def test_many_requests_and_cancellations_leave_nothing_in_flight(limit: int) -> None:
    pace = OriginPace(limit)

    async def one(index: int) -> None:
        async with pace.slot(write=index % 7 == 0):
            await asyncio.sleep(0)

    tasks = [asyncio.ensure_future(one(i)) for i in range(200)]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert pace.in_flight == 0
