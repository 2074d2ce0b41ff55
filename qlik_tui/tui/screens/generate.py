"""Step 4: generate the key in the tenant (or, in demo mode, from the sandbox).

A paste here is the key the user just copied: it goes on to the paste step with it (one key
press fewer; a key pasted before and not stored yet is not replaced without asking)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from qlik_tui.tui.host import Step
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.key_carry import offer_caught_key, parse_or_none
from qlik_tui.tui.screens.modals import SandboxKeyModal
from qlik_tui.tui.widgets.store_line import StoreLine

STEPS = (
    "In your tenant, click your [b]profile icon[/b] and select [b]Profile settings[/b].",
    "Go to the [b]API keys[/b] section and click [b]Generate new key[/b].",
    'Enter a [b]description[/b] (e.g. "qlik-tui on my laptop") and choose an [b]expiry[/b]. '
    "Keys live at most [b]24 hours[/b] unless a tenant admin raised that maximum.",
    "Click [b]Generate[/b].",
)
SHOWN_ONCE = (
    "[b]The key is shown only once.[/b] Copy it right away and paste it here. If "
    "you lose it before pasting, nothing is wrong: generate another one (and delete the "
    "unused key in the same list)."
)


def hub_url(origin: str) -> str:
    return f"{origin}/hub"


class GenerateScreen(WizardStep):
    STEP = Step.GENERATE
    STEP_TITLE = "Generate a key"
    # The action this step is about: the sandbox key in the demo, the hub otherwise; Next only
    # when neither applies (a tenant outside Qlik Cloud).
    AUTO_FOCUS = "#sandbox-key, #open-hub, #next"

    def compose_body(self) -> ComposeResult:
        yield Static("Generate the key in your tenant:", classes="paragraph")
        for number, step in enumerate(STEPS, start=1):
            yield Static(Content.from_markup(f"{number}. {step}"), classes="list-item")
        yield Static(Content.from_markup(SHOWN_ONCE), classes="paragraph note")
        with Horizontal(classes="actions"):
            if self.qapp.is_demo:
                yield Button("Generate a sandbox key", id="sandbox-key", variant="success")
            elif self._can_open_hub():
                yield Button("Open the hub", id="open-hub")
        if not self.qapp.is_demo and self._can_open_hub():
            yield Static(
                Content(
                    "Open the hub opens your tenant's hub "
                    f"({hub_url(self._origin())}) in your browser; from there use your "
                    "profile icon > Profile settings > API keys."
                ),
                classes="paragraph hint",
            )
        yield StoreLine(self.qapp.services)  # under the step's action: it stays in view
        if self.qapp.is_demo:
            yield Static(
                "Demo mode: the sandbox tenant issues a practice key the way Qlik does — "
                "shown once. Copy it, or use “Use the sandbox key” on the next step.",
                classes="paragraph hint",
            )

    def take_paste(self, text: str) -> None:
        text = "".join(text.splitlines())
        if not text.strip():
            return
        state = self.state
        if state.key_at_risk and (state.key_text or state.key):
            offer_caught_key(self, text, go_to_paste=True)  # asks before replacing it
            return
        state.set_key_text(text, parse_or_none(text))
        self.qapp.go_to_step(Step.PASTE)

    def _origin(self) -> str:
        tenant = self.state.tenant
        return tenant.origin if tenant is not None else ""

    def _can_open_hub(self) -> bool:
        tenant = self.state.tenant
        return tenant is not None and tenant.is_qlik_cloud

    @on(Button.Pressed, "#open-hub")
    def _open_hub(self) -> None:
        self.open_in_browser(hub_url(self._origin()))

    @on(Button.Pressed, "#sandbox-key")
    def _sandbox_key(self) -> None:
        key = self.qapp.issue_practice_key()
        host = self.state.tenant.display_host if self.state.tenant else "the sandbox"

        def copied(copied: bool | None) -> None:
            # Copied: on to pasting it, all there is left to do here (not "focus Next": an
            # Enter typed while the dialog closes would land on this step's focused button).
            if copied:
                self.qapp.go_to_step(Step.PASTE)
            else:
                self.query_one("#next", Button).focus()

        self.app.push_screen(SandboxKeyModal(key.reveal(), host), copied)
