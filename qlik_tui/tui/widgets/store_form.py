"""The store form: the profile name and where Store key puts the key. It posts
``StoreForm.StoreRequested`` when the user submits the name; the screen runs the store."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput


class StoreForm(Vertical):
    DEFAULT_CSS = """
    StoreForm {
        height: auto;
    }
    """

    @dataclass(repr=False, eq=False)  # Textual's repr: no fields
    class StoreRequested(Message):
        """The user submitted the profile name: store the key under ``form.profile_name``."""

        form: StoreForm

        @property
        def control(self) -> StoreForm:
            return self.form

    def __init__(self, name: str) -> None:
        super().__init__()
        self._initial_name = name
        self._hint = "Store key puts the key in the OS keyring under this profile name."
        self._warning: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="profile-row"):
            yield Static("Profile name", classes="field-label")
            yield KeyRefusingInput(
                self._initial_name, id="profile-name", placeholder="a short name, e.g. work"
            )
        yield Static(id="store-hint", classes="hint")

    def on_mount(self) -> None:
        self._show_hint()

    @property
    def profile_name(self) -> str:
        return self.query_one("#profile-name", Input).value.strip()

    def offer_name(self, name: str) -> None:
        """Put ``name`` in the field (when there is one) and give the field the focus."""
        field = self.query_one("#profile-name", Input)
        field.value = name or field.value
        field.focus()

    def show_backend(self, backend: str, insecure_notice: str | None) -> None:
        self._hint = f"Store key puts the key in {backend} under this profile name."
        self._warning = insecure_notice
        if self.is_mounted:
            self._show_hint()

    def _show_hint(self) -> None:
        hint = self.query_one("#store-hint", Static)
        text = self._hint
        if self._warning:
            text += f"\n⚠ {self._warning}"
            hint.add_class("-warning")
        hint.update(Content(text))

    @on(Input.Submitted, "#profile-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.StoreRequested(self))
