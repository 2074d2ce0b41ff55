"""``qlik-tui`` on a real 80x24 pseudo-terminal, driven like a person at the keyboard: wait for
text on screen, type, paste (bracketed), send a signal, collect what the terminal received."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

WAIT_SECONDS = 60  # per marker: machines can be busy
# CSI, OSC (ending in BEL or ESC \) and two-byte escapes: what is left is the text shown.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def shown_text(output: bytes) -> bytes:
    return _ESCAPES.sub(b"", output)


class Terminal:
    def __init__(self, args: list[str], home: Path, *, env: dict[str, str] | None = None) -> None:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.leader = leader
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qlik_tui", *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**os.environ, "TERM": "xterm-256color", "HOME": str(home), **(env or {})},
            close_fds=True,
            start_new_session=True,
        )
        os.close(follower)
        self.output = b""
        self.closed = False
        self.mark = 0  # wait_for looks only at what arrived after the last keys sent

    def _read(self, timeout: float) -> None:
        if self.closed:
            return
        ready, _, _ = select.select([self.leader], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.leader, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True  # the program exited and closed the terminal
        self.output += chunk

    def wait_for(self, marker: bytes) -> bool:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not self.closed:
            if marker in shown_text(self.output[self.mark :]):
                return True
            self._read(0.1)
        return marker in shown_text(self.output[self.mark :])

    def send(self, keys: bytes) -> None:
        self.mark = len(self.output)
        os.write(self.leader, keys)

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends one."""
        self.send(b"\x1b[200~" + text.encode() + b"\x1b[201~")

    def signal(self, number: signal.Signals) -> None:
        self.mark = len(self.output)
        self.process.send_signal(number)

    def finish(self) -> int:
        """Read until the program closes the terminal; its exit code."""
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while not self.closed and time.monotonic() < deadline:
                self._read(0.1)
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.leader)

    @property
    def after_mark(self) -> bytes:
        return self.output[self.mark :]
