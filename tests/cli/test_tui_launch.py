"""The CLI's TUI entry points, in a real pseudo-terminal: ``demo`` and ``setup`` start, paint
their first screen and quit cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

CTRL_Q = b"\x11"


def run_in_terminal(args: list[str], marker: bytes, home: Path) -> tuple[int, bytes]:
    """Start ``qlik-tui ARGS`` on an 80x24 pty, wait for ``marker``, press ctrl+q."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "qlik_tui", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        if marker in seen:
            os.write(leader, CTRL_Q)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    return code, seen


@pytest.mark.parametrize(
    ("args", "marker"),
    [(["demo", "--port", "0"], b"DEMO"), (["setup"], b"Welcome")],
)
def test_tui_commands_paint_their_first_screen_and_quit(
    args: list[str], marker: bytes, isolated_home: Path
) -> None:
    code, seen = run_in_terminal(args, marker, isolated_home)
    assert marker in seen
    assert code == 0
