"""``?`` / F1: the keys of a screen and what each does, in a dialog that fits 80x24.

``KeysHelpModal(title, rows)``: ``rows`` are (keys, words) pairs, built from the screen's own
bindings by ``help_rows`` so the list cannot drift from what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def help_rows(
    app: App[object], bindings: Iterable[BindingType], words: Mapping[str, str]
) -> list[tuple[str, str]]:
    """One row per action of ``bindings`` that ``words`` describes, its keys as the footer
    shows them ("d del"), in the bindings' order."""
    keys: dict[str, list[str]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        for key in binding.key.split(","):
            display = app.get_key_display(Binding(key.strip(), binding.action))
            keys.setdefault(binding.action, []).append(display)
    return [(" ".join(shown), words[action]) for action, shown in keys.items() if action in words]


class KeysHelpModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,enter", "close", "Close"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_words = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.rows), default=0)
        lines = [f"{keys.ljust(width)}  {words}" for keys, words in self.rows]
        with Vertical(classes="dialog", id="keys-help-dialog"):
            yield Static(Content(self.title_words), classes="dialog-question")
            yield Static(Content("\n".join(lines)), id="keys-help", classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
