"""Services over both real key stores: an in-memory OS keyring and the real encrypted file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from qlik_tui.core.outcomes import Outcome
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStoreKind, KeyStores
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.services import TEST_KDF, make_services
from tests.store.memory_keyring import MemoryKeyring, unregister

PASSPHRASE = "correct horse battery staple"
TENANT = parse_tenant("https://acme.eu.qlikcloud.com")
NAME = "vault"


def outcome_words(outcome: Outcome) -> str:
    return f"{outcome.title} {outcome.cause} {outcome.next_step}"


def profile_in(services: Services, kind: KeyStoreKind) -> Profile:
    """Profile ``NAME`` of ``TENANT`` whose key is recorded in store ``kind``."""
    profile = Profile(name=NAME, origin=TENANT.origin, store=kind.value)
    services.profiles.put(profile)
    return profile


class UndeletableKeyring(MemoryKeyring):
    """Keeps and returns keys, but refuses to delete one: a keyring locked since the save."""

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


unregister(UndeletableKeyring)


def services_with_both_stores(
    root: Path, keyring: KeyringBackend, *, unlocked: bool = True
) -> Services:
    """Services writing to the OS keyring ``keyring``, with the encrypted file under ``root``
    (unlocked with ``PASSPHRASE`` unless ``unlocked`` is False)."""
    os_keyring = SecretStore(backend=keyring)
    stores = KeyStores(os_keyring, encrypted_path=root / "data" / "keys.encrypted", kdf=TEST_KDF)
    if unlocked:
        stores.unlock_encrypted(lambda: PASSPHRASE)
    return dataclasses.replace(make_services(root, os_keyring), key_stores=stores)
