"""The user's way out when the keyring refuses a key or a client secret: write it to a file
they name.

Only ever on the user's explicit choice. The file is created 0600 with O_EXCL and O_NOFOLLOW
(``store.files.write_new_file``): never an existing file, never through a symlink.
"""

from __future__ import annotations

from pathlib import Path

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.oauth import ClientSecret
from qlik_tui.store.files import write_new_file


class RescueFileError(Exception):
    """The file could not be written; ``str()`` says why (never the key)."""


def write_key_file(path: Path, key: ApiKey | ClientSecret) -> Path:
    path = path.expanduser()
    problem: str | None = None
    try:
        write_new_file(path, (key.reveal() + "\n").encode("ascii"))
    except FileExistsError:
        problem = f"{path} already exists: choose a new file name"
    except OSError as exc:
        problem = f"cannot create {path}: {exc.strerror or type(exc).__name__}"
    if problem is not None:  # raised outside the except block: no traceback holds the key
        raise RescueFileError(problem)
    return path.resolve()
