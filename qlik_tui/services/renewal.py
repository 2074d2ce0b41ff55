"""Renew the stored keys that expire soon: what ``check --renew-within`` runs after checking.

CONTRACT:
    parse_span("12h" | "90m" | "2d" | "1w" | "PT12H" | "P2D") -> timedelta   (ValueError)
    await tenant_lifetimes(services, results, within) -> {origin: longest life of a new key}
    due_for_renewal(results, within, now, lifetimes) -> list[CheckResult]   valid keys expiring
        within; when a new key would live no longer than ``within`` (it would be due the moment
        it is made), a key is due once half that life is used, not on every run:
        ``window_beyond_lifetime`` says so, once
    await renew_all(services, results, on_result=None) -> list[RotationResult]
        (cancelled -- Ctrl-C, SIGTERM -- it still returns the results of the renewals that began)
Renewals run a few at a time over one HTTP client per tenant origin: each costs two requests
of Qlik's rate tier 2 (100 per minute), the create and the delete.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import httpx

from qlik_tui.core.client import QlikClient, make_http_client
from qlik_tui.core.errors import QlikError
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.core.timestamps import as_utc, parse_iso_datetime
from qlik_tui.core.untrusted import echoed
from qlik_tui.services.check_results import CheckResult
from qlik_tui.services.context import Services
from qlik_tui.services.rotation import RotationCancelled, RotationResult, rotate_profile
from qlik_tui.services.secret_rotation import rotate_client_secret
from qlik_tui.store.secrets import StoreError

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


def lifetime(result: CheckResult) -> timedelta | None:
    """How long the key lives from creation to expiry, when the tenant told both."""
    created = parse_iso_datetime(result.profile.key_created)
    if created is None or result.expiry is None:
        return None
    return as_utc(result.expiry) - as_utc(created)


Lifetimes = Mapping[str, timedelta]  # origin -> the longest life the tenant gives a new key


def _successor_life(result: CheckResult, lifetimes: Lifetimes) -> timedelta | None:
    """How long the key's successor will live: the tenant's maximum when it could be read,
    else the key's own life."""
    return lifetimes.get(result.profile.origin) or lifetime(result)


def _effective_window(result: CheckResult, within: timedelta, lifetimes: Lifetimes) -> timedelta:
    """``within``, or half the successor's life when that is no longer than ``within``: the
    successor would be due the moment it is made, and renewed on every run."""
    life = _successor_life(result, lifetimes)
    if life is not None and timedelta(0) < life <= within:
        return life / 2
    return within


# An OAuth client's secret never expires: it is renewed once it is this old (``check
# --renew-within`` with ``--secret-max-age``), as a key would be before its expiry.
DEFAULT_SECRET_MAX_AGE = timedelta(days=90)


def due_for_renewal(
    results: Sequence[CheckResult],
    within: timedelta,
    now: datetime,
    lifetimes: Lifetimes | None = None,
    secret_max_age: timedelta = DEFAULT_SECRET_MAX_AGE,
) -> list[CheckResult]:
    """Valid keys whose known expiry is within the window from ``now`` (unknown: not due), and
    working OAuth clients whose stored secret is at least ``secret_max_age`` old (its age
    unknown: not due). A key several profiles hold is due once: its rotation renews it for all
    of them."""
    known = lifetimes or {}
    due: list[CheckResult] = []
    seen: set[tuple[str, str]] = set()
    for r in results:
        if r.outcome.verdict is not Verdict.VALID:
            continue
        if r.profile.is_oauth_client:
            made = parse_iso_datetime(r.profile.secret_created)
            if made is not None and as_utc(now) - as_utc(made) >= secret_max_age:
                due.append(r)
            continue
        if r.expiry is None or as_utc(r.expiry) - as_utc(now) > _effective_window(r, within, known):
            continue
        held = (r.profile.origin, r.profile.key_id or f"profile:{r.profile.name}")
        if held not in seen:
            seen.add(held)
            due.append(r)
    return due


def window_beyond_lifetime(
    results: Sequence[CheckResult], within: timedelta, lifetimes: Lifetimes | None = None
) -> str | None:
    """The sentence saying ``within`` is at least as long as new keys live, or None."""
    known = lifetimes or {}
    lives = [
        life
        for r in results
        if r.outcome.verdict is Verdict.VALID
        and (life := _successor_life(r, known)) is not None
        and timedelta(0) < life <= within
    ]
    if not lives:
        return None
    longest = max(lives)
    return (
        f"--renew-within {_span_text(within)} is not shorter than the life of a new key "
        f"(up to {_span_text(longest)}, the tenant's maximum key lifetime): every key would "
        "be renewed on every run. Such keys are renewed once half their life is used "
        f"(with {_span_text(longest / 2)} left for a {_span_text(longest)} key)."
    )


async def tenant_lifetimes(
    services: Services, results: Sequence[CheckResult], within: timedelta
) -> dict[str, timedelta]:
    """The tenant's longest key life (``max_api_key_expiry``, readable by a TenantAdmin) for
    each tenant where a valid key lives no longer than ``within`` -- only there can it
    matter, so only there is it asked for. Tenants that do not tell are left out."""
    asked: dict[str, CheckResult] = {}
    for result in results:
        life = lifetime(result)
        if result.outcome.verdict is Verdict.VALID and life is not None and life <= within:
            asked.setdefault(result.profile.origin, result)
    found: dict[str, timedelta] = {}
    for origin, result in asked.items():
        life = await _tenant_lifetime(services, result)
        if life is not None:
            found[origin] = life
    return found


async def _tenant_lifetime(services: Services, result: CheckResult) -> timedelta | None:
    profile = result.profile
    try:
        key = await asyncio.to_thread(services.for_profile(profile).secrets.load, profile.name)
        tenant = parse_tenant(profile.origin)
        tenant_id = profile.tenant_id or key.info.tenant_id
        if not tenant_id:
            return None
        async with QlikClient(tenant, key, settings=services.client_settings) as client:
            config = (await client.api_key_config(tenant_id)).value
        return parse_span(config.max_api_key_expiry or "")
    except (QlikError, StoreError, TenantError, ValueError):
        return None


def _span_text(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


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
                try:
                    http = clients[result.profile.origin]
                    if result.profile.is_oauth_client:
                        renewal = await rotate_client_secret(
                            services, result.profile.name, http=http
                        )
                    else:
                        renewal = await rotate_profile(services, result.profile.name, http=http)
                except RotationCancelled as stopped:  # cleaned up: still reported
                    renewal = stopped.result
            if on_result:
                on_result(renewal)
            return renewal

        tasks = [asyncio.ensure_future(one(r)) for r in due]
        try:
            return list(await asyncio.gather(*tasks))
        except asyncio.CancelledError:
            # Interrupted: each started renewal has cleaned up (or finished its store) and
            # returned what it did; those not started yet made nothing.
            return [t.result() for t in tasks if t.done() and not t.cancelled()]
