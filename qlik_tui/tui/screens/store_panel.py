"""Storing a proven credential (an API key, or an OAuth client's secret: ``tui/storable.py``):
the store form (profile name and store), the store lookup, the store worker (one all-or-nothing
service call, ``Storable.store``), the Replace / Keep both and "another profile holds this key"
questions and, when storing fails, the "storing failed" panel: Retry, another store, Write to a
file, or Discard (confirmed). No path here drops the secret without the user deciding so; the
panel posts ``StorePanel.Finished`` once it is stored, written to a file or discarded, and
``StorePanel.Changed`` whenever its mode or its one-line hint changes.

Its thread workers call blocking services and post one message each, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import InvalidProfile, validate_profile_name
from qlik_tui.tui.host import AppHost
from qlik_tui.tui.messages import ReportsWorkerEnds, WorkerCrashed
from qlik_tui.tui.widgets import store_line
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.outcome_panel import Fields, OutcomePanel
from qlik_tui.tui.widgets.store_form import StoreChoice, StoreForm

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.services.results import HalfStoredKeyRemoval, KeyNotStored
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.storable import Storable

LOOKUP_GROUP = "keyring-lookup"
STORE_GROUP = "store"
RESCUE_GROUP = "rescue"
DISCARD_GROUP = "discard"
DISCARD_QUESTION = "Discard the {noun}? It is not stored anywhere, and Qlik will not show it again."

REPLACE_DETAIL = (
    "Replace stores this key in place of the old one (Qlik will not show the old key again). "
    "Keep both stores this key under another name."
)
SHARED_DETAIL = (
    "One key in several profiles: renewing it in one renews it in all of them; revoking it "
    "stops every profile that holds it."
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


class StoreMode(str, Enum):
    """What the panel shows (the value is the class its screen shows it by)."""

    FORM = "store-form"  # the store form (or, after a question, the panel it was asked from)
    STORING = "storing"  # the store worker runs: the screen shows its spinner
    FAILED = "store-failed"  # the storing-failed panel
    WRITING = "writing"  # the key goes to a file: spinner above the storing-failed panel

    @property
    def busy(self) -> bool:
        return self in (StoreMode.STORING, StoreMode.WRITING)


class StoreEnd(Enum):
    """How the key left the panel's hands."""

    STORED = "stored"
    RESCUED = "rescued"  # written to a file the user named
    DISCARDED = "discarded"  # the user confirmed


