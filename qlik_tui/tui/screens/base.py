"""What every wizard step shares: the step header, a scrolling body, Back / Next, the footer,
and the one place where worker failures and cancellations are turned into messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Static

from qlik_tui.tui.host import TOTAL_STEPS, AppHost, Step
from qlik_tui.tui.messages import ReportsWorkerEnds
from qlik_tui.tui.widgets.step_header import StepHeader

if TYPE_CHECKING:
    from qlik_tui.tui.state import WizardState


class WizardStep(ReportsWorkerEnds, Screen[None]):
    STEP: ClassVar[int]  # a Step (a ClientStep on the OAuth path)
    TOTAL: ClassVar[int] = TOTAL_STEPS  # the steps of the step's path
    STEP_TITLE: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = "Next →"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+b", "back", "Back", show=False),
        Binding("ctrl+n", "next", "Next"),
    ]

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    @property
    def state(self) -> WizardState:
        return self.qapp.state

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StepHeader(self.STEP, self.TOTAL, self.STEP_TITLE, demo=self.qapp.is_demo)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", classes="nav-button")
            yield Static(id="nav-status")
            yield Button(self.NEXT_LABEL, id="next", variant="primary", classes="nav-button")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    _resumed = False

    @on(events.ScreenResume)
    def _first_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles the whole screen when it becomes the current one. The first time,
        # every widget has just been styled as it was mounted, and whatever changed since
        # (classes, focus, disabled) restyled its widget then: that pass would only repeat it
        # (~25 M instructions of the Welcome's first frame). Later resumes keep it: the theme
        # may have changed meanwhile.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        # The footer has not rendered yet, so no bindings refresh: each one rebuilds the whole
        # footer, a visible part of the time to first paint.
        self.refresh_nav(bindings=False)

    # -- navigation --------------------------------------------------------------------------

    def can_go_back(self) -> bool:
        return self.STEP > Step.WELCOME

    def can_go_next(self) -> bool:
        return True

    def go_back(self) -> None:
        self.qapp.go_to_step(Step(self.STEP - 1))

    def go_next(self) -> None:
        self.qapp.go_to_step(Step(self.STEP + 1))

    def refresh_nav(self, *, bindings: bool = True) -> None:
        """Call after anything that changes whether Back or Next is possible."""
        back, nxt = self.query_one("#back", Button), self.query_one("#next", Button)
        back.disabled = not self.can_go_back()
        nxt.disabled = not self.can_go_next()
        if bindings:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return True if self.can_go_back() else None
        if action == "next":
            return True if self.can_go_next() else None
        return True

    def action_back(self) -> None:
        if self.can_go_back():
            self.go_back()

    def action_next(self) -> None:
        if self.can_go_next():
            self.go_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    @on(Button.Pressed, "#next")
    def _next_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_next()

    def set_nav_status(self, text: str) -> None:
        self.query_one("#nav-status", Static).update(text)

    def open_in_browser(self, url: str) -> None:
        """Ask the user's browser to open ``url`` (a page of their tenant), and say so."""
        self.app.open_url(url)
        self.notify(f"Asked your browser to open {url}.", markup=False)

    def show(self, widget: Widget | str, visible: bool = True) -> None:
        target = self.query_one(widget) if isinstance(widget, str) else widget
        target.display = visible
