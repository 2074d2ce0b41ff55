"""The tests' in-memory keyring: one ``KeyringBackend`` that keeps secrets in a dict.

Defining a ``KeyringBackend`` subclass registers it with keyring's automatic backend detection;
``MemoryKeyring`` is unregistered at once so no test's ``keyring.get_keyring()`` can pick it up.
Variants (``tests.store.doubles``, ``tests.store.plaintext_backend``) subclass it.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


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


unregister(MemoryKeyring)
