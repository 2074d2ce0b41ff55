"""Test doubles for the keyring backend interface: the in-memory keyring and its variants.

Defining a ``KeyringBackend`` subclass registers it with keyring's automatic backend detection;
each double here is unregistered at once so no other test's ``keyring.get_keyring()`` can pick
one up.
"""

from __future__ import annotations

import threading

from tests.store.memory_keyring import MemoryKeyring, unregister
from tests.store.plaintext_backend import PlaintextKeyring


class TruncatingKeyring(MemoryKeyring):
    """Keeps only the first ``limit`` characters, like Windows Credential Manager (1280)."""

    def __init__(self, limit: int = 1280) -> None:
        super().__init__()
        self.limit = limit

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password[: self.limit])


class HangingKeyring(MemoryKeyring):
    """Every call waits until ``release`` is set: a keyring stuck behind an unlock prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait()
        super().delete_password(service, username)


class LeakyKeyring(MemoryKeyring):
    """A badly behaved backend whose error messages quote the secret."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"cannot store {password!r} for {username}")

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"backend state: {self.items!r}")


class RefusingKeyring(MemoryKeyring):
    """Usable until a key is saved, then refuses: a keyring that locks between probe and save."""

    def set_password(self, service: str, username: str, password: str) -> None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("the collection is locked")


for _double in (
    PlaintextKeyring,
    TruncatingKeyring,
    HangingKeyring,
    LeakyKeyring,
    RefusingKeyring,
):
    unregister(_double)

__all__ = [
    "HangingKeyring",
    "LeakyKeyring",
    "MemoryKeyring",
    "PlaintextKeyring",
    "RefusingKeyring",
    "TruncatingKeyring",
]
