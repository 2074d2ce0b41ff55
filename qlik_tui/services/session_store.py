"""The demo's "this demo session only" store: keys in this process's memory, profiles in a
temporary folder. Offered only by ``qlik-tui demo``, for practice keys, so that the demo can
finish on a machine where no OS keyring runs; nothing of it outlives the process.

CONTRACT:
    session = SessionStore()                   # makes nothing yet
    services = session.services_from(base)     # the same services, keeping keys in memory
    session.close()                            # removes the folder (also at interpreter exit)
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStores
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore


class SessionStore:
    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._services: Services | None = None

    def __repr__(self) -> str:
        return f"SessionStore(open={self._folder is not None})"

    def services_from(self, base: Services) -> Services:
        """``base`` writing to and reading from this session's store (made on first call; the
        same one after that)."""
        if self._services is None:
            from qlik_tui.store.session_keyring import SessionKeyring

            self._folder = tempfile.TemporaryDirectory(prefix="qlik-tui-demo-session-")
            secrets = SecretStore(
                base.secrets.deadline_s, SessionKeyring(), service=base.secrets.service_name
            )
            self._services = dataclasses.replace(
                base,
                secrets=secrets,
                profiles=ProfileStore(Path(self._folder.name) / "profiles.json"),
                key_stores=KeyStores(keyring=secrets),
            )
        return self._services

    def close(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
            self._services = None
