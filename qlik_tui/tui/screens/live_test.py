"""Step 6: prove the key with ``GET /users/me``, show what the tenant says, then, after a pass,
mount the ``StorePanel`` that stores it (or writes it to a file, or discards it). What the
OAuth client's proof shares with it (modes, spinner, store panel) is ``ProofStep``.

The live test is an async worker, cancellable with Esc, that only posts messages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from qlik_tui.core.outcomes import OutcomeKind, Verdict, make_outcome
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.tui.host import PASTE_ANOTHER, Step
from qlik_tui.tui.messages import WorkerCancelled, WorkerCrashed
from qlik_tui.tui.preload import load_services
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.screens.proof_step import ProofMode, ProofStep
from qlik_tui.tui.screens.store_panel import StoreEnd, StorePanel
from qlik_tui.tui.storable import ProvenKey
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.outcome_panel import OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.verify import VerifyReport

LIVE_TEST_GROUP = "live-test"
LiveTestMode = ProofMode  # the name the live test's tests know


class LiveTestScreen(ProofStep):
    STEP = Step.LIVE_TEST
    STEP_TITLE = "Live test"
    NEXT_LABEL = "Store key →"
    PROOF_GROUP = LIVE_TEST_GROUP

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_test", "Cancel test"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "store", "Store key", show=False),
    ]

    @dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
    class LiveTestFinished(Message):
        """``verify_key`` returned (every outcome, success or failure, is in the report)."""

        report: VerifyReport

    def __init__(self) -> None:
        super().__init__()
        self.outcome: Outcome | None = None  # the live test's failure on show, if any

    @property
    def proof_passed(self) -> bool:
        report = self.state.report
        return (
            report is not None and report.outcome.verdict is Verdict.VALID and self.outcome is None
        )

    def waiting_for(self) -> str:
        tenant = self.state.tenant
        return tenant.display_host if tenant is not None else "the tenant"

    def on_mount(self) -> None:
        super().on_mount()
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
        await self.query_one("#body").mount(StorePanel(id="store-panel"))
        if self.state.report is not None:
            await self._show_report(self.state.report)  # tested already; nothing changed since
        else:
            self.start_test()

    # -- the live test -----------------------------------------------------------------------

    def start_test(self) -> None:
        tenant, key = self.state.tenant, self.state.key
        if tenant is None or key is None:
            return
        self.outcome = None
        self.state.report = None
        self.mode = ProofMode.RUNNING
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

    async def on_live_test_screen_live_test_finished(
        self, message: LiveTestScreen.LiveTestFinished
    ) -> None:
        if self.mode is not ProofMode.RUNNING:
            return
        self.state.report = message.report
        await self._show_report(message.report)

    async def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == LIVE_TEST_GROUP and self.mode is ProofMode.RUNNING:
            await self._show_failure(make_outcome(OutcomeKind.CANCELLED, tenant=self.state.tenant))

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        if message.group == LIVE_TEST_GROUP and self.mode is ProofMode.RUNNING:
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
        self.mode = ProofMode.RESULT
        await self.replace_result(panel)
        store_panel = self.store_panel
        tenant = self.state.tenant
        if store_panel is not None and tenant is not None:
            await store_panel.show_form(ProvenKey(tenant, key, report))
        self.query_one("#next", Button).focus(scroll_visible=False)

    async def _show_failure(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.mode = ProofMode.RESULT
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

    # -- storing: the store panel (``ProofStep``) ----------------------------------------------

    def on_store_panel_finished(self, message: StorePanel.Finished) -> None:
        if message.end is StoreEnd.DISCARDED:
            self.qapp.go_to_step(Step.PASTE)
        else:
            self.qapp.go_to_step(Step.DONE)


def _known_tenant_id(services: Services, tenant: Tenant) -> str | None:
    """The tenant id an earlier valid key taught us for this origin (for "other tenant")."""
    # Deferred: services.login imports httpx; this runs in a thread, off the event loop.
    from qlik_tui.services.login import known_tenant_id

    try:
        return known_tenant_id(services.profiles, tenant)
    except (ProfilesFileError, OSError):
        return None
