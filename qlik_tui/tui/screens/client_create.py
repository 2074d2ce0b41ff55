"""OAuth step 2: what a machine-to-machine client is, who creates one and how (Qlik's console
steps, from the API reference), and a message ready for the tenant admin. Nothing secret here."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static, TextArea

from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.screens.client_base import ClientWizardStep
from qlik_tui.tui.screens.permission import admin_console_url

WHY = (
    "Qlik recommends [b]OAuth[/b] for scripts, schedules and services; an API key is for your "
    "own work and carries your permissions. A [b]machine-to-machine[/b] client acts as its own "
    "bot user, with the TenantAdmin role. qlik-tui stores its secret and hands your scripts "
    "short-lived access tokens, never the secret."
)
WHO = "Only a [b]tenant admin[/b] can create one, in the Administration activity center:"
CONSOLE_STEPS = (
    "[b]OAuth > Create new[/b], client type [b]Web[/b].",
    "Choose the scopes ([b]user_default[/b] is what qlik-tui asks for).",
    "Tick [b]Machine-to-machine[/b], then [b]Create[/b].",
    "Copy the [b]Client ID[/b] and the [b]Client secret[/b]: the secret is shown [b]once[/b].",
    "The client's menu > [b]Change consent method[/b] > [b]Trusted[/b].",
)
TOKENS_NOTE = (
    "Its access tokens live 15 to 1,440 minutes (360 by default, set on the client) and come "
    "without a refresh token: qlik-tui mints a new one from the stored secret when needed."
)


def client_admin_message(host: str) -> str:
    """A note the user can send to their tenant admin. No secret in it."""
    return (
        f"Hello,\n\n"
        f"could you create an OAuth machine-to-machine client for me on our Qlik Cloud tenant "
        f"{host}? It is for automation (scripts and scheduled jobs).\n\n"
        f"Administration activity center > OAuth > Create new > client type Web > scope "
        f"user_default > tick Machine-to-machine > Create. Then the client's menu > Change "
        f"consent method > Trusted.\n\n"
        f"Please send me the client ID and the client secret (shown once) through our "
        f"password manager, not by e-mail or chat.\n\nThank you!"
    )


class ClientCreateScreen(ClientWizardStep):
    STEP = ClientStep.CREATE
    STEP_TITLE = "OAuth: create a client"
    NEXT_LABEL = "I have ID and secret →"
    AUTO_FOCUS = "#next"

    def compose_body(self) -> ComposeResult:
        yield Static(Content.from_markup(WHY), classes="paragraph")
        yield Static(Content.from_markup(WHO), classes="paragraph")
        steps = (f"{n}. {step}" for n, step in enumerate(CONSOLE_STEPS, start=1))
        yield Static(Content.from_markup("\n".join(steps)), classes="list-item")
        yield Static(TOKENS_NOTE, classes="paragraph note")
        yield Static(
            "Not an admin? A message for your admin (it holds no secret):", classes="subheading"
        )
        yield TextArea(
            client_admin_message(self._host()),
            read_only=True,
            soft_wrap=True,
            id="client-admin-message",
        )
        with Horizontal(classes="actions"):
            yield Button("Copy message", id="copy-message")
            if self._console_url() is not None:
                yield Button("Open Administration", id="open-console")

    def _tenant(self) -> Tenant | None:
        """The tenant typed on this path's next step, else the key path's."""
        try:
            return parse_tenant(self.state.client.tenant_text)
        except TenantError:
            return self.state.tenant

    def _host(self) -> str:
        tenant = self._tenant()
        return tenant.display_host if tenant is not None else "(your tenant)"

    def _console_url(self) -> str | None:
        tenant = self._tenant()
        if tenant is None or not tenant.is_qlik_cloud:
            return None
        return admin_console_url(tenant.origin)

    @on(Button.Pressed, "#copy-message")
    def _copy_message(self) -> None:
        self.app.copy_to_clipboard(self.query_one("#client-admin-message", TextArea).text)
        self.notify("The message for your admin is in the clipboard.")

    @on(Button.Pressed, "#open-console")
    def _open_console(self) -> None:
        url = self._console_url()
        if url is not None:
            self.open_in_browser(url)
