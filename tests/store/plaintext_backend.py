"""A stand-in for keyrings.alt's PlaintextKeyring: keyring ranks it "not recommended"
(priority 0.5) and it keeps secrets unencrypted (here, in memory).

Select it with ``PYTHON_KEYRING_BACKEND=tests.store.plaintext_backend.PlaintextKeyring``.
Importing this module registers the class with keyring's backend detection, so import it only in
subprocesses, or unregister it (see ``tests.store.doubles.unregister``).
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class PlaintextKeyring(KeyringBackend):
    priority = 0.5  # type: ignore[assignment]

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
