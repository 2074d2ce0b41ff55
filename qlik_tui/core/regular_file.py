"""Reading a file that must be a regular file, without ever waiting on it.

Opening a FIFO (named pipe) for reading waits until something opens it for writing, and reading
a device may never end: a FIFO put at profiles.json or the encrypted key file would hang every
command. So every file qlik-tui reads is opened with ``O_NONBLOCK`` (which no open of a regular
file waits on), checked with ``fstat`` on the descriptor it opened (no race with a swap of the
name), and refused unless it is a regular file.

CONTRACT:
    read_regular_file(path, limit, *, follow_symlinks=True) -> bytes
        # at most limit + 1 bytes (the caller tells "too large"); raises NotARegularFile, or the
        # OSError the system gave (FileNotFoundError, PermissionError, ...)
    refuse_unless_regular(path) -> None   # for a file another library opens: raises
                                          # NotARegularFile for an existing non-regular file
    NotARegularFile(path, kind)   # an OSError; .path, .kind ("a FIFO (named pipe)", ...)
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 64 * 1024


class NotARegularFile(OSError):
    """``path`` is a FIFO, a directory, a socket or a device: never read."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        self.path = path
        self.kind = kind


def kind_of_mode(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular_file(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    flags = _READ_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        # A socket cannot be opened at all (ENXIO); say what it is rather than "no device".
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.EOPNOTSUPP):
            refuse_unless_regular(path)
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(path, kind_of_mode(info.st_mode))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def refuse_unless_regular(path: Path) -> None:
    """Raise ``NotARegularFile`` when ``path`` exists and is not a regular file (``stat`` never
    waits on a FIFO); a missing or unreadable path is left to whoever opens it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise NotARegularFile(path, kind_of_mode(mode))
