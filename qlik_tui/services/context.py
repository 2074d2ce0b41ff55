"""The stores and settings a command or the app works with, built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from qlik_tui.core.expiry import DEFAULT_WARNING
from qlik_tui.core.settings import ClientSettings
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore


@dataclass
class Services:
    secrets: SecretStore
    profiles: ProfileStore
    client_settings: ClientSettings = field(default_factory=ClientSettings)
    expiry_warning: timedelta = DEFAULT_WARNING
    # Profiles checked at once. Each holds one connection; 24 covers most users' profiles in a
    # single wave and stays far below Qlik's rate tier 1 (1000 requests/minute per tenant).
    check_concurrency: int = 24

    @classmethod
    def default(cls) -> Services:
        return cls(secrets=SecretStore(), profiles=ProfileStore())
