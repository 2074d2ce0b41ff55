"""Snapshots of every screen and every result panel at 80x24, in the dark and the light theme.

Deterministic by construction: a fixed host and key, a pinned clock, and result panels rendered
from constructed reports (the sandbox's ports and ids are random). Update them with
``pytest tests/tui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from qlik_tui.cli import build_parser
from qlik_tui.core.models import ApiKeyConfig
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.tui.screens.modals import SandboxKeyModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.store_panel import StorePanel
from qlik_tui.tui.widgets import store_line
from qlik_tui.tui.widgets.store_line import StoreLine
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    ADMIN_USER,
    FIXED_HOST,
    NO_KEYRING,
    PLAIN_USER,
    SIZE,
    STORED,
    Before,
    PinnedApp,
    SnapCompare,
    assert_focus_stops_visible,
    assert_in_view,
    click,
    failed_report,
    fixed_key,
    paste,
    screen_text,
    valid_report,
    with_state,
)


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
    pilot.app.screen.query_one(StorePanel).post_message(
        StorePanel.StoreFailed(
            "No keyring backend is available: keyring found no Secret Service to store keys in.",
            "Install and start gnome-keyring or KeePassXC's Secret Service, then Retry.",
            "",
            store_unusable=True,
        )
    )
    await pilot.pause()
    await pilot.pause()


async def press_quit(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+q")


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


# -- 80x24: every step shows its action and the decision it asks for, without scrolling --------

# The widgets each screen must show whole, unscrolled, at 80x24: its primary action and the
# choice the user has to make there.
IN_VIEW: dict[str, tuple[str, ...]] = {
    "01-welcome": ("#start", "#dashboard", "#store-line"),
    "02-tenant-valid": ("#tenant-input", "#tenant-status", "#next"),
    "02-tenant-not-qlik": ("#tenant-input", "#tenant-confirm", "#next"),
    "03-permission": ("#have-permission", "#missing-permission"),
    "04-generate": ("#open-hub", "#store-line", "#next"),
    "05-paste-empty": ("#key-input",),
    "05-paste-valid": ("#key-input", "#key-inspection", "#next"),
    "05-paste-mangled": ("#key-input", "#key-inspection"),
    "06-success": ("#outcome", "#profile-name", "#next"),
    "06-success-admin": ("#outcome", "#profile-name", "#next"),
    "06-rejected": ("#outcome", "#retry", "#change-tenant", "#paste-another"),
    "06-network-failure": ("#outcome", "#retry", "#change-tenant", "#paste-another"),
    "06-storing-failed": ("#outcome", "#other-store", "#store-retry", "#rescue", "#discard"),
    "07-done": ("#dashboard", "#quit", ".command"),
    "07-done-rescued": ("#quit", ".command"),
}


@pytest.mark.parametrize("name", list(IN_VIEW))
async def test_each_step_shows_its_action_and_decision_at_80x24(
    name: str, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await SCREENS[name](pilot)
        await pilot.pause()
        assert_in_view(app, IN_VIEW[name])


async def test_every_focus_stop_is_visible(offline_services: Services) -> None:
    """Tab through each step: the focused widget is always on screen, and the scrolling body,
    when it takes the focus, marks itself (a bar on its left)."""
    for name in ("01-welcome", "04-generate", "05-paste-valid", "06-success", "06-rejected"):
        app = PinnedApp(offline_services, start="setup")
        async with app.run_test(size=SIZE) as pilot:
            await SCREENS[name](pilot)
            seen = await assert_focus_stops_visible(pilot, name)
            assert "body" in seen, name


async def test_generate_in_the_demo_starts_on_the_sandbox_key(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup", sandbox=SandboxTenant())
    async with app.run_test(size=SIZE) as pilot:
        await with_state(4)(pilot)
        assert app.focused is not None and app.focused.id == "sandbox-key"
        await pilot.press("enter")  # Enter generates the key; it does not skip the step
        await pilot.pause()
        assert isinstance(app.screen, SandboxKeyModal)
        assert app.state.practice_key is not None
        await pilot.press("enter")  # "I copied it": on to pasting it
        await pilot.pause()
        assert isinstance(app.screen, PasteScreen)


async def test_generate_outside_the_demo_starts_on_open_the_hub(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(4)(pilot)
        assert app.focused is not None and app.focused.id == "open-hub"


DEMO_SCREENS: dict[str, Before] = {
    "04-generate-demo": with_state(4),
    "07-done-demo": with_state(7, profile=STORED, storage_description="SecretService Keyring"),
    "07-done-demo-rescued": with_state(7, rescue_path=Path("/home/ada/qlik api key.txt")),
}


@pytest.mark.parametrize("name", list(DEMO_SCREENS))
def test_demo_screen(name: str, snap_compare: SnapCompare, offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup", sandbox=SandboxTenant())
    assert snap_compare(app, terminal_size=SIZE, run_before=DEMO_SCREENS[name])


def test_no_keyring_is_explained_before_the_key_exists(
    snap_compare: SnapCompare, offline_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_line, "probe_store", lambda _services: NO_KEYRING)
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=with_state(1))


async def test_the_welcome_without_a_keyring_says_where_the_key_goes_at_80x24(
    offline_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_line, "probe_store", lambda _services: NO_KEYRING)
    for sandbox in (None, SandboxTenant()):  # the demo adds its note
        app = PinnedApp(offline_services, start="setup", sandbox=sandbox)
        async with app.run_test(size=SIZE) as pilot:
            await with_state(1)(pilot)
            line = app.screen.query_one(StoreLine)
            where = (  # what the store step preselects then
                "the key will be kept in qlik-tui's own encrypted file, under a passphrase you "
                "choose."
                if sandbox is None
                else "the practice key will be kept in memory, for this session only."
            )
            assert str(line.content) == (
                f"⚠ No usable OS keyring here (no D-Bus session, so no Secret Service): {where}"
            )
            body = app.screen.query_one("#body")
            assert body.max_scroll_y == 0  # no scrollbar cuts it
            assert body.region.contains_region(line.region)
            words = screen_text(pilot)
            assert "never in a file" not in words and "below" not in words


# -- the commands the Done step suggests work as printed ----------------------------------------


async def test_done_outside_the_demo_suggests_shell_quoted_commands(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    odd = replace(STORED, name="my key; rm -rf ~")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(7, profile=odd)(pilot)
        assert commands_shown(pilot) == [
            "qlik-tui check 'my key; rm -rf ~'",
            "qlik-tui rotate 'my key; rm -rf ~'",
        ]
        for command in commands_shown(pilot):  # each parses back as the one profile name
            assert shlex.split(command)[2] == "my key; rm -rf ~"

        await with_state(
            7, profile=None, profile_name="it's mine", rescue_path=Path("/tmp/a b/key.txt")
        )(pilot)
        command = commands_shown(pilot)[0]
        assert command == (
            "qlik-tui login --tenant acme.eu.qlikcloud.com --name 'it'\"'\"'s mine' "
            "--with-token < '/tmp/a b/key.txt'"
        )
        words = shlex.split(command.split(" < ")[0])
        assert words[words.index("--name") + 1] == "it's mine"
        login_args = build_parser().parse_args(words[1:])
        assert (login_args.tenant, login_args.name, login_args.with_token) == (
            FIXED_HOST,
            "it's mine",
            True,
        )


async def test_done_in_the_demo_suggests_no_command_that_misses_the_demo_profiles(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup", sandbox=SandboxTenant())
    async with app.run_test(size=SIZE) as pilot:
        await with_state(7, profile=STORED)(pilot)
        assert commands_shown(pilot) == ["qlik-tui setup"]
        assert "Check stored keys" in screen_text(pilot)
        await with_state(7, profile=None, rescue_path=Path("/tmp/a b/key.txt"))(pilot)
        assert commands_shown(pilot) == ["rm '/tmp/a b/key.txt'"]


def commands_shown(pilot: Pilot[Any]) -> list[str]:
    return [str(widget.content) for widget in pilot.app.screen.query(".command")]


@pytest.mark.usefixtures("real_store_probe")
async def test_the_store_line_names_the_real_keyring(tmp_path: Path, secret_store: Any) -> None:
    app = PinnedApp(make_services(tmp_path, secret_store), start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(1)(pilot)
        line = app.screen.query_one(StoreLine)
        assert line.probe is not None and line.probe.usable
        assert str(line.content) == (
            f"✓ Key store: {secret_store.backend_name}, unlocked. The key will be kept there."
        )


@pytest.mark.usefixtures("real_store_probe")
async def test_the_store_line_explains_a_missing_keyring(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await with_state(4)(pilot)
        line = app.screen.query_one(StoreLine)
        assert line.probe is not None and not line.probe.usable
        words = str(line.content)
        assert words.startswith("⚠ Key store: No usable keyring.")
        assert "\nWhy: " in words and "\nFix: " in words
        assert line.has_class("-warning")


def test_the_readme_shows_every_screenshot() -> None:
    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    pictures = sorted(path.name for path in (repo / "screenshots").glob("*.svg"))
    assert pictures
    assert [name for name in pictures if f"(screenshots/{name})" not in readme] == []
    for name in pictures:  # the PNGs keep their spaces and find a monospace font
        svg = (repo / "screenshots" / name).read_text(encoding="utf-8")
        assert 'xml:space="preserve"' in svg and "DejaVu Sans Mono" in svg, name
        assert "letter-spacing: 0.16px;" in svg, name  # no false space after a bold span
