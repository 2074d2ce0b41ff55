"""Renew the stored keys that expire soon: what ``check --renew-within`` runs after checking.

CONTRACT:
    parse_span("12h" | "90m" | "2d" | "1w" | "PT12H" | "P2D") -> timedelta   (ValueError)
    due_for_renewal(results, within, now) -> list[CheckResult]   valid keys expiring within
    await renew_all(services, results, on_result=None) -> list[RotationResult]
Renewals run a few at a time over one HTTP client per tenant origin: each costs two requests
of Qlik's rate tier 2 (100 per minute), the create and the delete.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import httpx

from qlik_tui.core.client import make_http_client
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.timestamps import as_utc
from qlik_tui.core.untrusted import echoed
from qlik_tui.services.check_results import CheckResult
from qlik_tui.services.context import Services
from qlik_tui.services.rotation import RotationResult, rotate_profile

RENEWALS_AT_ONCE = 4
_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_ISO = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_span(text: str) -> timedelta:
    """A span such as ``12h``, ``90m``, ``2d``, ``1w`` or an ISO 8601 duration (``PT12H``)."""
    short = _SHORT.match(text)
    if short:
        return timedelta(**{_UNITS[short.group(2).lower()]: float(short.group(1))})
    iso = _ISO.match(text.strip().upper())
    parts = {k: int(v) for k, v in iso.groupdict().items() if v} if iso else {}
    if not parts:
        raise ValueError(
            f"{echoed(text)} is not a duration: use e.g. 12h, 90m, 2d, 1w or ISO 8601 such as PT12H"
        )
    return timedelta(**parts)


def due_for_renewal(
    results: Sequence[CheckResult], within: timedelta, now: datetime
) -> list[CheckResult]:
    """Valid keys whose known expiry is within ``within`` from ``now`` (unknown: not due).
    A key several profiles hold is due once: its rotation renews it for all of them."""
    due: list[CheckResult] = []
    seen: set[tuple[str, str]] = set()
    for r in results:
        if (
            r.outcome.verdict is not Verdict.VALID
            or r.expiry is None
            or as_utc(r.expiry) - as_utc(now) > within
        ):
            continue
        held = (r.profile.origin, r.profile.key_id or f"profile:{r.profile.name}")
        if held not in seen:
            seen.add(held)
            due.append(r)
    return due


async def renew_all(
    services: Services,
    due: Sequence[CheckResult],
    *,
    on_result: Callable[[RotationResult], None] | None = None,
) -> list[RotationResult]:
    limit = asyncio.Semaphore(RENEWALS_AT_ONCE)
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for result in due:
            origin = result.profile.origin
            if origin not in clients:
                clients[origin] = await stack.enter_async_context(
                    make_http_client(services.client_settings)
                )

        async def one(result: CheckResult) -> RotationResult:
            async with limit:
                renewal = await rotate_profile(
                    services, result.profile.name, http=clients[result.profile.origin]
                )
            if on_result:
                on_result(renewal)
            return renewal

        return list(await asyncio.gather(*(one(r) for r in due)))
