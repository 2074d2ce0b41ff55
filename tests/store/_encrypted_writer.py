"""Run in a separate process by the concurrency test: many encrypted-file writes in a row."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_entries(path: str, passphrase: str, prefix: str, count: int, start: Any) -> None:
    from qlik_tui.store.encrypted_file import EncryptedFileKeyring
    from qlik_tui.store.encrypted_format import Argon2idParams

    keyring = EncryptedFileKeyring(
        Path(path), lambda: passphrase, kdf=Argon2idParams(iterations=1, lanes=1, memory_cost_kib=8)
    )
    start.wait(30)
    for index in range(count):
        keyring.set_password("qlik-tui", f"{prefix}-{index}", f"secret of {prefix}-{index}")
