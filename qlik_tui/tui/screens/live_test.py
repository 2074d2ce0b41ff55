"""Step 6: prove the key with ``GET /users/me``, show what the tenant says, then, after a pass,
mount the ``StorePanel`` that stores it (or writes it to a file, or discards it).

The live test is an async worker, cancellable with Esc, that only posts messages.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, LoadingIndicator, Static

from qlik_tui.core.outcomes import OutcomeKind, Verdict, make_outcome
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.tui.host import PASTE_ANOTHER, Step
from qlik_tui.tui.messages import WorkerCancelled, WorkerCrashed
from qlik_tui.tui.preload import load_services
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.screens.store_panel import StoreEnd, StoreMode, StorePanel
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.outcome_panel import OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.verify import VerifyReport

LIVE_TEST_GROUP = "live-test"


class LiveTestMode(str, Enum):
    """What the screen shows (the value is the class its stylesheet shows it by); once the
    test passed, the store panel's own mode decides (``StoreMode``)."""

    RUNNING = "running"  # the live test's request is out: spinner
    RESULT = "result"  # the test's result (and, after a pass, the store panel)


class LiveTestScreen(WizardStep):
    STEP = Step.LIVE_TEST
    STEP_TITLE = "Live test"
    NEXT_LABEL = "Store key →"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_test", "Cancel test"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "store", "Store key", show=False),
    ]

    @dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
    class LiveTestFinished(Message):
        """``verify_key`` returned (every outcome, success or failure, is in the report)."""

        report: VerifyReport

    # Decides the panel, the buttons and what Esc does. Each assignment re-applies it (the
    # spinner's clock restarts, the nav buttons refresh).
    mode: reactive[LiveTestMode] = reactive(LiveTestMode.RESULT, always_update=True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.outcome: Outcome | None = None  # the live test's failure on show, if any
        self._started = 0.0
        self._ticker: Timer | None = None

    @property
    def test_passed(self) -> bool:
        report = self.state.report
        return (
            report is not None and report.outcome.verdict is Verdict.VALID and self.outcome is None
        )

    @property
    def store_panel(self) -> StorePanel | None:
        """The store panel, once a passing test mounted it."""
        for panel in self.query(StorePanel).results(StorePanel):
            return panel
        return None

    @property
    def shown(self) -> LiveTestMode | StoreMode:
        """The mode the screen shows: its own, or after a pass the store panel's."""
        panel = self.store_panel
        if self.mode is LiveTestMode.RESULT and self.test_passed and panel is not None:
            return panel.mode
        return self.mode

    # -- layout ------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="live-intro")
        with Vertical(id="progress"):
            yield LoadingIndicator(id="spinner")
            yield Static(id="elapsed")
        yield Vertical(id="result")

    def on_mount(self) -> None:
        super().on_mount()
        self._ticker = self.set_interval(0.1, self._tick, pause=True)
        self.call_later(self._begin)

    async def _begin(self) -> None:
        tenant, key = self.state.tenant, self.state.key
        if tenant is None or key is None:  # reached without a tenant or key: go and get them
            self.qapp.go_to_step(Step.TENANT if tenant is None else Step.PASTE)
            return
        self.query_one("#live-intro", Static).update(
            Content.from_markup(
                "Testing key [b]$key_id[/b] against [b]$host[/b]: GET /api/v1/users/me, the "
                "request from Qlik's tutorial. The key goes to this tenant only.",
                key_id=key.key_id or "(no id)",
                host=tenant.display_host,
            )
        )
        # The store panel looks up the key stores now; it shows its form after a pass.
        await self.query_one("#body").mount(StorePanel(tenant, key, id="store-panel"))
        if self.state.report is not None:
            await self._show_report(self.state.report)  # tested already; nothing changed since
        else:
            self.start_test()

    async def replace_result(self, *widgets: Widget) -> None:
        result = self.query_one("#result", Vertical)
        await result.remove_children()
        await result.mount_all(widgets)
        # The panel's heading (what happened) comes first; the buttons are a scroll away.
        self.query_one("#body").scroll_home(animate=False, immediate=True)

    # -- the live test -----------------------------------------------------------------------

    def start_test(self) -> None:
        tenant, key = self.state.tenant, self.state.key
        if tenant is None or key is None:
            return
        self.outcome = None
        self.state.report = None
        self.mode = LiveTestMode.RUNNING
        worker = self.run_live_test(self.qapp.services, tenant, key)
        worker.description = f"Live test of the API key against {tenant.display_host}"

    @work(
        group=LIVE_TEST_GROUP,
        exclusive=True,
        exit_on_error=False,
        description="Live test of the API key",
    )
    async def run_live_test(self, services: Services, tenant: Tenant, key: ApiKey) -> None:
        await self._live_test(services, tenant, key)

    async def _live_test(self, services: Services, tenant: Tenant, key: ApiKey) -> None:
        await load_services()  # off the event loop: the spinner keeps turning
        from qlik_tui.services.verify import Detail, verify_key

        known = await asyncio.to_thread(_known_tenant_id, services, tenant)
        report = await verify_key(
            tenant,
            key,
            settings=services.client_settings,
            detail=Detail.FULL,
            known_tenant_id=known,
        )
        self.post_message(self.LiveTestFinished(report))

    def action_cancel_test(self) -> None:
        self.workers.cancel_group(self, LIVE_TEST_GROUP)

    async def on_live_test_screen_live_test_finished(
        self, message: LiveTestScreen.LiveTestFinished
    ) -> None:
        if self.mode is not LiveTestMode.RUNNING:
            return
        self.state.report = message.report
        await self._show_report(message.report)

    async def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == LIVE_TEST_GROUP and self.mode is LiveTestMode.RUNNING:
            await self._show_failure(make_outcome(OutcomeKind.CANCELLED, tenant=self.state.tenant))

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        if message.group == LIVE_TEST_GROUP and self.mode is LiveTestMode.RUNNING:
            await self._show_failure(
                make_outcome(
                    OutcomeKind.UNEXPECTED_ERROR,
                    tenant=self.state.tenant,
                    error_type=message.error_type,
                )
            )
        else:  # a side job: worth a word, not a panel (the store panel handles its own)
            self.notify(
                f"{message.description} failed ({message.error_type}).",
                severity="warning",
                markup=False,
            )

    async def _show_report(self, report: VerifyReport) -> None:
        if report.outcome.verdict is Verdict.VALID and report.user is not None:
            await self._show_success(report)
        else:
            await self._show_failure(report.outcome)

    async def _show_success(self, report: VerifyReport) -> None:
        key = self.state.key
        assert key is not None
        self.outcome = None
        panel = OutcomePanel.success(
            report,
            key.info,
            now=self.qapp.now(),
            warn_below=self.qapp.services.expiry_warning,
        )
        self.mode = LiveTestMode.RESULT
        await self.replace_result(panel)
        store_panel = self.store_panel
        if store_panel is not None:
            await store_panel.show_form(report)
        self.query_one("#next", Button).focus(scroll_visible=False)

    async def _show_failure(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.mode = LiveTestMode.RESULT
        actions = Horizontal(
            Button("Retry", id="retry", variant="primary"),
            Button("Change tenant", id="change-tenant"),
            Button("Paste another key", id="paste-another"),
            classes="actions",
        )
        await self.replace_result(OutcomePanel.failure(outcome), actions)
        self.query_one("#retry", Button).focus(scroll_visible=False)
        self.set_nav_status("Enter: retry · Tab: more")

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.start_test()

    @on(Button.Pressed, "#change-tenant")
    def _change_tenant(self) -> None:
        self.qapp.go_to_step(Step.TENANT)

    @on(Button.Pressed, "#paste-another")
    def _paste_another(self) -> None:
        self.qapp.show_step(PASTE_ANOTHER)

    @on(KeyRefusingInput.KeyCaught)
    def _key_caught(self, event: KeyRefusingInput.KeyCaught) -> None:
        offer_caught_key(self, event.key_input.take_caught_key(), go_to_paste=True)

    # -- storing: the store panel ------------------------------------------------------------

    def action_store(self) -> None:
        panel = self.store_panel
        if self.mode is LiveTestMode.RESULT and self.test_passed and panel is not None:
            panel.store()

    async def on_store_panel_changed(self, message: StorePanel.Changed) -> None:
        if self.mode is not LiveTestMode.RESULT or not self.test_passed:
            return
        if message.mode is StoreMode.FAILED:
            # The storing-failed panel takes the place of the test's result.
            success = self.query("#result > OutcomePanel")
            if success:
                await success.remove()
                self.query_one("#body").scroll_home(animate=False, immediate=True)
        self._show_mode(message.mode)
        self.set_nav_status(message.hint)

    def on_store_panel_finished(self, message: StorePanel.Finished) -> None:
        if message.end is StoreEnd.DISCARDED:
            self.qapp.go_to_step(Step.PASTE)
        else:
            self.qapp.go_to_step(Step.DONE)

    # -- plumbing ----------------------------------------------------------------------------

    def watch_mode(self, mode: LiveTestMode) -> None:
        if not self.is_mounted:
            return  # set while constructing: the first mode shown is applied after mounting
        self.set_nav_status("")
        self._show_mode(self.shown)

    def _show_mode(self, shown: LiveTestMode | StoreMode) -> None:
        # The stylesheet shows the spinner and the result area by the mode's class.
        for each in (*LiveTestMode, *StoreMode):
            self.set_class(each is shown, f"-{each.value}")
        if shown is LiveTestMode.RUNNING or (isinstance(shown, StoreMode) and shown.busy):
            self._started = time.monotonic()
            self._tick()
            if self._ticker is not None:
                self._ticker.resume()
        elif self._ticker is not None:
            self._ticker.pause()
        self.refresh_nav()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started
        tenant = self.state.tenant
        host = tenant.display_host if tenant is not None else "the tenant"
        shown, panel = self.shown, self.store_panel
        if shown is LiveTestMode.RUNNING:
            text = f"Waiting for {host} … {elapsed:.1f} s   (Esc cancels)"
        elif shown is StoreMode.STORING and panel is not None:
            text = f"Storing the key in {panel.storing_label} … {elapsed:.1f} s"
        else:
            text = f"Writing the file … {elapsed:.1f} s"
        self.query_one("#elapsed", Static).update(text)

    def can_go_back(self) -> bool:
        return self.shown in (LiveTestMode.RESULT, StoreMode.FORM, StoreMode.FAILED)

    def can_go_next(self) -> bool:
        return self.shown in (LiveTestMode.RESULT, StoreMode.FORM) and self.test_passed

    def go_next(self) -> None:
        self.action_store()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_test":
            return self.mode is LiveTestMode.RUNNING
        if action == "back" and self.mode is LiveTestMode.RUNNING:
            return False  # Esc cancels instead
        return super().check_action(action, parameters)


def _known_tenant_id(services: Services, tenant: Tenant) -> str | None:
    """The tenant id an earlier valid key taught us for this origin (for "other tenant")."""
    # Deferred: services.login imports httpx; this runs in a thread, off the event loop.
    from qlik_tui.services.login import known_tenant_id

    try:
        return known_tenant_id(services.profiles, tenant)
    except (ProfilesFileError, OSError):
        return None
