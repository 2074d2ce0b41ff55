"""OAuth step 3: the tenant, the client ID and the client secret.

The secret goes into a masked field that is never copied (``SecretInput``), normalised as a
pasted key is (``parse_client_secret``), and kept in the wizard state from the paste on: Back,
a failed proof or quitting never drop it without the user deciding. A secret pasted into the ID
field is kept out of it (moved to the secret field); an API key caught in any field is offered
to the API key path, as on the key's own steps. Each field is checked here, on this computer,
before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Static

from qlik_tui.core.oauth import (
    ClientIdRefused,
    ClientSecret,
    ClientSecretRefused,
    looks_like_client_secret,
    normalise_client_id,
    parse_client_secret,
)
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.core.untrusted import looks_like_key
from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.screens.client_base import ClientWizardStep
from qlik_tui.tui.screens.key_carry import offer_caught_key
from qlik_tui.tui.screens.tenant import describe_tenant, needs_confirmation
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.secret_input import SecretInput

INSTRUCTIONS = (
    "Paste the client's ID and its secret. The secret stays masked ([b]ctrl+r[/b] shows it), "
    "is never copied, and is sent only to the tenant below, to prove it."
)
MOVED_TO_SECRET = (
    "⚠ That looked like a client secret, so it was kept out of the {field} field (not shown, "
    "not sent) and put into the secret field."
)
SECRET_ALREADY_THERE = (
    "⚠ That looked like a client secret, so it was kept out of the {field} field. The secret "
    "field already holds one and was left as it is: clear it and paste again to use the new one."
)
FIELD_NAMES = {"oauth-tenant": "tenant", "oauth-client-id": "client ID"}


def refuses_in_client_id(text: str) -> bool:
    """What the client ID and tenant fields keep out: an API key, or a client secret (as
    pasted: in quotes, with spaces or a label around it)."""
    if looks_like_key(text):
        return True
    try:
        secret = parse_client_secret(text)
    except ClientSecretRefused:
        return False
    return looks_like_client_secret(secret.reveal())


@dataclass(frozen=True)
class EnteredClient:
    """The three fields, each checked: the parsed value, or the reason it is refused."""

    tenant: Tenant | None
    tenant_problem: str | None
    client_id: str | None
    client_id_problem: str | None
    secret: ClientSecret | None
    secret_problem: str | None

    @property
    def complete(self) -> bool:
        return self.tenant is not None and self.client_id is not None and self.secret is not None


def check_fields(tenant_text: str, client_id_text: str, secret_text: str) -> EnteredClient:
    tenant = client_id = secret = None
    tenant_problem = client_id_problem = secret_problem = None
    if tenant_text.strip():
        try:
            tenant = parse_tenant(tenant_text)
        except TenantError as exc:
            tenant_problem = str(exc)
    else:
        tenant_problem = "the tenant's address, e.g. acme.eu.qlikcloud.com"
    if client_id_text.strip():
        try:
            client_id = normalise_client_id(client_id_text)
        except ClientIdRefused as exc:
            client_id_problem = str(exc)
    else:
        client_id_problem = "the client ID shown above the secret"
    if secret_text.strip():
        try:
            secret = parse_client_secret(secret_text)
        except ClientSecretRefused as exc:
            secret_problem = str(exc)
    else:
        secret_problem = "the client secret, shown once when the client was created"
    return EnteredClient(
        tenant, tenant_problem, client_id, client_id_problem, secret, secret_problem
    )


class ClientEnterScreen(ClientWizardStep):
    STEP = ClientStep.ENTER
    STEP_TITLE = "OAuth: ID and secret"
    NEXT_LABEL = "Prove it →"
    AUTO_FOCUS = "#oauth-client-id"

    def __init__(self) -> None:
        super().__init__()
        self.entered: EnteredClient | None = None
        self._kept_out: str | None = None  # the last kept-out warning, until a field changes

    def compose_body(self) -> ComposeResult:
        client = self.state.client
        yield Static(Content.from_markup(INSTRUCTIONS), classes="paragraph")
        with Horizontal(classes="client-row"):
            yield Static("Tenant", classes="field-label")
            yield KeyRefusingInput(
                client.tenant_text or self._known_origin(),
                placeholder="e.g. acme.eu.qlikcloud.com",
                id="oauth-tenant",
                refuses=refuses_in_client_id,
            )
        with Horizontal(classes="client-row"):
            yield Static("Client ID", classes="field-label")
            yield KeyRefusingInput(
                client.client_id_text,
                placeholder="the shorter value, above the secret",
                id="oauth-client-id",
                refuses=refuses_in_client_id,
            )
        with Horizontal(classes="client-row"):
            yield Static("Client secret", classes="field-label")
            yield SecretInput(
                client.secret_text or None,
                placeholder="shown once, when the client was created",
                id="oauth-secret",
            )
        with Horizontal(classes="actions"):
            yield Button("Show secret", id="reveal")
            if self.qapp.is_demo:
                yield Button("Use a practice client", id="oauth-practice", variant="success")
        yield Static(id="client-status")
        # A host that is not Qlik Cloud gets the secret only once the user says so (as on the
        # key path's tenant step).
        yield Checkbox(id="oauth-tenant-confirm", value=False)

    def _known_origin(self) -> str:
        tenant, sandbox = self.state.tenant, self.qapp.sandbox
        if tenant is not None:
            return tenant.origin
        return sandbox.origin if sandbox is not None else ""

    def on_mount(self) -> None:
        super().on_mount()
        self._inspect()

    # -- input -------------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id in FIELD_NAMES:
            self._kept_out = None  # the warning was about such a field: it is typed in now
        self._inspect()

    @on(KeyRefusingInput.KeyCaught)
    def _kept_out_of_a_field(self, event: KeyRefusingInput.KeyCaught) -> None:
        caught = event.key_input.take_caught_key()
        if looks_like_key(caught):  # an API key: the key path's, offered to it as on its steps
            offer_caught_key(self, caught, go_to_paste=False)
            return
        secret = self.query_one("#oauth-secret", SecretInput)
        try:
            caught = parse_client_secret(caught).reveal()  # refused as a secret: it parses
        except ClientSecretRefused:
            caught = caught.strip()
        if not secret.value.strip() or secret.value.strip() == caught:
            secret.value = caught  # where it belongs, still masked, normalised
            warning = MOVED_TO_SECRET
        else:
            warning = SECRET_ALREADY_THERE
        del caught
        self._inspect()
        self._kept_out = warning.format(field=FIELD_NAMES.get(event.key_input.id or "", "other"))
        self._show_status()

    @on(Checkbox.Changed, "#oauth-tenant-confirm")
    def _confirm_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        tenant = self.entered.tenant if self.entered is not None else None
        self.state.client.confirmed_host = (
            tenant.display_host if event.value and tenant is not None else ""
        )
        self.refresh_nav()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.can_go_next():
            self.go_next()
        else:
            self.focus_next()

    @on(Button.Pressed, "#reveal")
    def _reveal_pressed(self) -> None:
        self.query_one("#oauth-secret", SecretInput).action_toggle_reveal()

    @on(SecretInput.RevealChanged, "#oauth-secret")
    def _reveal_changed(self, event: SecretInput.RevealChanged) -> None:
        label = "Hide secret" if event.revealed else "Show secret"
        self.query_one("#reveal", Button).label = label

    @on(Button.Pressed, "#oauth-practice")
    def _practice(self) -> None:
        sandbox = self.qapp.sandbox
        if sandbox is None:
            return
        client_id, secret = sandbox.create_oauth_client("practice client")
        self.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        self.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        self.query_one("#oauth-secret", SecretInput).value = secret
        del secret

    # -- inspection --------------------------------------------------------------------------

    def _inspect(self) -> None:
        tenant_text = self.query_one("#oauth-tenant", KeyRefusingInput).value
        client_id_text = self.query_one("#oauth-client-id", KeyRefusingInput).value
        secret_text = self.query_one("#oauth-secret", SecretInput).value
        # The state learns at once: the secret is held (quitting asks) from the paste on.
        self.state.client.set_fields(tenant_text, client_id_text, secret_text)
        self.entered = check_fields(tenant_text, client_id_text, secret_text)
        tenant = self.entered.tenant
        checkbox = self.query_one("#oauth-tenant-confirm", Checkbox)
        checkbox.display = tenant is not None and needs_confirmation(tenant)
        if tenant is not None and checkbox.display:
            checkbox.label = Content(
                f"{tenant.display_host} is not a Qlik Cloud hostname. Send the secret there?"
            )
            # A confirmation is for one host only.
            checkbox.value = self.state.client.confirmed_host == tenant.display_host
        self._show_status()
        self.refresh_nav()

    def _show_status(self) -> None:
        """One line per field: ✓ and what it parsed to, ✗ and why not, or · what it awaits."""
        entered = self.entered
        if entered is None:
            return
        client = self.state.client
        secret = entered.secret
        rows = (
            ("Tenant", describe_host(entered.tenant) if entered.tenant else None,
             entered.tenant_problem, client.tenant_text),
            ("Client ID", entered.client_id, entered.client_id_problem, client.client_id_text),
            ("Secret", f"{len(secret.reveal())} characters, masked" if secret else None,
             entered.secret_problem, client.secret_text),
        )  # fmt: skip
        lines: list[Content] = []
        for label, value, problem, text in rows:
            if value is not None:
                mark, said = "[$text-success]✓[/]", value
            elif text.strip():
                mark, said = "[$text-error]✗[/]", problem or ""
            else:
                mark, said = "[$text-muted]·[/]", f"waiting for {problem}"
            lines.append(Content.from_markup(f"{mark} $label: $said", label=label, said=said))
        if self._kept_out is not None:
            lines.append(Content.styled(self._kept_out, "$text-warning"))
        self.query_one("#client-status", Static).update(Content("\n").join(lines))

    # -- navigation --------------------------------------------------------------------------

    def can_go_next(self) -> bool:
        entered = self.entered
        if entered is None or not entered.complete:
            return False
        assert entered.tenant is not None
        if needs_confirmation(entered.tenant):
            return self.state.client.confirmed_host == entered.tenant.display_host
        return True


def describe_host(tenant: Tenant) -> str:
    """ "acme.eu.qlikcloud.com · Qlik Cloud, Europe" (what the key path's tenant step says)."""
    return f"{tenant.display_host} · {describe_tenant(tenant)}"
