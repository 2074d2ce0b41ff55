"""Renewing one stored key from the dashboard: the rotation's steps as they happen, then its result.

One async worker runs ``rotate_profile`` and only posts messages (a ``RenewStep`` per step
started or ended, then ``RenewFinished``). Esc or Cancel asks the ``CancelToken`` to stop, which
the rotation honours until the store begins (it then deletes the new key again); from the store
on, the renewal completes and the Cancel button is gone. The modal answers the result (``None``
when closed before one arrived, which only a crash allows).

The rotation module imports httpx: the worker imports it in a thread, and this screen reads the
step titles from it only once the first step arrived (the module is loaded by then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static

from qlik_tui.core.expiry import expiry_sentence
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.tui.host import AppHost
from qlik_tui.tui.messages import (
    ReportsWorkerEnds,
    WorkerCancelled,
    WorkerCrashed,
)
from qlik_tui.tui.preload import load_services
from qlik_tui.tui.widgets.outcome_panel import Fields

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.services.rotation import (
        CancelToken,
        RotationResult,
        RotationStep,
        StepEvent,
        StepState,
    )

RENEW_GROUP = "dashboard-renew"
# The key id a step names under its title (the others repeat the new key's id), by step name.
NOTED_STEPS = {"CREATE": "new key", "DELETE_OLD": "old key"}
# A step's mark by its state's name; a step not begun yet (no state) is "·".
MARKS = {"STARTED": "…", "DONE": "✓", "FAILED": "✗", "SKIPPED": "-"}
PENDING_MARK = "·"
CANCEL_HINT = "Esc cancels until the new key is being stored."
STORING_HINT = "Storing the new key: the renewal completes now."
CANCELLING_HINT = "Cancelling: the new key, if made, is deleted again with the stored one…"


def renew_question(name: str) -> str:
    return f"Renew the key of profile {name}"


class RenewModal(ReportsWorkerEnds, ModalScreen["RotationResult | None"]):
    """``RenewModal(name, store=profile.store)`` renews profile ``name``; ``start=False`` only
    shows (snapshots)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Cancel"),
    ]
    AUTO_FOCUS = "#renew-cancel"

    @dataclass(repr=False, eq=False)
    class RenewStep(Message):
        """A step of a renewal started or ended (the event names key ids, never a key)."""

        event: StepEvent

    @dataclass(repr=False, eq=False)
    class RenewFinished(Message):
        """The rotation service returned: what was renewed, cleaned up or left behind."""

        result: RotationResult

    def __init__(self, name: str, *, start: bool = True, store: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.profile_name = name
        self.store = store  # the profile's recorded store: the store step's title names it
        self.start = start
        # step -> (title, state or None before it began, note)
        self.steps: dict[RotationStep, tuple[str, StepState | None, str]] = {}
        self.result: RotationResult | None = None
        self.cancel_token: CancelToken | None = None
        self.cancel_asked = False
        self.storing = False
        self.crashed = False

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    @property
    def running(self) -> bool:
        return self.result is None and not self.crashed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="renew-dialog"):
            yield Static(Content(renew_question(self.profile_name)), classes="dialog-question")
            with VerticalScroll(id="renew-body"):
                yield Static(Content("Starting…"), id="renew-steps")
                yield Static(Content(CANCEL_HINT), id="renew-hint", classes="dialog-detail")
                yield Vertical(id="renew-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel renewal", id="renew-cancel", classes="danger")
                yield Button("Close", id="renew-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#renew-close", Button).display = False
        if self.start:
            worker = self.run_renewal(self.qapp.services, self.profile_name)
            worker.description = f"Renewing the key of profile {self.profile_name!r}"

    # -- the worker --------------------------------------------------------------------------

    @work(
        group=RENEW_GROUP,
        exclusive=True,
        exit_on_error=False,
        description="Renewing a stored key",
    )
    async def run_renewal(self, services: Services, name: str) -> None:
        await load_services()  # off the event loop: the dialog stays responsive
        from qlik_tui.services.rotation import CancelToken
        from qlik_tui.services.secret_rotation import renew_profile  # keys and client secrets

        token = CancelToken()
        if self.cancel_asked:
            token.cancel()
        self.cancel_token = token

        def on_step(event: StepEvent) -> None:
            self.post_message(self.RenewStep(event))

        result = await renew_profile(services, name, on_step=on_step, cancel=token)
        self.post_message(self.RenewFinished(result))

    # -- progress ----------------------------------------------------------------------------

    def on_renew_modal_renew_step(self, message: RenewModal.RenewStep) -> None:
        self.show_step(message.event)

    def show_step(self, event: StepEvent) -> None:
        # Loaded by the worker before its first step (no import on the event loop).
        from qlik_tui.services.rotation import RotationStep, StepState, step_title

        # The steps shown, in order (the rotation's local LOAD and UPDATE show only failing).
        shown = (
            RotationStep.CREATE,
            RotationStep.VERIFY,
            RotationStep.STORE,
            RotationStep.DELETE_OLD,
        )
        if not self.steps:
            store = _recorded_store(self.store)
            for each in shown:
                self.steps[each] = (step_title(each, store, event.credential), None, "")
        step, state = event.step, event.state
        if step in shown or state is StepState.FAILED:
            self.steps[step] = (event.title, state, event.note)
        if step is RotationStep.STORE and state is StepState.STARTED:
            self.storing = True
            self.query_one("#renew-cancel", Button).display = False
            self._hint(STORING_HINT)
        self.query_one("#renew-steps", Static).update(self.steps_text())

    def steps_text(self) -> Content:
        lines = []
        for step, (title, state, note) in self.steps.items():
            lines.append(f"{PENDING_MARK if state is None else MARKS[state.name]} {title}")
            if note and step.name in NOTED_STEPS:
                lines.append(f"  {NOTED_STEPS[step.name]} {note}")
        return Content("\n".join(lines))

    def _hint(self, text: str) -> None:
        hint = self.query_one("#renew-hint", Static)
        hint.update(Content(text))
        hint.display = bool(text)

    # -- the result --------------------------------------------------------------------------

    async def on_renew_modal_renew_finished(self, message: RenewModal.RenewFinished) -> None:
        await self.show_result(message.result)

    async def show_result(self, result: RotationResult) -> None:
        self.result = result
        heading, rows = result_parts(result, self.qapp.now(), self.qapp.services.expiry_warning)
        failed = not result.renewed or bool(result.strays)
        await self._show_end(
            Static(
                Content(heading),
                id="renew-heading",
                classes="outcome-heading " + ("-error" if failed else "-success"),
            ),
            Fields(rows, classes="renew-fields"),
        )

    async def _show_end(self, *widgets: Widget) -> None:
        """The renewal is over: no hint, no Cancel; ``widgets`` say how it ended, above Close."""
        self._hint("")
        self.query_one("#renew-cancel", Button).display = False
        close = self.query_one("#renew-close", Button)
        close.display = True
        box = self.query_one("#renew-result", Vertical)
        await box.remove_children()
        await box.mount_all(widgets)
        close.focus()

    # -- cancelling and closing --------------------------------------------------------------

    def action_cancel_or_close(self) -> None:
        if not self.running:
            self.dismiss(self.result)
            return
        if self.storing:
            self.notify(STORING_HINT, title="Cannot cancel now", markup=False)
            return
        if self.cancel_asked:
            return
        token = self.cancel_token
        if token is not None and not token.cancel():
            self.storing = True
            self.notify(STORING_HINT, title="Cannot cancel now", markup=False)
            return
        self.cancel_asked = True  # a worker still importing applies it to its token
        self.query_one("#renew-cancel", Button).disabled = True
        self._hint(CANCELLING_HINT)

    @on(Button.Pressed, "#renew-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel_or_close()

    @on(Button.Pressed, "#renew-close")
    def _close_pressed(self) -> None:
        self.dismiss(self.result)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_or_close" and self.running and self.storing:
            return None  # shown greyed out: the store cannot be cancelled
        return True

    # -- worker failures ---------------------------------------------------------------------

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        if message.group != RENEW_GROUP:
            return
        self.crashed = True
        await self._show_end(
            Static(
                Content(
                    f"✗ {message.description} failed with an unexpected {message.error_type}. "
                    "Re-check the key on the dashboard, and list the tenant's keys with k to "
                    "see whether a new key was left behind."
                ),
                id="renew-heading",
                classes="outcome-heading -error",
            )
        )

    def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == RENEW_GROUP and self.result is None:
            self.crashed = True  # only when the app shuts down: nothing left to show


def _recorded_store(store: str | None) -> KeyStoreKind:
    """The store a profile records (profiles that record none, or one unknown, use the OS
    keyring's step title)."""
    try:
        return KeyStoreKind(store) if store is not None else KeyStoreKind.KEYRING
    except ValueError:
        return KeyStoreKind.KEYRING


def result_parts(
    result: RotationResult, now: datetime, warn_below: timedelta
) -> tuple[str, list[tuple[str, str | None]]]:
    """The heading and the labelled rows that show ``result``: what the profile holds now, why
    a step failed and what to do, and each stray key with the command that removes it."""
    from qlik_tui.services.rotation import RotationStatus  # loaded: a result came from it

    status = result.status
    name = result.name
    what = result.credential.words  # "key", or "client secret" (its ids are the secrets' hints)
    rows: list[tuple[str, str | None]] = []
    if result.renewed:
        if status is RotationStatus.RENEWED:
            heading = f"✓ Renewed: profile {name} holds the new {what} {result.new_key_id}"
        else:
            heading = f"⚠ Renewed, but the old {what} {result.old_key_id} is still active"
        if result.new_expiry is not None:  # a key's; a client secret has none
            expiry = expiry_sentence(result.new_expiry, now=now, warn_below=warn_below)
            rows.append(("Expiry", expiry))
        if result.kept_old and result.old_key_id:
            rows.append((f"Old {what}", f"{result.old_key_id} kept"))
        elif status is RotationStatus.RENEWED and result.old_key_id:
            rows.append((f"Old {what}", f"{result.old_key_id} deleted on the tenant"))
        if result.updated_profiles[1:]:
            also = ", ".join(result.updated_profiles[1:])
            rows.append(("Also renewed", f"{also} (held the same key)"))
    elif status is RotationStatus.CANCELLED:
        held = result.old_key_id or "(none)"
        heading = f"Cancelled: profile {name} still holds {what} {held}"
        if result.new_key_id and not result.strays:
            rows.append((f"New {what}", f"{result.new_key_id} deleted again on the tenant"))
    else:
        held = result.old_key_id or "(none)"
        heading = f"✗ Not renewed: profile {name} still holds {what} {held}"
        if result.failed_step is not None:
            rows.append(("Failed step", result.failed_step.value))
    outcome = result.outcome
    if result.store_failure is not None:
        rows += [
            ("Problem", result.store_failure.problem),
            ("What to do", result.store_failure.fix),
        ]
    elif outcome is not None:
        rows += [("What happened", outcome.title), ("Cause", outcome.cause)]
        rows.append(("Next step", outcome.next_step))
        if outcome.server_message:
            rows.append(("Tenant said", outcome.server_message))
    for stray in result.strays:
        rows += [
            (f"Stray {stray.what}", f"{stray.key_id} is still active on the tenant: {stray.why}"),
            ("Remove it", stray.command),
        ]
    rows += [("Note", note) for note in result.notes]
    return heading, rows
