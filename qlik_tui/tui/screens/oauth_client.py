"""The wizard's OAuth path: an OAuth machine-to-machine client for automation, beside the
personal API key. Who may create one and the console steps (with a message for an admin), the
client ID (a secret or key pasted there is kept out of it), the secret once (masked, never
copied), then the proof: an access token minted at /oauth/token and /users/me read with it
(the client's bot user, its roles, the token's lifetime and scope), and the store.

The services decide (``prove_client``, ``store_client``); this screen renders. One async worker
proves and stores; it only posts messages, and its description names the tenant, never the
secret. Tenant words (user name, roles, scope) are ``Text``/``Content``, never markup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from qlik_tui.core.oauth import looks_like_client_secret
from qlik_tui.core.untrusted import looks_like_key
from qlik_tui.tui.messages import ReportsWorkerEnds, WorkerCancelled, WorkerCrashed
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.secret_input import SecretInput

if TYPE_CHECKING:
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.services.oauth_clients import ClientProof
    from qlik_tui.tui.host import AppHost

TITLE = "OAuth client for automation (machine-to-machine)"
PROVE_GROUP = "oauth-prove"
GUIDE = (
    "Qlik recommends OAuth for scripts and schedules; an API key is for your own work. A "
    "[b]tenant admin[/b] creates the client: Administration > OAuth > Create new > type "
    "[b]Web[/b] > scopes > tick [b]Machine-to-machine[/b] > Create, copies the client ID and "
    'the secret (shown once), then the client\'s menu > Change consent method > [b]"Trusted"[/b].'
)
ADMIN_MESSAGE = (
    "For your admin: \"Please create an OAuth client of type Web with 'Machine-to-machine' "
    "ticked and scope user_default, set its consent method to Trusted, and send me its client "
    'ID and secret through our password manager."'
)
ID_REFUSED = (
    "That looked like a client secret or an API key, so it was kept out of the client ID "
    "field (not shown, not sent). Paste it into the secret field below."
)


def _refuses_in_id(text: str) -> bool:
    return looks_like_key(text) or looks_like_client_secret(text)


@dataclass(repr=False, eq=False)
class ClientProven(Message):
    proof: ClientProof
    stored_as: str | None  # the profile name, once stored
    store_problem: str | None = None


class OAuthClientScreen(ReportsWorkerEnds, Screen[None]):
    DEFAULT_CSS = """
    OAuthClientScreen { layout: vertical; }
    #oauth-title { dock: top; height: 1; background: $panel; padding: 0 1; text-style: bold; }
    #oauth-body { height: 1fr; padding: 0 1; }
    #oauth-body Input { margin: 0 0 0 0; }
    #oauth-result { height: auto; margin: 1 0 0 0; }
    #oauth-actions { height: 3; padding: 0 1; }
    #oauth-actions Button { margin: 0 1 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]
    AUTO_FOCUS = "#oauth-client-id"

    def __init__(self) -> None:
        super().__init__()
        self.proof: ClientProof | None = None
        self.stored_as: str | None = None

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="oauth-title")
        tenant = self.qapp.state.tenant
        sandbox = self.qapp.sandbox
        address = tenant.origin if tenant else (sandbox.origin if sandbox else "")
        with VerticalScroll(id="oauth-body"):
            yield Static(Content.from_markup(GUIDE), classes="paragraph")
            yield Static(Content(ADMIN_MESSAGE), classes="paragraph hint")
            yield KeyRefusingInput(address, placeholder="Tenant address", id="oauth-tenant")
            yield KeyRefusingInput(
                placeholder="Client ID", id="oauth-client-id", refuses=_refuses_in_id
            )
            yield SecretInput(None, placeholder="Client secret (shown once)", id="oauth-secret")
            yield Static(id="oauth-result")
        with Horizontal(id="oauth-actions"):
            yield Button("Prove and store", id="oauth-prove", variant="primary")
            if self.qapp.is_demo:
                yield Button("Use a practice client", id="oauth-practice", variant="success")
            yield Button("Back", id="oauth-back")
        yield Footer()

    # -- input -------------------------------------------------------------------------------

    @on(KeyRefusingInput.KeyCaught, "#oauth-client-id")
    def _kept_out(self, event: KeyRefusingInput.KeyCaught) -> None:
        caught = event.key_input.take_caught_key()
        secret = self.query_one("#oauth-secret", SecretInput)
        if caught.strip() and not secret.value:
            secret.value = caught.strip()  # where it belongs, still masked
        del caught
        self._show(Content(f"⚠ {ID_REFUSED}"), "is-warning")

    @on(Button.Pressed, "#oauth-practice")
    def _practice(self) -> None:
        sandbox = self.qapp.sandbox
        if sandbox is None:
            return
        client_id, secret = sandbox.create_oauth_client("practice client")
        self.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        self.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        self.query_one("#oauth-secret", SecretInput).value = secret

    @on(Button.Pressed, "#oauth-back")
    def action_close(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#oauth-prove")
    def _prove_pressed(self) -> None:
        from qlik_tui.core.oauth import ClientIdRefused, ClientSecret, normalise_client_id
        from qlik_tui.core.tenant import TenantError, parse_tenant

        try:
            tenant = parse_tenant(self.query_one("#oauth-tenant", KeyRefusingInput).value)
            client_id = normalise_client_id(
                self.query_one("#oauth-client-id", KeyRefusingInput).value
            )
        except (TenantError, ClientIdRefused) as exc:
            self._show(Content(f"✗ {exc}"), "is-error")
            return
        text = self.query_one("#oauth-secret", SecretInput).value.strip()
        if not text:
            self._show(Content("✗ Paste the client secret first."), "is-error")
            return
        self.query_one("#oauth-prove", Button).disabled = True
        self._show(Content(f"Minting an access token at {tenant.display_host}…"), "")
        worker = self.prove(tenant, client_id, ClientSecret(text))
        worker.description = f"Proving an OAuth client on {tenant.display_host}"

    # -- the worker --------------------------------------------------------------------------

    @work(group=PROVE_GROUP, exclusive=True, exit_on_error=False, description="Proving a client")
    async def prove(self, tenant: object, client_id: str, secret: object) -> None:
        from qlik_tui.core.oauth import ClientSecret
        from qlik_tui.core.outcomes import Verdict
        from qlik_tui.core.tenant import Tenant
        from qlik_tui.services.login import default_profile_name
        from qlik_tui.services.oauth_clients import prove_client
        from qlik_tui.services.results import KeyNotStored
        from qlik_tui.services.storing import store_client
        from qlik_tui.services.token_cache import save_cached_token

        assert isinstance(tenant, Tenant) and isinstance(secret, ClientSecret)
        services = self.qapp.lasting_services
        proof = await prove_client(tenant, client_id, secret, settings=services.client_settings)
        if proof.outcome.verdict is not Verdict.VALID:
            self.post_message(ClientProven(proof, None))
            return
        name = f"{default_profile_name(tenant)}-client"
        problem: str | None = None
        try:
            stored = await asyncio.to_thread(
                store_client,
                services,
                name=name,
                tenant=tenant,
                client_id=client_id,
                secret=secret,
                proof=proof,
                replace=True,
            )
        except KeyNotStored as exc:
            problem = f"{exc.problem} {exc.fix}".strip()
        if problem is not None:
            self.post_message(ClientProven(proof, None, problem))
            return
        if proof.token is not None:
            await asyncio.to_thread(save_cached_token, services, stored.profile, proof.token)
        self.post_message(ClientProven(proof, stored.profile.name))

    def on_client_proven(self, message: ClientProven) -> None:
        self.proof, self.stored_as = message.proof, message.stored_as
        self.query_one("#oauth-prove", Button).disabled = False
        if message.stored_as is not None:
            self.query_one("#oauth-secret", SecretInput).value = ""  # stored: not kept here
        self._show(_proof_text(message), "is-ok" if message.stored_as else "is-error")

    def on_worker_crashed(self, message: WorkerCrashed) -> None:
        self.query_one("#oauth-prove", Button).disabled = False
        self._show(Content(f"✗ Unexpected error ({message.error_type}); nothing stored."), "")

    def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        self.query_one("#oauth-prove", Button).disabled = False

    def _show(self, content: Content | Text, classes: str) -> None:
        result = self.query_one("#oauth-result", Static)
        result.update(content)
        result.set_classes(classes)


def _proof_text(message: ClientProven) -> Text:
    from qlik_tui.services.oauth_clients import describe_token  # the CLI's sentence too

    proof = message.proof
    text = Text()
    outcome: Outcome = proof.outcome
    user = proof.user
    text.append(f"{outcome.mark} {outcome.title}\n", style="bold")
    if user is None:
        text.append(f"Cause: {outcome.cause}\nNext: {outcome.next_step}\n")
        text.append("Nothing was stored.")
        return text
    roles = ", ".join(role.name for role in user.roles) or "no roles"
    text.append(f"Bot user: {user.name} ({roles})\n")
    text.append(f"Tokens: {describe_token(proof.token)}\n")
    if message.store_problem is not None:
        text.append(f"✗ Not stored: {message.store_problem}")
    elif message.stored_as is not None:
        name = message.stored_as
        text.append(f"✓ Stored as profile '{name}'. ")
        text.append(f"Use it: qlik-tui exec {name} -- COMMAND (QCS_ACCESS_TOKEN); ")
        text.append(f"re-check: qlik-tui check {name}.")
    return text
