"""Storing the proven key: the profile name and the store (the OS keyring, qlik-tui's encrypted
file after its passphrase, or in the demo "this session only"), the store lookup, the store
worker (the all-or-nothing ``services.storing.store_key``), the Replace / Keep both question when
the name is taken and, when storing fails, the "storing failed" panel: Retry, another store,
Write to a file, or Discard (confirmed). No path here drops the key without the user deciding so.

Three thread workers, each calling blocking services and posting one message, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from qlik_tui.core.outcomes import Verdict
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import InvalidProfile, validate_profile_name
from qlik_tui.tui import store_probe
from qlik_tui.tui.messages import (
    KeyStored,
    RescueFailed,
    RescueWritten,
    StoreFailed,
    StoresLookedUp,
    WorkerCrashed,
)
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.screens.live_test_mode import LiveTestMode
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.outcome_panel import Fields, OutcomePanel
from qlik_tui.tui.widgets.store_form import StoreChoice, StoreForm

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.results import HalfStoredKeyRemoval, KeyNotStored
    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile

KEYRING_GROUP = "keyring-lookup"
STORE_GROUP = "store"
RESCUE_GROUP = "rescue"
DISCARD_GROUP = "discard"
DISCARD_QUESTION = "Discard the key? It is not stored anywhere, and Qlik will not show it again."

REPLACE_DETAIL = (
    "Replace stores this key in place of the old one (Qlik will not show the old key again). "
    "Keep both stores this key under another name."
)
# What the spinner says the key is being stored in, by choice.
STORING_IN = {
    StoreChoice.ENCRYPTED_FILE: "the encrypted file",
    StoreChoice.SESSION: "this session's memory",
}
# The other store offered when the chosen one cannot be used here.
OTHER_STORE_BUTTON = {
    StoreChoice.ENCRYPTED_FILE: "Use the encrypted file",
    StoreChoice.SESSION: "Keep for this session",
}


@dataclass(repr=False, eq=False)
class HalfStoredKeyRemoved(Message):
    """What became of the entry a failed attempt left behind, after a Discard."""

    result: HalfStoredKeyRemoval


class NameTaken(Message):
    """A profile already has the chosen name; the user decides: Replace, or Keep both."""

    def __init__(self, name: str, existing: Profile, free_name: str) -> None:
        super().__init__()
        self.name = name
        self.existing = existing
        self.free_name = free_name  # a name no profile has yet, offered for "keep both"


class KeyHeldElsewhere(Message):
    """Other profiles already hold the key (same key id, same tenant): the user decides whether
    to store it once more (renewing or revoking it then touches every holder)."""

    def __init__(self, name: str, key_id: str, holders: tuple[str, ...]) -> None:
        super().__init__()
        self.name = name
        self.key_id = key_id
        self.holders = holders


class StoreLeftKey(Message):
    """Storing failed and putting the keyring back failed too: part of the attempt stayed.
    ``summary`` says exactly what is stored now."""

    def __init__(self, problem: str, fix: str, backend: str, summary: str, new_entry: bool) -> None:
        super().__init__()
        self.problem = problem
        self.fix = fix
        self.backend = backend
        self.summary = summary
        self.new_entry = new_entry  # the entry is one this attempt created (Discard removes it)


class StoresKey(WizardStep):
    """The live test screen's storing half: it owns the screen's mode, the result area and
    the store workers; the store form (``StoreForm``) is a widget in the result area that
    asks for a store with a message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "store", "Store key", show=False),
    ]

    # Decides the panel, the buttons and what Esc does. Each assignment re-applies it (the
    # spinner's clock restarts, the nav buttons refresh).
    mode: reactive[LiveTestMode] = reactive(LiveTestMode.RESULT, always_update=True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.outcome: Outcome | None = None  # the live test's failure on show, if any
        self.backend_label = "the OS keyring"  # until the lookup names the backend
        self.stores_found: StoresLookedUp | None = None
        self.store_choice = StoreChoice.KEYRING  # the store of the last Store key
        self._store_services: Services | None = None
        self._store_error: StoreFailed | None = None
        self._replace_confirmed: str | None = None  # the taken name the user chose to replace
        self._shared_confirmed: str | None = None  # the name to store a shared key under anyway

    @property
    def test_passed(self) -> bool:
        report = self.state.report
        return (
            report is not None and report.outcome.verdict is Verdict.VALID and self.outcome is None
        )

    async def replace_result(self, *widgets: Widget) -> None:
        result = self.query_one("#result", Vertical)
        await result.remove_children()
        await result.mount_all(widgets)
        # The panel's heading (what happened) comes first; the buttons are a scroll away.
        self.query_one("#body").scroll_home(animate=False, immediate=True)

    # -- before storing: where the key will go, under which name -----------------------------

    def start_keyring_lookup(self) -> None:
        self.look_up_stores(self.qapp.lasting_services)

    @work(
        thread=True,
        group=KEYRING_GROUP,
        exit_on_error=False,
        description="Looking up where the key can be stored",
    )
    def look_up_stores(self, services: Services) -> None:
        self.post_message(look_up_stores(services))

    def on_stores_looked_up(self, message: StoresLookedUp) -> None:
        self.stores_found = message
        if message.backend is not None:
            self.backend_label = message.backend
        for form in self.query(StoreForm).results(StoreForm):
            self._show_stores(form)

    def _show_stores(self, form: StoreForm) -> None:
        found = self.stores_found
        if found is None:
            return
        if found.keyring_problem is not None:
            form.keyring_unusable(found.keyring_problem)
        else:
            form.show_backend(self.backend_label, found.insecure_notice)

    def store_choices(self) -> tuple[StoreChoice, ...]:
        choices = (StoreChoice.KEYRING, StoreChoice.ENCRYPTED_FILE)
        return (*choices, StoreChoice.SESSION) if self.qapp.is_demo else choices

    def store_form(self) -> StoreForm:
        """The profile name field, the store choice and the hint saying what Store key does."""
        # Deferred: services.login imports httpx, loaded by the live test in a thread by now.
        from qlik_tui.services.login import default_profile_name

        tenant = self.state.tenant
        assert tenant is not None
        form = StoreForm(
            self.state.profile_name or default_profile_name(tenant), choices=self.store_choices()
        )
        self._show_stores(form)
        return form

    @on(StoreForm.ChoiceChanged)
    def _choice_changed(self, event: StoreForm.ChoiceChanged) -> None:
        if self.mode is LiveTestMode.RESULT:
            self.set_nav_status(event.form.store_choice.enter_does)

    def _profile_name(self) -> str:
        for form in self.query(StoreForm).results(StoreForm):
            return form.profile_name
        return self.state.profile_name or ""

    @on(KeyRefusingInput.KeyCaught)
    def _key_caught(self, event: KeyRefusingInput.KeyCaught) -> None:
        offer_caught_key(self, event.key_input.take_caught_key(), go_to_paste=True)

    # -- storing -----------------------------------------------------------------------------

    @on(StoreForm.StoreRequested)
    def action_store(self) -> None:
        # A Retry after the user chose Replace for this very name keeps that answer.
        self._start_store(replace=self._replace_confirmed == self._profile_name())

    def _start_store(self, *, replace: bool, choice: StoreChoice | None = None) -> None:
        if self.mode not in (LiveTestMode.RESULT, LiveTestMode.STORE_FAILED):
            return
        if not self.test_passed:
            return
        name = self._profile_name()
        try:
            validate_profile_name(name)
        except InvalidProfile as exc:
            self.notify(str(exc), title="Profile name", severity="error", markup=False)
            return
        self.state.profile_name = name
        for form in self.query(StoreForm).results(StoreForm):
            choice = choice or form.store_choice
        self.store_choice = choice = choice or self.store_choice
        services = self.qapp.use_session_store(choice is StoreChoice.SESSION)
        if choice is not StoreChoice.ENCRYPTED_FILE:
            self._run_store(services, replace=replace)
            return
        from qlik_tui.tui.screens.passphrase import unlock_for_writing

        unlock_for_writing(
            self,
            services,
            "to store the key",
            lambda writing: self._run_store(writing, replace=replace),
            lambda: self.set_nav_status("Not stored: the encrypted file needs its passphrase"),
        )

    def _run_store(self, services: Services, *, replace: bool) -> None:
        tenant, key = self.state.tenant, self.state.key
        assert tenant is not None and key is not None
        self._store_services = services  # a Discard after a failure cleans up the same store
        self.mode = LiveTestMode.STORING
        name = self.state.profile_name
        worker = self.store(
            services,
            name,
            tenant,
            key,
            self.state.report,
            replace=replace,
            shared_ok=self._shared_confirmed == name,
        )
        worker.description = f"Storing the key in {self.storing_label}"

    @property
    def storing_label(self) -> str:
        return STORING_IN.get(self.store_choice, self.backend_label)

    @work(
        thread=True,
        exclusive=True,
        group=STORE_GROUP,
        exit_on_error=False,
        description="Storing the key in the OS keyring",
    )
    def store(
        self,
        services: Services,
        name: str,
        tenant: Tenant,
        key: ApiKey,
        report: VerifyReport | None,
        *,
        replace: bool,
        shared_ok: bool = False,
    ) -> None:
        if not shared_ok and held_elsewhere(self, services, name, tenant, key):
            return
        store_key(self, services, name, tenant, key, report, replace)

    def on_key_held_elsewhere(self, message: KeyHeldElsewhere) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        self.mode = LiveTestMode.RESULT
        holders = ", ".join(quoted_name(n) for n in message.holders)
        question = (
            f"Key {message.key_id} is already stored in profile {holders}. Store it as "
            f"{quoted_name(message.name)} too?"
        )

        def decided(store_too: bool | None) -> None:
            if store_too:
                self._shared_confirmed = message.name
                self._start_store(replace=self._replace_confirmed == message.name)
                return
            self.set_nav_status(f"Not stored: profile {holders} already holds this key")

        self.app.push_screen(
            ConfirmModal(
                question,
                confirm_label="Store it too",
                cancel_label="Don't store",
                detail=SHARED_DETAIL,
            ),
            decided,
        )

    def on_name_taken(self, message: NameTaken) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        self.mode = LiveTestMode.RESULT
        existing = message.existing
        outcome = existing.last_outcome or "never checked"
        checked = f", checked {existing.last_checked_at}" if existing.last_checked_at else ""
        question = (
            f"Profile {quoted_name(message.name)} already holds key "
            f"{existing.key_id or '(no key id)'} (last outcome: {outcome}{checked}). "
            "Replace it with this key, or keep both?"
        )

        def decided(replace: bool | None) -> None:
            if replace:
                self._replace_confirmed = message.name
                self._start_store(replace=True)
                return
            for form in self.query(StoreForm).results(StoreForm):
                form.offer_name(message.free_name)
            self.set_nav_status("Enter stores the key under the new name")

        self.app.push_screen(
            ConfirmModal(
                question,
                confirm_label="Replace",
                cancel_label="Keep both",
                danger=True,
                detail=REPLACE_DETAIL,
            ),
            decided,
        )

    def on_key_stored(self, message: KeyStored) -> None:
        self.state.profile = message.profile
        self.state.storage_description = message.where
        self.state.store_choice = self.store_choice.value
        if message.move_warning:
            warning = message.move_warning[0].upper() + message.move_warning[1:]
            self.notify(warning, title="Stored", severity="warning", markup=False)
        elif message.move_note:
            self.notify(message.move_note, title="Stored", markup=False)
        self.mode = LiveTestMode.RESULT
        self.qapp.go_to_step(7)

    async def on_store_failed(self, message: StoreFailed) -> None:
        self._store_error = message
        other = self._other_store()
        panel = OutcomePanel.store_failed(
            message.problem,
            message.fix,
            message.backend,
            other_store=OTHER_STORE_BUTTON[other] if other is not None else None,
        )
        await self._show_store_failure(message.backend, panel)

    async def on_store_left_key(self, message: StoreLeftKey) -> None:
        self._store_error = StoreFailed(
            message.problem, message.fix, message.backend, key_in_keyring=message.new_entry
        )
        rows: list[tuple[str, str | None]] = [
            ("Key store", message.backend or "none could be opened"),
            ("Problem", message.problem),
            ("Stored now", message.summary),
            ("Fix", message.fix or "—"),
        ]
        panel = OutcomePanel(
            "store-failed",
            "✗ Storing failed, and the keyring could not be put back as it was",
            Fields(rows),
            "The key is still here too. Retry stores it properly; Write to a file keeps a copy; "
            "Discard forgets it here"
            + (" and removes the entry this attempt made." if message.new_entry else "."),
        )
        await self._show_store_failure(message.backend, panel)

    async def _show_store_failure(self, backend: str, panel: OutcomePanel) -> None:
        if backend:
            self.backend_label = backend
        self.mode = LiveTestMode.STORE_FAILED
        other = self._other_store()
        retry = Button("Retry", id="store-retry", variant="primary")
        buttons = [retry]
        if other is not None:
            retry.variant = "default"
            buttons.insert(
                0, Button(OTHER_STORE_BUTTON[other], id="other-store", variant="primary")
            )
        actions = Horizontal(
            *buttons,
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
                KeyRefusingInput(placeholder="~/qlik-api-key.txt", id="rescue-path"),
                Button("Write", id="rescue-write"),
                classes="rescue-row",
            ),
            Static(id="rescue-error", classes="error-line"),
            id="rescue-box",
        )
        rescue.display = False
        await self.replace_result(panel, actions, rescue)
        first = buttons[0]
        first.focus(scroll_visible=False)
        action = str(first.label)
        self.set_nav_status(f"Enter: {action[0].lower()}{action[1:]} · Tab: more")

    def _other_store(self) -> StoreChoice | None:
        """The store to offer first when the chosen one cannot be used here: the session store
        in the demo, else the encrypted file (None when retrying may help, or it was chosen)."""
        failure = self._store_error
        if failure is None or not failure.store_unusable:
            return None
        if self.store_choice is StoreChoice.SESSION:
            return None
        preferred = StoreChoice.SESSION if self.qapp.is_demo else StoreChoice.ENCRYPTED_FILE
        return preferred if preferred is not self.store_choice else None

    @on(Button.Pressed, "#other-store")
    def _use_other_store(self) -> None:
        other = self._other_store()
        if other is not None:
            self._start_store(replace=self._replace_confirmed == self._profile_name(), choice=other)

    @on(Button.Pressed, "#store-retry")
    def _store_retry(self) -> None:
        self.action_store()

    async def storing_worker_crashed(self, message: WorkerCrashed) -> None:
        """A storing worker crashed: its panel says so. Any other (the keyring lookup, a side
        job) is worth a word, not a panel."""
        if message.group == STORE_GROUP and self.mode is LiveTestMode.STORING:
            await self.on_store_failed(
                StoreFailed(
                    f"Storing hit an unexpected {message.error_type}.",
                    "Retry; if it happens again, write the key to a file and report the problem.",
                )
            )
        elif message.group == RESCUE_GROUP and self.mode is LiveTestMode.WRITING:
            self.on_rescue_failed(RescueFailed(f"unexpected {message.error_type}"))
        else:
            self.notify(
                f"{message.description} failed ({message.error_type}).",
                severity="warning",
                markup=False,
            )
            if message.group == DISCARD_GROUP:
                self.qapp.go_to_step(5)  # the key is discarded all the same

    # -- after a failure: write the key to a file, or discard it -----------------------------

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
        self.mode = LiveTestMode.WRITING
        self.write_rescue(Path(text), key)

    @work(
        thread=True,
        exclusive=True,
        group=RESCUE_GROUP,
        exit_on_error=False,
        description="Writing the key to the file the user named",
    )
    def write_rescue(self, path: Path, key: ApiKey) -> None:
        write_rescue_file(self, path, key)

    def on_rescue_written(self, message: RescueWritten) -> None:
        self.state.rescue_path = message.path
        self.mode = LiveTestMode.RESULT
        self.qapp.go_to_step(7)

    def on_rescue_failed(self, message: RescueFailed) -> None:
        self.mode = LiveTestMode.STORE_FAILED
        self.query_one("#rescue-error", Static).update(Content(f"✗ Not written: {message.reason}"))
        self.query_one("#rescue-path", Input).focus()

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        def decided(discard: bool | None) -> None:
            if not discard:
                return
            failure = self._store_error
            self.state.discard_key()
            self.notify("The key was discarded. Paste another one when ready.")
            if failure is not None and failure.key_in_keyring:
                # This attempt created the keyring entry and could not remove it when storing
                # failed (no profile lists it, and no entry was there before): take it out,
                # then go on to the paste step.
                services = self._store_services or self.qapp.services
                self.remove_half_stored_key(services, self.state.profile_name)
            else:
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

    @work(
        thread=True,
        group=DISCARD_GROUP,
        exit_on_error=False,
        description="Removing the discarded key from the key store",
    )
    def remove_half_stored_key(self, services: Services, name: str) -> None:
        from qlik_tui.services.storing import remove_half_stored_key

        self.post_message(HalfStoredKeyRemoved(remove_half_stored_key(services, name)))

    def on_half_stored_key_removed(self, message: HalfStoredKeyRemoved) -> None:
        result = message.result
        if not result.gone:  # the wizard forgot the key; where it stays is said, with the fix
            text = f"{result.summary()} {result.fix or ''}".strip()
            self.notify(text, title="Discarded here", severity="warning", markup=False)
        self.qapp.go_to_step(5)


