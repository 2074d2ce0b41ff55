"""Step 5: paste the key into a masked input; it is inspected locally once the field settles.

From here on the key lives in the app state until it is stored (see ``state.py``). A paste is
inspected at once; keystrokes (a terminal that types a paste in, one key press per character)
are inspected once they pause, and the inspection panel is updated in place, so a typed-in key
costs one parse and one layout, not one per character.
"""

from __future__ import annotations

import time

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Static

from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.secret_input import SecretInput

INSTRUCTIONS = (
    "Paste the key you just copied (your terminal's paste, e.g. ctrl+shift+v, or ctrl+v). It "
    "stays masked; [b]ctrl+r[/b] shows it. It is checked here, on this computer, before "
    "anything is sent."
)
EMPTY_HINT = "Waiting for a key…"
# Keystrokes closer together than this are one burst (a typed-in paste): inspected at its end.
SETTLE_SECONDS = 0.1
INSPECTION_LABELS = ("Key id", "Key's tenant id", "Subject (user)", "Length")


class PasteScreen(WizardStep):
    STEP = Step.PASTE
    STEP_TITLE = "Paste the key"
    NEXT_LABEL = "Test the key →"
    AUTO_FOCUS = "#key-input"

    def __init__(self, *, replace: bool = False) -> None:
        super().__init__()
        self.replace = replace  # "Paste another key": select the old one so a paste replaces it
        self.inspections = 0  # how many times the field's text was parsed and shown
        self._settle_timer: Timer | None = None
        self._last_change = 0.0  # time.monotonic() of the field's last change
        self._shown_warnings: tuple[str, ...] = ()

    def compose_body(self) -> ComposeResult:
        yield Static(Content.from_markup(INSTRUCTIONS), classes="paragraph")
        key = self.state.key
        yield SecretInput(
            self.state.key_text or (key.reveal() if key is not None else None),
            placeholder="Paste the API key here",
            id="key-input",
        )
        with Horizontal(classes="actions"):
            yield Button("Show key", id="reveal")
            if self.qapp.is_demo:
                yield Button("Use the sandbox key", id="use-sandbox-key", variant="success")
        yield Vertical(id="key-inspection")  # filled by the first inspection, in on_mount

    def on_mount(self) -> None:
        super().on_mount()
        secret = self.query_one("#key-input", SecretInput)
        self._inspect(secret.value)
        if self.replace and secret.value:
            secret.select_all()

    # -- input -------------------------------------------------------------------------------

    @on(SecretInput.Changed, "#key-input")
    def _changed(self) -> None:
        # The field's value now, not the message's: keystrokes that arrive together are all
        # in the field before the first of their messages is handled here.
        text = self.query_one("#key-input", SecretInput).value
        if text == self.state.key_text and self.inspections:
            return  # already seen
        # The state learns at once that a key was pasted: quitting asks from now on.
        self.state.key_text = text
        if text.strip():
            self.state.key_pasted = True
        # A change on its own (a paste, a keystroke) is inspected at once; a burst of them (a
        # terminal typing a paste in) once it pauses.
        now = time.monotonic()
        in_burst = now - self._last_change < SETTLE_SECONDS
        self._last_change = now
        waiting = self._settle_timer is not None
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        if in_burst:
            self._settle_timer = self.set_timer(SETTLE_SECONDS, self._settled)
            if not waiting:
                self.refresh_nav()  # Next waits for the inspection (once per burst: it is slow)
        else:
            self._inspect(text)

    def _settled(self) -> None:
        self._settle_timer = None
        self._inspect(self.query_one("#key-input", SecretInput).value)

    @on(SecretInput.Submitted, "#key-input")
    def _submitted(self) -> None:
        if self._settle_timer is not None:  # Enter right after typing: inspect what is there
            self._settled()
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
        # The field's parse becomes the state's key; a broken edit does not end the guard on
        # quitting (the state remembers that a key was pasted).
        self.state.set_key_text(text, key)
        self.inspections += 1
        self._show_inspection(key, error)
        self.refresh_nav()

    def _show_inspection(self, key: ApiKey | None, error: str | None) -> None:
        """Update the panel in place: its widgets are made once, by the first inspection."""
        box = self.query_one("#key-inspection", Vertical)
        values: tuple[str | None, ...] = (None,) * len(INSPECTION_LABELS)
        warnings: tuple[str, ...] = ()
        if error is not None:
            box_class, heading_class, text = "is-error", "", Content(f"✗ {error}")
        elif key is None:
            box_class, heading_class, text = "", "hint", Content(EMPTY_HINT)
        else:
            info = key.info
            warnings = tuple(info.warnings)
            box_class, heading_class = ("is-warning" if warnings else "is-ok"), ""
            text = Content(
                "⚠ This parses as a key, with warnings"
                if warnings
                else "✓ This looks like a Qlik Cloud API key"
            )
            values = (info.key_id, info.tenant_id, info.subject, f"{len(key.reveal())} characters")
        box.set_classes(box_class)
        if not box.children:
            heading = Static(text, id="inspection-heading")
            fields = Fields(zip(INSPECTION_LABELS, values, strict=True))
            box.mount_all([heading, fields])
        else:
            heading = box.query_one("#inspection-heading", Static)
            heading.update(text)
            fields = box.query_one(Fields)
            for static, value in zip(
                fields.query(".field-value").results(Static), values, strict=True
            ):
                static.update(Content(value if value else "—"))
        heading.set_classes(f"inspection-heading {heading_class}".strip())
        fields.display = key is not None and error is None
        if warnings != self._shown_warnings:  # rare: only a key with warnings has lines here
            self._shown_warnings = warnings
            box.query(".warning-line").remove()
            box.mount_all(Static(Content(f"⚠ {w}"), classes="warning-line") for w in warnings)

    # -- navigation --------------------------------------------------------------------------

    def can_go_next(self) -> bool:
        if self._settle_timer is not None:
            return False  # the field changed and is not inspected yet
        return self.state.key is not None and self.state.tenant is not None
