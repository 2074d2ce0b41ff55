"""OAuth step 5: where the client secret is now, how scripts get access tokens from it, and how
to check and renew it later (the frame both Done steps share: ``DoneStep``)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.screens.client_base import ClientWizardStep
from qlik_tui.tui.screens.done import (
    DEMO_WHERE,
    WHERE,
    DoneStep,
    check_command,
    rotate_command,
)
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.store_form import StoreChoice

if TYPE_CHECKING:
    from qlik_tui.store.profiles import Profile

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


class ClientDoneScreen(DoneStep, ClientWizardStep):
    STEP = ClientStep.DONE
    STEP_TITLE = "Done"
    NOUN = "client secret"

    @property
    def stored_profile(self) -> Profile | None:
        return self.state.client.profile

    @property
    def rescue_path(self) -> Path | None:
        return self.state.client.rescue_path

    @property
    def session_only(self) -> bool:
        return self.state.client.session_only

    def compose_stored(self, profile: Profile) -> ComposeResult:
        yield Fields(
            [
                ("Profile", profile.name),
                ("Tenant", profile.origin),
                ("Client ID", profile.client_id),
                ("Bot user", profile.user_name),
                ("Stored in", self.state.client.storage_description or profile.backend),
            ]
        )
        store = self.store_choice(profile)
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

    def compose_rescued(self, rescue: Path) -> ComposeResult:
        yield Static(
            "Move it into a password manager and delete the file. To store it later:",
            classes="paragraph",
        )
        yield Static(Content(self._login_command(rescue)), classes="command")

    def _login_command(self, rescue: Path) -> str:
        from qlik_tui.core.tenant import TenantError, parse_tenant

        client = self.state.client
        try:
            host = parse_tenant(client.tenant_text).display_host
        except TenantError:
            host = "TENANT"
        return login_client_command(host, client.client_id_text.strip() or "CLIENT_ID", rescue)