# -- thread workers: they call the blocking services and post one message, nothing else ------


def look_up_stores(services: Services) -> StoresLookedUp:
    """Where a key can go: the OS keyring's backend, or why it cannot be used here (the same
    probe as the Welcome step's store line)."""
    from qlik_tui.store.secrets import StoreError

    probe = store_probe.probe_store(services)
    if not probe.usable:
        return StoresLookedUp(None, None, probe.reason or probe.headline)
    try:
        name, notice = services.secrets.backend_name, services.secrets.insecure_notice
    except StoreError:
        # The probe found it usable: if it fails now, storing will explain why.
        return StoresLookedUp(None, None, None)
    return StoresLookedUp(name, notice, None)


SHARED_DETAIL = (
    "One key in several profiles: renewing it in one renews it in all of them; revoking it "
    "stops every profile that holds it."
)


def held_elsewhere(
    screen: StoresKey, services: Services, name: str, tenant: Tenant, key: ApiKey
) -> bool:
    """Post ``KeyHeldElsewhere`` (and answer True) when other profiles hold ``key``."""
    from qlik_tui.services.shared_keys import holders
    from qlik_tui.store.profiles import ProfilesFileError

    try:
        everyone = services.profiles.all()
    except ProfilesFileError:
        return False  # the store reads the file again and explains what is wrong with it
    key_id = key.info.key_id
    others = holders(everyone, origin=tenant.origin, key_id=key_id, besides=name)
    if not others or not key_id:
        return False
    screen.post_message(KeyHeldElsewhere(name, key_id, tuple(p.name for p in others)))
    return True


