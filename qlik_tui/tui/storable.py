"""What the store panel stores: a proven API key (``ProvenKey``) or a proven OAuth client's
secret (``ProvenClient``). Each says how it is stored (one all-or-nothing service call), who
else holds it, how it is written to a rescue file, and what the wizard's state records once it
is stored, written or discarded; the panel (``screens/store_panel.py``) does the rest the same
way for both.

The services are imported inside the methods: they load httpx, which start-up never does, and
the panel calls them from its thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.oauth import ClientSecret
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.oauth_clients import ClientProof
    from qlik_tui.services.results import StoredKey
    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.state import WizardState


@dataclass(frozen=True)
class Holders:
    """Other profiles already hold this credential: ``label`` names it ("Key abc…")."""

    label: str
    names: tuple[str, ...]


class Storable(Protocol):
    """A proven credential the store panel can store (all or nothing)."""

    @property
    def tenant(self) -> Tenant: ...

    @property
    def noun(self) -> str:
        """What the panel's sentences call it: "key", "client secret"."""
        ...

    @property
    def action(self) -> str:
        """The button that stores it: "Store key", "Store secret"."""
        ...

    @property
    def secret_service(self) -> str | None:
        """The key store's service name of its entry (None: the API key entry)."""
        ...

    @property
    def rescue_placeholder(self) -> str: ...

    def default_name(self) -> str: ...

    def chosen_name(self, state: WizardState) -> str:
        """The profile name the user chose earlier on this path ("" if none)."""
        ...

    def held_by(self, profiles: list[Profile], name: str) -> Holders | None: ...

    def store(self, services: Services, name: str, *, replace: bool) -> StoredKey:
        """Raises ``KeyNotStored`` (see ``services.storing``)."""
        ...

    def write_to(self, path: Path) -> Path:
        """Raises ``RescueFileError``."""
        ...

    def record_name(self, state: WizardState, name: str) -> None: ...

    def record_stored(
        self, state: WizardState, profile: Profile, where: str, *, session_only: bool
    ) -> None: ...

    def record_rescued(self, state: WizardState, path: Path) -> None: ...

    def discard(self, state: WizardState) -> None:
        """Only on the user's explicit, confirmed choice."""
        ...


@dataclass(frozen=True)
class ProvenKey:
    """An API key the live test proved (``report``)."""

    tenant: Tenant
    key: ApiKey
    report: VerifyReport | None = None
    noun: str = "key"
    action: str = "Store key"
    secret_service: str | None = None
    rescue_placeholder: str = "~/qlik-api-key.txt"

    def default_name(self) -> str:
        from qlik_tui.services.login import default_profile_name

        return default_profile_name(self.tenant)

    def chosen_name(self, state: WizardState) -> str:
        return state.profile_name

    def held_by(self, profiles: list[Profile], name: str) -> Holders | None:
        from qlik_tui.services.shared_keys import holders

        key_id = self.key.info.key_id
        others = holders(profiles, origin=self.tenant.origin, key_id=key_id, besides=name)
        if not others or not key_id:
            return None
        return Holders(f"Key {key_id}", tuple(p.name for p in others))

    def store(self, services: Services, name: str, *, replace: bool) -> StoredKey:
        from qlik_tui.services.storing import store_key

        return store_key(
            services,
            name=name,
            tenant=self.tenant,
            key=self.key,
            report=self.report,
            replace=replace,
        )

    def write_to(self, path: Path) -> Path:
        from qlik_tui.services.rescue import write_key_file

        return write_key_file(path, self.key)

    def record_name(self, state: WizardState, name: str) -> None:
        state.profile_name = name

    def record_stored(
        self, state: WizardState, profile: Profile, where: str, *, session_only: bool
    ) -> None:
        state.profile = profile
        state.storage_description = where
        state.session_only = session_only

    def record_rescued(self, state: WizardState, path: Path) -> None:
        state.rescue_path = path

    def discard(self, state: WizardState) -> None:
        state.discard_key()


@dataclass(frozen=True)
class ProvenClient:
    """An OAuth client whose secret minted a token that read ``/users/me`` (``proof``)."""

    tenant: Tenant
    client_id: str
    secret: ClientSecret = field(repr=False)
    proof: ClientProof | None = None
    noun: str = "client secret"
    action: str = "Store secret"
    rescue_placeholder: str = "~/qlik-client-secret.txt"

    @property
    def secret_service(self) -> str | None:
        from qlik_tui.store.secrets import CLIENT_SECRET_SERVICE

        return CLIENT_SECRET_SERVICE

    def default_name(self) -> str:
        from qlik_tui.services.login import default_profile_name

        return f"{default_profile_name(self.tenant)}-client"

    def chosen_name(self, state: WizardState) -> str:
        return state.client.profile_name

    def held_by(self, profiles: list[Profile], name: str) -> Holders | None:
        others = tuple(
            p.name
            for p in profiles
            if p.name != name
            and p.origin == self.tenant.origin
            and p.is_oauth_client
            and p.client_id == self.client_id
        )
        return Holders(f"Client {self.client_id}", others) if others else None

    def store(self, services: Services, name: str, *, replace: bool) -> StoredKey:
        import contextlib

        from qlik_tui.services.storing import store_client
        from qlik_tui.services.token_cache import save_cached_token
        from qlik_tui.store.errors import StoreError

        stored = store_client(
            services,
            name=name,
            tenant=self.tenant,
            client_id=self.client_id,
            secret=self.secret,
            proof=self.proof,
            replace=replace,
        )
        token = self.proof.token if self.proof is not None else None
        if token is not None:  # the proof's token serves the first `token`/`exec` (a bonus)
            with contextlib.suppress(StoreError):
                save_cached_token(services, stored.profile, token)
        return stored

    def write_to(self, path: Path) -> Path:
        from qlik_tui.services.rescue import write_key_file

        return write_key_file(path, self.secret)

    def record_name(self, state: WizardState, name: str) -> None:
        state.client.profile_name = name

    def record_stored(
        self, state: WizardState, profile: Profile, where: str, *, session_only: bool
    ) -> None:
        state.client.profile = profile
        state.client.storage_description = where
        state.client.session_only = session_only

    def record_rescued(self, state: WizardState, path: Path) -> None:
        state.client.rescue_path = path

    def discard(self, state: WizardState) -> None:
        state.client.discard_secret()
