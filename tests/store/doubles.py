"""Test doubles for the keyring backend interface (``KeyringBackend`` subclasses).

Defining a ``KeyringBackend`` subclass registers it with keyring's automatic backend detection;
each double here is unregistered at once so no other test's ``keyring.get_keyring()`` can pick
one up.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from tests.store.plaintext_backend import PlaintextKeyring


def unregister(cls: type[KeyringBackend]) -> None:
    KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]


class MemoryKeyring(KeyringBackend):
    """A recommended-ranked backend that keeps secrets in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


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


for _double in (PlaintextKeyring, MemoryKeyring, TruncatingKeyring, HangingKeyring, LeakyKeyring):
    unregister(_double)
