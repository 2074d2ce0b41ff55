"""The whole wizard, keyboard and mouse, against the TLS sandbox and the real Secret Service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens import paste as paste_module
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.generate import GenerateScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.permission import PermissionScreen
from qlik_tui.tui.screens.store_panel import StorePanel
from qlik_tui.tui.screens.tenant import TenantScreen
from qlik_tui.tui.screens.welcome import WelcomeScreen
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.secret_input import SecretInput
from tests.fixtures.services import make_services
from tests.security.tui_spies import shows_part_of
from tests.tui.helpers import (
    FIXED_HOST,
    PinnedApp,
    click,
    fixed_key,
    fixed_tenant,
    paste,
    screen_text,
    settle,
    text_of,
)


async def test_happy_path_ends_with_the_key_in_the_secret_service(
    tmp_path: Path, sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    key_text = sandbox.issue_key("valid", user="user")
    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        assert "Step 1 of 7" in text_of(pilot, "#step-title")
        await click(pilot, "#start")

        assert isinstance(app.screen, TenantScreen)
        await pilot.press(*sandbox.origin)
        assert "This computer (loopback)" in text_of(pilot, "#tenant-status")
        await pilot.press("enter")

        assert isinstance(app.screen, PermissionScreen)
        await click(pilot, "#have-permission")

        assert isinstance(app.screen, GenerateScreen)
        await pilot.press("ctrl+n")

        assert isinstance(app.screen, PasteScreen)
        # Pasted the way people do: with "Bearer ", quotes and a line break in the middle.
        await paste(pilot, f'Bearer "{key_text[:200]}\n{key_text[200:]}"')
        assert app.state.key == parse_key(key_text)
        assert "This looks like a Qlik Cloud API key" in text_of(pilot, ".inspection-heading")
        assert app.screen.query_one(SecretInput).password  # still masked
        await pilot.press("enter")

        assert isinstance(app.screen, LiveTestScreen)
        await settle(pilot)
        assert "Key works" in text_of(pilot, ".outcome-heading")
        shown = screen_text(pilot)
        assert "Basil Plain" in shown and "basil.plain@example.com" in shown
        assert sandbox.user.id in shown and sandbox.tenant_id in shown
        assert "same tenant as the user" in shown
        assert "HTTP 200" in shown
        assert "Tenant API key settings" not in shown  # not an admin
        assert key_text not in shown

        panel = app.screen.query_one(StorePanel)
        assert panel.backend_label == secret_store.backend_name  # names the store worker
        profile_name = app.screen.query_one("#profile-name", Input)
        profile_name.value = "sandbox"
        await click(pilot, "#next")  # "Store key →"
        await settle(pilot)

        assert isinstance(app.screen, DoneScreen)
        assert "stored and proven" in screen_text(pilot)
        assert "qlik-tui check sandbox" in screen_text(pilot)
        assert not app.state.key_at_risk

    assert secret_store.load("sandbox") == parse_key(key_text)
    stored = services.profiles.get("sandbox")
    assert stored is not None
    assert stored.origin == sandbox.origin
    assert stored.user_name == "Basil Plain"
    assert stored.last_outcome == "valid"
    assert key_text not in services.profiles.path.read_text()
    assert key_text not in app.clipboard


async def test_admin_sees_the_tenant_key_settings(
    tmp_path: Path, sandbox: SandboxTenant, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
        app.state.set_key(parse_key(sandbox.issue_key("valid", user="admin")))
        app.go_to_step(6)
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Key works" in shown
        assert "Tenant API key settings" in shown
        assert "24 hours (PT24H)" in shown
        assert "Max keys/user" in shown
        assert "Your active keys" in shown
        assert "TenantAdmin" in shown


async def test_back_and_a_new_tenant_keep_the_key(
    tmp_path: Path, offline_services: Services
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.set_tenant(
            parse_tenant("acme.eu.qlikcloud.com"), "acme.eu.qlikcloud.com", confirmed=False
        )
        app.go_to_step(5)
        await pilot.pause()
        await paste(pilot, key.reveal())
        assert app.state.key == key

        await pilot.press("escape", "ctrl+b", "escape")  # Back three times, to the tenant
        assert isinstance(app.screen, TenantScreen)
        tenant_input = app.screen.query_one("#tenant-input", Input)
        assert tenant_input.value == "acme.eu.qlikcloud.com"
        tenant_input.value = "other.us.qlikcloud.com"
        await pilot.pause()
        await pilot.press("enter", "ctrl+n", "ctrl+n")

        assert isinstance(app.screen, PasteScreen)
        assert app.state.key == key
        assert app.state.tenant is not None and app.state.tenant.host == "other.us.qlikcloud.com"
        assert app.screen.query_one(SecretInput).value == key.reveal()  # shown again, masked
        assert app.screen.query_one(SecretInput).password


async def test_non_qlik_host_needs_an_explicit_confirmation(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to_step(2)
        await pilot.pause()
        app.screen.query_one("#tenant-input", Input).insert_text_at_cursor("acme.example.co")
        await pilot.press("m")
        assert "not a Qlik Cloud hostname" in text_of(pilot, "#tenant-status")
        checkbox = app.screen.query_one("#tenant-confirm", Checkbox)
        assert checkbox.display
        assert "acme.example.com is not a Qlik Cloud hostname. Use it anyway?" in str(
            checkbox.label
        )
        assert app.screen.query_one("#next", Button).disabled
        await pilot.press("enter")  # refused: moves focus to the confirmation instead
        assert isinstance(app.screen, TenantScreen)
        await click(pilot, "#tenant-confirm")
        assert not app.screen.query_one("#next", Button).disabled
        await click(pilot, "#next")
        assert isinstance(app.screen, PermissionScreen)
        assert app.state.tenant is not None and app.state.tenant.host == "acme.example.com"
        assert app.state.tenant_confirmed


async def test_tenant_errors_are_shown_as_typed(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to_step(2)
        await pilot.pause()
        app.screen.query_one("#tenant-input", Input).insert_text_at_cursor("ftp://acm")
        await pilot.press("e")
        assert "✗" in text_of(pilot, "#tenant-status")
        assert "https://" in text_of(pilot, "#tenant-status")
        assert app.screen.query_one("#next", Button).disabled
        app.screen.query_one(
            "#tenant-input", Input
        ).value = "https://acme.de.qlikcloud.com/hub/home"
        await pilot.pause()
        assert "Germany (Frankfurt) · Qlik Cloud" in text_of(pilot, "#tenant-status")
        assert "https://acme.de.qlikcloud.com only" in text_of(pilot, "#tenant-origin")
        app.screen.query_one("#tenant-input", Input).value = "https://[::1]:8443/"  # brackets
        await pilot.pause()
        assert "[::1]:8443" in text_of(pilot, "#tenant-status")
        app.screen.query_one("#tenant-input", Input).value = "http://127.0.0.1:8080"
        await pilot.pause()
        assert "loopback" in text_of(pilot, "#tenant-status")
        assert not app.screen.query_one("#next", Button).disabled


async def test_missing_permission_explains_both_ways_and_the_admin_message(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.set_tenant(parse_tenant("acme.eu.qlikcloud.com"), "", confirmed=False)
        app.go_to_step(3)
        await pilot.pause()
        assert not app.screen.query_one("#admin-help").display
        await click(pilot, "#missing-permission")
        assert app.screen.query_one("#admin-help").display
        shown = screen_text(pilot) + "\n".join(
            str(s.content) for s in app.screen.query("#admin-help Static")
        )
        for words in ("User Default", "Create new", "Assign roles", "Roles", "Developer"):
            assert words in shown
        message = app.screen.query_one("#admin-message").text  # type: ignore[attr-defined]
        assert "acme.eu.qlikcloud.com" in message
        assert "Manage API keys" in message
        await click(pilot, "#copy-message")
        assert app.clipboard == message
        assert app.screen.query("#open-console")  # a Qlik Cloud host: the console is known


async def test_demo_mode_generates_and_uses_a_sandbox_key(
    tmp_path: Path, sandbox: SandboxTenant, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup", sandbox=sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await click(pilot, "#start")
        assert app.screen.query_one("#tenant-input", Input).value == sandbox.origin
        await pilot.press("enter")
        await click(pilot, "#have-permission")
        await click(pilot, "#sandbox-key")
        modal_text = app.screen.query_one("#sandbox-key-text").text  # type: ignore[attr-defined]
        practice = app.state.practice_key
        assert practice is not None and modal_text == practice.reveal()
        await click(pilot, "#close")  # "I copied it": on to pasting it
        assert isinstance(app.screen, PasteScreen)
        await click(pilot, "#use-sandbox-key")
        assert app.state.key == practice
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "Key works" in text_of(pilot, ".outcome-heading")


# -- a pasted key is never lost to a stray edit, nor shown in another field ---------------------


async def until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


async def on_the_paste_step(app: PinnedApp, pilot: Pilot[Any]) -> SecretInput:
    app.state.set_tenant(parse_tenant(FIXED_HOST), FIXED_HOST, confirmed=False)
    app.go_to_step(5)
    await pilot.pause()
    return app.screen.query_one("#key-input", SecretInput)


async def test_a_stray_keystroke_after_the_paste_keeps_the_key_and_the_quit_question(
    offline_services: Services,
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await on_the_paste_step(app, pilot)
        await paste(pilot, key.reveal())
        await pilot.press("x")  # the field no longer parses
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")  # Stay
        assert app.is_running
        await until(pilot, lambda: app.state.key is None)  # the field's parse, once inspected
        assert app.state.key_at_risk
        # Back and forward again: the field holds what it held, the stray character included.
        await pilot.press("escape", "ctrl+n")
        assert isinstance(app.screen, PasteScreen)
        assert app.screen.query_one(SecretInput).value == key.reveal() + "x"
        await pilot.press("end", "backspace")
        await until(pilot, lambda: app.state.key == key)
        app.screen.query_one(SecretInput).value = ""  # emptied: not a decision to discard
        await pilot.pause()
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmModal)


@pytest.mark.parametrize("how", ["bracketed", "typed-in"])
async def test_a_key_in_the_tenant_field_is_kept_out_of_it_and_offered_to_the_paste_step(
    offline_services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    log = tmp_path / "textual.log"
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(log))
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to_step(2)
        await pilot.pause()
        field = app.screen.query_one("#tenant-input", Input)
        assert app.focused is field
        if how == "bracketed":
            await paste(pilot, key.reveal())
        else:  # a terminal without bracketed paste types it in, one key press per character
            for character in key.reveal():
                field.post_message(events.Key(character, character))
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert field.value == ""
        assert not shows_part_of(app.export_screenshot(), key.reveal())
        assert app.state.key_at_risk  # quitting now would ask
        await pilot.press("enter")  # the focused answer: carry it over
        assert app.state.key == key
        assert field.value == ""
        app.go_to_step(5)
        await pilot.pause()
        assert app.screen.query_one(SecretInput).value == key.reveal()
    logged = log.read_text(encoding="utf-8")
    assert "KeyCaught" in logged  # the log did record the field's events
    assert not shows_part_of(logged, key.reveal())


async def test_a_caught_key_is_dropped_only_when_the_user_says_so(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to_step(2)
        await pilot.pause()
        await paste(pilot, fixed_key().reveal())
        assert isinstance(app.screen, ConfirmModal)
        await click(pilot, "#confirm")  # "Discard it"
        assert app.state.key is None and not app.state.key_at_risk
        assert app.screen.query_one("#tenant-input", Input).value == ""


async def test_a_typed_in_key_is_inspected_once_it_settles(
    offline_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    real_parse = paste_module.parse_key

    def counting_parse(text: str) -> ApiKey:
        parses.append(text)
        return real_parse(text)

    monkeypatch.setattr(paste_module, "parse_key", counting_parse)
    built = 0
    real_fields_init = Fields.__init__

    def counting_fields(self: Fields, *args: Any, **kwargs: Any) -> None:
        nonlocal built
        built += 1
        real_fields_init(self, *args, **kwargs)

    monkeypatch.setattr(Fields, "__init__", counting_fields)
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        secret = await on_the_paste_step(app, pilot)
        for character in key.reveal():  # every key press queued at once, as a terminal sends
            secret.post_message(events.Key(character, character))
        await until(pilot, lambda: app.state.key == key)
        assert "This looks like a Qlik Cloud API key" in text_of(pilot, ".inspection-heading")
        assert not app.screen.query_one("#next", Button).disabled
    assert len(key.reveal()) > 400
    assert len(parses) <= 3  # not one per character
    assert built <= 1  # the panel is updated in place, never rebuilt


# -- a paste where no field takes it --------------------------------------------------------------


async def with_a_tenant_on_step(pilot: Pilot[Any], step: int) -> None:
    app = pilot.app
    assert isinstance(app, PinnedApp)
    app.state.set_tenant(fixed_tenant(), fixed_tenant().host, confirmed=False)
    app.go_to_step(step)
    await pilot.pause()


async def test_a_key_pasted_on_the_generate_step_goes_on_to_the_paste_step(
    offline_services: Services,
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await with_a_tenant_on_step(pilot, 4)
        assert isinstance(app.screen, GenerateScreen)
        assert isinstance(app.focused, Button)  # no field here: the terminal's paste comes
        app.post_message(events.Paste(f"Bearer {key.reveal()}\n"))  # to the app, as a driver's
        await pilot.pause()

        assert isinstance(app.screen, PasteScreen)
        assert app.state.key == key
        field = app.screen.query_one(SecretInput)
        assert field.password and key.reveal() in field.value
        assert app.screen.inspections >= 1  # inspected, Enter tests it
        assert not shows_part_of(screen_text(pilot), key.reveal())


async def test_a_paste_on_the_generate_step_asks_before_replacing_an_unstored_key(
    offline_services: Services,
) -> None:
    key, other = fixed_key(), SandboxTenant().issue_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await with_a_tenant_on_step(pilot, 5)
        await paste(pilot, key.reveal())
        await pilot.press("escape")  # back to Generate, the key unstored
        assert isinstance(app.screen, GenerateScreen)

        app.post_message(events.Paste(other))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.state.key == key  # not replaced before the answer
        await click(pilot, "#cancel")  # "Carry it over"
        assert isinstance(app.screen, PasteScreen)
        assert app.state.key == parse_key(other)


async def test_a_paste_where_nothing_takes_text_is_dropped_with_a_notice(
    offline_services: Services,
) -> None:
    key = fixed_key()
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await with_a_tenant_on_step(pilot, 3)
        assert isinstance(app.screen, PermissionScreen)
        app.post_message(events.Paste(key.reveal()))
        await pilot.pause()

        assert isinstance(app.screen, PermissionScreen)
        assert app.state.key is None and not app.state.key_at_risk
        notices = [n.message for n in app._notifications]
        assert any("The paste was not used" in n for n in notices)
        assert not any(key.reveal()[:20] in n for n in notices)
        assert not shows_part_of(screen_text(pilot), key.reveal())
