"""The store choice at 80x24: the storing step without a usable keyring (the encrypted file, or in
the demo this session's memory, preselected and explained), the passphrase dialogs, and Done for
each store. Snapshots, plus the check that each shows its action and decision unscrolled."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStores
from qlik_tui.tui.screens.passphrase import PassphraseModal
from qlik_tui.tui.widgets import store_line
from qlik_tui.tui.widgets.store_form import StoreChoice, StoreForm
from tests.tui.helpers import (
    NO_KEYRING,
    PLAIN_USER,
    SIZE,
    STORED,
    Before,
    PinnedApp,
    SnapCompare,
    valid_report,
    with_state,
)

ENCRYPTED_FILE = Path("/home/ada/.local/share/qlik-tui/keys.encrypted")


@pytest.fixture
def services(offline_services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """No usable keyring, and the encrypted file at a fixed path (it does not exist)."""
    monkeypatch.setattr(store_line, "probe_store", lambda _services: NO_KEYRING)
    stores = KeyStores(keyring=offline_services.secrets, encrypted_path=ENCRYPTED_FILE)
    return dataclasses.replace(offline_services, key_stores=stores)


async def store_pressed(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()  # the store lookup
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()


async def unlock_asked(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, PinnedApp)
    app.push_screen(PassphraseModal(app.services.stores, "to check the 2 keys kept there"))
    await pilot.pause()


ENCRYPTED = replace(STORED, store="encrypted-file", backend="qlik-tui encrypted file")
SCREENS: dict[str, tuple[Before, bool]] = {  # (how to get there, in the demo)
    "06-no-keyring": (with_state(6, report=valid_report(PLAIN_USER)), False),
    "06-no-keyring-demo": (with_state(6, report=valid_report(PLAIN_USER)), True),
    "06-new-passphrase": (
        with_state(6, report=valid_report(PLAIN_USER), then=store_pressed),
        False,
    ),
    "unlock-passphrase": (with_state(1, then=unlock_asked), False),
    "07-done-encrypted": (
        with_state(
            7,
            profile=ENCRYPTED,
            storage_description=f"qlik-tui encrypted file ({ENCRYPTED_FILE})",
        ),
        False,
    ),
    "07-done-demo-session": (
        with_state(
            7,
            profile=STORED,
            session_only=True,
            storage_description="this demo session only (in memory; gone when qlik-tui quits)",
        ),
        True,
    ),
}
IN_VIEW: dict[str, tuple[str, ...]] = {
    "06-no-keyring": ("#outcome", "#profile-name", "#store-choice", "#store-hint", "#next"),
    "06-no-keyring-demo": ("#outcome", "#profile-name", "#store-choice", "#store-hint", "#next"),
    "06-new-passphrase": ("#passphrase", "#passphrase-again", "#unlock", "#cancel"),
    "unlock-passphrase": ("#passphrase", "#unlock", "#cancel"),
    "07-done-encrypted": ("#dashboard", "#quit", ".command"),
    "07-done-demo-session": ("#dashboard", "#quit", ".command"),
}


def make_app(services: Services, demo: bool) -> PinnedApp:
    return PinnedApp(services, start="setup", sandbox=SandboxTenant() if demo else None)


@pytest.mark.parametrize("name", list(SCREENS))
def test_snapshot(name: str, snap_compare: SnapCompare, services: Services) -> None:
    before, demo = SCREENS[name]
    assert snap_compare(make_app(services, demo), terminal_size=SIZE, run_before=before)


@pytest.mark.parametrize("name", list(SCREENS))
async def test_each_shows_its_action_and_decision_at_80x24(name: str, services: Services) -> None:
    before, demo = SCREENS[name]
    app = make_app(services, demo)
    async with app.run_test(size=SIZE) as pilot:
        await before(pilot)
        await pilot.pause()
        screen = app.screen
        for selector in IN_VIEW[name]:
            region = screen.query_one(selector).region
            assert region.area > 0 and screen.region.contains_region(region), selector
        for body in screen.query("#body"):
            assert body.scroll_y == 0  # nothing was scrolled to show them


async def test_without_a_keyring_the_choice_is_preselected_and_explained(
    services: Services,
) -> None:
    for demo, expected in ((False, StoreChoice.ENCRYPTED_FILE), (True, StoreChoice.SESSION)):
        app = make_app(services, demo)
        async with app.run_test(size=SIZE) as pilot:
            await with_state(6, report=valid_report(PLAIN_USER))(pilot)
            await app.workers.wait_for_complete()
            await pilot.pause()
            form = app.screen.query_one(StoreForm)
            assert form.store_choice is expected
            assert form.hint_text().startswith("No usable OS keyring here (no D-Bus session")
            choices = {StoreChoice.KEYRING, StoreChoice.ENCRYPTED_FILE}
            assert set(form.choices) == (choices | {StoreChoice.SESSION} if demo else choices)
