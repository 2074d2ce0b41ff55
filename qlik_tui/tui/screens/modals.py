"""Small modal dialogs: a yes/no question, and the sandbox's "your new key, shown once"."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


class ConfirmModal(ModalScreen[bool]):
    """Answers True only when the confirm button is pressed; Esc means no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("left,right", "switch_button", show=False),
    ]
    AUTO_FOCUS = "#cancel"  # the safe answer is the default

    def __init__(
        self,
        question: str,
        *,
        confirm_label: str = "Yes",
        cancel_label: str = "No",
        danger: bool = False,
        detail: str = "",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(Content(self.question), classes="dialog-question")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.cancel_label, id="cancel")
                yield Button(
                    self.confirm_label,
                    id="confirm",
                    variant="default" if self.danger else "primary",
                    classes="danger" if self.danger else "",
                )

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch_button(self) -> None:
        self.focus_next()


class GoAheadModal(ConfirmModal):
    """A ``ConfirmModal`` for a step the user asked for by its own key (the dashboard's R):
    Enter goes ahead, Esc keeps."""

    AUTO_FOCUS = "#confirm"


class SandboxKeyModal(ModalScreen[bool]):
    """Like Qlik's "Generate new key" result: the (sandbox) key, shown this once. Answers True
    for "I copied it" (the wizard goes on to pasting it), False for Esc (it stays)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    AUTO_FOCUS = "#close"  # the key is selected with the mouse; Enter says it was copied

    def __init__(self, key_text: str, host: str) -> None:
        super().__init__(classes="dialog-screen")
        self.key_text = key_text
        self.host = host

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sandbox-key-dialog"):
            yield Static("API key generated", classes="dialog-question")
            yield Static(
                Content(
                    f"A practice key from the sandbox tenant {self.host}. Like Qlik Cloud, it "
                    "is shown only this once: copy it now (select it with the mouse). It is a "
                    "fake key that works only against the sandbox."
                ),
                classes="dialog-detail",
            )
            yield TextArea(self.key_text, read_only=True, soft_wrap=True, id="sandbox-key-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("I copied it", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _copied(self) -> None:
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
