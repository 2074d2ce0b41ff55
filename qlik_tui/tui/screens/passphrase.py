"""The encrypted key file's passphrase, asked in a dialog: chosen (typed twice) when the file does
not exist yet, typed once to unlock it otherwise. The dialog unlocks the file itself, in a
thread (the key derivation takes a fraction of a second), and answers True once it is unlocked.
A wrong passphrase, a damaged file or a newer format is explained in the dialog and changes
nothing; Esc answers False.

``unlock_then(screen, stores, purpose, then, creating=False)`` is how screens use it: ``then``
runs at once when no passphrase is needed (the file is unlocked already, a
``QLIK_TUI_PASSPHRASE_FILE`` gives it, or there is no file to read), else after the dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static

from qlik_tui.store.key_stores import KeyStores, in_encrypted_file
from qlik_tui.store.passphrase import MIN_NEW_PASSPHRASE_CHARS, passphrase_file_configured
from qlik_tui.tui.messages import ReportsWorkerEnds, WorkerCrashed
from qlik_tui.tui.widgets.secret_input import SecretInput

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.store.profiles import Profile

UNLOCK_GROUP = "unlock-encrypted-file"


class Passphrase:
    """The typed passphrase on its way to the unlocking thread; its repr hides it."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return "Passphrase(hidden)"

    def __call__(self) -> str:
        return self._text


@dataclass(repr=False, eq=False)
class Unlocked(Message):
    """The file is unlocked: its key calls run without asking from now on."""


@dataclass(repr=False, eq=False)
class UnlockFailed(Message):
    problem: str
    fix: str


def passphrase_needed(stores: KeyStores, *, creating: bool) -> bool:
    """Whether a key call on the encrypted file would need a passphrase from the user: not when
    unlocked already, nor when ``QLIK_TUI_PASSPHRASE_FILE`` names one, nor (unless ``creating``)
    when there is no file (reading or deleting nothing needs no passphrase)."""
    if stores.encrypted_unlocked or passphrase_file_configured():
        return False
    return creating or stores.encrypted_file_exists()


def unlock_then(
    screen: Screen[Any],
    stores: KeyStores,
    purpose: str,
    then: Callable[[bool], object],
    *,
    creating: bool = False,
) -> None:
    """Make sure the encrypted file can be used ``purpose`` ("to check 2 keys kept there"),
    then call ``then(unlocked)``: True when no passphrase was needed or the dialog unlocked
    the file, False when the user cancelled it."""
    if not passphrase_needed(stores, creating=creating):
        then(True)
        return

    def answered(unlocked: bool | None) -> None:
        then(bool(unlocked))

    screen.app.push_screen(PassphraseModal(stores, purpose), answered)


def unlock_for_profiles(
    screen: Screen[Any],
    stores: KeyStores,
    profiles: Iterable[Profile],
    purpose: str,
    then: Callable[[], object],
) -> None:
    """Run ``then`` once the encrypted file can be read, when one of ``profiles`` keeps its key
    there. A cancelled dialog runs ``then`` too: each of those keys then reports that the file
    stayed locked (the services say so), and the others go ahead."""
    if not any(in_encrypted_file(profile) for profile in profiles):
        then()
        return
    unlock_then(screen, stores, purpose, lambda _unlocked: then())


def unlock_for_writing(
    screen: Screen[Any],
    services: Services,
    purpose: str,
    then: Callable[[Services], object],
    refused: Callable[[], object],
) -> None:
    """Call ``then(services writing to the encrypted file)`` once its passphrase is given (or
    chosen, for a new file), ``refused()`` when the user cancelled the dialog."""
    from qlik_tui.store.key_stores import KeyStoreKind

    def unlocked(ready: bool) -> None:
        if ready:
            then(services.storing_in(KeyStoreKind.ENCRYPTED_FILE))
        else:
            refused()

    unlock_then(screen, services.stores, purpose, unlocked, creating=True)


