"""What the two proving steps share (the API key's live test, the OAuth client's proof): a
request that is out (spinner, elapsed time, Esc cancels), its result, and after a pass the
``StorePanel`` that stores what was proven. The mode decides what shows and what Back, Next
and Esc do. A failure (the proof's outcome, a cancel, a crashed proof) is its outcome panel with
Retry and the step's own ways back (``FAILURE_ACTIONS``); the subclass runs its own proof and
builds its own success panel.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, LoadingIndicator, Static

from qlik_tui.core.outcomes import OutcomeKind, make_outcome
from qlik_tui.tui.messages import WorkerCancelled, WorkerCrashed
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.store_panel import StoreMode, StorePanel
from qlik_tui.tui.widgets.outcome_panel import OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.tui.storable import Storable


class ProofMode(str, Enum):
    """What the screen shows (the value is the class its stylesheet shows it by); once the
    proof passed, the store panel's own mode decides (``StoreMode``)."""

    RUNNING = "running"  # the proof's request is out: spinner
    RESULT = "result"  # the proof's result (and, after a pass, the store panel)


class ProofStep(WizardStep):
    PROOF_GROUP: ClassVar[str]
    NOUN: ClassVar[str] = "key"  # what is stored, in the spinner's line
    # A failure's buttons after Retry, (label, id): where to change what failed. The subclass
    # handles their presses.
    FAILURE_ACTIONS: ClassVar[tuple[tuple[str, str], ...]]

    # Decides the panel, the buttons and what Esc does. Each assignment re-applies it (the
    # spinner's clock restarts, the nav buttons refresh).
    mode: reactive[ProofMode] = reactive(ProofMode.RESULT, always_update=True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._started = 0.0
        self._ticker: Timer | None = None
        self.outcome: Outcome | None = None  # the proof's failure on show, if any

    @property
    def proof_passed(self) -> bool:
        raise NotImplementedError

    @property
    def proof_tenant(self) -> Tenant | None:
        """The tenant the proof goes to (None: not known yet)."""
        raise NotImplementedError

    def start_proof(self) -> None:
        """Send the proof's request (a worker in ``PROOF_GROUP``) with the mode ``RUNNING``."""
        raise NotImplementedError

    async def begin(self) -> None:
        """After mounting: get what is missing, or show an earlier result, or start."""
        raise NotImplementedError

    def waiting_for(self) -> str:
        """The host the request is out to (for the spinner's line)."""
        tenant = self.proof_tenant
        return tenant.display_host if tenant is not None else "the tenant"

    @property
    def store_panel(self) -> StorePanel | None:
        """The store panel, once mounted."""
        for panel in self.query(StorePanel).results(StorePanel):
            return panel
        return None

    @property
    def shown(self) -> ProofMode | StoreMode:
        """The mode the screen shows: its own, or after a pass the store panel's."""
        panel = self.store_panel
        if self.mode is ProofMode.RESULT and self.proof_passed and panel is not None:
            return panel.mode
        return self.mode

    # -- layout ------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="live-intro")  # what is proven, where
        with Vertical(id="progress"):
            yield LoadingIndicator(id="spinner")
            yield Static(id="elapsed")
        yield Vertical(id="result")

    def on_mount(self) -> None:
        super().on_mount()
        self._ticker = self.set_interval(0.1, self._tick, pause=True)
        self.call_later(self.begin)

    async def show_intro(self, intro: Content) -> None:
        """Say what is proven where, and mount the store panel: it looks up the key stores
        now, and shows its form after a pass."""
        self.query_one("#live-intro", Static).update(intro)
        await self.query_one("#body").mount(StorePanel(id="store-panel"))

    async def replace_result(self, *widgets: Widget) -> None:
        result = self.query_one("#result", Vertical)
        await result.remove_children()
        await result.mount_all(widgets)
        # The panel's heading (what happened) comes first; the buttons are a scroll away.
        self.query_one("#body").scroll_home(animate=False, immediate=True)

    async def show_success(self, panel: Widget, proven: Storable | None) -> None:
        """The proof passed: what it learnt (``panel``), then the store panel's form."""
        self.outcome = None
        self.mode = ProofMode.RESULT
        await self.replace_result(panel)
        store_panel = self.store_panel
        if store_panel is not None and proven is not None:
            await store_panel.show_form(proven)
        self.query_one("#next", Button).focus(scroll_visible=False)

    async def show_failure(self, outcome: Outcome) -> None:
        """The proof failed: its outcome (title, cause, next step), Retry and the step's ways
        back."""
        self.outcome = outcome
        self.mode = ProofMode.RESULT
        actions = Horizontal(
            Button("Retry", id="retry", variant="primary"),
            *(Button(label, id=button_id) for label, button_id in self.FAILURE_ACTIONS),
            classes="actions",
        )
        await self.replace_result(OutcomePanel.failure(outcome), actions)
        self.query_one("#retry", Button).focus(scroll_visible=False)
        self.set_nav_status("Enter: retry · Tab: more")

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.start_proof()

    def action_cancel_test(self) -> None:
        self.workers.cancel_group(self, self.PROOF_GROUP)

    async def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == self.PROOF_GROUP and self.mode is ProofMode.RUNNING:
            await self.show_failure(make_outcome(OutcomeKind.CANCELLED, tenant=self.proof_tenant))

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        if message.group == self.PROOF_GROUP and self.mode is ProofMode.RUNNING:
            await self.show_failure(
                make_outcome(
                    OutcomeKind.UNEXPECTED_ERROR,
                    tenant=self.proof_tenant,
                    error_type=message.error_type,
                )
            )
        else:  # a side job: worth a word, not a panel (the store panel handles its own)
            self.notify(
                f"{message.description} failed ({message.error_type}).",
                severity="warning",
                markup=False,
            )

    # -- storing: the store panel ------------------------------------------------------------

    def action_store(self) -> None:
        panel = self.store_panel
        if self.mode is ProofMode.RESULT and self.proof_passed and panel is not None:
            panel.store()

    async def on_store_panel_changed(self, message: StorePanel.Changed) -> None:
        if self.mode is not ProofMode.RESULT or not self.proof_passed:
            return
        if message.mode is StoreMode.FAILED:
            # The storing-failed panel takes the place of the proof's result.
            success = self.query("#result > OutcomePanel")
            if success:
                await success.remove()
                self.query_one("#body").scroll_home(animate=False, immediate=True)
        self._show_mode(message.mode)
        self.set_nav_status(message.hint)

    # -- plumbing ----------------------------------------------------------------------------

    def watch_mode(self, mode: ProofMode) -> None:
        if not self.is_mounted:
            return  # set while constructing: the first mode shown is applied after mounting
        self.set_nav_status("")
        self._show_mode(self.shown)

    def _show_mode(self, shown: ProofMode | StoreMode) -> None:
        # The stylesheet shows the spinner and the result area by the mode's class.
        for each in (*ProofMode, *StoreMode):
            self.set_class(each is shown, f"-{each.value}")
        if shown is ProofMode.RUNNING or (isinstance(shown, StoreMode) and shown.busy):
            self._started = time.monotonic()
            self._tick()
            if self._ticker is not None:
                self._ticker.resume()
        elif self._ticker is not None:
            self._ticker.pause()
        self.refresh_nav()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started
        shown, panel = self.shown, self.store_panel
        if shown is ProofMode.RUNNING:
            text = f"Waiting for {self.waiting_for()} … {elapsed:.1f} s   (Esc cancels)"
        elif shown is StoreMode.STORING and panel is not None:
            text = f"Storing the {self.NOUN} in {panel.storing_label} … {elapsed:.1f} s"
        else:
            text = f"Writing the file … {elapsed:.1f} s"
        self.query_one("#elapsed", Static).update(text)

    def can_go_back(self) -> bool:
        return self.shown in (ProofMode.RESULT, StoreMode.FORM, StoreMode.FAILED)

    def can_go_next(self) -> bool:
        return self.shown in (ProofMode.RESULT, StoreMode.FORM) and self.proof_passed

    def go_next(self) -> None:
        self.action_store()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_test":
            return self.mode is ProofMode.RUNNING
        if action == "back" and self.mode is ProofMode.RUNNING:
            return False  # Esc cancels instead
        return super().check_action(action, parameters)
