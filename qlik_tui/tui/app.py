"""The Textual app: owns the wizard state, routes between screens, guards quitting and crashes.

Start-up stays light: screens are imported when first shown, and nothing here imports httpx,
keyring or the sandbox (the services object arrives ready-made from the CLI).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from qlik_tui.tui.crash import crash_summary
from qlik_tui.tui.state import WizardState

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.tui.screens.base import WizardStep

ScreenFactory = Callable[["QlikTuiApp"], Screen[object]]

TOTAL_STEPS = 7
# step -> (module under qlik_tui.tui.screens, class name)
STEP_SCREENS: dict[int, tuple[str, str]] = {
    1: ("welcome", "WelcomeScreen"),
    2: ("tenant", "TenantScreen"),
    3: ("permission", "PermissionScreen"),
    4: ("generate", "GenerateScreen"),
    5: ("paste", "PasteScreen"),
    6: ("live_test", "LiveTestScreen"),
    7: ("done", "DoneScreen"),
}
# Screens other engineers add later: name -> (module, class). A module that is not there yet
# simply means the screen is unavailable (its buttons are hidden).
OPTIONAL_SCREENS: dict[str, tuple[str, str]] = {
    "dashboard": ("dashboard", "DashboardScreen"),
}
START_CHOICES = ("auto", "setup", "dashboard")
TEXTUAL_LOG_WARNING = "{what}, which would include a pasted API key. Unset it before pasting a key."
QUIT_WITH_KEY_QUESTION = "The key is not stored anywhere. Quit and lose it?"


def _screens_module(name: str) -> str:
    return f"qlik_tui.tui.screens.{name}"


class QlikTuiApp(App[int]):
    """``QlikTuiApp(services, start="auto"|"setup"|"dashboard", sandbox=None)``."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "qlik-tui"
    SUB_TITLE = "Qlik Cloud API key setup"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme"),
    ]

    def __init__(
        self,
        services: Services,
        *,
        start: str = "auto",
        sandbox: SandboxTenant | None = None,
    ) -> None:
        if start not in START_CHOICES:
            raise ValueError(f"start must be one of {START_CHOICES}, not {start!r}")
        super().__init__()
        self.services = services
        self.sandbox = sandbox
        self.start_with = start
        self.state = WizardState()
        self._screen_factories: dict[str, ScreenFactory] = {}

    # -- routing -----------------------------------------------------------------------------

    def register_screen(self, name: str, factory: ScreenFactory) -> None:
        """Make ``name`` (e.g. "dashboard") available; ``factory(app)`` builds the screen.
        Without a registration, ``OPTIONAL_SCREENS`` says which module provides it."""
        self._screen_factories[name] = factory

    def has_screen(self, name: str) -> bool:
        if name in self._screen_factories:
            return True
        module = OPTIONAL_SCREENS.get(name)
        return (
            module is not None and importlib.util.find_spec(_screens_module(module[0])) is not None
        )

    def make_screen(self, name: str) -> Screen[object]:
        factory = self._screen_factories.get(name)
        if factory is not None:
            return factory(self)
        module_name, class_name = OPTIONAL_SCREENS[name]
        screen_class = getattr(importlib.import_module(_screens_module(module_name)), class_name)
        screen: Screen[object] = screen_class()
        return screen

    @property
    def is_demo(self) -> bool:
        return self.sandbox is not None

    @property
    def has_profiles(self) -> bool:
        from qlik_tui.store.profiles import ProfilesFileError

        try:
            return bool(self.services.profiles.all())
        except (ProfilesFileError, OSError):
            return True  # something is there but broken: the dashboard explains it

    def step_screen(self, step: int) -> type[WizardStep]:
        """The screen class of wizard step ``step``, imported on first use."""
        module_name, class_name = STEP_SCREENS[step]
        screen_class: type[WizardStep] = getattr(
            importlib.import_module(_screens_module(module_name)), class_name
        )
        return screen_class

    def go_to_step(self, step: int, **options: object) -> None:
        """Show wizard step ``step`` (1..7), built fresh from the state."""
        screen_class: Any = self.step_screen(step)  # each step takes its own options
        screen: WizardStep = screen_class(**options)
        # The first screen is the app's default screen, which is never switched away: the
        # wizard's later steps replace each other above it.
        if isinstance(self.screen, _wizard_step_class()) and len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def open_dashboard(self) -> None:
        if not self.has_screen("dashboard"):
            self.notify("The dashboard is not available in this version.", severity="warning")
            return
        self.push_screen(self.make_screen("dashboard"))

    def start_setup(self) -> None:
        """Entry point for other screens (the dashboard's "Add a key")."""
        if isinstance(self.screen, _wizard_step_class()):
            self.go_to_step(1)
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, _wizard_step_class()):
            self.pop_screen()
        self.go_to_step(1)

    def issue_practice_key(self) -> ApiKey:
        """Demo mode: a fresh key from the sandbox, remembered as the practice key."""
        from qlik_tui.core.apikey import parse_key

        if self.sandbox is None:
            raise RuntimeError("practice keys exist only in demo mode")
        key = parse_key(self.sandbox.issue_key("valid", description="qlik-tui demo practice key"))
        self.state.practice_key = key
        return key

    def now(self) -> datetime:
        """The clock the screens use for "expires in ..." (tests pin it)."""
        return datetime.now(timezone.utc)

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        from qlik_tui.tui.launch import keystroke_logging

        logging_to = keystroke_logging()
        if logging_to is not None:
            self.notify(
                TEXTUAL_LOG_WARNING.format(what=logging_to),
                title="Keystrokes are being logged",
                severity="warning",
                timeout=30,
                markup=False,
            )
        if self.start_with == "dashboard" and not self.has_screen("dashboard"):
            self.notify(
                "The dashboard is not available yet: starting the setup instead.",
                severity="warning",
            )

    def get_default_screen(self) -> Screen[Any]:
        # The first screen is the default screen itself: no empty frame before it.
        if self._wants_dashboard():
            return self.make_screen("dashboard")
        return self.step_screen(1)()

    def _wants_dashboard(self) -> bool:
        if not self.has_screen("dashboard"):
            return False
        if self.start_with == "dashboard":
            return True
        return self.start_with == "auto" and self.has_profiles

    # -- actions -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self.state.key_at_risk:
            self.exit(0)
            return
        from qlik_tui.tui.screens.modals import ConfirmModal

        if isinstance(self.screen, ConfirmModal):
            return  # already asking

        def decided(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit(0)

        self.push_screen(
            ConfirmModal(
                QUIT_WITH_KEY_QUESTION,
                confirm_label="Quit and lose the key",
                cancel_label="Stay",
                danger=True,
            ),
            decided,
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's "Screenshot" writes the screen to a file: with the key revealed, that
        # file would hold it. Everything else in the command palette stays.
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    # -- crashes -----------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """Replaces Textual's crash report, which is a traceback *with locals* (the key may be
        one): a one-line summary instead, and exit code 1. Keeps what Pilot relies on."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(crash_summary(error)))
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:  # not reached through _handle_exception any more
        self._return_code = 1
        self._exit_renderables.append(Text(f"{self.title}: crashed. Details are left out."))
        self._close_messages_no_wait()


def _wizard_step_class() -> type[WizardStep]:
    from qlik_tui.tui.screens.base import WizardStep

    return WizardStep
