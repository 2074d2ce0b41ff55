"""OAuth step 5: where the client secret is now, how scripts get access tokens from it, and how
to check and renew it later."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from qlik_tui.store.key_stores import in_encrypted_file
from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.screens.client_base import ClientWizardStep
from qlik_tui.tui.screens.done import DEMO_WHERE, WHERE, check_command, rotate_command
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.store_form import StoreChoice

STORED = "The secret is in {where} only (profiles.json never holds it). "
# Demo profiles live apart and the sandbox runs only while the demo does: no command can use
# the practice client, so the demo shows the commands for a real tenant's client instead.
DEMO_STORED = (
    "The practice client's secret is {where}, apart from real profiles; the sandbox runs only "
    "as long as this demo (Check stored keys shows it). With your real tenant's client:"
)
DEMO_COMMANDS = (
    "qlik-tui login --tenant TENANT --oauth-client-id ID --with-secret",
    "qlik-tui token NAME",
    "qlik-tui exec NAME -- COMMAND",
)
USE = (
    "Scripts get short-lived access tokens, never the secret (exec sets QCS_ACCESS_TOKEN and "
    "QCS_API_KEY). Check it, or renew the secret (also R on the dashboard), with:"
)


def token_commands(name: str) -> tuple[str, str]:
    quoted = shlex.quote(name)
    return f"qlik-tui token {quoted}", f"qlik-tui exec {quoted} -- COMMAND"


def login_client_command(host: str, client_id: str, rescue: Path) -> str:
    """The command that stores the secret written to ``rescue``, as it can be pasted."""
    return (
        f"qlik-tui login --tenant {shlex.quote(host)} --oauth-client-id "
        f"{shlex.quote(client_id)} --with-secret < {shlex.quote(str(rescue))}"
    )


class ClientDoneScreen(ClientWizardStep):
    STEP = ClientStep.DONE
    STEP_TITLE = "Done"
    AUTO_FOCUS = "#dashboard, #quit"

    def compose_body(self) -> ComposeResult:
        client = self.state.client
        profile, rescue = client.profile, client.rescue_path
        if profile is not None:
            yield Static(
                "✓ The client secret is stored and proven to work.", classes="done-heading -ok"
            )
            yield Fields(
                [
                    ("Profile", profile.name),
                    ("Tenant", profile.origin),
                    ("Client ID", profile.client_id),
                    ("Bot user", profile.user_name),
                    ("Stored in", client.storage_description or profile.backend),
                ]
            )
            store = self._store_choice(in_encrypted_file(profile))
            if self.qapp.is_demo:
                yield Static(DEMO_STORED.format(where=DEMO_WHERE[store]), classes="paragraph")
                commands: tuple[str, ...] = DEMO_COMMANDS
            else:
                where = STORED.format(where=WHERE.get(store, WHERE[StoreChoice.KEYRING]))
                yield Static(where + USE, classes="paragraph")
                commands = (
                    *token_commands(profile.name),
                    check_command(profile.name),
                    rotate_command(profile.name),
                )
            yield Static(Content("\n".join(commands)), classes="command")
        elif rescue is not None:
            yield Static(
                "⚠ The client secret was written to a file, not to a key store.",
                classes="done-heading -warning",
            )
            yield Fields([("File", str(rescue)), ("Mode", "0600 (only you can read it)")])
            yield Static(
                "Move it into a password manager and delete the file. To store it later:",
                classes="paragraph",
            )
            yield Static(Content(self._login_command(rescue)), classes="command")
        else:
            yield Static("Nothing was stored.", classes="done-heading -warning")
        with Horizontal(classes="actions"):
            if profile is not None:
                yield Button("Check stored keys", id="dashboard", variant="primary")
            yield Button("Quit", id="quit")

    def _store_choice(self, encrypted: bool) -> StoreChoice:
        if self.state.client.session_only:
            return StoreChoice.SESSION
        return StoreChoice.ENCRYPTED_FILE if encrypted else StoreChoice.KEYRING

    def _login_command(self, rescue: Path) -> str:
        from qlik_tui.core.tenant import TenantError, parse_tenant

        client = self.state.client
        try:
            host = parse_tenant(client.tenant_text).display_host
        except TenantError:
            host = "TENANT"
        return login_client_command(host, client.client_id_text.strip() or "CLIENT_ID", rescue)

    def on_mount(self) -> None:
        super().on_mount()
        self.show("#nav", False)  # the only choices left are the buttons: dashboard or quit

    def can_go_back(self) -> bool:
        return False  # stored or written: the steps before have nothing left to do

    def can_go_next(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "next"):
            return False
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit(return_code=0)

    @on(Button.Pressed, "#dashboard")
    def _dashboard(self) -> None:
        self.qapp.open_dashboard()
