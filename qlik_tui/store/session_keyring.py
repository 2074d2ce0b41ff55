"""Keys kept in this process's memory only: the demo's "this demo session only" store, for a
machine where no OS keyring runs and the user does not want an encrypted file for a practice
key. Nothing is written anywhere; every key is gone when qlik-tui quits.

``priority`` is -1, below keyring's own "no backend" placeholder, so keyring never picks it by
itself (a real key must never land here silently): only code that builds one uses it.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

SESSION_STORE_NAME = "this demo session only"
SESSION_STORE_KIND = "in memory; gone when qlik-tui quits"


class SessionKeyring(KeyringBackend):
    priority = -1  # never chosen automatically
    name = SESSION_STORE_NAME

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._entries: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"SessionKeyring({len(self._entries)} entries)"

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry in this session's store")