class PassphraseModal(ReportsWorkerEnds, ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#passphrase"

    def __init__(self, stores: KeyStores, purpose: str) -> None:
        super().__init__(classes="dialog-screen")
        self.stores = stores
        self.purpose = purpose
        self.creating = not stores.encrypted_file_exists()

    def compose(self) -> ComposeResult:
        path = self.stores.encrypted_path
        with Vertical(classes="dialog", id="passphrase-dialog"):
            if self.creating:
                yield Static(
                    "Choose a passphrase for qlik-tui's encrypted key file",
                    classes="dialog-question",
                )
                detail = (
                    f"The file is created {self.purpose}: {path}. Every key in it is encrypted "
                    f"with this passphrase (at least {MIN_NEW_PASSPHRASE_CHARS} characters). "
                    "Nobody can recover it: keep it in your password manager."
                )
            else:
                yield Static("Unlock qlik-tui's encrypted key file", classes="dialog-question")
                detail = f"Type its passphrase {self.purpose}. File: {path}"
            yield Static(Content(detail), classes="dialog-detail")
            # SecretInput: masked, never copied, its messages' reprs (logged) hide the value.
            yield SecretInput(placeholder="passphrase", id="passphrase")
            if self.creating:
                yield SecretInput(placeholder="the same passphrase again", id="passphrase-again")
            yield Static(id="passphrase-error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    "Create the file" if self.creating else "Unlock",
                    id="unlock",
                    variant="primary",
                )

    # -- the user's answer -------------------------------------------------------------------

    @on(SecretInput.Submitted, "#passphrase")
    def _first_submitted(self) -> None:
        if self.creating:
            self.query_one("#passphrase-again", Input).focus()
        else:
            self._unlock()

    @on(SecretInput.Submitted, "#passphrase-again")
    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        if self.is_unlocking:
            return
        text = self.query_one("#passphrase", Input).value
        problem = self._refusal(text)
        if problem is not None:
            self._show_error(problem)
            return
        self._show_error("Unlocking… (deriving the key takes a moment)", error=False)
        self.query_one("#unlock", Button).disabled = True
        # Emptied now, not on a refusal: what is typed while the file is unlocking (a second
        # try, after a typo noticed) is kept when the refusal arrives.
        for field in self.query(Input).results(Input):
            field.value = ""
        self.query_one("#passphrase", Input).focus()
        self.unlock(Passphrase(text))

    def _refusal(self, text: str) -> str | None:
        if not text:
            return "Type the passphrase first."
        if not self.creating:
            return None
        if len(text) < MIN_NEW_PASSPHRASE_CHARS:
            return f"Choose at least {MIN_NEW_PASSPHRASE_CHARS} characters."
        if text != self.query_one("#passphrase-again", Input).value:
            return "The two passphrases differ: type them again."
        return None

    @property
    def is_unlocking(self) -> bool:
        return self.query_one("#unlock", Button).disabled

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.workers.cancel_group(self, UNLOCK_GROUP)
        self.dismiss(False)

    # -- the unlocking thread, and what it found ---------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group=UNLOCK_GROUP,
        exit_on_error=False,
        description="Unlocking the encrypted key file",
    )
    def unlock(self, passphrase: Passphrase) -> None:
        from qlik_tui.services.unlocking import unlock_encrypted_file
        from qlik_tui.store.errors import StoreError

        failure: UnlockFailed | None = None
        try:
            unlock_encrypted_file(self.stores, passphrase)
        except StoreError as exc:
            failure = UnlockFailed(exc.problem, exc.fix)
        self.post_message(failure or Unlocked())

    def on_unlocked(self) -> None:
        self.dismiss(True)

    def on_unlock_failed(self, message: UnlockFailed) -> None:
        self._retry(f"✗ {message.problem} {message.fix}".strip())

    def on_worker_crashed(self, message: WorkerCrashed) -> None:
        self._retry(f"✗ Unlocking hit an unexpected {message.error_type}. Try again.")

    def _retry(self, problem: str) -> None:
        self.query_one("#unlock", Button).disabled = False
        self._show_error(problem)
        if self.focused is None or self.focused.id not in ("passphrase", "passphrase-again"):
            self.query_one("#passphrase", Input).focus()

    def _show_error(self, text: str, *, error: bool = True) -> None:
        line = self.query_one("#passphrase-error", Static)
        line.set_class(error, "error-line")
        line.update(Content(text))
