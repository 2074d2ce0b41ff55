"""Building apps and driving them with Pilot: shared by the TUI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from qlik_tui.core.apikey import ApiKey, make_fake_key, parse_key
from qlik_tui.core.tenant import Tenant, parse_tenant
from qlik_tui.tui.app import QlikTuiApp

FIXED_NOW = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)
FIXED_HOST = "acme.eu.qlikcloud.com"
FIXED_KEY_ID = "3f1c2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
FIXED_TENANT_ID = "xQ3mZ8pL2vN7rT1wY6kB4cD9fG5hJ0sA"
FIXED_USER_ID = "65f0c1d2e3f4a5b6c7d8e9f0"


def fixed_key() -> ApiKey:
    """Always the same key text: deterministic snapshots (a fake key, never a real one)."""
    return parse_key(
        make_fake_key(
            key_id=FIXED_KEY_ID,
            tenant_id=FIXED_TENANT_ID,
            sub=FIXED_USER_ID,
            signature=bytes(range(96)),
        )
    )


def fixed_tenant() -> Tenant:
    return parse_tenant(FIXED_HOST)


class PinnedApp(QlikTuiApp):
    """The real app with a pinned clock."""

    def now(self) -> datetime:
        return FIXED_NOW


def expiry_in(hours: float) -> datetime:
    return FIXED_NOW + timedelta(hours=hours)


async def click(pilot: Pilot[Any], selector: str) -> None:
    """Click a widget on the current screen, scrolling it into view first (80x24 is small)."""
    widget = pilot.app.screen.query_one(selector)
    widget.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(selector)
    await pilot.pause()


async def paste(pilot: Pilot[Any], text: str) -> None:
    """A terminal (bracketed) paste into the focused widget."""
    focused = pilot.app.focused
    assert focused is not None, "nothing has focus to paste into"
    focused.post_message(events.Paste(text))
    await pilot.pause()


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and every message they posted be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).content)


def screen_text(pilot: Pilot[Any]) -> str:
    """Everything visible on the current screen, as plain text (for leak checks)."""
    return (
        "\n".join(str(widget.content) for widget in pilot.app.screen.query(Static))
        + pilot.app.export_screenshot()
    )


@dataclass(frozen=True)
class FixedProbe:
    """A key-store probe answer fixed for a test (screens render ``KeyStoreProbe``)."""

    usable: bool
    headline: str
    why: str | None = None
    fix: str | None = None
    alternative: str | None = None
    reason: str | None = None


async def prove_on_step_6(pilot: Pilot[Any], sandbox: Any, name: str = "work") -> ApiKey:
    """A key the sandbox issued, proven on the live test step; ``name`` in the profile field."""
    app = pilot.app
    assert isinstance(app, PinnedApp)
    key = parse_key(sandbox.issue_key("valid"))
    app.state.set_tenant(parse_tenant(sandbox.origin), sandbox.origin, confirmed=False)
    app.state.set_key(key)
    app.go_to_step(6)
    await settle(pilot)
    assert "Key works" in text_of(pilot, ".outcome-heading")
    app.screen.query_one("#profile-name", Input).value = name
    return key
