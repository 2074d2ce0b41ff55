"""Step 6: prove the key with ``GET /users/me``, show what the tenant says, then, after a pass,
mount the ``StorePanel`` that stores it (or writes it to a file, or discards it). What the
OAuth client's proof shares with it (modes, spinner, failure panel, store panel) is
``ProofStep``.

The live test is an async worker, cancellable with Esc, that only posts messages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from qlik_tui.core.outcomes import Verdict
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.tui.host import PASTE_ANOTHER, Step
from qlik_tui.tui.preload import load_services
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.screens.proof_step import ProofMode, ProofStep
from qlik_tui.tui.screens.store_panel import StoreEnd, StorePanel
from qlik_tui.tui.storable import ProvenKey
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.outcome_panel import OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
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
    FAILURE_ACTIONS = (("Change tenant", "change-tenant"), ("Paste another key", "paste-another"))

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_test", "Cancel test"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "store", "Store key", show=False),
    ]

    @dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
    class LiveTestFinished(Message):
        """``verify_key`` returned (every outcome, success or failure, is in the report)."""

        report: VerifyReport

    @property
    def proof_passed(self) -> bool:
        report = self.state.report
        return (
            report is not None and report.outcome.verdict is Verdict.VALID and self.outcome is None
        )

    @property
    def proof_tenant(self) -> Tenant | None:
        return self.state.tenant

    async def begin(self) -> None:
        tenant, key = self.state.tenant, self.state.key
        if tenant is None or key is None:  # reached without a tenant or key: go and get them
            self.qapp.go_to_step(Step.TENANT if tenant is None else Step.PASTE)
            return
        await self.show_intro(
            Content.from_markup(
                "Testing key [b]$key_id[/b] against [b]$host[/b]: GET /api/v1/users/me, the "
                "request from Qlik's tutorial. The key goes to this tenant only.",
                key_id=key.key_id or "(no id)",
                host=tenant.display_host,
            )
        )
        if self.state.report is not None:
            await self._show_report(self.state.report)  # tested already; nothing changed since
        else:
            self.start_proof()

    # -- the live test -----------------------------------------------------------------------

    def start_proof(self) -> None:
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

    async def _show_report(self, report: VerifyReport) -> None:
        if report.outcome.verdict is Verdict.VALID and report.user is not None:
            await self._show_success(report)
        else:
            await self.show_failure(report.outcome)

    async def _show_success(self, report: VerifyReport) -> None:
        key, tenant = self.state.key, self.state.tenant
        assert key is not None
        panel = OutcomePanel.success(
            report,
            key.info,
            now=self.qapp.now(),
            warn_below=self.qapp.services.expiry_warning,
        )
        proven = ProvenKey(tenant, key, report) if tenant is not None else None
        await self.show_success(panel, proven)

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
