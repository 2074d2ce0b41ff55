"""A stand-in for keyrings.alt's PlaintextKeyring: keyring ranks it "not recommended"
(priority 0.5) and it keeps secrets unencrypted (here, in memory).

Select it with ``PYTHON_KEYRING_BACKEND=tests.store.plaintext_backend.PlaintextKeyring``.
Importing this module registers the class with keyring's backend detection, so import it only in
subprocesses, or unregister it (see ``tests.store.memory_keyring.unregister``).
"""

from __future__ import annotations

from tests.store.memory_keyring import MemoryKeyring


class PlaintextKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]
