"""The wizard's state: one small object owned by the app, read and written by every step.

The key lives here from the moment it parses until it is stored, written to a rescue file or
discarded by the user: going Back, changing the tenant or a failed test never drops it.
Nothing here can show the key: ``ApiKey``'s repr hides it, and so does this object's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile


@dataclass
class WizardState:
    tenant: Tenant | None = None
    tenant_text: str = ""  # what the user typed, shown again when they come back
    tenant_confirmed: bool = False  # a non-Qlik host the user explicitly accepted
    key: ApiKey | None = None
    report: VerifyReport | None = None  # the live test of ``key`` against ``tenant``
    profile_name: str = ""  # the name the user chose for the profile
    profile: Profile | None = None  # set once the key is stored
    storage_description: str = ""  # where it was stored, e.g. "SecretService Keyring (...)"
    rescue_path: Path | None = None  # set when the user wrote the key to a file instead
    practice_key: ApiKey | None = None  # demo mode: the sandbox key "generated" on step 4

    @property
    def key_at_risk(self) -> bool:
        """A pasted key that is nowhere but in this process."""
        return self.key is not None and self.profile is None and self.rescue_path is None

    def set_tenant(self, tenant: Tenant, text: str, *, confirmed: bool) -> None:
        if tenant != self.tenant:
            self.report = None  # a test result belongs to one tenant and one key
        self.tenant, self.tenant_text, self.tenant_confirmed = tenant, text, confirmed

    def set_key(self, key: ApiKey | None) -> None:
        if key is None or self.key is None or key != self.key:
            self.report = None
            self.profile = None
            self.rescue_path = None
        self.key = key

    def discard_key(self) -> None:
        """Only on the user's explicit, confirmed choice."""
        self.key = None
        self.report = None
