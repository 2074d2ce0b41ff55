"""The user's way out when the keyring refuses a key: write it to a file they name.

Only ever on the user's explicit choice. The file is created 0600 and never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from qlik_tui.core.apikey import ApiKey


class RescueFileError(Exception):
    """The file could not be written; ``str()`` says why (never the key)."""


def write_key_file(path: Path, key: ApiKey) -> Path:
    path = path.expanduser()
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except FileExistsError:
        raise RescueFileError(f"{path} already exists: choose a new file name") from None
    except OSError as exc:
        raise RescueFileError(f"cannot create {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.reveal() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise RescueFileError(f"cannot write {path}: {exc.strerror}") from None
    return path.resolve()
