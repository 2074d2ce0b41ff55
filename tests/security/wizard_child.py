"""Run by ``test_tui_leaks.py`` in a subprocess: the real ``launch()``, driven by an auto-pilot
through the wizard (or, for the dashboard sites, the dashboard over the key stored first) against
the test's TLS sandbox, with one deliberate crash (``--site``).

Never imported by the test process itself. The sentinel key arrives on stdin, never in argv.

    python -m tests.security.wizard_child --origin URL --out DIR --site SITE \
        [--store secret-service|none] [--profile NAME]

``--site`` is a screen handler (the app must crash: exit 1, one line), a worker (the app must
show the failure and stay usable: it is then quit, exit 0) or ``none`` (the happy path, for the
``TEXTUAL_LOG`` run). Every screen is exported (masked) to ``DIR`` at every step, and every
notification is written to ``DIR/notifications.txt`` at the end; the line
``REACHED <site>`` goes to the real stderr right before the deliberate crash, so the test knows
the crash happened where it meant it to.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.client import ClientSettings
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui import app as app_module
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.host import STEP_SCREENS
from qlik_tui.tui.launch import launch
from qlik_tui.tui.screens import live_test, modals, store_panel
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.proof_step import ProofMode
from qlik_tui.tui.screens.store_panel import StoreMode
from qlik_tui.tui.widgets.store_form import StoreChoice

HANDLER_SITES = (
    "welcome",
    "tenant",
    "permission",
    "generate",
    "paste",
    "live-test",
    "done",
    "confirm-modal",
)
WORKER_SITES = ("live-test-worker", "keyring-worker", "store-worker", "rescue-worker", "discard")
# The dashboard starts with the key stored under ``--profile`` (done here, before launch()).
DASHBOARD_SITES = (
    "dashboard",
    "details-modal",
    "dashboard-load-worker",
    "dashboard-recheck-worker",
    "dashboard-forget-worker",
)
SITES = (*HANDLER_SITES, *WORKER_SITES, *DASHBOARD_SITES, "none")
WAIT_STEPS = 1200  # bounded waits: 1200 x 25 ms at most, per condition (machines can be busy)
WAITED_OUT = "WAITED OUT"  # on stderr when a bounded wait ended without its condition

SENTINEL: ApiKey | None = None  # read from stdin by main()


def crash(site: str) -> None:
    """The deliberate bug: the key in a local and in the message."""
    assert SENTINEL is not None
    secret_text = SENTINEL.reveal()
    print(f"REACHED {site}", file=sys.__stderr__, flush=True)
    raise RuntimeError(f"deliberate crash at {site} holding {secret_text}")


# -- the crashes ---------------------------------------------------------------------------------


def crashing_step(step: int, handler: str, site: str) -> None:
    """Step ``step``'s screen gets an extra handler ``handler`` (first in the MRO) that crashes."""
    name = STEP_SCREENS[step - 1]
    real = QlikTuiApp.SCREENS[name]

    def on_event(self: WizardStep, event: object) -> None:
        crash(site)

    def crashing_screen() -> Screen[Any]:
        screen_class = type(real())
        crashing = type(f"Crashing{screen_class.__name__}", (screen_class,), {handler: on_event})
        screen: Screen[Any] = crashing()
        return screen

    QlikTuiApp.SCREENS = {**QlikTuiApp.SCREENS, name: crashing_screen}