class StorePanel(ReportsWorkerEnds, Vertical):
    """``StorePanel(tenant, key)`` stores ``key`` for the wizard once ``show_form(report)``
    says a live test proved it; it records what became of the key in the wizard's state and
    then posts ``Finished``. Mounted with the live test, it looks up the key stores while the
    test runs (the form then names them at once), and shows nothing before the pass."""

    DEFAULT_CSS = """
    StorePanel {
        height: auto;
    }
    """

    # -- what the panel tells its screen -----------------------------------------------------

    @dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
    class Finished(Message):
        """The key was stored, written to a file, or discarded (the wizard's state says
        where)."""

        end: StoreEnd

    @dataclass(repr=False, eq=False)
    class Changed(Message):
        """The panel's mode or its one-line hint (what Enter does) changed."""

        mode: StoreMode
        hint: str

    # -- what its workers tell the panel (none of these carries the key) ---------------------

    @dataclass(repr=False, eq=False)
    class StoresLookedUp(Message):
        """Where a key can go (looked up in a thread: the keyring may block): the OS keyring
        ``backend`` when it is usable, else ``keyring_problem`` says why not."""

        backend: str | None
        insecure_notice: str | None
        keyring_problem: str | None

    @dataclass(repr=False, eq=False)
    class KeyStored(Message):
        profile: Profile
        where: str  # the store, described for people
        # After a move between stores: the old copy was removed, or (warning) it stayed.
        move_note: str | None = None
        move_warning: str | None = None

    @dataclass(repr=False, eq=False)
    class StoreFailed(Message):
        """The key store or the profiles file refused; ``problem`` and ``fix`` are
        user-facing."""

        problem: str
        fix: str
        backend: str = ""  # "" when not even the backend could be opened
        # The profile alone failed: the key store holds the entry this attempt made.
        key_in_key_store: bool = field(default=False, kw_only=True)
        # The chosen store cannot be used at all here (no keyring, a locked file): retrying
        # the same store will not help, another store will.
        store_unusable: bool = field(default=False, kw_only=True)

    @dataclass(repr=False, eq=False)
    class StoreLeftKey(Message):
        """Storing failed and putting the key store back failed too: part of the attempt
        stayed. ``summary`` says exactly what is stored now."""

        problem: str
        fix: str
        backend: str
        summary: str
        new_entry: bool  # the entry is one this attempt created (Discard removes it)

    @dataclass(repr=False, eq=False)
    class NameTaken(Message):
        """A profile already has the chosen name; the user decides: Replace, or Keep both."""

        name: str
        existing: Profile
        free_name: str  # a name no profile has yet, offered for "keep both"

    @dataclass(repr=False, eq=False)
    class KeyHeldElsewhere(Message):
        """Other profiles already hold the key (same key id, or client id, same tenant): the
        user decides whether to store it once more (renewing or revoking it then touches every
        holder). ``label`` names it: "Key <id>", "Client <id>"."""

        name: str
        label: str
        holders: tuple[str, ...]

    @dataclass(repr=False, eq=False)
    class RescueWritten(Message):
        path: Path

    @dataclass(repr=False, eq=False)
    class RescueFailed(Message):
        reason: str

    @dataclass(repr=False, eq=False)
    class HalfStoredKeyRemoved(Message):
        """What became of the entry a failed attempt left behind, after a Discard."""

        result: HalfStoredKeyRemoval

    # -- the panel ---------------------------------------------------------------------------

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.credential: Storable | None = None  # what to store, once a test proved it
        self.mode = StoreMode.FORM
        self.hint = ""
        self.backend_label = "the OS keyring"  # until the lookup names the backend
        self.stores_found: StorePanel.StoresLookedUp | None = None
        self.store_choice = StoreChoice.KEYRING  # the store of the last Store key
        self._store_services: Services | None = None
        self._store_error: StorePanel.StoreFailed | None = None
        self._replace_confirmed: str | None = None  # the taken name the user chose to replace
        self._shared_confirmed: str | None = None  # the name to store a shared key under anyway

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    def on_mount(self) -> None:
        self.look_up_stores(self.qapp.lasting_services)

    @property
    def noun(self) -> str:
        return self.credential.noun if self.credential is not None else "key"

    async def show_form(self, proven: Storable) -> None:
        """A test proved ``proven`` (an API key, an OAuth client): show the form to store it."""
        self.credential = proven
        form = self._store_form()
        await self._replace(form)
        self._set_mode(StoreMode.FORM)
        self._say(form.store_choice.enter_does(self.noun))

    def _set_mode(self, mode: StoreMode) -> None:
        """Each change tells the screen (its spinner's clock restarts, its nav refreshes);
        the hint is cleared until the new mode says what Enter does."""
        self.mode, self.hint = mode, ""
        self.post_message(self.Changed(mode, ""))

    def _say(self, hint: str) -> None:
        self.hint = hint
        self.post_message(self.Changed(self.mode, hint))

    async def _replace(self, *widgets: Widget) -> None:
        await self.remove_children()
        await self.mount_all(widgets)

    @property
    def storing_label(self) -> str:
        return STORING_IN.get(self.store_choice, self.backend_label)

    # -- before storing: where the key will go, under which name -----------------------------

    @work(
        thread=True,
        group=LOOKUP_GROUP,
        exit_on_error=False,
        description="Looking up where the key can be stored",
    )
    def look_up_stores(self, services: Services) -> None:
        self.post_message(find_stores(services))

    def on_store_panel_stores_looked_up(self, message: StorePanel.StoresLookedUp) -> None:
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

    def _store_form(self) -> StoreForm:
        """The profile name field, the store choice and the hint saying what Store key does."""
        assert self.credential is not None
        choices: tuple[StoreChoice, ...] = (StoreChoice.KEYRING, StoreChoice.ENCRYPTED_FILE)
        if self.qapp.is_demo:
            choices = (*choices, StoreChoice.SESSION)
        credential = self.credential
        name = credential.chosen_name(self.qapp.state) or credential.default_name()
        form = StoreForm(name, choices=choices, noun=credential.noun, action=credential.action)
        self._show_stores(form)
        return form

    @on(StoreForm.ChoiceChanged)
    def _choice_changed(self, event: StoreForm.ChoiceChanged) -> None:
        event.stop()
        if self.mode is StoreMode.FORM:
            self._say(event.form.store_choice.enter_does(self.noun))

    def _profile_name(self) -> str:
        for form in self.query(StoreForm).results(StoreForm):
            return form.profile_name
        if self.credential is None:
            return ""
        return self.credential.chosen_name(self.qapp.state)

    # -- storing -----------------------------------------------------------------------------

    @on(StoreForm.StoreRequested)
    def store(self) -> None:
        """Store the key under the name in the form (Store key, Enter in the name, Retry)."""
        # A Retry after the user chose Replace for this very name keeps that answer.
        self._start_store(replace=self._replace_confirmed == self._profile_name())

    def _start_store(self, *, replace: bool, choice: StoreChoice | None = None) -> None:
        credential = self.credential
        if self.mode not in (StoreMode.FORM, StoreMode.FAILED) or credential is None:
            return
        name = self._profile_name()
        try:
            validate_profile_name(name)
        except InvalidProfile as exc:
            self.notify(str(exc), title="Profile name", severity="error", markup=False)
            return
        credential.record_name(self.qapp.state, name)
        for form in self.query(StoreForm).results(StoreForm):
            choice = choice or form.store_choice
        self.store_choice = choice = choice or self.store_choice
        services = self.qapp.use_session_store(choice is StoreChoice.SESSION)
        if choice is not StoreChoice.ENCRYPTED_FILE:
            self._run_store(services, name, replace=replace)
            return
        from qlik_tui.tui.screens.passphrase import unlock_for_writing

        unlock_for_writing(
            self.screen,
            services,
            f"to store the {credential.noun}",
            lambda writing: self._run_store(writing, name, replace=replace),
            lambda: self._say("Not stored: the encrypted file needs its passphrase"),
        )

    def _run_store(self, services: Services, name: str, *, replace: bool) -> None:
        self._store_services = services  # a Discard after a failure cleans up the same store
        self._set_mode(StoreMode.STORING)
        worker = self.store_worker(
            services, name, replace=replace, shared_ok=self._shared_confirmed == name
        )
        worker.description = f"Storing the {self.noun} in {self.storing_label}"

    @work(
        thread=True,
        exclusive=True,
        group=STORE_GROUP,
        exit_on_error=False,
        description="Storing the secret in the OS keyring",
    )
    def store_worker(
        self, services: Services, name: str, *, replace: bool, shared_ok: bool = False
    ) -> None:
        credential = self.credential
        assert credential is not None
        if not shared_ok:
            held = held_elsewhere(services, name, credential)
            if held is not None:
                self.post_message(held)
                return
        self.post_message(try_storing(services, name, credential, replace))

    def on_store_panel_key_held_elsewhere(self, message: StorePanel.KeyHeldElsewhere) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        self._set_mode(StoreMode.FORM)
        holders = ", ".join(quoted_name(n) for n in message.holders)
        question = (
            f"{message.label} is already stored in profile {holders}. Store it as "
            f"{quoted_name(message.name)} too?"
        )

        def decided(store_too: bool | None) -> None:
            if store_too:
                self._shared_confirmed = message.name
                self._start_store(replace=self._replace_confirmed == message.name)
                return
            self._say(f"Not stored: profile {holders} already holds this {self.noun}")

        self.app.push_screen(
            ConfirmModal(
                question,
                confirm_label="Store it too",
                cancel_label="Don't store",
                detail=SHARED_DETAIL,
            ),
            decided,
        )

    def on_store_panel_name_taken(self, message: StorePanel.NameTaken) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        self._set_mode(StoreMode.FORM)
        existing = message.existing
        outcome = existing.last_outcome or "never checked"
        checked = f", checked {existing.last_checked_at}" if existing.last_checked_at else ""
        held = (
            f"client {existing.client_id}"
            if existing.is_oauth_client
            else f"key {existing.key_id or '(no key id)'}"
        )
        question = (
            f"Profile {quoted_name(message.name)} already holds {held} (last outcome: "
            f"{outcome}{checked}). Replace it with this {self.noun}, or keep both?"
        )

        def decided(replace: bool | None) -> None:
            if replace:
                self._replace_confirmed = message.name
                self._start_store(replace=True)
                return
            for form in self.query(StoreForm).results(StoreForm):
                form.offer_name(message.free_name)
            self._say(f"Enter stores the {self.noun} under the new name")

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

    def on_store_panel_key_stored(self, message: StorePanel.KeyStored) -> None:
        if self.credential is not None:
            self.credential.record_stored(
                self.qapp.state,
                message.profile,
                message.where,
                session_only=self.store_choice is StoreChoice.SESSION,
            )
        if message.move_warning:
            warning = message.move_warning[0].upper() + message.move_warning[1:]
            self.notify(warning, title="Stored", severity="warning", markup=False)
        elif message.move_note:
            self.notify(message.move_note, title="Stored", markup=False)
        self._set_mode(StoreMode.FORM)
        self.post_message(self.Finished(StoreEnd.STORED))

    async def on_store_panel_store_failed(self, message: StorePanel.StoreFailed) -> None:
        self._store_error = message
        other = self._other_store()
        panel = OutcomePanel.store_failed(
            message.problem,
            message.fix,
            message.backend,
            other_store=OTHER_STORE_BUTTON[other] if other is not None else None,
            noun=self.noun,
        )
        await self._show_store_failure(message.backend, panel)

    async def on_store_panel_store_left_key(self, message: StorePanel.StoreLeftKey) -> None:
        self._store_error = self.StoreFailed(
            message.problem, message.fix, message.backend, key_in_key_store=message.new_entry
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
            f"The {self.noun} is still here too. Retry stores it properly; Write to a file keeps "
            "a copy; Discard forgets it here"
            + (" and removes the entry this attempt made." if message.new_entry else "."),
        )
        await self._show_store_failure(message.backend, panel)

    async def _show_store_failure(self, backend: str, panel: OutcomePanel) -> None:
        if backend:
            self.backend_label = backend
        self._set_mode(StoreMode.FAILED)
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
                f"Write the {self.noun} to a new file (mode 0600; an existing file is never "
                "overwritten). Move it into a password manager afterwards.",
                classes="paragraph",
            ),
            Horizontal(
                KeyRefusingInput(
                    placeholder=self.credential.rescue_placeholder
                    if self.credential is not None
                    else "",
                    id="rescue-path",
                ),
                Button("Write", id="rescue-write"),
                classes="rescue-row",
            ),
            Static(id="rescue-error", classes="error-line"),
            id="rescue-box",
        )
        rescue.display = False
        await self._replace(panel, actions, rescue)
        first = buttons[0]
        first.focus(scroll_visible=False)
        action = str(first.label)
        self._say(f"Enter: {action[0].lower()}{action[1:]} · Tab: more")

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
        self.store()

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        """A storing worker crashed: its panel says so. Any other (the store lookup, a
        discard's clean-up) is worth a word, not a panel."""
        message.stop()
        if message.group == STORE_GROUP and self.mode is StoreMode.STORING:
            await self.on_store_panel_store_failed(
                self.StoreFailed(
                    f"Storing hit an unexpected {message.error_type}.",
                    f"Retry; if it happens again, write the {self.noun} to a file and report the "
                    "problem.",
                )
            )
        elif message.group == RESCUE_GROUP and self.mode is StoreMode.WRITING:
            self.on_store_panel_rescue_failed(self.RescueFailed(f"unexpected {message.error_type}"))
        else:
            self.notify(
                f"{message.description} failed ({message.error_type}).",
                severity="warning",
                markup=False,
            )
            if message.group == DISCARD_GROUP:
                self.post_message(self.Finished(StoreEnd.DISCARDED))  # discarded all the same

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
        self._set_mode(StoreMode.WRITING)
        self.rescue_worker(Path(text))

    @work(
        thread=True,
        exclusive=True,
        group=RESCUE_GROUP,
        exit_on_error=False,
        description="Writing the secret to the file the user named",
    )
    def rescue_worker(self, path: Path) -> None:
        assert self.credential is not None
        self.post_message(write_rescue(path, self.credential))

    def on_store_panel_rescue_written(self, message: StorePanel.RescueWritten) -> None:
        if self.credential is not None:
            self.credential.record_rescued(self.qapp.state, message.path)
        self._set_mode(StoreMode.FORM)
        self.post_message(self.Finished(StoreEnd.RESCUED))

    def on_store_panel_rescue_failed(self, message: StorePanel.RescueFailed) -> None:
        self._set_mode(StoreMode.FAILED)
        self.query_one("#rescue-error", Static).update(Content(f"✗ Not written: {message.reason}"))
        self.query_one("#rescue-path", Input).focus()

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        from qlik_tui.tui.screens.modals import ConfirmModal

        def decided(discard: bool | None) -> None:
            if not discard:
                return
            failure = self._store_error
            credential = self.credential
            if credential is None:
                return
            name = self._profile_name()
            credential.discard(self.qapp.state)
            self.notify(f"The {self.noun} was discarded. Paste another one when ready.")
            if failure is not None and failure.key_in_key_store:
                # This attempt created the key store's entry and could not remove it when
                # storing failed (no profile lists it, and no entry was there before): take it
                # out, then finish.
                services = self._store_services or self.qapp.services
                self.discard_worker(services, name, credential.secret_service)
            else:
                self.post_message(self.Finished(StoreEnd.DISCARDED))

        self.app.push_screen(
            ConfirmModal(
                DISCARD_QUESTION.format(noun=self.noun),
                confirm_label=f"Discard the {self.noun}",
                cancel_label="Keep it",
                danger=True,
            ),
            decided,
        )

    @work(
        thread=True,
        group=DISCARD_GROUP,
        exit_on_error=False,
        description="Removing the discarded secret from the key store",
    )
    def discard_worker(self, services: Services, name: str, service: str | None) -> None:
        from qlik_tui.services.storing import remove_half_stored_key

        removal = remove_half_stored_key(services, name, service=service)
        self.post_message(self.HalfStoredKeyRemoved(removal))

    def on_store_panel_half_stored_key_removed(
        self, message: StorePanel.HalfStoredKeyRemoved
    ) -> None:
        result = message.result
        if not result.gone:  # the wizard forgot the key; where it stays is said, with the fix
            text = f"{result.summary()} {result.fix or ''}".strip()
            self.notify(text, title="Discarded here", severity="warning", markup=False)
        self.post_message(self.Finished(StoreEnd.DISCARDED))


