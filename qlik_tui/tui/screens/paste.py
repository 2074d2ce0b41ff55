"""Step 5: paste the key into a masked input; it is inspected locally on every change.

From here on the key lives in the app state until it is stored (see ``state.py``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.secret_input import SecretInput

INSTRUCTIONS = (
    "Paste the key you just copied (your terminal's paste, e.g. ctrl+shift+v, or ctrl+v). It "
    "stays masked; [b]ctrl+r[/b] shows it. It is checked here, on this computer, before "
    "anything is sent."
)
EMPTY_HINT = "Waiting for a key…"


class PasteScreen(WizardStep):
    STEP = 5
    STEP_TITLE = "Paste the key"
    NEXT_LABEL = "Test the key →"
    AUTO_FOCUS = "#key-input"

    def __init__(self, *, replace: bool = False) -> None:
        super().__init__()
        self.replace = replace  # "Paste another key": select the old one so a paste replaces it

    def compose_body(self) -> ComposeResult:
        yield Static(Content.from_markup(INSTRUCTIONS), classes="paragraph")
        key = self.state.key
        yield SecretInput(
            key.reveal() if key is not None else None,
            placeholder="Paste the API key here",
            id="key-input",
        )
        with Horizontal(classes="actions"):
            yield Button("Show key", id="reveal")
            if self.qapp.is_demo:
                yield Button("Use the sandbox key", id="use-sandbox-key", variant="success")
        yield Vertical(id="key-inspection")

    def on_mount(self) -> None:
        super().on_mount()
        secret = self.query_one("#key-input", SecretInput)
        self._inspect(secret.value)
        if self.replace and secret.value:
            secret.select_all()

    # -- input -------------------------------------------------------------------------------

    @on(SecretInput.Changed, "#key-input")
    def _changed(self, event: SecretInput.Changed) -> None:
        self._inspect(event.value)

    @on(SecretInput.Submitted, "#key-input")
    def _submitted(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#reveal")
    def _reveal_pressed(self) -> None:
        self.query_one("#key-input", SecretInput).action_toggle_reveal()

    @on(SecretInput.RevealChanged, "#key-input")
    def _reveal_changed(self, event: SecretInput.RevealChanged) -> None:
        self.query_one("#reveal", Button).label = "Hide key" if event.revealed else "Show key"

    @on(Button.Pressed, "#use-sandbox-key")
    def _use_sandbox_key(self) -> None:
        key = self.state.practice_key or self.qapp.issue_practice_key()
        secret = self.query_one("#key-input", SecretInput)
        secret.value = key.reveal()
        secret.action_end()
        secret.focus()

    # -- inspection --------------------------------------------------------------------------

    def _inspect(self, text: str) -> None:
        key: ApiKey | None = None
        error: str | None = None
        if text.strip():
            try:
                key = parse_key(text)
            except KeyFormatError as exc:
                error = str(exc)
        # Only a key that parses replaces the one in the state; emptying or mangling the
        # field is the user's own edit, and the field still holds what they typed.
        self.state.set_key(key)
        self._show_inspection(key, error)
        self.refresh_nav()

    def _show_inspection(self, key: ApiKey | None, error: str | None) -> None:
        box = self.query_one("#key-inspection", Vertical)
        box.remove_children()
        box.set_classes("")
        if error is not None:
            box.add_class("is-error")
            box.mount(Static(Content(f"✗ {error}"), classes="inspection-heading"))
            return
        if key is None:
            box.mount(Static(EMPTY_HINT, classes="inspection-heading hint"))
            return
        info = key.info
        box.add_class("is-warning" if info.warnings else "is-ok")
        heading = "✓ This looks like a Qlik Cloud API key"
        if info.warnings:
            heading = "⚠ This parses as a key, with warnings"
        widgets = [
            Static(heading, classes="inspection-heading"),
            Fields(
                [
                    ("Key id", info.key_id),
                    ("Key's tenant id", info.tenant_id),
                    ("Subject (user)", info.subject),
                    ("Length", f"{len(key.reveal())} characters"),
                ]
            ),
        ]
        widgets += [Static(Content(f"⚠ {w}"), classes="warning-line") for w in info.warnings]
        box.mount_all(widgets)

    # -- navigation --------------------------------------------------------------------------

    def can_go_next(self) -> bool:
        return self.state.key is not None and self.state.tenant is not None
