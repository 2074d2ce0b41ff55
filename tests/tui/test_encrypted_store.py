"""Where no OS keyring runs: the wizard stores into qlik-tui's encrypted file after a passphrase
dialog, the dashboard unlocks it before checking or forgetting, and the demo can keep a practice
key for its session only. Real parts: the sandbox over TLS, the real encrypted file under the
test's HOME, keyring's own "no backend" keyring as the OS keyring that is not there."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Select, Static

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.services.storing import store_key
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.dashboard import DashboardScreen
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.import_qlik_cli import ImportQlikCliScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.passphrase import Passphrase, PassphraseModal
from qlik_tui.tui.screens.store_panel import StoreMode, StorePanel
from qlik_tui.tui.widgets import store_line
from qlik_tui.tui.widgets.secret_input import SecretInput
from qlik_tui.tui.widgets.store_form import StoreChoice, StoreForm
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FixedProbe,
    PinnedApp,
    click,
    prove_on_step_6,
    screen_text,
    settle,
    text_of,
)

SIZE = (80, 24)
PASSPHRASE = "correcthorsebattery"
NO_KEYRING = FixedProbe(
    False,
    "No usable keyring",
    why="No D-Bus session bus is running for this login.",
    fix="Start a session bus and a keyring for this shell.",
    alternative="keep keys in qlik-tui's own encrypted file instead.",
    reason="no D-Bus session, so no Secret Service",
)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_line, "probe_store", lambda _services: NO_KEYRING)


def assert_key_nowhere_on_disk(root: Path, key: ApiKey) -> None:
    """Neither the key nor a long piece of it is in any file under ``root``."""
    secret = key.reveal().encode()
    pieces = [secret, secret[-40:], secret[:40]]
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for piece in pieces:
                assert piece not in data, f"key bytes in {path}"


async def type_passphrase(pilot: Any, first: str, again: str | None = None) -> None:
    modal = pilot.app.screen
    assert isinstance(modal, PassphraseModal)
    last = modal.query_one("#passphrase", Input)
    last.value = first
    if again is not None:
        last = modal.query_one("#passphrase-again", Input)
        last.value = again
    last.focus()
    await pilot.press("enter")  # Enter in the last field: what a person does
    await settle(pilot)


def passphrase_error(pilot: Any) -> str:
    return str(pilot.app.screen.query_one("#passphrase-error", Static).content)


async def test_without_a_keyring_the_wizard_stores_in_the_encrypted_file(
    sandbox: SandboxTenant, offline_services: Services, no_keyring: None, tmp_path: Path
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        key = await prove_on_step_6(pilot, sandbox)
        form = app.screen.query_one(StoreForm)
        assert form.store_choice is StoreChoice.ENCRYPTED_FILE  # preselected, and said why:
        hint = text_of(pilot, "#store-hint")
        assert "No usable OS keyring here (no D-Bus session, so no Secret Service)." in hint
        assert "asks for a passphrase, then keeps the key encrypted in a file" in hint

        await pilot.press("ctrl+s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, PassphraseModal) and modal.creating
        await type_passphrase(pilot, "short", "short")
        assert "at least 8 characters" in passphrase_error(pilot)
        await type_passphrase(pilot, PASSPHRASE, PASSPHRASE + "x")
        assert "differ" in passphrase_error(pilot)
        typed = modal.query_one("#passphrase", Input)
        typed.value = PASSPHRASE  # what holds it never shows it: reprs (logged), the screen
        assert isinstance(typed, SecretInput)
        for held in (typed, Passphrase(PASSPHRASE), SecretInput.Changed(typed, PASSPHRASE)):
            assert PASSPHRASE not in repr(held)
        assert PASSPHRASE not in app.export_screenshot()
        assert not offline_services.stores.encrypted_path.exists()  # nothing written yet

        await type_passphrase(pilot, PASSPHRASE, PASSPHRASE)
        assert isinstance(app.screen, DoneScreen)
        assert "The key is in qlik-tui's encrypted file only" in screen_text(pilot)
        profile = offline_services.profiles.get("work")
        assert profile is not None and profile.store == KeyStoreKind.ENCRYPTED_FILE.value
        path = offline_services.stores.encrypted_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert_key_nowhere_on_disk(tmp_path, key)

        await click(pilot, "#dashboard")
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)  # unlocked already: no second question
        outcome = dashboard.rows["work"].outcome
        assert outcome is not None and outcome.verdict is Verdict.VALID


def stored_in_encrypted_file(
    root: Path, failing_store: SecretStore, key: ApiKey, origin: str
) -> Path:
    """A profile whose key an earlier run put in the encrypted file; returns the file."""
    earlier = make_services(root, failing_store)
    earlier.stores.unlock_encrypted(lambda: PASSPHRASE)
    store_key(
        earlier.storing_in(KeyStoreKind.ENCRYPTED_FILE),
        name="work",
        tenant=parse_tenant(origin),
        key=key,
        report=None,
        replace=False,
    )
    return earlier.stores.encrypted_path


async def test_the_dashboard_asks_for_the_passphrase_then_checks_and_forgets(
    sandbox: SandboxTenant,
    failing_store: SecretStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = parse_key(sandbox.issue_key("valid"))
    path = stored_in_encrypted_file(tmp_path, failing_store, key, sandbox.origin)
    before = path.read_bytes()
    services = make_services(tmp_path, failing_store)  # a new process: the file is locked
    app = PinnedApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PassphraseModal) and not modal.creating
        assert "to check the 1 key kept there" in screen_text(pilot)

        await type_passphrase(pilot, "not the passphrase")
        assert isinstance(app.screen, PassphraseModal)  # asked again, the reason shown
        assert "✗" in passphrase_error(pilot) and "passphrase" in passphrase_error(pilot)
        assert path.read_bytes() == before  # a wrong passphrase changes nothing

        # A typo noticed as Enter goes down: the second try, typed while the first is being
        # refused, is kept (the field was emptied on Enter, not on the refusal).
        field = modal.query_one("#passphrase", Input)
        field.value = "still wrong"
        typed_on = threading.Event()  # the refusal comes once the second try is typed
        unlock = services.stores.unlock_encrypted
        monkeypatch.setattr(
            services.stores, "unlock_encrypted", lambda p: (typed_on.wait(10), unlock(p))
        )
        await pilot.press("enter")
        assert field.value == ""
        await pilot.press(*"again")
        typed_on.set()
        await settle(pilot)
        monkeypatch.setattr(services.stores, "unlock_encrypted", unlock)
        assert "✗" in passphrase_error(pilot)
        assert field.value == "again" and app.focused is field
        field.value = ""

        await type_passphrase(pilot, PASSPHRASE)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        outcome = dashboard.rows["work"].outcome
        assert outcome is not None and outcome.verdict is Verdict.VALID

        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await click(pilot, "#confirm")
        await settle(pilot)
        assert "work" not in dashboard.rows
        assert services.profiles.all() == []
    later = make_services(tmp_path, failing_store)
    later.stores.unlock_encrypted(lambda: PASSPHRASE)
    assert later.stores.encrypted.snapshot("work").existed is False
    assert_key_nowhere_on_disk(tmp_path, key)


async def test_a_cancelled_passphrase_checks_the_rest_and_says_the_file_stayed_locked(
    sandbox: SandboxTenant, failing_store: SecretStore, tmp_path: Path
) -> None:
    key = parse_key(sandbox.issue_key("valid"))
    stored_in_encrypted_file(tmp_path, failing_store, key, sandbox.origin)
    app = PinnedApp(make_services(tmp_path, failing_store), start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        await pilot.press("escape")
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        outcome = dashboard.rows["work"].outcome
        assert outcome is not None and outcome.verdict is not Verdict.VALID
        assert "locked" in f"{outcome.title} {outcome.cause} {outcome.context}".lower()


async def test_a_keyring_that_cannot_work_offers_the_encrypted_file_first(
    sandbox: SandboxTenant, offline_services: Services, tmp_path: Path
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        key = await prove_on_step_6(pilot, sandbox)
        assert app.screen.query_one(StoreForm).store_choice is StoreChoice.KEYRING
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LiveTestScreen)
        assert screen.query_one(StorePanel).mode is StoreMode.FAILED
        other = screen.query_one("#other-store", Button)
        assert other.has_focus and str(other.label) == "Use the encrypted file"
        await pilot.press("enter")
        await pilot.pause()
        await type_passphrase(pilot, PASSPHRASE, PASSPHRASE)
        assert isinstance(app.screen, DoneScreen)
        profile = offline_services.profiles.get("work")
        assert profile is not None and profile.store == KeyStoreKind.ENCRYPTED_FILE.value
        assert_key_nowhere_on_disk(tmp_path, key)


async def test_the_demo_keeps_a_practice_key_for_its_session_only(
    sandbox: SandboxTenant, offline_services: Services, no_keyring: None, tmp_path: Path
) -> None:
    app = PinnedApp(offline_services, start="setup", sandbox=sandbox)
    async with app.run_test(size=SIZE) as pilot:
        key = await prove_on_step_6(pilot, sandbox)
        form = app.screen.query_one(StoreForm)
        assert form.store_choice is StoreChoice.SESSION
        assert "in memory until you quit: nothing on disk" in text_of(pilot, "#store-hint")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        assert "kept in memory for this demo session only (gone when you quit)" in (
            screen_text(pilot)
        )
        assert offline_services.profiles.all() == []  # nothing in the lasting stores
        assert not offline_services.stores.encrypted_path.exists()
        assert_key_nowhere_on_disk(tmp_path, key)

        await click(pilot, "#dashboard")
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        outcome = dashboard.rows["work"].outcome
        assert outcome is not None and outcome.verdict is Verdict.VALID
        session = app.session_store
        assert session is not None
    session.close()
    assert app.services.profiles.path.parent.exists() is False


async def test_the_qlik_cli_import_stores_into_the_encrypted_file_without_a_keyring(
    sandbox: SandboxTenant,
    offline_services: Services,
    no_keyring: None,
    isolated_home: Path,
) -> None:
    from tests.tui.helpers import key_context, write_home_contexts

    key = sandbox.issue_key()
    contexts = write_home_contexts(isolated_home, key_context("work", sandbox.origin, key))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(ImportQlikCliScreen(contexts))
        await settle(pilot)
        assert app.screen.query_one("#import-store", Select).value is StoreChoice.ENCRYPTED_FILE
        assert "No usable OS keyring here: No D-Bus session bus" in screen_text(pilot)
        await click(pilot, "#import")
        await type_passphrase(pilot, PASSPHRASE, PASSPHRASE)
        screen = app.screen
        assert isinstance(screen, ImportQlikCliScreen) and screen.finished
    profile = offline_services.profiles.get("work")
    assert profile is not None and profile.store == KeyStoreKind.ENCRYPTED_FILE.value
    assert offline_services.stores.encrypted.load("work") == parse_key(key)
    contexts.unlink()  # qlik-cli's own plain-text file: the one the test wrote
    assert_key_nowhere_on_disk(isolated_home.parent, parse_key(key))  # profiles too