def install_crash(site: str) -> None:
    if site == "welcome":
        crashing_step(1, "on_button_pressed", site)
    elif site == "tenant":
        crashing_step(2, "on_input_submitted", site)
    elif site == "permission":
        crashing_step(3, "on_button_pressed", site)
    elif site == "generate":
        crashing_step(4, "on_button_pressed", site)
    elif site == "paste":
        crashing_step(5, "on_secret_input_changed", site)
    elif site == "live-test":
        crashing_step(6, "on_live_test_screen_live_test_finished", site)
    elif site == "done":
        crashing_step(7, "on_button_pressed", site)
    elif site == "confirm-modal":

        class CrashingConfirm(modals.ConfirmModal):
            def on_button_pressed(self, event: object) -> None:
                crash(site)

        modals.ConfirmModal = CrashingConfirm  # type: ignore[misc]
    elif site == "live-test-worker":

        async def live(self: object, *args: object) -> None:
            crash(site)

        live_test.LiveTestScreen._live_test = live  # type: ignore[method-assign,assignment]
    elif site == "keyring-worker":
        store_panel.find_stores = lambda *args: crash(site)  # type: ignore[assignment]
    elif site == "store-worker":
        store_panel.try_storing = lambda *args: crash(site)  # type: ignore[assignment]
    elif site == "rescue-worker":
        store_panel.write_rescue = lambda *args: crash(site)  # type: ignore[assignment]
    elif site == "discard":  # the profiles write fails after the keyring took the key, and
        # putting the keyring back fails too: Discard then removes the entry the attempt left
        from qlik_tui.store.errors import StoreError
        from qlik_tui.store.profiles import ProfilesEdit, ProfilesFileError

        def refuse_commit(self: ProfilesEdit) -> None:
            raise ProfilesFileError(self.path, "cannot be written: No space left on device.")

        def refuse_restore(self: SecretStore, snapshot: object) -> None:
            raise StoreError(problem="The keyring did not answer.")

        ProfilesEdit.commit = refuse_commit  # type: ignore[method-assign]
        SecretStore.restore = refuse_restore  # type: ignore[method-assign,assignment]
        SecretStore.delete = lambda self, name, **_: crash(site)  # type: ignore[assignment,method-assign,return-value]
    elif site in DASHBOARD_SITES:
        install_dashboard_crash(site)


def install_dashboard_crash(site: str) -> None:
    from qlik_tui.tui.screens import dashboard, profile_details

    if site == "dashboard":

        class CrashingDashboard(dashboard.DashboardScreen):
            def on_dashboard_screen_recheck_result(self, message: object) -> None:
                crash(site)

        dashboard.DashboardScreen = CrashingDashboard  # type: ignore[misc]
    elif site == "details-modal":

        class CrashingDetails(profile_details.ProfileDetailsModal):
            def on_button_pressed(self, event: object) -> None:
                crash(site)

        profile_details.ProfileDetailsModal = CrashingDetails  # type: ignore[misc]
    elif site == "dashboard-load-worker":
        dashboard._load_profiles = lambda *args: crash(site)  # type: ignore[assignment]
    elif site == "dashboard-recheck-worker":

        def recheck(self: object, *args: object) -> None:  # runs in the worker's thread
            crash(site)

        dashboard.DashboardScreen._recheck = recheck  # type: ignore[method-assign,assignment]
    elif site == "dashboard-forget-worker":
        dashboard._forget_profile = lambda *args: crash(site)  # type: ignore[assignment]


# -- the drive -----------------------------------------------------------------------------------


