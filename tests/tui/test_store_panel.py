"""Storing a proven key, through the store panel alone (mounted in a small app, no wizard): a
key store that refuses never costs the key; Retry, a rescue file, or a confirmed discard are the
only ways on; a taken name or a key another profile holds is stored only as the user decides."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.tenant import Tenant, parse_tenant
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.services.results import KeyNotStored, KeyringState, StoreStep
from qlik_tui.services.storing import store_key
from qlik_tui.services.verify import Detail, VerifyReport, verify_key
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.store_panel import StoreEnd, StoreMode, StorePanel, failure_message
from qlik_tui.tui.storable import ProvenKey
from tests.fixtures.services import make_services
from tests.tui.helpers import PinnedApp, click, screen_text, settle, text_of

SIZE = (80, 24)


class PanelScreen(Screen[None]):
    """What the live test screen gives the panel: a place, the passing report, Ctrl+S, and an
    ear for ``Finished``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "store", "Store key")]

    def __init__(self, tenant: Tenant, key: ApiKey, report: VerifyReport) -> None:
        super().__init__()
        self.panel = StorePanel(id="store-panel")
        self.tenant, self.key, self.report = tenant, key, report
        self.finished: list[StoreEnd] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield self.panel

    async def on_mount(self) -> None:
        await self.panel.show_form(ProvenKey(self.tenant, self.key, self.report))  # it passed

    def action_store(self) -> None:
        self.panel.store()

    def on_store_panel_finished(self, message: StorePanel.Finished) -> None:
        self.finished.append(message.end)


class PanelApp(PinnedApp):
    """The real app (its state, stores and dialogs) showing only the store panel."""

    def __init__(
        self, services: Services, tenant: Tenant, key: ApiKey, report: VerifyReport
    ) -> None:
        super().__init__(services, start="setup")
        self.state.set_tenant(tenant, tenant.origin, confirmed=False)
        self.state.set_key(key)
        self.state.report = report
        self.panel_screen = PanelScreen(tenant, key, report)

    def get_default_screen(self) -> Screen[Any]:
        return self.panel_screen


async def proven_app(services: Services, sandbox: SandboxTenant) -> PanelApp:
    """A key the sandbox issued and its live test's report (as the wizard gets it)."""
    tenant, key = parse_tenant(sandbox.origin), parse_key(sandbox.issue_key("valid"))
    report = await verify_key(tenant, key, settings=services.client_settings, detail=Detail.FULL)
    return PanelApp(services, tenant, key, report)


def finished(app: PanelApp) -> list[StoreEnd]:
    return app.panel_screen.finished


async def name_and_store(pilot: Pilot[Any], name: str) -> None:
    await settle(pilot)  # the store lookup
    pilot.app.screen.query_one("#profile-name", Input).value = name
    await pilot.press("ctrl+s")
    await settle(pilot)


async def reach_store_failure(pilot: Pilot[Any], app: PanelApp) -> ApiKey:
    """Press Store with the failing key store; returns the key."""
    await name_and_store(pilot, "work")
    assert app.panel_screen.panel.mode is StoreMode.FAILED
    key = app.state.key
    assert key is not None
    return key


