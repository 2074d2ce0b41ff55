"""Private files on disk: 0700 folders, 0600 files created exclusively, atomic replacement.

CONTRACT:
    make_private_dirs(directory) -> None         # missing parts created 0700; existing left alone
    write_new_file(path, data) -> None           # O_EXCL | O_NOFOLLOW, 0600, fsynced; never
                                                 # replaces anything (FileExistsError)
    stage_file(path, data) -> Path               # a hidden temporary file next to ``path``
    replace_file(temporary, path) -> None        # rename into place, then fsync the folder
    write_atomically(path, data) -> None         # stage_file + replace_file
    fsync_directory(directory) -> None           # make a rename durable (no-op on Windows)
    default_store_path() -> Path                 # where the encrypted key file lives by default
Every failure is the ``OSError`` the system gave; nothing here catches it.
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import suppress
from pathlib import Path

_NEW_FILE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and any missing parents as 0700; existing ones are left alone."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o700)  # exactly 0700 whatever the umask


def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` (never an existing file, never through a symlink), mode 0600, with
    ``data`` flushed to disk. A failed write removes the partial file."""
    fd = os.open(path, _NEW_FILE_FLAGS, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            if sys.platform != "win32":
                os.fchmod(file.fileno(), 0o600)  # exactly 0600 whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with suppress(OSError):
            os.unlink(path)
        raise


def stage_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new hidden file next to ``path``; ``replace_file`` puts it in place.
    Staging first means a folder that refuses new files fails here, before anything else."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    write_new_file(temporary, data)
    return temporary


def replace_file(temporary: Path, path: Path) -> None:
    """Atomically rename ``temporary`` over ``path`` (the temporary file is removed on failure)."""
    try:
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def write_atomically(path: Path, data: bytes) -> None:
    replace_file(stage_file(path, data), path)


def fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX; Windows cannot open a directory for fsync)."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


ENCRYPTED_FILE_NAME = "keys.encrypted"


def default_store_path() -> Path:
    """``<platform data dir>/qlik-tui/keys.encrypted``; XDG_DATA_HOME is read now, not at import.
    Here, not beside the encrypted file's code: asking for the path does not load cryptography."""
    import platformdirs  # only here: reading the profiles file needs no data folder

    return platformdirs.user_data_path("qlik-tui", appauthor=False) / ENCRYPTED_FILE_NAME
