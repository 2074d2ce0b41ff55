"""Storing the proven key: a keyring that refuses never costs the key. Retry, a rescue file,
or a confirmed discard are the only ways on."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual import on
from textual.widgets import Button, Input

from qlik_tui.core.apikey import ApiKey, make_fake_key, parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.services.results import KeyNotStored, KeyringState, StoreStep
from qlik_tui.services.storing import store_key
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.live_test import LiveTestMode, LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.storing import NameTaken, store_failure_message
from qlik_tui.tui.widgets.store_form import StoreForm
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    PinnedApp,
    click,
    fixed_key,
    paste,
    prove_on_step_6,
    screen_text,
    settle,
    text_of,
)
from tests.tui.test_snapshots import PLAIN_USER, SIZE, SnapCompare, valid_report, with_state


async def reach_store_failure(pilot: Any, app: PinnedApp, sandbox: SandboxTenant) -> ApiKey:
    """Prove a key, then press Store with the failing keyring; returns the key."""
    key = await prove_on_step_6(pilot, sandbox)
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


async def test_a_broken_profiles_file_keeps_the_stored_key_and_discard_leaves_it(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    first = parse_key(sandbox.issue_key("valid"))
    secret_store.save("work", first)  # stored earlier, under the name the user types again
    services.profiles.path.parent.mkdir(parents=True, exist_ok=True)
    services.profiles.path.write_text("{ this is not JSON")
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_store_failure(pilot, app, sandbox)
        shown = screen_text(pilot)
        assert "the key is not stored" in shown
        assert "profiles file" in shown
        assert secret_store.load("work") == first  # the stored key was never touched
        assert app.state.key == key and app.state.key_at_risk

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        await settle(pilot)
        await app.workers.wait_for_complete()
        assert app.state.key is None
    assert secret_store.load("work") == first  # Discard removed nothing it did not create
    assert services.profiles.path.read_text() == "{ this is not JSON"


async def reach_replace_question(
    pilot: Any, app: PinnedApp, sandbox: SandboxTenant, name: str
) -> ApiKey:
    key = parse_key(sandbox.issue_key("valid"))
    app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
    app.state.set_key(key)
    app.go_to_step(6)
    await settle(pilot)
    app.screen.query_one("#profile-name", Input).value = name
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmModal)
    return key


def _stored_before(services: Services, sandbox: SandboxTenant, name: str) -> ApiKey:
    first = parse_key(sandbox.issue_key("valid"))
    stored = store_key(
        services,
        name=name,
        tenant=parse_tenant(sandbox.origin),
        key=first,
        report=None,
        replace=False,
    )
    services.profiles.update(stored.profile.name, last_outcome="valid")
    return first


async def test_a_taken_name_asks_and_keep_both_stores_under_another_name(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    first = _stored_before(services, sandbox, "work")
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_replace_question(pilot, app, sandbox, "work")
        question = text_of(pilot, ".dialog-question")
        assert f"already holds key {first.info.key_id}" in question
        assert "last outcome: valid" in question
        assert secret_store.load("work") == first  # asking changed nothing
        assert app.screen.focused is app.screen.query_one("#cancel", Button)  # Keep both

        await pilot.press("enter")  # Keep both
        await settle(pilot)
        assert isinstance(app.screen, LiveTestScreen)
        name_field = app.screen.query_one("#profile-name", Input)
        assert name_field.value == "work-2" and name_field.has_focus

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
    assert secret_store.load("work") == first
    assert secret_store.load("work-2") == key
    assert {p.name for p in services.profiles.all()} == {"work", "work-2"}


async def test_a_taken_name_asks_and_replace_replaces(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    _stored_before(services, sandbox, "work")
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await reach_replace_question(pilot, app, sandbox, "work")
        await click(pilot, "#confirm")  # Replace
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
    assert secret_store.load("work") == key
    stored = services.profiles.get("work")
    assert stored is not None and stored.key_id == key.info.key_id
    assert [p.name for p in services.profiles.all()] == ["work"]


TAKEN = Profile(
    name=FIXED_HOST,
    origin=f"https://{FIXED_HOST}",
    key_id="0b7c1e52-3a44-4d0e-9a51-6f1f2f9c7d10",
    last_outcome="valid",
    last_checked_at="2026-05-01T09:30:00+00:00",
)


async def _name_taken(pilot: Any) -> None:
    pilot.app.screen.post_message(NameTaken(FIXED_HOST, TAKEN, f"{FIXED_HOST}-2"))
    await pilot.pause()
    await pilot.pause()


def test_snapshot_of_the_replace_question(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = with_state(6, report=valid_report(PLAIN_USER), then=_name_taken)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


async def test_a_failed_put_back_says_what_is_stored_and_discard_removes_only_that_entry(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = parse_key(sandbox.issue_key("valid"))
        app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
        app.state.set_key(key)
        app.go_to_step(6)
        await settle(pilot)
        app.state.profile_name = "left"
        secret_store.save("left", key)  # what the failed attempt left behind
        secret_store.save("other", parse_key(sandbox.issue_key("valid")))
        failure = KeyNotStored(
            StoreStep.PROFILES_WRITE,
            "The profile could not be saved.",
            "Free some disk space, then Retry.",
            name="left",
            backend=secret_store.backend_name,
            keyring=KeyringState.NOT_RESTORED,
            restore_problem="The keyring did not answer.",
        )
        app.screen.post_message(store_failure_message(failure))
        await settle(pilot)
        shown = screen_text(pilot)
        assert "could not be put back" in shown
        assert "no profile lists it" in " ".join(shown.split())

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        await settle(pilot)
        await app.workers.wait_for_complete()
    with pytest.raises(KeyNotFound):
        secret_store.load("left")  # the entry this attempt created
    assert secret_store.load("other")  # anything else stays


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
        assert app.screen.mode is LiveTestMode.STORE_FAILED  # the screen did store (and failed)


async def _key_held_elsewhere(
    pilot: Any, app: PinnedApp, sandbox: SandboxTenant, services: Services
) -> ApiKey:
    """A proven key that profile 'work' already holds, about to be stored as 'laptop'."""
    key = parse_key(sandbox.issue_key("valid"))
    store_key(
        services, name="work", tenant=parse_tenant(sandbox.origin), key=key, report=None,
        replace=False,
    )  # fmt: skip
    app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
    app.state.set_key(key)
    app.go_to_step(6)
    await settle(pilot)
    app.screen.query_one("#profile-name", Input).value = "laptop"
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmModal)
    return key


async def test_a_key_another_profile_holds_is_stored_again_only_when_confirmed(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        key = await _key_held_elsewhere(pilot, app, sandbox, services)
        question = text_of(pilot, ".dialog-question")
        assert f'Key {key.info.key_id} is already stored in profile "work"' in question
        assert 'Store it as "laptop" too?' in question
        assert [p.name for p in services.profiles.all()] == ["work"]  # asking stored nothing

        await pilot.press("enter")  # the safe default: don't store
        await settle(pilot)
        assert isinstance(app.screen, LiveTestScreen)
        assert [p.name for p in services.profiles.all()] == ["work"]

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # asked again
        await click(pilot, "#confirm")  # Store it too
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
    assert secret_store.load("laptop") == key and secret_store.load("work") == key