class Drive:
    def __init__(self, pilot: Pilot[Any], origin: str, out: Path, site: str, profile: str) -> None:
        self.pilot = pilot
        self.profile = profile
        self.app: QlikTuiApp = pilot.app  # type: ignore[assignment]
        self.origin = origin
        self.out = out
        self.site = site
        self.exports = 0

    @property
    def stopped(self) -> bool:
        return self.app._exception is not None or not self.app.is_running

    @property
    def shown(self) -> object:
        """What the proving step shows (its mode, or after a pass the store panel's)."""
        return getattr(self.app.screen, "shown", None)

    async def until(self, condition: Callable[[], bool]) -> bool:
        for _ in range(WAIT_STEPS):
            if self.stopped:
                return False
            if condition():
                return True
            await asyncio.sleep(0.025)
        # The drive waited for a screen that never came: a drive out of step with the app
        # (the test fails on this line rather than waiting it out in silence).
        print(f"{WAITED_OUT} at {self.app.screen!r}", file=sys.__stderr__, flush=True)
        return False

    async def on_step(self, step: int) -> bool:
        reached = await self.until(
            lambda: isinstance(self.app.screen, WizardStep) and step == self.app.screen.STEP
        )
        if reached:
            await self.pilot.pause()
            self.export(f"step-{step}")
        return reached

    def export(self, label: str) -> None:
        if self.stopped:
            return
        self.exports += 1
        path = self.out / f"{self.exports:02d}-{label}.svg"
        path.write_text(self.app.export_screenshot(), encoding="utf-8")

    async def click(self, selector: str) -> None:
        """Press a button (not a mouse click: the TEXTUAL_LOG warning toast may cover it)."""
        if self.stopped:
            return
        self.app.screen.query_one(selector, Button).press()
        await self.pilot.pause()

    async def press(self, *keys: str) -> None:
        if not self.stopped:
            await self.pilot.press(*keys)

    async def run(self) -> None:
        if self.site in DASHBOARD_SITES:
            await self.dashboard()
            return await self.finish()
        steps: list[Callable[[], Awaitable[bool]]] = [
            self.welcome,
            self.tenant,
            self.permission,
            self.generate,
            self.paste,
            self.live_test,
        ]
        for step in steps:
            if not await step():
                return await self.finish()
        await self.store()
        await self.finish()

    async def welcome(self) -> bool:
        if not await self.on_step(1):
            return False
        await self.click("#start")
        return self.site != "welcome"

    async def tenant(self) -> bool:
        if not await self.on_step(2):
            return False
        self.app.screen.query_one("#tenant-input").value = self.origin  # type: ignore[attr-defined]
        await self.pilot.pause()
        await self.press("enter")
        return self.site != "tenant"

    async def permission(self) -> bool:
        from textual import events

        if not await self.on_step(3):
            return False
        if SENTINEL is not None:  # pasted too early, a button focused: no field takes it
            self.app.post_message(events.Paste(SENTINEL.reveal()))
            await self.pilot.pause()
            self.app.clear_notifications()  # its notice must not cover a later screen's text
        await self.click("#have-permission")
        return self.site != "permission"

    async def generate(self) -> bool:
        if not await self.on_step(4):
            return False
        await self.click("#next")
        return self.site != "generate"

    async def paste(self) -> bool:
        from textual import events

        if not await self.on_step(5):
            return False
        if SENTINEL is not None:  # as the terminal driver does: to the app, which forwards it
            self.app.post_message(events.Paste(SENTINEL.reveal()))
        await self.pilot.pause()
        if self.site in ("paste", "confirm-modal"):
            await self.press("ctrl+q")  # the key is at risk: asks first (confirm-modal crashes)
            if await self.until(lambda: isinstance(self.app.screen, modals.ConfirmModal)):
                self.export("quit-question")
                await self.click("#cancel")
            return False
        await self.press("ctrl+r")  # revealed: not exported
        await self.press("ctrl+r")
        self.export("paste-masked-again")
        await self.press("enter")
        return True

    async def live_test(self) -> bool:
        if not await self.on_step(6):
            return False
        await self.until(lambda: getattr(self.app.screen, "mode", None) is not ProofMode.RUNNING)
        await self.pilot.pause()
        self.export("live-test-result")
        return self.site not in ("live-test", "live-test-worker", "keyring-worker")

    async def store(self) -> None:
        screen = self.app.screen
        if self.stopped or not screen.query("#profile-name"):
            return
        await self.app.workers.wait_for_complete()  # the store lookup: the choice stays ours
        screen.query_one("#profile-name").value = self.profile  # type: ignore[attr-defined]
        screen.query_one("#store-choice").value = StoreChoice.KEYRING  # type: ignore[attr-defined]
        await self.pilot.pause()
        await self.press("ctrl+s")
        await self.until(lambda: self.shown is not StoreMode.STORING)
        await self.pilot.pause()
        self.export("stored")
        if self.site == "rescue-worker" and self.app.screen.query("#rescue"):
            await self.click("#rescue")
            self.app.screen.query_one("#rescue-path").value = str(self.out / "rescue.txt")  # type: ignore[attr-defined]
            await self.click("#rescue-write")
            await self.until(lambda: self.shown is not StoreMode.WRITING)
            await self.pilot.pause()
        elif self.site == "discard" and self.app.screen.query("#discard"):
            await self.click("#discard")
            if await self.until(lambda: isinstance(self.app.screen, modals.ConfirmModal)):
                await self.click("#confirm")
            await self.on_step(5)
            await self.until(lambda: not list(self.app.workers))
        elif self.shown is not StoreMode.FAILED and await self.on_step(7):
            await self.click("#quit")

    async def dashboard(self) -> None:
        from qlik_tui.tui.screens import dashboard, profile_details

        def mode() -> object:
            return getattr(self.app.screen, "mode", None)

        shown = (dashboard.DashboardMode.TABLE, dashboard.DashboardMode.BROKEN)
        if not await self.until(lambda: mode() in shown):
            return
        self.export("dashboard")
        # Opening the dashboard re-checks every key; the keys below act once that is over.
        await self.until(lambda: not getattr(self.app.screen, "rechecking", True))
        if self.site in ("dashboard", "dashboard-recheck-worker"):
            await self.press("a")  # re-check all
            await self.until(lambda: not getattr(self.app.screen, "rechecking", True))
        elif self.site == "details-modal":
            await self.press("enter")  # the selected row's details
            if await self.until(
                lambda: isinstance(self.app.screen, profile_details.ProfileDetailsModal)
            ):
                self.export("details")
                await self.click("#details-close")
        elif self.site == "dashboard-forget-worker":
            await self.press("d")
            if await self.until(lambda: isinstance(self.app.screen, modals.ConfirmModal)):
                await self.click("#confirm")
                await self.until(lambda: not getattr(self.app.screen, "busy", True))

    async def finish(self) -> None:
        """Show what the failure left on screen, then quit (confirming if a key is at risk)."""
        if self.stopped:
            return
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()
        self.export("final")
        await self.press("ctrl+q")
        if await self.until(lambda: isinstance(self.app.screen, modals.ConfirmModal)):
            await self.click("#confirm")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--origin", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--site", choices=SITES, required=True)
    parser.add_argument("--store", choices=("secret-service", "none"), default="secret-service")
    parser.add_argument("--profile", default="leak")
    args = parser.parse_args()
    global SENTINEL
    SENTINEL = parse_key(sys.stdin.readline())
    install_crash(args.site)

    if args.store == "none":
        from keyring.backends import fail

        secrets = SecretStore(backend=fail.Keyring())
    else:
        from keyring.backends import SecretService

        secrets = SecretStore(backend=SecretService.Keyring())
    services = Services(
        secrets=secrets,
        profiles=ProfileStore(),  # the isolated HOME's config dir, as in real use
        client_settings=ClientSettings(connect_timeout=10.0, read_timeout=10.0, max_retry_wait=2.0),
    )

    start = "setup"
    if args.site in DASHBOARD_SITES:
        from qlik_tui.core.tenant import parse_tenant
        from qlik_tui.services.login import store_login

        tenant = parse_tenant(args.origin)
        assert SENTINEL is not None
        store_login(services, name=args.profile, tenant=tenant, key=SENTINEL, report=None)
        start = "dashboard"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await Drive(pilot, args.origin, args.out, args.site, args.profile).run()

    real_run = app_module.QlikTuiApp.run

    def run(self: QlikTuiApp, **options: Any) -> Any:
        return real_run(self, auto_pilot=auto_pilot, **options)

    app_module.QlikTuiApp.run = run  # type: ignore[method-assign]

    notifications: list[str] = []  # toasts vanish after a few seconds: keep every one
    real_notify = app_module.QlikTuiApp.notify

    def notify(self: QlikTuiApp, message: str, *, title: str = "", **options: Any) -> None:
        notifications.append(f"{title}: {message}")
        real_notify(self, message, title=title, **options)

    app_module.QlikTuiApp.notify = notify  # type: ignore[method-assign]
    try:
        return launch(services, start=start)
    finally:
        (args.out / "notifications.txt").write_text("\n".join(notifications), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
