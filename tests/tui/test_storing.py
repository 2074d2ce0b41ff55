"""Storing the proven key, in the wizard: the live test screen mounts the store panel after a
pass and moves on when the panel finishes (the storing rules themselves are tested on the panel
alone, in ``test_store_panel.py``)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Button, Input

from qlik_tui.core.apikey import ApiKey, make_fake_key, parse_key
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.store_panel import StoreMode, StorePanel
from qlik_tui.tui.widgets.store_form import StoreForm
from tests.tui.helpers import (
    FIXED_HOST,
    PLAIN_USER,
    SIZE,
    PinnedApp,
    SnapCompare,
    click,
    fixed_key,
    paste,
    prove_on_step_6,
    screen_text,
    settle,
    text_of,
    valid_report,
    with_state,
)


async def reach_store_failure(pilot: Any, app: PinnedApp, sandbox: SandboxTenant) -> ApiKey:
    """Prove a key, then press Store with the failing keyring; returns the key."""
    key = await prove_on_step_6(pilot, sandbox)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, LiveTestScreen)
    assert app.screen.query_one(StorePanel).mode is StoreMode.FAILED
    return key


async def test_the_wizard_moves_on_to_done_when_a_retry_stores_the_key(
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


async def test_the_wizard_goes_back_to_an_empty_paste_step_after_a_confirmed_discard(
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


TAKEN = Profile(
    name=FIXED_HOST,
    origin=f"https://{FIXED_HOST}",
    key_id="0b7c1e52-3a44-4d0e-9a51-6f1f2f9c7d10",
    last_outcome="valid",
    last_checked_at="2026-05-01T09:30:00+00:00",
)


async def _name_taken(pilot: Any) -> None:
    panel = pilot.app.screen.query_one(StorePanel)
    panel.post_message(StorePanel.NameTaken(FIXED_HOST, TAKEN, f"{FIXED_HOST}-2"))
    await pilot.pause()
    await pilot.pause()


def test_snapshot_of_the_replace_question(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = with_state(6, report=valid_report(PLAIN_USER), then=_name_taken)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


async def test_a_key_pasted_into_the_profile_name_is_kept_out_and_offered_to_the_paste_step(
    offline_services: Services,
) -> None:
    held, other = fixed_key(), parse_key(make_fake_key(key_id="k-2", tenant_id="t-2", sub="u-2"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(6, report=valid_report(PLAIN_USER))(pilot)
        name = app.screen.query_one("#profile-name", Input)
        name.focus()
        await pilot.pause()
        await paste(pilot, held.reveal())  # the key being stored: said so, nothing to decide
        assert name.value == FIXED_HOST
        assert not isinstance(app.screen, ConfirmModal)
        await paste(pilot, other.reveal())
        assert name.value == FIXED_HOST
        assert isinstance(app.screen, ConfirmModal)
        assert "replace the key pasted there before" in text_of(pilot, ".dialog-question")
        await pilot.press("enter")  # the focused answer: carry it over
        assert isinstance(app.screen, PasteScreen)
        assert app.state.key == other and app.state.key_at_risk


async def test_the_store_form_asks_for_the_store_with_its_own_message(
    offline_services: Services,
) -> None:
    requested: list[str] = []

    class RecordingLiveTest(LiveTestScreen):
        @on(StoreForm.StoreRequested)
        def record(self, message: StoreForm.StoreRequested) -> None:
            requested.append(message.form.profile_name)

    class RecordingApp(PinnedApp):
        SCREENS = {**PinnedApp.SCREENS, "live-test": RecordingLiveTest}

    app = RecordingApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(6, report=valid_report(PLAIN_USER))(pilot)
        app.screen.query_one("#profile-name", Input).value = "  work "
        app.screen.query_one("#profile-name", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert requested == ["work"]
        # the panel did store (and failed)
        assert app.screen.query_one(StorePanel).mode is StoreMode.FAILED
