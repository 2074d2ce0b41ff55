"""Step 6: prove the key with ``GET /users/me``, show what the tenant says, then store it.

Two workers, both only posting messages: the live test (async, cancellable with Esc) and the
store (a thread: keyring calls block). No path on this screen drops the key without the user
deciding so: a failed store offers Retry, Write to a file, or Discard (confirmed).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, LoadingIndicator, Static

from qlik_tui.core.outcomes import OutcomeKind, Verdict, make_outcome
from qlik_tui.tui.messages import (
    KeyringFound,
    KeyStored,
    LiveTestFinished,
    RescueFailed,
    RescueWritten,
    StoreFailed,
    WorkerCancelled,
    WorkerCrashed,
)
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.widgets.outcome_panel import OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.verify import VerifyReport

LIVE_TEST_GROUP = "live-test"
KEYRING_GROUP = "keyring-lookup"
RESCUE_GROUP = "rescue"
STORE_GROUP = "store"
DISCARD_QUESTION = "Discard the key? It is not stored anywhere, and Qlik will not show it again."

# What the screen is doing; decides the panel, the buttons and what Esc does.
RUNNING, RESULT, STORING, STORE_FAILED, WRITING = (
    "running",
    "result",
    "storing",
    "store-failed",
    "writing",
)


class LiveTestScreen(WizardStep):
    STEP = 6
    STEP_TITLE = "Live test"
    NEXT_LABEL = "Store key →"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_test", "Cancel test"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "store", "Store key", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = RESULT
        self.outcome: Outcome | None = None  # the failure on show, if any
        self.backend_label = "the OS keyring"  # until the lookup names the backend
        self.insecure_notice: str | None = None
        self._started = 0.0
        self._ticker: Timer | None = None
        self._store_error: StoreFailed | None = None

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
            self.qapp.go_to_step(2 if tenant is None else 5)
            return
        self.query_one("#live-intro", Static).update(
            Content.from_markup(
                "Testing key [b]$key_id[/b] against [b]$host[/b]: GET /api/v1/users/me, the "
                "request from Qlik's tutorial. The key goes to this tenant only.",
                key_id=key.key_id or "(no id)",
                host=tenant.display_host,
            )
        )
        self.run_worker(
            partial(_find_keyring, self, self.qapp.services),
            thread=True,
            description="Looking up the OS keyring backend",
            group=KEYRING_GROUP,
            exit_on_error=False,
        )
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
        self._set_mode(RUNNING)
        self.run_worker(
            self._live_test(self.qapp.services, tenant, key),
            description=f"Live test of the API key against {tenant.display_host}",
            exclusive=True,
            group=LIVE_TEST_GROUP,
            exit_on_error=False,
        )

    async def _live_test(self, services: Services, tenant: Tenant, key: ApiKey) -> None:
        # httpx is heavy: import it off the event loop so the spinner keeps turning.
        verify = await asyncio.to_thread(importlib.import_module, "qlik_tui.services.verify")
        known = await asyncio.to_thread(_known_tenant_id, services, tenant)
        report = await verify.verify_key(
            tenant,
            key,
            settings=services.client_settings,
            detail=verify.Detail.FULL,
            known_tenant_id=known,
        )
        self.post_message(LiveTestFinished(report))

    def action_cancel_test(self) -> None:
        self.workers.cancel_group(self, LIVE_TEST_GROUP)

    async def on_live_test_finished(self, message: LiveTestFinished) -> None:
        if self.mode != RUNNING:
            return
        self.state.report = message.report
        await self._show_report(message.report)

    async def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == LIVE_TEST_GROUP and self.mode == RUNNING:
            await self._show_failure(make_outcome(OutcomeKind.CANCELLED, tenant=self.state.tenant))

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        outcome = make_outcome(
            OutcomeKind.UNEXPECTED_ERROR, tenant=self.state.tenant, error_type=message.error_type
        )
        if message.group == LIVE_TEST_GROUP and self.mode == RUNNING:
            await self._show_failure(outcome)
        elif message.group == STORE_GROUP and self.mode == STORING:
            await self._show_store_failed(
                StoreFailed(
                    f"Storing hit an unexpected {message.error_type}.",
                    "Retry; if it happens again, write the key to a file and report the problem.",
                )
            )
        elif message.group == RESCUE_GROUP and self.mode == WRITING:
            self.on_rescue_failed(RescueFailed(f"unexpected {message.error_type}"))
        else:  # a side job (the keyring lookup): worth a word, not a panel
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
        from qlik_tui.services.login import default_profile_name

        key, tenant = self.state.key, self.state.tenant
        assert key is not None and tenant is not None
        self.outcome = None
        panel = OutcomePanel.success(
            report,
            key.info,
            now=self.qapp.now(),
            warn_below=self.qapp.services.expiry_warning,
        )
        name = self.state.profile_name or default_profile_name(tenant)
        with_name = Horizontal(
            Static("Profile name", classes="field-label"),
            Input(name, id="profile-name", placeholder="a short name, e.g. work"),
            classes="profile-row",
        )
        hint = Static(id="store-hint", classes="hint")
        self._set_mode(RESULT)
        await self._replace_result(panel, with_name, hint)
        self._update_store_hint()
        self.query_one("#next", Button).focus(scroll_visible=False)
        self.set_nav_status("Enter stores the key")

    async def _show_failure(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._set_mode(RESULT)
        actions = Horizontal(
            Button("Retry", id="retry", variant="primary"),
            Button("Change tenant", id="change-tenant"),
            Button("Paste another key", id="paste-another"),
            classes="actions",
        )
        await self._replace_result(OutcomePanel.failure(outcome), actions)
        self.query_one("#retry", Button).focus(scroll_visible=False)
        self.set_nav_status("Enter retries · more choices below")

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.start_test()

    @on(Button.Pressed, "#change-tenant")
    def _change_tenant(self) -> None:
        self.qapp.go_to_step(2)

    @on(Button.Pressed, "#paste-another")
    def _paste_another(self) -> None:
        self.qapp.go_to_step(5, replace=True)

    # -- storing -----------------------------------------------------------------------------

    @property
    def test_passed(self) -> bool:
        report = self.state.report
        return (
            report is not None and report.outcome.verdict is Verdict.VALID and self.outcome is None
        )

    @on(Input.Submitted, "#profile-name")
    def action_store(self) -> None:
        if self.mode not in (RESULT, STORE_FAILED) or not self.test_passed:
            return
        from qlik_tui.store.profiles import InvalidProfile, validate_profile_name

        name = self._profile_name()
        try:
            validate_profile_name(name)
        except InvalidProfile as exc:
            self.notify(str(exc), title="Profile name", severity="error", markup=False)
            return
        self.state.profile_name = name
        tenant, key = self.state.tenant, self.state.key
        assert tenant is not None and key is not None
        self._set_mode(STORING)
        self.run_worker(
            partial(_store_key, self, self.qapp.services, name, tenant, key, self.state.report),
            thread=True,
            description=f"Storing the key in {self.backend_label}",
            exclusive=True,
            group=STORE_GROUP,
            exit_on_error=False,
        )

    def on_keyring_found(self, message: KeyringFound) -> None:
        self.backend_label = message.name
        self.insecure_notice = message.insecure_notice
        self._update_store_hint()

    def _update_store_hint(self) -> None:
        for hint in self.query("#store-hint").results(Static):
            text = f"Store key puts the key in {self.backend_label} under this profile name."
            if self.insecure_notice:
                text += f"\n⚠ {self.insecure_notice}"
                hint.add_class("-warning")
            hint.update(Content(text))

    def _profile_name(self) -> str:
        inputs = self.query("#profile-name").results(Input)
        for field in inputs:
            return field.value.strip()
        return self.state.profile_name or ""

    def on_key_stored(self, message: KeyStored) -> None:
        self.state.profile = message.profile
        self.state.storage_description = message.where
        self._set_mode(RESULT)
        self.qapp.go_to_step(7)

    async def on_store_failed(self, message: StoreFailed) -> None:
        await self._show_store_failed(message)

    async def _show_store_failed(self, message: StoreFailed) -> None:
        self._store_error = message
        if message.backend:
            self.backend_label = message.backend
        self._set_mode(STORE_FAILED)
        panel = OutcomePanel.store_failed(message.problem, message.fix, message.backend)
        actions = Horizontal(
            Button("Retry", id="store-retry", variant="primary"),
            Button("Write to a file", id="rescue"),
            Button("Discard", id="discard", classes="danger"),
            classes="actions",
        )
        rescue = Vertical(
            Static(
                "Write the key to a new file (mode 0600; an existing file is never "
                "overwritten). Move it into a password manager afterwards.",
                classes="paragraph",
            ),
            Horizontal(
                Input(placeholder="~/qlik-api-key.txt", id="rescue-path"),
                Button("Write", id="rescue-write"),
                classes="rescue-row",
            ),
            Static(id="rescue-error", classes="error-line"),
            id="rescue-box",
        )
        rescue.display = False
        await self._replace_result(panel, actions, rescue)
        self.query_one("#store-retry", Button).focus(scroll_visible=False)
        self.set_nav_status("Enter retries · more choices below")

    @on(Button.Pressed, "#store-retry")
    def _store_retry(self) -> None:
        self.action_store()

    @on(Button.Pressed, "#rescue")
    def _show_rescue(self) -> None:
        box = self.query_one("#rescue-box", Vertical)
        box.display = True
        self.query_one("#rescue-path", Input).focus()
        self.call_after_refresh(box.scroll_visible)

    @on(Button.Pressed, "#rescue-write")
    @on(Input.Submitted, "#rescue-path")
    def _write_rescue(self) -> None:
        text = self.query_one("#rescue-path", Input).value.strip()
        if not text:
            self.query_one("#rescue-error", Static).update("Type a file name first.")
            return
        key = self.state.key
        assert key is not None
        self._set_mode(WRITING)
        self.run_worker(
            partial(_write_rescue_file, self, Path(text), key),
            thread=True,
            description="Writing the key to the file the user named",
            exclusive=True,
            group=RESCUE_GROUP,
            exit_on_error=False,
        )

    def on_rescue_written(self, message: RescueWritten) -> None:
        self.state.rescue_path = message.path
        self._set_mode(RESULT)
        self.qapp.go_to_step(7)

    def on_rescue_failed(self, message: RescueFailed) -> None:
        self._set_mode(STORE_FAILED)
        self.query_one("#rescue-error", Static).update(Content(f"✗ Not written: {message.reason}"))
        self.query_one("#rescue-path", Input).focus()

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        def decided(discard: bool | None) -> None:
            if discard:
                failure = self._store_error
                if failure is not None and failure.key_in_keyring:
                    self._remove_half_stored_key(self.state.profile_name)
                self.state.discard_key()
                self.notify("The key was discarded. Paste another one when ready.")
                self.qapp.go_to_step(5)

        self.app.push_screen(
            ConfirmModal(
                DISCARD_QUESTION,
                confirm_label="Discard the key",
                cancel_label="Keep it",
                danger=True,
            ),
            decided,
        )

    def _remove_half_stored_key(self, name: str) -> None:
        """The keyring took the key but its profile was not saved: take the key out again.
        Run by the app, since this screen is about to go."""
        self.app.run_worker(
            partial(self.qapp.services.secrets.delete, name),
            thread=True,
            description="Removing the discarded key from the keyring",
            group="discard",
            exit_on_error=False,
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.set_nav_status("")
        busy = mode in (RUNNING, STORING, WRITING)
        self.query_one("#progress", Vertical).display = busy
        self.query_one("#result", Vertical).display = not busy or mode == WRITING
        if busy:
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
        if self.mode == RUNNING:
            text = f"Waiting for {host} … {elapsed:.1f} s   (Esc cancels)"
        elif self.mode == STORING:
            text = f"Storing the key in {self.backend_label} … {elapsed:.1f} s"
        else:
            text = f"Writing the file … {elapsed:.1f} s"
        self.query_one("#elapsed", Static).update(text)

    async def _replace_result(self, *widgets: Widget) -> None:
        result = self.query_one("#result", Vertical)
        await result.remove_children()
        await result.mount_all(widgets)
        # The panel's heading (what happened) comes first; the buttons are a scroll away.
        self.query_one("#body").scroll_home(animate=False, immediate=True)

    def can_go_back(self) -> bool:
        return self.mode in (RESULT, STORE_FAILED)

    def can_go_next(self) -> bool:
        return self.mode == RESULT and self.test_passed

    def go_next(self) -> None:
        self.action_store()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_test":
            return self.mode == RUNNING
        if action == "back" and self.mode == RUNNING:
            return False  # Esc cancels instead
        return super().check_action(action, parameters)


def _known_tenant_id(services: Services, tenant: Tenant) -> str | None:
    """The tenant id an earlier valid key taught us for this origin (for "other tenant")."""
    from qlik_tui.services.login import known_tenant_id
    from qlik_tui.store.profiles import ProfilesFileError

    try:
        return known_tenant_id(services.profiles, tenant)
    except (ProfilesFileError, OSError):
        return None


# -- thread workers: they call the blocking services and post one message, nothing else ------


def _store_key(
    screen: LiveTestScreen,
    services: Services,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
) -> None:
    from qlik_tui.services.login import store_login
    from qlik_tui.store.profiles import InvalidProfile, ProfilesFileError
    from qlik_tui.store.secrets import StoreError

    backend = ""
    failure: StoreFailed | None = None
    profile = None
    try:
        backend = services.secrets.backend_name
        profile = store_login(services, name=name, tenant=tenant, key=key, report=report)
    except StoreError as exc:
        failure = StoreFailed(exc.problem, exc.fix, backend=backend)
    except ProfilesFileError as exc:
        failure = StoreFailed(
            f"The key went into {backend}, but its profile could not be saved to {exc.path}: "
            f"{exc.problem}",
            exc.fix or "Fix the profiles file, then Retry.",
            backend=backend,
            key_in_keyring=True,
        )
    except InvalidProfile as exc:
        failure = StoreFailed(str(exc), "Change the profile name and Retry.", backend=backend)
    if failure is not None or profile is None:
        screen.post_message(failure or StoreFailed("Nothing was stored.", "Retry.", backend))
        return
    try:
        where = services.secrets.describe()
    except StoreError:
        where = backend
    screen.post_message(KeyStored(profile, where))


def _find_keyring(screen: LiveTestScreen, services: Services) -> None:
    from qlik_tui.store.secrets import StoreError

    try:
        name, notice = services.secrets.backend_name, services.secrets.insecure_notice
    except StoreError:
        return  # storing will fail and explain why; nothing to say before that
    screen.post_message(KeyringFound(name, notice))


def _write_rescue_file(screen: LiveTestScreen, path: Path, key: ApiKey) -> None:
    from qlik_tui.services.rescue import RescueFileError, write_key_file

    try:
        written = write_key_file(path, key)
    except RescueFileError as exc:
        screen.post_message(RescueFailed(str(exc)))
        return
    screen.post_message(RescueWritten(written))