async def test_store_failure_keeps_the_key_and_retry_with_a_working_keyring_succeeds(
    sandbox: SandboxTenant, offline_services: Services, secret_store: SecretStore
) -> None:
    app = await proven_app(offline_services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_store_failure(pilot, app)
        assert "Storing failed" in text_of(pilot, ".outcome-heading")
        shown = screen_text(pilot)
        assert "Problem" in shown and "Fix" in shown
        assert app.state.key == key and app.state.key_at_risk
        assert offline_services.profiles.get("work") is None

        # The user fixes the keyring (here: a working Secret Service) and retries.
        offline_services.secrets = secret_store
        await click(pilot, "#store-retry")
        await settle(pilot)
        assert finished(app) == [StoreEnd.STORED]
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
    app = await proven_app(offline_services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_store_failure(pilot, app)
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
        assert finished(app) == [StoreEnd.RESCUED]
        assert app.state.rescue_path == target
        assert not app.state.key_at_risk
    assert target.read_text() == key.reveal() + "\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_discard_needs_a_confirmation(
    sandbox: SandboxTenant, offline_services: Services
) -> None:
    app = await proven_app(offline_services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_store_failure(pilot, app)
        await click(pilot, "#discard")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.focused is app.screen.query_one("#cancel", Button)  # safe default
        await pilot.press("enter")  # "Keep it"
        assert app.screen is app.panel_screen
        assert app.state.key == key

        await click(pilot, "#discard")
        await pilot.press("escape")  # Esc also keeps it
        assert app.state.key == key
        assert finished(app) == []

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        await settle(pilot)
        assert finished(app) == [StoreEnd.DISCARDED]
        assert app.state.key is None


async def test_a_broken_profiles_file_keeps_the_stored_key_and_discard_leaves_it(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    first = parse_key(sandbox.issue_key("valid"))
    secret_store.save("work", first)  # stored earlier, under the name the user types again
    services.profiles.path.parent.mkdir(parents=True, exist_ok=True)
    services.profiles.path.write_text("{ this is not JSON")
    app = await proven_app(services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_store_failure(pilot, app)
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
        assert finished(app) == [StoreEnd.DISCARDED]
    assert secret_store.load("work") == first  # Discard removed nothing it did not create
    assert services.profiles.path.read_text() == "{ this is not JSON"


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


async def reach_replace_question(pilot: Pilot[Any], app: PanelApp, name: str) -> ApiKey:
    await name_and_store(pilot, name)
    assert isinstance(app.screen, ConfirmModal)
    key = app.state.key
    assert key is not None
    return key


async def test_a_taken_name_asks_and_keep_both_stores_under_another_name(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    first = _stored_before(services, sandbox, "work")
    app = await proven_app(services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_replace_question(pilot, app, "work")
        question = text_of(pilot, ".dialog-question")
        assert f"already holds key {first.info.key_id}" in question
        assert "last outcome: valid" in question
        assert secret_store.load("work") == first  # asking changed nothing
        assert app.screen.focused is app.screen.query_one("#cancel", Button)  # Keep both

        await pilot.press("enter")  # Keep both
        await settle(pilot)
        assert app.screen is app.panel_screen
        name_field = app.screen.query_one("#profile-name", Input)
        assert name_field.value == "work-2" and name_field.has_focus

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert finished(app) == [StoreEnd.STORED]
    assert secret_store.load("work") == first
    assert secret_store.load("work-2") == key
    assert {p.name for p in services.profiles.all()} == {"work", "work-2"}


async def test_a_taken_name_asks_and_replace_replaces(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    _stored_before(services, sandbox, "work")
    app = await proven_app(services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await reach_replace_question(pilot, app, "work")
        await click(pilot, "#confirm")  # Replace
        await settle(pilot)
        assert finished(app) == [StoreEnd.STORED]
    assert secret_store.load("work") == key
    stored = services.profiles.get("work")
    assert stored is not None and stored.key_id == key.info.key_id
    assert [p.name for p in services.profiles.all()] == ["work"]


async def test_a_failed_put_back_says_what_is_stored_and_discard_removes_only_that_entry(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    app = await proven_app(services, sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        key = app.state.key
        assert key is not None
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
        app.panel_screen.panel.post_message(failure_message(failure))
        await settle(pilot)
        shown = screen_text(pilot)
        assert "could not be put back" in shown
        assert "no profile lists it" in " ".join(shown.split())

        await click(pilot, "#discard")
        await click(pilot, "#confirm")
        await settle(pilot)
        await app.workers.wait_for_complete()
        assert finished(app) == [StoreEnd.DISCARDED]
    with pytest.raises(KeyNotFound):
        secret_store.load("left")  # the entry this attempt created
    assert secret_store.load("other")  # anything else stays


async def test_a_key_another_profile_holds_is_stored_again_only_when_confirmed(
    sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    app = await proven_app(services, sandbox)
    key = app.panel_screen.key
    store_key(
        services, name="work", tenant=parse_tenant(sandbox.origin), key=key, report=None,
        replace=False,
    )  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await name_and_store(pilot, "laptop")
        assert isinstance(app.screen, ConfirmModal)
        question = text_of(pilot, ".dialog-question")
        assert f'Key {key.info.key_id} is already stored in profile "work"' in question
        assert 'Store it as "laptop" too?' in question
        assert [p.name for p in services.profiles.all()] == ["work"]  # asking stored nothing

        await pilot.press("enter")  # the safe default: don't store
        await settle(pilot)
        assert app.screen is app.panel_screen
        assert [p.name for p in services.profiles.all()] == ["work"]
        assert app.panel_screen.panel.hint == 'Not stored: profile "work" already holds this key'

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # asked again
        await click(pilot, "#confirm")  # Store it too
        await settle(pilot)
        assert finished(app) == [StoreEnd.STORED]
    assert secret_store.load("laptop") == key and secret_store.load("work") == key