# -- what the thread workers run: blocking services in, one message out -----------------------


def find_stores(services: Services) -> StorePanel.StoresLookedUp:
    """Where a key can go: the OS keyring's backend, or why it cannot be used here (the same
    probe as the Welcome step's store line)."""
    from qlik_tui.store.secrets import StoreError

    probe = store_line.probe_store(services)
    if not probe.usable:
        return StorePanel.StoresLookedUp(None, None, probe.reason or probe.headline)
    try:
        name, notice = services.secrets.backend_name, services.secrets.insecure_notice
    except StoreError:
        # The probe found it usable: if it fails now, storing will explain why.
        return StorePanel.StoresLookedUp(None, None, None)
    return StorePanel.StoresLookedUp(name, notice, None)


def held_elsewhere(
    services: Services, name: str, credential: Storable
) -> StorePanel.KeyHeldElsewhere | None:
    """The question to ask when other profiles hold ``credential`` (None when none does)."""
    from qlik_tui.store.profiles import ProfilesFileError

    try:
        everyone = services.profiles.all()
    except ProfilesFileError:
        return None  # the store reads the file again and explains what is wrong with it
    held = credential.held_by(everyone, name)
    if held is None:
        return None
    return StorePanel.KeyHeldElsewhere(name, held.label, held.names)


