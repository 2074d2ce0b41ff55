"""The Textual app: owns the wizard state, routes between screens, guards quitting and crashes.

Start-up stays light: each screen is imported when it is first shown, and nothing here imports
httpx, keyring or the sandbox. Without a services object the app builds the default one when
first asked for it: after the first frame, from the first screen's workers, so the stores'
modules are not on the way to that frame.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.driver import Driver
from textual.screen import Screen

from qlik_tui.tui.crash import crash_summary
from qlik_tui.tui.host import (
    CLIENT_STEP_SCREENS,
    DASHBOARD,
    PASTE_ANOTHER,
    STEP_SCREENS,
    ClientStep,
    StartWith,
    Step,
    TakesPastes,
)
from qlik_tui.tui.keystroke_log import IN_APP_TITLE, in_app_warning
from qlik_tui.tui.screens.base import WizardStep

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.session_store import SessionStore
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.state import WizardState

SCREENS_CSS = Path(__file__).with_name("screens.tcss")
QUIT_WITH_KEY_QUESTION = "The key is not stored anywhere. Quit and lose it?"
QUIT_WITH_SECRET_QUESTION = "The client secret is not stored anywhere. Quit and lose it?"
# Signals that end the app at once (there is no one to ask), with the shell's code 128 + N,
# through the normal exit: the terminal is restored (if it is still there). SIGHUP: the terminal
# hung up, or its input ended (the driver raises it then).
ENDING_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
if sys.platform != "win32":
    ENDING_SIGNALS += (signal.SIGHUP,)


# Each factory imports its screen when first called, so start-up loads only the first screen.


def _welcome() -> Screen[Any]:
    from qlik_tui.tui.screens.welcome import WelcomeScreen

    return WelcomeScreen()


def _tenant() -> Screen[Any]:
    from qlik_tui.tui.screens.tenant import TenantScreen

    return TenantScreen()


def _permission() -> Screen[Any]:
    from qlik_tui.tui.screens.permission import PermissionScreen

    return PermissionScreen()


def _generate() -> Screen[Any]:
    from qlik_tui.tui.screens.generate import GenerateScreen

    return GenerateScreen()


def _paste() -> Screen[Any]:
    from qlik_tui.tui.screens.paste import PasteScreen

    return PasteScreen()


def _paste_another() -> Screen[Any]:
    from qlik_tui.tui.screens.paste import PasteScreen

    return PasteScreen(replace=True)


def _live_test() -> Screen[Any]:
    from qlik_tui.tui.screens.live_test import LiveTestScreen

    return LiveTestScreen()


def _done() -> Screen[Any]:
    from qlik_tui.tui.screens.done import DoneScreen

    return DoneScreen()


def _client_create() -> Screen[Any]:
    from qlik_tui.tui.screens.client_create import ClientCreateScreen

    return ClientCreateScreen()


def _client_enter() -> Screen[Any]:
    from qlik_tui.tui.screens.client_enter import ClientEnterScreen

    return ClientEnterScreen()


def _client_prove() -> Screen[Any]:
    from qlik_tui.tui.screens.client_prove import ClientProveScreen

    return ClientProveScreen()


def _client_done() -> Screen[Any]:
    from qlik_tui.tui.screens.client_done import ClientDoneScreen

    return ClientDoneScreen()


def _dashboard() -> Screen[Any]:
    from qlik_tui.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


class CrashReport(Exception):
    """Stands in for an unhandled exception: Textual prints its ``__rich__`` on exit instead
    of a traceback with locals (a local may hold the key). It names the type and place only."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(crash_summary(error))
        self.__cause__ = error  # for Pilot, which re-raises it in tests; never printed

    def __rich__(self) -> Text:
        return Text(str(self))


PASTE_NOT_USED = (
    "The paste was not used: nothing on this screen takes text. It was not shown or kept."
)


