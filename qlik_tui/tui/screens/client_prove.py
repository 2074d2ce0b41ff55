"""OAuth step 4: prove the client, then store its secret.

The proof is ``services.oauth_clients.prove_client``: an access token minted at
``POST /oauth/token`` (client credentials), then ``GET /api/v1/users/me`` with it (the client's
bot user). It runs in an async worker, cancellable with Esc, that only posts messages; its
description names the tenant, never the secret. A refusal is its outcome row (cause, next
step) with Retry and "Change ID or secret": the secret stays in the wizard state either way.
After a pass the ``StorePanel`` stores the secret (one all-or-nothing service call), or writes
it to a file, or discards it on the user's confirmed word. Tenant words (the bot user's name,
roles, scope) are plain ``Content``, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from qlik_tui.core.models import user_with_email
from qlik_tui.core.outcomes import Verdict
from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.preload import load_services
from qlik_tui.tui.screens.client_base import ClientWizardStep
from qlik_tui.tui.screens.client_enter import EnteredClient, check_fields
from qlik_tui.tui.screens.proof_step import ProofMode, ProofStep
from qlik_tui.tui.screens.store_panel import StoreEnd, StorePanel
from qlik_tui.tui.screens.tenant import needs_confirmation
from qlik_tui.tui.storable import ProvenClient
from qlik_tui.tui.widgets.outcome_panel import Fields, OutcomePanel

if TYPE_CHECKING:
    from qlik_tui.core.oauth import ClientSecret
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.oauth_clients import ClientProof

PROVE_GROUP = "oauth-prove"
SECRETS_LIMIT = 5  # Qlik's limit of secrets per client at one time


class ClientProveScreen(ProofStep, ClientWizardStep):
    STEP = ClientStep.PROVE
    STEP_TITLE = "OAuth: prove and store"
    NEXT_LABEL = "Store secret →"
    PROOF_GROUP = PROVE_GROUP
    NOUN = "client secret"
    FAILURE_ACTIONS = (("Change ID or secret", "change-client"), ("How to create one", "how-to"))

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_test", "Cancel"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "store", "Store secret", show=False),
    ]

    @dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
    class ProofFinished(Message):
        """``prove_client`` returned (every outcome, success or failure, is in the proof)."""

        proof: ClientProof

    def __init__(self) -> None:
        super().__init__()
        client = self.state.client
        self.entered: EnteredClient = check_fields(
            client.tenant_text, client.client_id_text, client.secret_text
        )

    @property
    def proof_passed(self) -> bool:
        proof = self.state.client.proof
        return proof is not None and proof.outcome.verdict is Verdict.VALID and self.outcome is None

    @property
    def proof_tenant(self) -> Tenant | None:
        return self.entered.tenant

    async def begin(self) -> None:
        entered = self.entered
        tenant, client_id = entered.tenant, entered.client_id
        unconfirmed = (
            tenant is not None
            and needs_confirmation(tenant)
            and self.state.client.confirmed_host != tenant.display_host
        )
        if tenant is None or client_id is None or entered.secret is None or unconfirmed:
            self.qapp.go_to_client_step(ClientStep.ENTER)  # reached without them: get them
            return
        await self.show_intro(
            Content.from_markup(
                "Proving client [b]$client_id[/b] on [b]$host[/b]: an access token minted at "
                "POST /oauth/token, then GET /api/v1/users/me with it (the client's bot user). "
                "The secret goes to this tenant only.",
                client_id=client_id,
                host=tenant.display_host,
            )
        )
        proof = self.state.client.proof
        if proof is not None:
            await self._show_proof(proof)  # proven already; nothing changed since
        else:
            self.start_proof()

    # -- the proof ---------------------------------------------------------------------------

    def start_proof(self) -> None:
        entered = self.entered
        tenant, client_id, secret = entered.tenant, entered.client_id, entered.secret
        if tenant is None or client_id is None or secret is None:
            return
        self.outcome = None
        self.state.client.proof = None
        self.mode = ProofMode.RUNNING
        worker = self.run_proof(self.qapp.services, tenant, client_id, secret)
        worker.description = f"Proving an OAuth client on {tenant.display_host}"

    @work(group=PROVE_GROUP, exclusive=True, exit_on_error=False, description="Proving a client")
    async def run_proof(
        self, services: Services, tenant: Tenant, client_id: str, secret: ClientSecret
    ) -> None:
        await load_services()  # off the event loop: the spinner keeps turning
        from qlik_tui.services.oauth_clients import prove_client

        proof = await prove_client(tenant, client_id, secret, settings=services.client_settings)
        self.post_message(self.ProofFinished(proof))

    async def on_client_prove_screen_proof_finished(
        self, message: ClientProveScreen.ProofFinished
    ) -> None:
        if self.mode is not ProofMode.RUNNING:
            return
        self.state.client.proof = message.proof
        await self._show_proof(message.proof)

    async def _show_proof(self, proof: ClientProof) -> None:
        if proof.outcome.verdict is Verdict.VALID and proof.user is not None:
            await self._show_success(proof)
        else:
            await self.show_failure(proof.outcome)

    async def _show_success(self, proof: ClientProof) -> None:
        entered = self.entered
        assert entered.tenant is not None and entered.client_id is not None
        assert entered.secret is not None
        proven = ProvenClient(entered.tenant, entered.client_id, entered.secret, proof)
        await self.show_success(proof_panel(proof), proven)

    @on(Button.Pressed, "#change-client")
    def _change_client(self) -> None:
        self.qapp.go_to_client_step(ClientStep.ENTER)

    @on(Button.Pressed, "#how-to")
    def _how_to(self) -> None:
        self.qapp.go_to_client_step(ClientStep.CREATE)

    def on_store_panel_finished(self, message: StorePanel.Finished) -> None:
        if message.end is StoreEnd.DISCARDED:
            self.qapp.go_to_client_step(ClientStep.ENTER)
        else:
            self.qapp.go_to_client_step(ClientStep.DONE)


def proof_panel(proof: ClientProof) -> OutcomePanel:
    """What the proof learnt: the bot user, its roles, the token's lifetime and scope."""
    from qlik_tui.services.oauth_clients import describe_token  # the CLI's sentence too

    outcome, user = proof.outcome, proof.user
    rows: list[tuple[str, str | None]] = []
    if user is not None:
        rows += [
            ("Bot user", user_with_email(user.name, user.email)),
            ("User id", user.id),
            ("Tenant id", user.tenant_id),
            ("Roles", ", ".join(role.name for role in user.roles) or "none"),
        ]
    rows.append(("Access token", describe_token(proof.token)))
    record = proof.client
    if record is not None:
        rows.append(("Secrets", f"{len(record.secrets)} of at most {SECRETS_LIMIT} on the client"))
    status = f"HTTP {outcome.http_status}" if outcome.http_status else None
    latency = outcome.latency_text
    rows.append(("Answer", " · ".join(x for x in (status, latency) if x) or None))
    return OutcomePanel("success", f"{outcome.mark} {outcome.title}", Fields(rows))
