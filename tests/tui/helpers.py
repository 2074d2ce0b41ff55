"""Building apps and driving them with Pilot: shared by the TUI tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from qlik_tui.core.apikey import ApiKey, make_fake_key, parse_key
from qlik_tui.core.models import ApiKeyRecord, Role, User
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome
from qlik_tui.core.tenant import Tenant, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import store_login
from qlik_tui.services.verify import VerifyReport
from qlik_tui.store.profiles import Profile
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.dashboard import DashboardMode, DashboardScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.renew import RenewModal
from qlik_tui.tui.widgets.profile_table import ProfileTable
from qlik_tui.tui.widgets.store_line import StoreLine
from tests.fixtures.faulty_sandbox import FaultySandbox

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
    """A key-store probe answer fixed for a test (screens render ``store_line.KeyStoreProbe``)."""

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


# -- snapshots and the wizard's state ----------------------------------------------------

SIZE = (80, 24)
Before = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]

PLAIN_USER = User(
    id=FIXED_USER_ID,
    tenant_id=FIXED_TENANT_ID,
    subject="auth0|ada",
    name="Ada Lovelace",
    email="ada@acme.example",
    status="active",
    roles=(Role(id="r1", name="AnalyticsAdmin"),),
)
ADMIN_USER = User(
    id=FIXED_USER_ID,
    tenant_id=FIXED_TENANT_ID,
    subject="auth0|ada",
    name="Ada Lovelace",
    email="ada@acme.example",
    status="active",
    roles=(Role(id="r0", name="TenantAdmin"), Role(id="r1", name="AnalyticsAdmin")),
)


def valid_report(user: User, **extra: Any) -> VerifyReport:
    outcome = Outcome(
        OutcomeKind.VALID,
        http_status=200,
        latency_ms=142.0,
        context={"host": FIXED_HOST, "tenant": FIXED_TENANT_ID},
    )
    record = ApiKeyRecord(id=FIXED_KEY_ID, status="active", expiry=expiry_in(5))
    return VerifyReport(outcome=outcome, user=user, key_record=record, tenant_matches=True, **extra)


def failed_report(kind: OutcomeKind, **outcome: Any) -> VerifyReport:
    key = fixed_key()
    return VerifyReport(
        outcome=make_outcome(kind, tenant=fixed_tenant(), key_info=key.info, **outcome)
    )


def with_state(
    step: int,
    *,
    report: VerifyReport | None = None,
    then: Before | None = None,
    with_key: bool = True,
    **state: Any,
) -> Before:
    """Put a fixed tenant and key (and whatever else) in the state, then show ``step``."""

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, PinnedApp)
        app.state.set_tenant(fixed_tenant(), FIXED_HOST, confirmed=False)
        if with_key and step in (5, 6):
            app.state.set_key(fixed_key())
        app.state.report = report
        for name, value in state.items():
            setattr(app.state, name, value)
        app.go_to_step(step)
        await pilot.pause()
        await store_line_settled(pilot)
        if then is not None:
            await then(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is caught on or off by chance
        await pilot.pause()

    return before


async def store_line_settled(pilot: Pilot[Any]) -> None:
    """Wait for the step's store line (if it has one) to show its probe's answer."""
    lines = pilot.app.screen.query(StoreLine)
    for _ in range(500):  # a bound, so a broken probe fails the test instead of hanging it
        if all(line.probe is not None for line in lines):
            return
        await pilot.pause(0.01)
    raise AssertionError("the store line never showed where the key would go")


NO_KEYRING = FixedProbe(
    False,
    "No usable keyring",
    why="There is no D-Bus session bus, so the Secret Service cannot be reached.",
    fix="Start one for this shell: `dbus-run-session -- $SHELL`, then "
    "`gnome-keyring-daemon --unlock --components=secrets`.",
    alternative="keep keys in qlik-tui's own encrypted file, protected by a passphrase.",
    reason="no D-Bus session, so no Secret Service",
)


STORED = Profile(
    name="acme",
    origin=f"https://{FIXED_HOST}",
    key_id=FIXED_KEY_ID,
    key_tenant_id=FIXED_TENANT_ID,
    user_id=FIXED_USER_ID,
    user_name="Ada Lovelace",
    user_email="ada@acme.example",
    expiry=expiry_in(5).isoformat(),
    backend="SecretService Keyring",
)


# -- the dashboard -------------------------------------------------------------------------


def store(
    services: Services, sandbox: FaultySandbox, name: str, kind: str = "valid", origin: str = ""
) -> str:
    """Store a sandbox key of ``kind`` under ``name`` (on ``origin``, default the sandbox's);
    returns the key text so tests can prove it never shows up."""
    key_text = sandbox.issue_key(kind)
    store_login(
        services,
        name=name,
        tenant=parse_tenant(origin or sandbox.origin),
        key=parse_key(key_text),
        report=None,
    )
    return key_text


def dashboard_of(app: Any) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen), f"not on the dashboard but {screen!r}"
    return screen


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds; the bound only stops a broken test hanging."""
    for _ in range(1500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"this never happened: {what}")


async def open_dashboard(pilot: Pilot[Any]) -> DashboardScreen:
    await settle(pilot)
    screen = dashboard_of(pilot.app)
    assert screen.mode in (DashboardMode.TABLE, DashboardMode.EMPTY, DashboardMode.BROKEN)
    return screen


# -- qlik-cli contexts files in the test's HOME ---------------------------------------------


def key_context(name: str, server: str, key: str) -> str:
    return (
        f"  {name}:\n    headers:\n      Authorization: Bearer {key}\n"
        f"    server: {server}\n    server-type: cloud\n"
    )


def write_home_contexts(home: Path, *contexts: str) -> Path:
    path = home / ".qlik" / "contexts.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("contexts:\n" + "".join(contexts) + "current-context: work\n")
    return path


def table_of(app: Any) -> ProfileTable:
    return dashboard_of(app).table


def renew_modal(app: Any) -> RenewModal:
    screen = app.screen
    assert isinstance(screen, RenewModal), f"not renewing but on {screen!r}"
    return screen


async def renew_selected(pilot: Pilot[Any]) -> RenewModal:
    await open_dashboard(pilot)
    await pilot.press("R")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmModal)  # asked first; Enter renews
    await pilot.press("enter")
    await pilot.pause()
    return renew_modal(pilot.app)


def assert_in_view(app: Any, selectors: tuple[str, ...], label: str = "") -> None:
    """Each of ``selectors`` is shown whole on the current screen at its size, without the
    step's body having been scrolled to show it."""
    screen = app.screen
    body = screen.query_one("#body")
    for selector in selectors:
        widget = screen.query_one(selector)
        region = widget.region
        assert widget.display and region.area > 0, f"{label}{selector} is not shown"
        inside = body if body in widget.ancestors else screen
        assert inside.region.contains_region(region), f"{label}{selector} is cut off"
    if body.max_scroll_y:
        assert body.scroll_y == 0, label  # nothing was scrolled to show them


async def assert_focus_stops_visible(pilot: Pilot[Any], label: str = "") -> set[str | None]:
    """Tab through the screen: the focused widget is always on screen, and the scrolling body,
    when it takes the focus, marks itself (a bar on its left). Returns the ids focused."""
    app = pilot.app
    seen: set[str | None] = set()
    for _ in range(len(app.screen.focus_chain)):
        await pilot.press("tab")
        focused = app.focused
        assert focused is not None, label
        seen.add(focused.id)
        assert focused.region.area > 0, f"{label}: {focused!r} has the focus unseen"
        if focused.id == "body":
            assert focused.styles.border_left[0] == "thick", label
    return seen
