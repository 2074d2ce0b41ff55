"""A masked input for the API key: hidden by default, never copied or cut to the clipboard.

Textual's Input copies its selection with ctrl+c / super+c (``action_copy``) and cuts with
ctrl+x (``action_cut``), both through ``App.copy_to_clipboard``, which also sends the text to
the terminal's clipboard (OSC 52). Here both do nothing but say why, masked or revealed: the key
must never reach a clipboard. Screen-level mouse selection is off for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.repr import Result
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

COPY_REFUSED = "The key is never copied: it would stay in the clipboard for anyone to paste."
HIDDEN = "<hidden>"


class SecretInput(Input):
    TAKES_PASTES_UNLOGGED = True  # takes a Paste in on_event, before Textual logs it
    ALLOW_SELECT = False  # the screen's mouse selection must not pick up a revealed key

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "toggle_reveal", "Show/hide key"),
    ]

    # Input's messages carry the value; their reprs (logged with TEXTUAL_LOG) must not show it.
    @dataclass(repr=False)
    class Changed(Input.Changed):
        def __repr__(self) -> str:
            return f"SecretInput.Changed(value={HIDDEN})"

        def __rich_repr__(self) -> Result:
            yield "value", HIDDEN

    @dataclass(repr=False)
    class Submitted(Input.Submitted):
        def __repr__(self) -> str:
            return f"SecretInput.Submitted(value={HIDDEN})"

        def __rich_repr__(self) -> Result:
            yield "value", HIDDEN

    @dataclass(repr=False)
    class Blurred(Input.Blurred):
        def __repr__(self) -> str:
            return f"SecretInput.Blurred(value={HIDDEN})"

        def __rich_repr__(self) -> Result:
            yield "value", HIDDEN

    def __init__(
        self,
        value: str | None = None,
        *,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(value, placeholder=placeholder, password=True, id=id, classes=classes)

    @property
    def revealed(self) -> bool:
        return not self.password

    class RevealChanged(Message):
        def __init__(self, secret_input: SecretInput, revealed: bool) -> None:
            super().__init__()
            self.secret_input = secret_input
            self.revealed = revealed

        @property
        def control(self) -> SecretInput:
            return self.secret_input

    def action_toggle_reveal(self) -> None:
        self.password = not self.password
        self.post_message(self.RevealChanged(self, self.revealed))

    def action_copy(self) -> None:
        self.notify(COPY_REFUSED, title="Copy disabled", severity="warning")

    def action_cut(self) -> None:
        self.notify(COPY_REFUSED, title="Cut disabled", severity="warning")

    async def on_event(self, event: events.Event) -> None:
        # Textual logs every message it dispatches to a handler (TEXTUAL_LOG, devtools) with its
        # repr, and a Paste's repr is the pasted text: take pastes here, before that dispatch.
        if isinstance(event, events.Paste):
            event.prevent_default()
            event.stop()
            self._paste(event.text)
            return
        await super().on_event(event)

    def _paste(self, pasted: str) -> None:
        # Input keeps only the first line of a paste; a key copied from a wrapped display
        # spans several, and the key parser drops the line breaks anyway.
        if pasted:
            text = "".join(pasted.splitlines())
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)

    def __repr__(self) -> str:
        return f"SecretInput(id={self.id!r}, value={HIDDEN})"