def try_storing(
    services: Services, name: str, credential: Storable, replace: bool
) -> StorePanel.KeyStored | StorePanel.NameTaken | StorePanel.StoreFailed | StorePanel.StoreLeftKey:
    """Store the credential (all or nothing): what became of it, as the panel's message."""
    from qlik_tui.services.results import KeyNotStored, StoreStep
    from qlik_tui.services.storing import free_profile_name
    from qlik_tui.store.profiles import ProfilesFileError

    failure: KeyNotStored | None = None
    try:
        stored = credential.store(services, name, replace=replace)
    except KeyNotStored as exc:
        failure = exc
    if failure is None:
        return StorePanel.KeyStored(
            stored.profile, stored.where, stored.move_note(), stored.old_copy_warning()
        )
    if failure.step is StoreStep.NAME_TAKEN and failure.existing is not None:
        try:
            free_name = free_profile_name(services, name)
        except ProfilesFileError:
            free_name = ""
        return StorePanel.NameTaken(name, failure.existing, free_name)
    return failure_message(failure)


def failure_message(failure: KeyNotStored) -> StorePanel.StoreFailed | StorePanel.StoreLeftKey:
    """The message that tells the panel what ``failure`` left behind: nothing (the panel says
    the key is not stored), or part of the attempt (the panel says exactly which part)."""
    from qlik_tui.services.results import StoreStep

    fix = failure.fix
    if failure.step is StoreStep.NAME:
        fix = "Change the profile name and Retry."
    if not failure.nothing_stored:
        return StorePanel.StoreLeftKey(
            failure.problem, fix, failure.backend, failure.summary(), failure.new_entry_left
        )
    note = failure.keyring_note()
    problem = f"{failure.problem} {note}" if note else failure.problem
    unusable = failure.step is StoreStep.KEYRING  # the key store itself could not be used
    return StorePanel.StoreFailed(problem, fix, backend=failure.backend, store_unusable=unusable)


def write_rescue(
    path: Path, credential: Storable
) -> StorePanel.RescueWritten | StorePanel.RescueFailed:
    from qlik_tui.services.rescue import RescueFileError

    try:
        written = credential.write_to(path)
    except RescueFileError as exc:
        return StorePanel.RescueFailed(str(exc))
    return StorePanel.RescueWritten(written)
