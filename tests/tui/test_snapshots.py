"""Snapshots of every screen and every result panel at 80x24, in the dark and the light theme.

Deterministic by construction: a fixed host and key, a pinned clock, and result panels rendered
from constructed reports (the sandbox's ports and ids are random). Update them with
``pytest tests/tui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from qlik_tui.core.models import ApiKeyConfig, ApiKeyRecord, Role, User
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome
from qlik_tui.services.context import Services
from qlik_tui.services.verify import VerifyReport
from qlik_tui.store.profiles import Profile
from qlik_tui.tui.messages import StoreFailed
from tests.tui.helpers import (
    FIXED_HOST,
    FIXED_KEY_ID,
    FIXED_TENANT_ID,
    FIXED_USER_ID,
    PinnedApp,
    click,
    expiry_in,
    fixed_key,
    fixed_tenant,
    paste,
)

SIZE = (80, 24)
Before = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]

PLAIN_USER = User(
    id=FIXED_USER_ID,
    tenant_id=FIXED_TENANT_ID,
    subject="auth0|ada",
    name="Ada Lovelace",
    email="ada@acme.example",
    status="active",
    roles=(Role(id="r1", name="AnalyticsAdmin"),),
)
ADMIN_USER = User(
    id=FIXED_USER_ID,
    tenant_id=FIXED_TENANT_ID,
    subject="auth0|ada",
    name="Ada Lovelace",
    email="ada@acme.example",
    status="active",
    roles=(Role(id="r0", name="TenantAdmin"), Role(id="r1", name="AnalyticsAdmin")),
)


def valid_report(user: User, **extra: Any) -> VerifyReport:
    outcome = Outcome(
        OutcomeKind.VALID,
        http_status=200,
        latency_ms=142.0,
        context={"host": FIXED_HOST, "tenant": FIXED_TENANT_ID},
    )
    record = ApiKeyRecord(id=FIXED_KEY_ID, status="active", expiry=expiry_in(5))
    return VerifyReport(outcome=outcome, user=user, key_record=record, tenant_matches=True, **extra)


def failed_report(kind: OutcomeKind, **outcome: Any) -> VerifyReport:
    key = fixed_key()
    return VerifyReport(
        outcome=make_outcome(kind, tenant=fixed_tenant(), key_info=key.info, **outcome)
    )


def with_state(
    step: int,
    *,
    report: VerifyReport | None = None,
    then: Before | None = None,
    with_key: bool = True,
    **state: Any,
) -> Before:
    """Put a fixed tenant and key (and whatever else) in the state, then show ``step``."""

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, PinnedApp)
        app.state.set_tenant(fixed_tenant(), FIXED_HOST, confirmed=False)
        if with_key and step in (5, 6):
            app.state.set_key(fixed_key())
        app.state.report = report
        for name, value in state.items():
            setattr(app.state, name, value)
        app.go_to_step(step)
        await pilot.pause()
        if then is not None:
            await then(pilot)

    return before


def typing(text: str) -> Before:
    async def type_it(pilot: Pilot[Any]) -> None:
        field = pilot.app.screen.query_one("#tenant-input", Input)
        field.value = ""
        field.insert_text_at_cursor(text)  # as typed, minus a key press per character
        await pilot.pause()

    return type_it


def pasting(text: str) -> Before:
    async def paste_it(pilot: Pilot[Any]) -> None:
        await paste(pilot, text)

    return paste_it


def clicking(selector: str) -> Before:
    async def click_it(pilot: Pilot[Any]) -> None:
        await click(pilot, selector)

    return click_it


async def store_refused(pilot: Pilot[Any]) -> None:
    pilot.app.screen.post_message(
        StoreFailed(
            "No keyring backend is available: keyring found no Secret Service to store keys in.",
            "Install and start gnome-keyring or KeePassXC's Secret Service, then Retry.",
            "",
        )
    )
    await pilot.pause()
    await pilot.pause()


async def press_quit(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+q")


STORED = Profile(
    name="acme",
    origin=f"https://{FIXED_HOST}",
    key_id=FIXED_KEY_ID,
    key_tenant_id=FIXED_TENANT_ID,
    user_id=FIXED_USER_ID,
    user_name="Ada Lovelace",
    user_email="ada@acme.example",
    expiry=expiry_in(5).isoformat(),
    backend="SecretService Keyring",
)

SCREENS: dict[str, Before] = {
    "01-welcome": with_state(1),
    "02-tenant-valid": with_state(2, then=typing("https://acme.eu.qlikcloud.com/hub/home")),
    "02-tenant-not-qlik": with_state(2, then=typing("acme.example.com")),
    "02-tenant-error": with_state(2, then=typing("acme")),
    "03-permission": with_state(3),
    "03-permission-missing": with_state(3, then=clicking("#missing-permission")),
    "04-generate": with_state(4),
    "05-paste-empty": with_state(5, with_key=False),
    "05-paste-valid": with_state(5),
    "05-paste-mangled": with_state(5, with_key=False, then=pasting(fixed_key().reveal()[:-40])),
    "06-success": with_state(6, report=valid_report(PLAIN_USER)),
    "06-success-admin": with_state(
        6,
        report=valid_report(
            ADMIN_USER,
            config=ApiKeyConfig(max_api_key_expiry="P30D", max_keys_per_user=5),
            active_key_count=2,
        ),
    ),
    "06-rejected": with_state(
        6,
        report=failed_report(
            OutcomeKind.KEY_REJECTED,
            http_status=401,
            server_message="Authorization Required",
            latency_ms=88.0,
        ),
    ),
    "06-network-failure": with_state(6, report=failed_report(OutcomeKind.CONNECTION_REFUSED)),
    "06-cancelled": with_state(6, report=failed_report(OutcomeKind.CANCELLED)),
    "06-storing-failed": with_state(6, report=valid_report(PLAIN_USER), then=store_refused),
    "07-done": with_state(
        7, profile=STORED, storage_description="SecretService Keyring (Secret Service, D-Bus)"
    ),
    "07-done-rescued": with_state(7, rescue_path=Path("/home/ada/qlik-api-key.txt")),
    "quit-confirmation": with_state(5, then=press_quit),
}

LIGHT = ("02-tenant-not-qlik", "05-paste-valid", "06-success-admin", "06-rejected")


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(name: str, snap_compare: SnapCompare, offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=SCREENS[name])


@pytest.mark.parametrize("name", LIGHT)
def test_light_theme(name: str, snap_compare: SnapCompare, offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=SCREENS[name])


NO_COLOR = ("02-tenant-not-qlik", "06-rejected", "06-storing-failed")


@pytest.mark.parametrize("name", NO_COLOR)
def test_no_color(
    name: str,
    snap_compare: SnapCompare,
    offline_services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = PinnedApp(offline_services, start="setup")
    assert app.no_color
    assert snap_compare(app, terminal_size=SIZE, run_before=SCREENS[name])
