"""The stores and settings a command or the app works with, built once and passed down.

``secrets`` is the store this ``Services`` writes new keys to (the OS keyring unless
``storing_in`` chose the encrypted file); ``key_stores`` holds both stores of the process, so
``secrets_for(profile)`` reads each profile's key where its profile says it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

from qlik_tui.core.settings import DEFAULT_WARNING, ClientSettings
from qlik_tui.store.key_stores import KeyStoreKind, KeyStores, kind_of
from qlik_tui.store.profiles import Profile, ProfileStore
from qlik_tui.store.secrets import SecretStore


@dataclass
class Services:
    secrets: SecretStore
    profiles: ProfileStore
    client_settings: ClientSettings = field(default_factory=ClientSettings)
    expiry_warning: timedelta = DEFAULT_WARNING
    # Profiles in progress at once (their keyring reads, their tasks). Their requests wait for
    # their place in each origin's pace (core/pacing): how many at once is learnt from the
    # tenant's answers, within Qlik's rate tiers.
    check_concurrency: int = 256
    # Both key stores of the process (default: the OS keyring is ``secrets``).
    key_stores: KeyStores | None = None

    def __post_init__(self) -> None:
        if self.key_stores is None:
            self.key_stores = KeyStores(keyring=self.secrets)

    @property
    def stores(self) -> KeyStores:
        assert self.key_stores is not None  # set in __post_init__
        return self.key_stores

    def secrets_for(self, profile: Profile) -> SecretStore:
        """The store holding ``profile``'s key (a store kind this qlik-tui does not know reads
        as the OS keyring, where the key will not be found: the check says so)."""
        return self.stores.for_kind(kind_of(profile) or KeyStoreKind.KEYRING)

    def storing_in(self, kind: KeyStoreKind) -> Services:
        """These services, writing new keys to ``kind`` (the same stores, one per process)."""
        target = self.stores.for_kind(kind)
        return self if target is self.secrets else dataclasses.replace(self, secrets=target)

    def for_profile(self, profile: Profile | None) -> Services:
        """These services, with ``secrets`` the store of ``profile``'s key."""
        if profile is None:
            return self
        return dataclasses.replace(self, secrets=self.secrets_for(profile))

    @classmethod
    def default(cls) -> Services:
        return cls(secrets=SecretStore(), profiles=ProfileStore())
