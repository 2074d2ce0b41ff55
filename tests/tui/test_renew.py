"""Renewing a key from the dashboard (``R``): the steps as they happen, cancel before the store,
a refused renewal explained; over the TLS sandbox and the real Secret Service. After each flow:
what the keyring, the profile and the tenant's key list hold. Snapshots of the progress and the
result use fixed ids and a pinned clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.outcomes import OutcomeKind, make_outcome
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import store_login
from qlik_tui.services.rotation import (
    RotationResult,
    RotationStatus,
    RotationStep,
    StepEvent,
    StepState,
    StrayKey,
)
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.renew import RenewModal
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    FIXED_KEY_ID,
    PinnedApp,
    SnapCompare,
    click,
    dashboard_of,
    expiry_in,
    open_dashboard,
    renew_selected,
    screen_text,
    settle,
    store,
    text_of,
    wait_until,
)

SIZE = (80, 24)
WIDE = (120, 36)
NEW_KEY_ID = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918"


def stored_key_id(services: Services, name: str) -> str | None:
    return services.secrets.load(name).info.key_id


async def test_renew_stores_the_new_key_and_deletes_the_old_one(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_text = store(services, sandbox, "prod")
    old_id = key_id_of(old_text)
    assert old_id is not None and sandbox.key_ids("admin") == [old_id]
    sandbox.delay = 0.3  # each step stays in flight long enough to see it
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        modal = await renew_selected(pilot)
        await wait_until(
            pilot, lambda: modal.steps.get("create", ("", "", ""))[1] == "started", "creating"
        )
        assert "· Store the new key" in text_of(pilot, "#renew-steps")  # still to come
        descriptions = [worker.description for worker in app.workers]
        assert "Renewing the key of profile 'prod'" in descriptions
        await settle(pilot)

        result = modal.result
        assert result is not None and result.status is RotationStatus.RENEWED
        new_id = result.new_key_id
        assert new_id and new_id != old_id
        # the keyring, the profile and the tenant: the new key only
        assert stored_key_id(services, "prod") == new_id
        profile = services.profiles.get("prod")
        assert profile is not None and profile.key_id == new_id
        assert sandbox.key_ids("admin") == [new_id]
        assert not sandbox.has_key(old_id)

        steps = text_of(pilot, "#renew-steps")
        assert f"✓ Create the new key (with the stored key)\n  new key {new_id}" in steps
        assert "✓ Prove the new key" in steps and "✓ Store the new key" in steps
        assert f"✓ Delete the old key (with the new key)\n  old key {old_id}" in steps
        heading = text_of(pilot, "#renew-heading")
        assert heading == f"✓ Renewed: profile prod holds the new key {new_id}"
        new_text = services.secrets.load("prod").reveal()
        shown = screen_text(pilot)
        assert new_text not in shown and old_text not in shown
        assert not any(new_text in d or old_text in d for d in descriptions)

        await pilot.press("escape")
        await pilot.pause()
        dashboard = dashboard_of(app)
        assert dashboard.rows["prod"].profile.key_id == new_id
        assert dashboard.table.cell_texts("prod")["state"] == "✓ Key works"


async def test_back_on_done_after_a_renewal_shows_the_new_key_not_the_deleted_one(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_id = key_id_of(store(services, sandbox, "prod"))
    assert old_id is not None
    app = QlikTuiApp(services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        app.state.profile = services.profiles.get("prod")
        app.go_to_step(7)
        await settle(pilot)
        assert old_id in screen_text(pilot)
        await click(pilot, "#dashboard")
        modal = await renew_selected(pilot)
        await settle(pilot)
        assert modal.result is not None and modal.result.status is RotationStatus.RENEWED
        new_id = modal.result.new_key_id
        assert new_id is not None and not sandbox.has_key(old_id)
        await pilot.press("escape")  # the renewal's dialog
        await pilot.pause()
        await pilot.press("escape")  # the dashboard: back to Done
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        shown = screen_text(pilot)
        assert new_id in shown and old_id not in shown


async def test_cancel_before_the_store_keeps_the_old_key_and_leaves_no_stray(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_id = key_id_of(store(services, sandbox, "prod"))
    sandbox.delay = 0.5  # the create stays in flight long enough to cancel during it
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        modal = await renew_selected(pilot)
        await wait_until(
            pilot, lambda: modal.steps.get("create", ("", "", ""))[1] == "started", "creating"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert "Cancelling" in text_of(pilot, "#renew-hint")
        await settle(pilot)

        result = modal.result
        assert result is not None and result.status is RotationStatus.CANCELLED
        assert result.strays == ()
        heading = text_of(pilot, "#renew-heading")
        assert heading == f"Cancelled: profile prod still holds key {old_id}"
        assert stored_key_id(services, "prod") == old_id
        profile = services.profiles.get("prod")
        assert profile is not None and profile.key_id == old_id
        assert sandbox.key_ids("admin") == [old_id]  # the new key was deleted again
        assert result.new_key_id is not None and not sandbox.has_key(result.new_key_id)

        await pilot.press("escape")
        await pilot.pause()
        assert dashboard_of(app).rows["prod"].profile.key_id == old_id


async def test_a_refused_renewal_shows_cause_and_next_step(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_id = key_id_of(store(services, sandbox, "prod"))
    sandbox.admin.can_create_keys = False
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        modal = await renew_selected(pilot)
        await settle(pilot)
        result = modal.result
        assert result is not None and result.status is RotationStatus.FAILED
        assert text_of(pilot, "#renew-heading") == (
            f"✗ Not renewed: profile prod still holds key {old_id}"
        )
        assert "✗ Create the new key" in text_of(pilot, "#renew-steps")
        shown = screen_text(pilot)
        assert "Manage API keys" in shown  # the outcome table's next step
        assert stored_key_id(services, "prod") == old_id
        assert sandbox.key_ids("admin") == [old_id]


async def test_renew_waits_while_a_recheck_runs(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_id = key_id_of(store(services, sandbox, "prod"))
    sandbox.delay = 0.5
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await open_dashboard(pilot)
        await pilot.press("r")
        assert dashboard.rechecking
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, RenewModal)
        await settle(pilot)
        assert sandbox.key_ids("admin") == [old_id]


async def test_once_storing_began_escape_no_longer_cancels(offline_services: Services) -> None:
    app = snapshot_app(offline_services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        modal = RenewModal("acme", start=False)
        await app.push_screen(modal)
        await pilot.pause()
        assert modal.query_one("#renew-cancel").display
        for event in result_events()[:7]:  # up to "store started"
            modal.show_step(event)
        await pilot.pause()
        assert not modal.query_one("#renew-cancel").display
        assert text_of(pilot, "#renew-hint") == "Storing the new key: the renewal completes now."
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is modal and not modal.cancel_asked  # still there, nothing asked
        assert "renewal completes now" in text_of(pilot, "#renew-hint")


# -- snapshots -----------------------------------------------------------------------------


def snapshot_app(services: Services) -> PinnedApp:
    services.profiles.put(
        Profile(
            name="acme",
            origin=f"https://{FIXED_HOST}",
            key_id=FIXED_KEY_ID,
            last_outcome=OutcomeKind.VALID.value,
            expiry=expiry_in(5).isoformat(),
        )
    )
    return PinnedApp(services, start="dashboard")


def progress_events() -> list[StepEvent]:
    return [
        StepEvent(RotationStep.LOAD, StepState.STARTED),
        StepEvent(RotationStep.LOAD, StepState.DONE, FIXED_KEY_ID),
        StepEvent(RotationStep.CREATE, StepState.STARTED),
        StepEvent(RotationStep.CREATE, StepState.DONE, NEW_KEY_ID),
        StepEvent(RotationStep.VERIFY, StepState.STARTED, NEW_KEY_ID),
    ]


def result_events() -> list[StepEvent]:
    return [
        *progress_events(),
        StepEvent(RotationStep.VERIFY, StepState.DONE, NEW_KEY_ID),
        StepEvent(RotationStep.STORE, StepState.STARTED, NEW_KEY_ID),
        StepEvent(RotationStep.STORE, StepState.DONE, NEW_KEY_ID),
        StepEvent(RotationStep.DELETE_OLD, StepState.STARTED, FIXED_KEY_ID),
        StepEvent(RotationStep.DELETE_OLD, StepState.FAILED, FIXED_KEY_ID),
    ]


def old_key_left() -> RotationResult:
    """A renewal whose delete of the old key failed: the stray and its command are shown."""
    return RotationResult(
        "acme",
        RotationStatus.OLD_KEY_LEFT,
        FIXED_KEY_ID,
        new_key_id=NEW_KEY_ID,
        new_expiry=expiry_in(24),
        failed_step=RotationStep.DELETE_OLD,
        outcome=make_outcome(OutcomeKind.SERVER_ERROR, http_status=503),
        strays=(
            StrayKey(
                FIXED_KEY_ID,
                "the old key could not be deleted (HTTP 503)",
                f"qlik-tui revoke acme {FIXED_KEY_ID}",
            ),
        ),
    )


def shown(events: list[StepEvent], result: RotationResult | None = None) -> Any:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        modal = RenewModal("acme", start=False)
        await pilot.app.push_screen(modal)
        await pilot.pause()
        for event in events:
            modal.show_step(event)
        if result is not None:
            await modal.show_result(result)
        await pilot.pause()

    return before


async def asked(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("R")
    await pilot.pause()


SNAPSHOTS = {
    "question": lambda: asked,
    "progress": lambda: shown(progress_events()),
    "result": lambda: shown(result_events(), old_key_left()),
}


@pytest.mark.parametrize("size", [SIZE, WIDE], ids=["80x24", "120x36"])
@pytest.mark.parametrize("name", list(SNAPSHOTS))
def test_snapshot(
    name: str, size: tuple[int, int], snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = snapshot_app(offline_services)
    assert snap_compare(app, terminal_size=size, run_before=SNAPSHOTS[name]())


async def test_the_store_step_names_the_encrypted_file_from_the_start(
    offline_services: Services,
) -> None:
    app = snapshot_app(offline_services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        modal = RenewModal("acme", start=False, store="encrypted-file")
        await app.push_screen(modal)
        await pilot.pause()
        modal.show_step(result_events()[0])  # the first step: every row shows, pending
        await pilot.pause()
        steps = text_of(pilot, "#renew-steps")
        assert "Store the new key (encrypted file and profile, all or nothing)" in steps
        assert "keyring" not in steps.lower()


async def test_renew_asks_first_and_escape_keeps_the_key(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_text = store(services, sandbox, "prod")
    old_id = key_id_of(old_text)
    store_login(
        services, name="prod-copy", tenant=parse_tenant(sandbox.origin),
        key=parse_key(old_text), report=None,
    )  # fmt: skip
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await open_dashboard(pilot)
        dashboard.table.move_cursor(row=0)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        question = text_of(pilot, ".dialog-question")
        assert f"then the old key {old_id}" in question and "is deleted there" in question
        assert "Profile prod-copy holds the same key and is renewed too." in question
        assert text_of(pilot, ".dialog-detail") == "Enter renews; Esc keeps the current key."
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmModal, RenewModal))
    assert sandbox.key_ids("admin") == [old_id]  # nothing created, nothing deleted
    assert stored_key_id(services, "prod") == old_id


async def test_renewing_a_shared_key_updates_every_holders_row(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_text = store(services, sandbox, "prod")
    store_login(
        services, name="prod-copy", tenant=parse_tenant(sandbox.origin),
        key=parse_key(old_text), report=None,
    )  # fmt: skip
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=WIDE) as pilot:
        modal = await renew_selected(pilot)
        await settle(pilot)
        result = modal.result
        assert result is not None and result.updated_profiles == ("prod", "prod-copy")
        assert "Also renewed" in screen_text(pilot) and "prod-copy (held the same key)" in (
            screen_text(pilot)
        )
        await pilot.press("escape")
        await settle(pilot)
        dashboard = dashboard_of(app)
        assert dashboard.rows["prod-copy"].profile.key_id == result.new_key_id
    assert stored_key_id(services, "prod-copy") == result.new_key_id