class QlikTuiApp(App[int]):
    """``QlikTuiApp(services=None, start=StartWith.AUTO, sandbox=None)`` (``start`` also takes
    a ``StartWith`` value, as tests write it); without ``services``, ``Services.default()`` on
    first use."""

    # Absolute: subclasses live elsewhere. The first screen's rules only: see load_screens_css.
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "qlik-tui"
    SUB_TITLE = "Qlik Cloud API key setup"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme"),
    ]
    SCREENS: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {
        "welcome": _welcome,
        "tenant": _tenant,
        "permission": _permission,
        "generate": _generate,
        "paste": _paste,
        PASTE_ANOTHER: _paste_another,
        "live-test": _live_test,
        "done": _done,
        "client-create": _client_create,
        "client-enter": _client_enter,
        "client-prove": _client_prove,
        "client-done": _client_done,
        DASHBOARD: _dashboard,
    }

    def __init__(
        self,
        services: Services | None = None,
        *,
        start: StartWith | str = StartWith.AUTO,
        sandbox: SandboxTenant | None = None,
    ) -> None:
        try:
            start_with = StartWith(start)
        except ValueError:
            known = ", ".join(each.value for each in StartWith)
            raise ValueError(f"start must be one of {known}, not {start!r}") from None
        super().__init__()
        self._services = services
        # ``services`` unless the demo's session store is in use (``use_session_store``).
        self._lasting_services = services
        self._services_lock = threading.Lock()  # the first screen's workers ask at once
        self.sandbox = sandbox
        self.start_with = start_with
        self._state: WizardState | None = None
        self._state_lock = threading.Lock()
        self.profiles_found: bool | None = None
        self.ended_by_signal: signal.Signals | None = None
        # Set by ``launch``: the real program handles SIGINT and SIGTERM (tests do not).
        self.ends_on_signals = False
        # Demo only, once chosen on the storing step: keys kept for this session only.
        self.session_store: SessionStore | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            with self._services_lock:
                if self._services is None:
                    from qlik_tui.services.context import Services  # the stores: not at start

                    self._services = self._lasting_services = Services.default()
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services

    @property
    def state(self) -> WizardState:
        """The wizard's state, made on first use: its module's dataclasses take ~1 ms to
        create, which the first frame does without."""
        if self._state is None:
            with self._state_lock:  # a worker's thread may ask first
                if self._state is None:
                    from qlik_tui.tui.state import WizardState

                    self._state = WizardState()
        return self._state

    @property
    def lasting_services(self) -> Services:
        return self._lasting_services or self.services

    # -- routing -----------------------------------------------------------------------------

    def new_screen(self, name: str) -> Screen[Any]:
        """A fresh screen from ``SCREENS``: a step is built from the current state, and the
        dashboard reads the profiles again. (Textual's ``push_screen(name)`` would keep one
        instance for the app's lifetime.)"""
        if name != STEP_SCREENS[0]:
            self.load_screens_css()
        return self.SCREENS[name]()

    @property
    def is_demo(self) -> bool:
        return self.sandbox is not None

    def go_to_step(self, step: Step) -> None:
        """Show wizard step ``step``, built fresh from the state."""
        self.show_step(STEP_SCREENS[step - 1])

    def go_to_client_step(self, step: ClientStep) -> None:
        """Show step ``step`` of the OAuth path, built fresh from the state."""
        self.show_step(CLIENT_STEP_SCREENS[step - 1])

    def show_step(self, name: str) -> None:
        screen = self.new_screen(name)
        # The first screen is the app's default screen, which is never switched away: the
        # wizard's later steps replace each other above it.
        if isinstance(self.screen, WizardStep) and len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def open_dashboard(self) -> None:
        self.push_screen(self.new_screen(DASHBOARD))

    def start_setup(self) -> None:
        """Entry point for other screens (the dashboard's "Add a key")."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, WizardStep):
            self.pop_screen()
        self.go_to_step(Step.WELCOME)

    def start_replacing(self, profile: Profile) -> bool:
        """The dashboard's "Replace key": the wizard from the paste step, for ``profile``'s
        tenant and under its name (storing then asks before it replaces the stored key). False,
        and nothing changes, while a pasted key is not stored yet."""
        if self.state.key_at_risk:
            return False
        from qlik_tui.core.tenant import parse_tenant

        tenant = parse_tenant(profile.origin)  # stored, so accepted once already
        while len(self.screen_stack) > 1 and not isinstance(self.screen, WizardStep):
            self.pop_screen()
        self.state.discard_key()  # none at risk: stored, written to a file, or never pasted
        self.state.set_tenant(tenant, profile.origin, confirmed=True)
        self.state.profile_name = profile.name
        self.state.profile = None
        self.state.rescue_path = None
        self.go_to_step(Step.PASTE)
        return True

    def profiles_read(self, found: bool) -> None:
        """A screen read the profiles file (in a thread). Started without a choice and with
        nothing stored, the app shows the setup over the (empty) dashboard."""
        first_read = self.profiles_found is None
        self.profiles_found = found
        stack = self.screen_stack
        if first_read and not found and self.start_with is StartWith.AUTO and len(stack) == 1:
            self.go_to_step(Step.WELCOME)

    def issue_practice_key(self) -> ApiKey:
        """Demo mode: a fresh key from the sandbox, remembered as the practice key."""
        if self.sandbox is None:
            raise RuntimeError("practice keys exist only in demo mode")
        from qlik_tui.core.apikey import parse_key  # demo only

        key = parse_key(self.sandbox.issue_key("valid", description="qlik-tui demo practice key"))
        self.state.practice_key = key
        return key

    def use_session_store(self, session: bool) -> Services:
        """Where keys go from now on: this session only (demo mode; in memory and a temporary
        folder, gone when the app ends), or the stores that last. Returns the services in use."""
        if not session:
            self.services = self.lasting_services
            return self.services
        if self.sandbox is None:
            raise RuntimeError("the session-only store exists only in demo mode")
        if self.session_store is None:
            from qlik_tui.services.session_store import SessionStore

            self.session_store = SessionStore()
        self.services = self.session_store.services_from(self.lasting_services)
        return self.services

    def now(self) -> datetime:
        """The clock the screens use for "expires in ..." (tests pin it)."""
        return datetime.now(timezone.utc)

    # -- lifecycle ---------------------------------------------------------------------------

    def load_screens_css(self) -> None:
        """Add the rules of every screen but the Welcome (``screens.tcss``) to the stylesheet,
        once. Textual parses the whole stylesheet before the first frame; parsing these rules
        too took ~5 ms when the first screen is the Welcome, which needs none of them. Parsed when
        next needed, the sources parsed already coming from the stylesheet's cache; they come
        after app.tcss in the cascade, as they came after its first part in one file."""
        path = str(SCREENS_CSS)
        if not self.stylesheet.has_source(path):
            css = SCREENS_CSS.read_text(encoding="utf-8")
            self.stylesheet.add_source(css, read_from=(path, ""))

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        # A widget that is not in the DOM yet is styled when it is mounted (``App._register``
        # applies the stylesheet then). Styling it before is wasted: a Button does it three
        # times in its constructor (its variant's and style's classes), ~2 ms for the Welcome's.
        if node is not self and node.parent is None:
            return
        super().update_styles(node, animate)

    async def on_event(self, event: events.Event) -> None:
        # A paste's repr is the pasted text, and Textual logs every event it dispatches to a
        # widget (TEXTUAL_LOG, devtools), handled or not: a key pasted while a button has focus
        # would be written there. Pastes go from here straight to what takes them unlogged.
        if isinstance(event, events.Paste) and not event.is_forwarded:
            self._hand_over_paste(event.text)
            return
        await super().on_event(event)

    def _hand_over_paste(self, text: str) -> None:
        from textual.widgets import Input  # only once something is pasted: not before the frame

        focused = self.focused
        if getattr(focused, "TAKES_PASTES_UNLOGGED", False):
            assert focused is not None  # our fields: they take a paste before any dispatch
            focused.post_message(events.Paste(text))
        elif isinstance(focused, Input):  # Textual's own fields (the command palette's)
            if text:
                line = text.splitlines()[0]
                if focused.selection.is_empty:
                    focused.insert_text_at_cursor(line)
                else:
                    focused.replace(line, *focused.selection)
        elif isinstance(self.screen, TakesPastes):
            self.screen.take_paste(text)
        elif text.strip():
            self.notify(PASTE_NOT_USED, markup=False)

    def on_ready(self) -> None:
        if not self.stylesheet.has_source(str(SCREENS_CSS)):
            self.load_screens_css()
            screen = self.screen
            if not (isinstance(screen, WizardStep) and screen.STEP is Step.WELCOME):
                self.stylesheet.update(self)  # shown without them (a test's first screen)
        if not gc.isenabled():  # ``launch`` turned it off until the first frame
            # What start-up made lives as long as the app (modules, classes, the first screen).
            # Frozen, it is not walked by the first collection: unfrozen, that collection
            # (~30 ms, holding the GIL) lands just as Textual's writer thread is writing the frame.
            gc.freeze()
            gc.enable()

    def on_mount(self) -> None:
        warning = in_app_warning()
        if warning is not None:
            self.notify(warning, title=IN_APP_TITLE, severity="warning", timeout=30, markup=False)

    def on_load(self) -> None:
        # Before the terminal enters application mode. The loop's handlers go with the loop.
        if self.ends_on_signals:
            loop = asyncio.get_running_loop()
            for ending in ENDING_SIGNALS:
                loop.add_signal_handler(ending, self._end_by_signal, ending)

    def _end_by_signal(self, ending: signal.Signals) -> None:
        if self.ended_by_signal is None:
            self.ended_by_signal = ending
        self.exit(return_code=128 + int(ending))

    def get_driver_class(self) -> type[Driver]:
        driver_class = super().get_driver_class()
        if sys.platform != "win32":
            from textual.drivers.linux_driver import LinuxDriver

            if driver_class is LinuxDriver:
                # Ends the app when the terminal goes away, instead of spinning on its input.
                from qlik_tui.tui.terminal_driver import TerminalDriver

                return TerminalDriver
        return driver_class

    def get_default_screen(self) -> Screen[Any]:
        # The first screen is the default screen itself: no empty frame before it. Without a
        # choice and without a profiles file (one stat, not a read), the Welcome comes first;
        # with one, the dashboard reads it and hands over to the setup if it holds none.
        if self.start_with is not StartWith.DASHBOARD and not self._profiles_file_exists():
            self.profiles_found = False
            return self.new_screen(STEP_SCREENS[0])
        if self.start_with is StartWith.SETUP:
            return self.new_screen(STEP_SCREENS[0])
        return self.new_screen(DASHBOARD)

    def _profiles_file_exists(self) -> bool:
        if self._services is not None:
            path = self._services.profiles.path
        else:
            from qlik_tui.store.profiles_location import default_profiles_path  # a path only

            path = default_profiles_path()
        try:
            return path.exists()
        except OSError:
            return True  # something is in the way: the dashboard says what

    # -- actions -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self.state.key_at_risk:
            self.exit(return_code=0)
            return
        # Deferred: the dialogs module loads when a question is first asked, not at start-up.
        from qlik_tui.tui.screens.modals import ConfirmModal

        if isinstance(self.screen, ConfirmModal):
            return  # already asking

        def decided(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit(return_code=0)

        self.push_screen(
            ConfirmModal(
                QUIT_WITH_KEY_QUESTION if self.state.api_key_at_risk else QUIT_WITH_SECRET_QUESTION,
                confirm_label="Quit and lose the key"
                if self.state.api_key_at_risk
                else "Quit and lose the secret",
                cancel_label="Stay",
                danger=True,
            ),
            decided,
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's "Screenshot" writes the screen to a file: with the key revealed, that
        # file would hold it. Everything else in the command palette stays.
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    # -- crashes -----------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # The one private override: Textual's crash report is a traceback *with locals*, and
        # the key may be one. A ``CrashReport`` has ``__rich__``, so Textual panics with that
        # one line instead; it still sets exit code 1 and keeps the error for Pilot.
        super()._handle_exception(error if isinstance(error, CrashReport) else CrashReport(error))
