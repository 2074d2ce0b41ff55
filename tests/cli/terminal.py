"""``qlik-tui`` on a real 80x24 pseudo-terminal, driven like a person at the keyboard: wait for
text on screen, type, paste (bracketed), send a signal, close the terminal, collect what the
terminal received.

The program runs in a session of its own with the pty as its controlling terminal, as under a
terminal emulator: closing the pty's leader hangs the terminal up (the kernel sends SIGHUP).
``controlling=False`` leaves it without one, so only its input ends.

A ``Terminal`` is a context manager: leaving it kills the program's whole process group,
whatever happened in the test. Every terminal still open when a test ends is closed by the
``terminals`` plugin (tests/fixtures/terminals.py), which also fails the session if a process
started here is still alive at its end (they carry ``STARTED_BY_TESTS`` in their environment).
"""

from __future__ import annotations

import contextlib
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
from types import TracebackType

WAIT_SECONDS = 60  # per marker: machines can be busy
# CSI, OSC (ending in BEL or ESC \) and two-byte escapes: what is left is the text shown.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
# Names the test process that started a program, so that leftovers can be found and killed.
STARTED_BY_TESTS = "QLIK_TUI_STARTED_BY_TESTS"
# Run first in the child, a session leader already: make the pty (its stdin) the controlling
# terminal, then become qlik-tui (same pid). A preexec_fn would run Python in a forked copy of a
# multi-threaded test process, which can deadlock.
_TAKE_THE_TERMINAL = (
    "import fcntl, os, sys, termios; "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-m', 'qlik_tui', *sys.argv[1:]])"
)

_open_terminals: set[Terminal] = set()


def shown_text(output: bytes) -> bytes:
    return _ESCAPES.sub(b"", output)


class Terminal:
    def __init__(
        self,
        args: list[str],
        home: Path,
        *,
        env: dict[str, str] | None = None,
        controlling: bool = True,
    ) -> None:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.leader: int | None = leader
        command = ["-c", _TAKE_THE_TERMINAL] if controlling else ["-m", "qlik_tui"]
        try:
            self.process = subprocess.Popen(
                [sys.executable, *command, *args],
                stdin=follower,
                stdout=follower,
                stderr=follower,
                env={
                    **os.environ,
                    "TERM": "xterm-256color",
                    "HOME": str(home),
                    **(env or {}),
                    STARTED_BY_TESTS: str(os.getpid()),
                },
                close_fds=True,
                start_new_session=True,  # its own session and process group: pgid == pid
            )
        except BaseException:
            os.close(leader)
            raise
        finally:
            os.close(follower)
        _open_terminals.add(self)
        self.output = b""
        self.closed = False  # nothing more can be read: the program closed it, or we did
        self.mark = 0  # wait_for looks only at what arrived after the last keys sent

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self, timeout: float) -> None:
        if self.closed or self.leader is None:
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
        assert self.leader is not None, "the terminal was closed"
        self.mark = len(self.output)
        os.write(self.leader, keys)

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends one."""
        self.send(b"\x1b[200~" + text.encode() + b"\x1b[201~")

    def signal(self, number: signal.Signals) -> None:
        self.mark = len(self.output)
        self.process.send_signal(number)

    def hang_up(self) -> None:
        """Close the pty's leader, as a terminal emulator does when its window is closed."""
        if self.leader is not None:
            os.close(self.leader)
            self.leader = None
        self.closed = True

    def exit_code(self, wait: float = WAIT_SECONDS) -> int | None:
        """The program's exit code once it exits, within ``wait`` seconds; None if it is still
        running then."""
        try:
            return self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def finish(self) -> int:
        """Read until the program closes the terminal; its exit code."""
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while not self.closed and time.monotonic() < deadline:
                self._read(0.1)
            return self.process.wait(timeout=30)
        finally:
            self.close()

    def session_processes(self) -> list[int]:
        """The processes still in the program's session (itself included until it is reaped)."""
        return processes_in_session(self.process.pid)

    def close(self) -> None:
        """Kill the program's whole process group if any of it is alive, reap the program and
        close the pty. Safe to call at any time, any number of times."""
        _open_terminals.discard(self)
        with contextlib.suppress(ProcessLookupError):  # the group is gone
            os.killpg(self.process.pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=30)
        finally:
            self.hang_up()

    @property
    def after_mark(self) -> bytes:
        return self.output[self.mark :]


def close_every_terminal() -> int:
    """Close the terminals a test left open; how many there were."""
    left = list(_open_terminals)
    for terminal in left:
        terminal.close()
    return len(left)


def _stat_fields(pid: str) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, ..."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def processes_in_session(session: int) -> list[int]:
    """Live (not zombie) processes whose session id is ``session``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and fields[0] != "Z" and int(fields[3]) == session:
                found.append(int(entry))
    return found


def processes_started_by_tests(test_process: int) -> list[tuple[int, str]]:
    """Live processes that ``Terminal`` started from ``test_process`` (and their children,
    which inherit the environment): (pid, command line)."""
    marker = f"{STARTED_BY_TESTS}={test_process}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # gone, or not ours
        fields = _stat_fields(entry)
        if marker in environ and fields is not None and fields[0] != "Z":
            found.append((int(entry), command.replace(b"\0", b" ").decode(errors="replace")))
    return found


def run_in_terminal(
    args: list[str], steps: list[tuple[bytes, bytes]], home: Path
) -> tuple[int, bytes]:
    """Start ``qlik-tui ARGS`` on an 80x24 pty; for each (marker, keys) step wait for the
    marker, then type the keys. Returns the exit code and everything the terminal received."""
    with Terminal(args, home) as terminal:
        for marker, keys in steps:
            if not terminal.wait_for(marker):
                break
            terminal.send(keys)
        code = terminal.finish()
    return code, terminal.output
