"""Storing the proven key: a keyring that refuses never costs the key. Retry, a rescue file,
or a confirmed discard are the only ways on."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from tests.tui.helpers import PinnedApp, click, screen_text, settle, text_of


async def reach_store_failure(pilot: Any, app: PinnedApp, sandbox: SandboxTenant) -> ApiKey:
    """Prove a key, then press Store with the failing keyring; returns the key."""
    key = parse_key(sandbox.issue_key("valid"))
    app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
    app.state.set_key(key)
    app.go_to_step(6)
    await settle(pilot)
    assert "Key works" in text_of(pilot, ".outcome-heading")
    app.screen.query_one("#profile-name", Input).value = "work"
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, LiveTestScreen)
    assert app.screen.mode == "store-failed"
    return key


async def test_store_failure_keeps_the_key_and_retry_with_a_working_keyring_succeeds(
    sandbox: SandboxTenant, offline_services: Services, secret_store: SecretStore
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_store_failure(pilot, app, sandbox)
        assert "Storing failed" in text_of(pilot, ".outcome-heading")
        shown = screen_text(pilot)
        assert "Problem" in shown and "Fix" in shown
        assert app.state.key == key and app.state.key_at_risk
        assert offline_services.profiles.get("work") is None

        # The user fixes the keyring (here: a working Secret Service) and retries.
        offline_services.secrets = secret_store
        await click(pilot, "#store-retry")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        assert not app.state.key_at_risk
    assert secret_store.load("work") == key
    profile = offline_services.profiles.get("work")
    assert profile is not None and profile.backend == secret_store.backend_name


async def test_write_to_a_file_creates_a_0600_file_and_never_overwrites(
    sandbox: SandboxTenant, offline_services: Services, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me\n")
    target = tmp_path / "rescued-key.txt"
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_store_failure(pilot, app, sandbox)
        await click(pilot, "#rescue")
        path_input = app.screen.query_one("#rescue-path", Input)
        assert path_input.has_focus

        path_input.value = str(existing)
        await pilot.press("enter")
        await settle(pilot)
        assert "already exists" in text_of(pilot, "#rescue-error")
        assert existing.read_text() == "keep me\n"
        assert app.state.key == key and app.state.key_at_risk

        path_input.value = str(target)
        await click(pilot, "#rescue-write")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        assert str(target) in screen_text(pilot)
        assert not app.state.key_at_risk
    assert target.read_text() == key.reveal() + "\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_discard_needs_a_confirmation(
    sandbox: SandboxTenant, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_store_failure(pilot, app, sandbox)
        await click(pilot, "#discard")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.focused is app.screen.query_one("#cancel", Button)  # safe default
        await pilot.press("enter")  # "Keep it"
        assert isinstance(app.screen, LiveTestScreen)
        assert app.state.key == key

        await click(pilot, "#discard")
        await pilot.press("escape")  # Esc also keeps it
        assert app.state.key == key

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        assert isinstance(app.screen, PasteScreen)
        assert app.state.key is None
        assert app.screen.query_one("#key-input", Input).value == ""


async def test_a_broken_profiles_file_offers_the_same_choices_and_discard_cleans_the_keyring(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    from qlik_tui.store.secrets import KeyNotFound
    from tests.fixtures.services import make_services

    services = make_services(tmp_path, secret_store)
    services.profiles.path.parent.mkdir(parents=True, exist_ok=True)
    services.profiles.path.write_text("{ this is not JSON")
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_store_failure(pilot, app, sandbox)
        shown = screen_text(pilot)
        assert "profile could not be saved" in shown
        assert str(services.profiles.path) in shown
        assert secret_store.load("work") == key  # the keyring took it; the profile did not

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        await settle(pilot)
        assert app.state.key is None
    with pytest.raises(KeyNotFound):
        secret_store.load("work")