def store_key(
    screen: StoresKey,
    services: Services,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
    replace: bool,
) -> None:
    from qlik_tui.services.results import KeyNotStored, StoreStep
    from qlik_tui.services.storing import free_profile_name
    from qlik_tui.services.storing import store_key as store
    from qlik_tui.store.profiles import ProfilesFileError

    failure: KeyNotStored | None = None
    try:
        stored = store(services, name=name, tenant=tenant, key=key, report=report, replace=replace)
    except KeyNotStored as exc:
        failure = exc
    if failure is None:
        screen.post_message(
            KeyStored(stored.profile, stored.where, stored.move_note(), stored.old_copy_warning())
        )
        return
    if failure.step is StoreStep.NAME_TAKEN and failure.existing is not None:
        try:
            free_name = free_profile_name(services, name)
        except ProfilesFileError:
            free_name = ""
        screen.post_message(NameTaken(name, failure.existing, free_name))
        return
    screen.post_message(store_failure_message(failure))


def store_failure_message(failure: KeyNotStored) -> StoreFailed | StoreLeftKey:
    """The message that tells the screen what ``failure`` left behind: nothing (the panel says
    the key is not stored), or part of the attempt (the panel says exactly which part)."""
    from qlik_tui.services.results import StoreStep

    fix = failure.fix
    if failure.step is StoreStep.NAME:
        fix = "Change the profile name and Retry."
    if not failure.nothing_stored:
        return StoreLeftKey(
            failure.problem, fix, failure.backend, failure.summary(), failure.new_entry_left
        )
    note = failure.keyring_note()
    problem = f"{failure.problem} {note}" if note else failure.problem
    unusable = failure.step is StoreStep.KEYRING
    return StoreFailed(problem, fix, backend=failure.backend, store_unusable=unusable)


def write_rescue_file(screen: StoresKey, path: Path, key: ApiKey) -> None:
    from qlik_tui.services.rescue import RescueFileError, write_key_file

    try:
        written = write_key_file(path, key)
    except RescueFileError as exc:
        screen.post_message(RescueFailed(str(exc)))
        return
    screen.post_message(RescueWritten(written))
