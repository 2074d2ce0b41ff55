"""Tenant strings, key claims and profile names never drive the terminal through the TUI, and
are never read as markup: what the app writes to its driver holds no OSC 52 clipboard write,
no OSC 8 hyperlink and no screen clear coming from data, and markup is shown literally.

Runs the wizard's paste step and live test (result panel) and the dashboard (table, details,
forget) against the hostile sandbox (attack strings in every tenant field, the 401 body and the
key's claims).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._toast import Toast

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.core.untrusted import neutralise
from qlik_tui.services.context import Services
from qlik_tui.services.login import store_login
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.dashboard import DashboardScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.profile_details import ProfileDetailsModal
from tests.fixtures.hostile import (
    BIDI_ISOLATE,
    BIDI_OVERRIDE,
    C1_CSI,
    HOSTILE_KEY_ID,
    HOSTILE_NAME,
    MARKUP_BOLD,
    MARKUP_CLICK,
    HostileSandbox,
    hostile_fake_key,
)
from tests.fixtures.services import make_services
from tests.security.tui_spies import Spies, install_spies, osc52_payloads, svg_text
from tests.tui.helpers import PinnedApp, paste, screen_text, settle

SIZE = (120, 40)
ODD_NAMES = ("x[/]", MARKUP_CLICK)


def assert_no_terminal_attack_from_data(spies: Spies) -> None:
    output = spies.driver_output
    assert output, "the spy saw no terminal output at all"
    assert osc52_payloads(output) == []
    assert "\x1b]52" not in output
    assert "\x1b]8;" not in output and "evil.example" not in output
    assert "\x1b[2J" not in output
    assert "aG9zdGlsZQ" not in output  # the clipboard payload, in any form
    assert C1_CSI not in output and "\x9b" not in output
    assert BIDI_OVERRIDE not in output and BIDI_ISOLATE not in output


def assert_inert(shown: str) -> None:
    """What the widgets hold (and the screen export) has no raw control or bidi character."""
    raw = [c for c in shown if c in "\x07\x1b\x7f\x9b" or c in (BIDI_OVERRIDE, BIDI_ISOLATE)]
    assert raw == [], shown


def store_hostile(services: Services, sandbox: HostileSandbox, name: str) -> None:
    sandbox.hostile_claims = True
    store_login(
        services,
        name=name,
        tenant=parse_tenant(sandbox.origin),
        key=parse_key(sandbox.issue_key()),
        report=None,
    )


async def wait_for(pilot: Pilot[Any], condition: Any, what: str) -> None:
    for _ in range(1500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"this never happened: {what}")


@pytest.mark.parametrize("key_kind", ["valid", "revoked"])
async def test_the_wizard_result_panel_shows_hostile_data_inert(
    monkeypatch: pytest.MonkeyPatch,
    hostile_sandbox: HostileSandbox,
    services: Services,
    key_kind: str,
) -> None:
    spies = install_spies(monkeypatch)
    hostile_sandbox.hostile_claims = True
    key = parse_key(hostile_sandbox.issue_key(key_kind))
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        app.state.set_tenant(parse_tenant(hostile_sandbox.origin), "x", confirmed=False)
        app.state.set_key(key)
        app.go_to_step(6)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LiveTestScreen)
        assert (screen.outcome is None) == (key_kind == "valid")  # a failure panel, or success
        shown = screen_text(pilot)
    assert_no_terminal_attack_from_data(spies)
    assert_inert(shown)
    if key_kind == "valid":
        assert neutralise(HOSTILE_NAME)[:30] in shown  # the user's name, in its visible form
    assert MARKUP_BOLD in shown or MARKUP_CLICK in shown or key_kind == "revoked"


async def test_the_dashboard_table_and_details_show_hostile_data_inert(
    monkeypatch: pytest.MonkeyPatch,
    hostile_sandbox: HostileSandbox,
    secret_store: SecretStore,
    tmp_path: Path,
) -> None:
    services = make_services(tmp_path, secret_store)
    for name in ODD_NAMES:
        store_hostile(services, hostile_sandbox, name)
    spies = install_spies(monkeypatch)
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("a")  # re-check all: fresh hostile answers
        await settle(pilot)
        table = svg_text(app.export_screenshot())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProfileDetailsModal)
        details = screen_text(pilot)
        assert app.is_running
    assert_no_terminal_attack_from_data(spies)
    assert_inert(table + details)
    for name in ODD_NAMES:
        assert name in table
    assert any(f"Profile {name}" in details for name in ODD_NAMES)
    assert neutralise(HOSTILE_NAME)[:20] in details


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_forgetting_a_profile_named_like_markup_works_and_shows_the_name(
    monkeypatch: pytest.MonkeyPatch,
    hostile_sandbox: HostileSandbox,
    secret_store: SecretStore,
    tmp_path: Path,
    name: str,
) -> None:
    services = make_services(tmp_path, secret_store)
    store_hostile(services, hostile_sandbox, name)
    spies = install_spies(monkeypatch)
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.click("#confirm")
        await settle(pilot)
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)), "the forget toast")
        await pilot.pause()
        assert app.is_running  # no MarkupError, and the name's [@click] did not quit
        shown = svg_text(app.export_screenshot())
        toasts = [n.message for n in app._notifications]
    assert f"Forgot profile {name}: " in toasts[0]
    assert f"Forgot profile {name}" in shown
    assert_no_terminal_attack_from_data(spies)
    with pytest.raises(KeyNotFound):
        secret_store.load(name)
    assert services.profiles.get(name) is None


async def test_the_paste_step_shows_a_hostile_keys_claims_inert(
    monkeypatch: pytest.MonkeyPatch, services: Services
) -> None:
    spies = install_spies(monkeypatch)
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        app.state.set_tenant(parse_tenant("acme.eu.qlikcloud.com"), "acme", confirmed=False)
        app.go_to_step(5)
        await pilot.pause()
        await paste(pilot, hostile_fake_key())
        await settle(pilot)
        assert isinstance(app.screen, PasteScreen)
        shown = screen_text(pilot)
    assert_no_terminal_attack_from_data(spies)
    assert_inert(shown)
    assert neutralise(HOSTILE_KEY_ID)[:30] in shown
    assert "claims hold control" in shown  # the warning that no real key's claims need this
