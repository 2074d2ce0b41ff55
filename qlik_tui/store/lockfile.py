"""An exclusive inter-process lock on a file: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows.

The lock belongs to the open file, not the process, so two ``LockFile`` objects on the same path
exclude each other even inside one process (threads included). The lock file is never deleted:
removing it while another process waits on it would let two holders in at once.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


_FIRST_WAIT_S = 0.001
_LONGEST_WAIT_S = 0.05


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than we were willing to wait."""

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        super().__init__(f"{path} stayed locked for {timeout_s:g} s")


class LockFile:
    """``with LockFile(path, timeout_s=10):`` holds an exclusive lock on ``path`` (created 0600
    if missing). Polls with a short back-off rather than blocking, so a stuck holder produces
    ``LockTimeout`` instead of a hang."""

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this LockFile")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o600)
        deadline = time.monotonic() + self.timeout_s
        wait_s = _FIRST_WAIT_S
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise LockTimeout(self.path, self.timeout_s)
                time.sleep(wait_s)
                wait_s = min(wait_s * 2, _LONGEST_WAIT_S)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> LockFile:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
