"""The wizard's state: one small object owned by the app, read and written by every step.

The key lives here from the moment it is pasted until it is stored, written to a rescue file or
discarded by the user: going Back, changing the tenant, a failed test or an edit that breaks the
field's text never drops it, and quitting asks first. Nothing here can show the key:
``ApiKey``'s repr hides it, and the text fields are left out of this object's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.oauth_clients import ClientProof
    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile


@dataclass
class ClientState:
    """The OAuth path's part: the client as entered, until its secret is stored, written to a
    rescue file or discarded by the user (the same rules as the key's)."""

    tenant_text: str = ""
    client_id_text: str = ""
    secret_text: str = field(default="", repr=False)  # the secret field's text, as pasted
    # The secret was pasted and is not yet stored, written to a file or discarded on purpose.
    secret_pasted: bool = False
    proof: ClientProof | None = None  # the proof of what the fields hold now
    confirmed_host: str = ""  # a non-Qlik host the user accepted to send the secret to
    profile_name: str = ""
    profile: Profile | None = None  # set once the secret is stored
    storage_description: str = ""
    session_only: bool = False
    rescue_path: Path | None = None

    @property
    def secret_at_risk(self) -> bool:
        return self.secret_pasted and self.profile is None and self.rescue_path is None

    def set_fields(self, tenant_text: str, client_id_text: str, secret_text: str) -> None:
        """What the fields hold now; a change drops the proof (it proved other values)."""
        entered = (tenant_text, client_id_text, secret_text)
        if entered != (self.tenant_text, self.client_id_text, self.secret_text):
            self.proof = None
            if secret_text != self.secret_text:
                # A new secret: where the previous one went says nothing about it.
                self.profile = None
                self.rescue_path = None
        self.tenant_text, self.client_id_text, self.secret_text = entered
        if secret_text.strip():
            self.secret_pasted = True

    def discard_secret(self) -> None:
        """Only on the user's explicit, confirmed choice."""
        self.secret_text = ""
        self.secret_pasted = False
        self.proof = None


@dataclass
class WizardState:
    tenant: Tenant | None = None
    tenant_text: str = ""  # what the user typed, shown again when they come back
    tenant_confirmed: bool = False  # a non-Qlik host the user explicitly accepted
    key: ApiKey | None = None  # what the key field's text parses to (None: it does not)
    key_text: str = field(default="", repr=False)  # the key field's text, parsed or not
    # A key was pasted and is not yet stored, written to a file or discarded on purpose: held
    # apart from ``key``, which follows what the field parses to right now.
    key_pasted: bool = False
    # A key caught in another field (kept out of it), until the user decides where it goes.
    offered_key_text: str = field(default="", repr=False)
    report: VerifyReport | None = None  # the live test of ``key`` against ``tenant``
    profile_name: str = ""  # the name the user chose for the profile
    profile: Profile | None = None  # set once the key is stored
    storage_description: str = ""  # where it was stored, e.g. "SecretService Keyring (...)"
    session_only: bool = False  # the demo kept the key in this session's memory only
    rescue_path: Path | None = None  # set when the user wrote the key to a file instead
    practice_key: ApiKey | None = None  # demo mode: the sandbox key "generated" on step 4
    client: ClientState = field(default_factory=ClientState)  # the OAuth path's

    @property
    def key_at_risk(self) -> bool:
        """A pasted key or client secret that is nowhere but in this process (whether the
        field parses or not)."""
        return self.api_key_at_risk or self.client.secret_at_risk

    @property
    def api_key_at_risk(self) -> bool:
        if self.offered_key_text:
            return True
        return self.key_pasted and self.profile is None and self.rescue_path is None

    def set_tenant(self, tenant: Tenant, text: str, *, confirmed: bool) -> None:
        if tenant != self.tenant:
            self.report = None  # a test result belongs to one tenant and one key
        self.tenant, self.tenant_text, self.tenant_confirmed = tenant, text, confirmed

    def set_key(self, key: ApiKey | None) -> None:
        if key is None or self.key is None or key != self.key:
            self.report = None  # a test result belongs to one key
        if key is not None and key != self.key:
            # A new key: where the previous one went (stored, written) says nothing about it.
            self.profile = None
            self.rescue_path = None
        if key is not None:
            self.key_pasted = True
        self.key = key

    def set_key_text(self, text: str, key: ApiKey | None) -> None:
        """The key field now holds ``text``, which parses to ``key`` (None: it does not)."""
        self.set_key(key)
        self.key_text = text
        if text.strip():
            self.key_pasted = True

    def discard_key(self) -> None:
        """Only on the user's explicit, confirmed choice."""
        self.key = None
        self.key_text = ""
        self.key_pasted = False
        self.report = None
