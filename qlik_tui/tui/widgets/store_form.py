"""The store form: the profile name, where the key goes (the OS keyring, qlik-tui's encrypted
file, or in the demo "this session only") and a hint saying exactly what Store key will do. It
posts ``StoreForm.StoreRequested`` when the user submits the name; the screen runs the store.

Where the key goes is always shown and always the user's to change. When the OS keyring is not
usable here, the form preselects the safe alternative (and the hint says why); storing in the
encrypted file still needs the passphrase the user types, so nothing happens silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Select, Static

from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput


class StoreChoice(str, Enum):
    KEYRING = "keyring"
    ENCRYPTED_FILE = "encrypted-file"
    SESSION = "session"  # the demo's practice keys only: in memory, gone at quit

    @property
    def label(self) -> str:
        return _LABELS[self]

    def enter_does(self, noun: str = "key") -> str:
        """What Enter (Store) does with this choice, for the always-visible nav line."""
        return _ENTER_DOES[self].format(noun=noun)


_ENTER_DOES = {
    StoreChoice.KEYRING: "Enter stores the {noun}",
    StoreChoice.ENCRYPTED_FILE: "Enter: passphrase, then the encrypted file",
    StoreChoice.SESSION: "Enter keeps it for this session only",
}
_LABELS = {
    StoreChoice.KEYRING: "OS keyring",
    StoreChoice.ENCRYPTED_FILE: "Encrypted file",
    StoreChoice.SESSION: "This session only",
}


class StoreForm(Vertical):
    DEFAULT_CSS = """
    StoreForm {
        height: auto;
    }
    StoreForm > .profile-row {
        margin: 0;  /* at 80x24 the hint needs the line, when no keyring is usable */
    }
    """

    @dataclass(repr=False, eq=False)  # Textual's repr: no fields
    class StoreRequested(Message):
        """The user submitted the profile name: store the key under ``form.profile_name``."""

        form: StoreForm

        @property
        def control(self) -> StoreForm:
            return self.form

    @dataclass(repr=False, eq=False)
    class ChoiceChanged(Message):
        """Where Store key puts the key changed (the user's choice, or a preselection)."""

        form: StoreForm

        @property
        def control(self) -> StoreForm:
            return self.form

    def __init__(
        self,
        name: str,
        *,
        choices: Sequence[StoreChoice] = (StoreChoice.KEYRING, StoreChoice.ENCRYPTED_FILE),
        noun: str = "key",
        action: str = "Store key",
    ) -> None:
        super().__init__()
        self.noun = noun  # what is stored: "key", "client secret"
        self.action = action  # the button that stores it: "Store key", "Store secret"
        self._initial_name = name
        self.choices = tuple(choices)
        self._choice = self.choices[0]
        self._chosen_by_user = False
        self._backend = "the OS keyring"
        self._warning: str | None = None
        self._keyring_problem: str | None = None  # set when the OS keyring is not usable here

    def compose(self) -> ComposeResult:
        with Horizontal(classes="profile-row"):
            yield Static("Profile name", classes="field-label")
            yield KeyRefusingInput(
                self._initial_name, id="profile-name", placeholder="a short name, e.g. work"
            )
            yield Select(
                [(choice.label, choice) for choice in self.choices],
                value=self._choice,
                allow_blank=False,
                id="store-choice",
            )
        yield Static(id="store-hint", classes="hint")

    def on_mount(self) -> None:
        self._show_hint()

    @property
    def profile_name(self) -> str:
        return self.query_one("#profile-name", Input).value.strip()

    @property
    def store_choice(self) -> StoreChoice:
        return self._choice

    def offer_name(self, name: str) -> None:
        """Put ``name`` in the field (when there is one) and give the field the focus."""
        field = self.query_one("#profile-name", Input)
        field.value = name or field.value
        field.focus()

    def show_backend(self, backend: str, insecure_notice: str | None) -> None:
        """The OS keyring is usable: ``backend`` is where the keyring choice puts the key."""
        self._backend = backend
        self._warning = insecure_notice
        self._keyring_problem = None
        self._refresh()

    def keyring_unusable(self, problem: str) -> None:
        """No usable OS keyring here (``problem`` says why): unless the user already chose,
        preselect the first other choice; the hint explains."""
        self._keyring_problem = problem
        if not self._chosen_by_user and self._choice is StoreChoice.KEYRING:
            others = [choice for choice in self.choices if choice is not StoreChoice.KEYRING]
            self._choice = others[-1] if others else self._choice
            if self.is_mounted:
                self.query_one("#store-choice", Select).value = self._choice
            self.post_message(self.ChoiceChanged(self))
        self._refresh()

    def _refresh(self) -> None:
        if self.is_mounted:
            self._show_hint()

    def hint_text(self) -> str:
        """What Store key will do with the current choice."""
        choice = self._choice
        if choice is StoreChoice.ENCRYPTED_FILE:
            text = (
                f"{self.action} asks for a passphrase, then keeps the {self.noun} encrypted in "
                "a file."
            )
        elif choice is StoreChoice.SESSION:
            text = (
                f"{self.action} keeps this practice {self.noun} in memory until you quit: "
                "nothing on disk."
            )
        elif self._keyring_problem:
            return f"⚠ No usable OS keyring here ({self._keyring_problem}): storing would fail."
        else:
            text = f"{self.action} puts the {self.noun} in {self._backend} under this profile name."
            if self._warning:
                text += f"\n⚠ {self._warning}"
        if choice is not StoreChoice.KEYRING and self._keyring_problem:
            text = f"No usable OS keyring here ({self._keyring_problem}).\n{text}"
        return text

    def _show_hint(self) -> None:
        hint = self.query_one("#store-hint", Static)
        warn = self._choice is StoreChoice.KEYRING and bool(self._warning or self._keyring_problem)
        hint.set_class(warn, "-warning")
        hint.update(Content(self.hint_text()))

    @on(Select.Changed, "#store-choice")
    def _choice_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if not isinstance(value, StoreChoice) or value is self._choice:
            return
        self._choice = value
        self._chosen_by_user = True
        self._show_hint()
        self.post_message(self.ChoiceChanged(self))

    @on(Input.Submitted, "#profile-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.StoreRequested(self))
