"""The CLI in a real pseudo-terminal: the TUI entry points paint and quit; ``login`` prompts
with hidden input (the key is not echoed)."""

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

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.secrets import SecretStore

CTRL_Q = b"\x11"


def run_in_terminal(
    args: list[str], steps: list[tuple[bytes, bytes]], home: Path
) -> tuple[int, bytes]:
    """Start ``qlik-tui ARGS`` on an 80x24 pty; for each (marker, keys) step wait for the
    marker, then type the keys. Returns the exit code and everything the terminal showed."""
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

    def read_until(marker: bytes | None) -> bool:
        nonlocal seen
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if marker is not None and marker in seen:
                return True
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    return marker is None  # the program exited and closed the terminal
                if not chunk:
                    return marker is None
                seen += chunk
        return False

    try:
        for marker, keys in steps:
            if not read_until(marker):
                break
            os.write(leader, keys)
        read_until(None)
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
    code, seen = run_in_terminal(args, [(marker, CTRL_Q)], isolated_home)
    assert marker in seen
    assert code == 0


def test_login_prompts_for_the_key_without_echoing_it(
    sandbox: SandboxTenant, secret_store: SecretStore, isolated_home: Path
) -> None:
    key = sandbox.issue_key()
    code, seen = run_in_terminal(
        ["login", "--tenant", sandbox.origin, "--name", "typed"],
        [(b"Paste your API key (input hidden): ", key.encode() + b"\r")],
        isolated_home,
    )
    assert code == 0, seen.decode(errors="replace")
    assert b"The key works" in seen
    assert key.rsplit(".", 1)[1][:16].encode() not in seen  # not echoed, not printed
    assert secret_store.load("typed").reveal() == key
