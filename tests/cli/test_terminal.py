"""The CLI in a real pseudo-terminal: the TUI entry points paint and quit, refuse to start
without a terminal, keep asking before a pasted key is lost and end on SIGINT / SIGTERM /
SIGHUP with the terminal restored; ``login`` prompts with hidden input (the key is not echoed,
Ctrl-D stores nothing)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qlik_tui.cli import _tui_arguments, build_parser
from qlik_tui.core.apikey import make_fake_key
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from tests.cli.terminal import Terminal, run_in_terminal, shown_text

CTRL_Q = b"\x11"


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


# -- the hidden prompt closed, the TUI without a terminal ------------------------------------


def test_ctrl_d_at_the_hidden_prompt_says_the_input_was_closed_and_stores_nothing(
    sandbox: SandboxTenant, secret_store: SecretStore, isolated_home: Path
) -> None:
    with Terminal(
        ["login", "--tenant", sandbox.origin, "--name", "closed"], isolated_home
    ) as terminal:
        assert terminal.wait_for(b"Paste your API key (input hidden): ")
        terminal.send(b"\x04")
        code = terminal.finish()
    shown = shown_text(terminal.output).decode(errors="replace")
    assert code == 2, shown
    assert "input was closed" in shown and "nothing was stored" in shown
    assert "internal error" not in shown
    with pytest.raises(KeyNotFound):
        secret_store.load("closed")


@pytest.mark.parametrize("args", [[], ["setup"], ["dashboard"], ["demo", "--port", "0"]])
@pytest.mark.parametrize("piped", ["input", "output"])
def test_the_tui_without_a_terminal_exits_2_at_once_and_names_the_command_to_use(
    args: list[str], piped: str, isolated_home: Path
) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "qlik_tui", *args],
            stdin=subprocess.DEVNULL if piped == "input" else follower,
            stdout=subprocess.PIPE if piped == "output" else follower,
            stderr=subprocess.PIPE,
            env={**os.environ, "TERM": "xterm-256color", "HOME": str(isolated_home)},
            timeout=30,  # the TUI on a pipe would hang here, writing escape codes
        )
    finally:
        os.close(follower)
        os.close(leader)
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert f"standard {piped} is not one" in stderr
    assert "qlik-tui login --tenant HOST --with-token" in stderr and "qlik-tui check" in stderr
    assert b"\x1b" not in (done.stdout or b"")  # not one escape code was written


@pytest.mark.parametrize("args", [[], ["setup"], ["dashboard"]])
def test_the_tui_command_lines_skip_the_parser_and_read_as_it_would_read_them(
    args: list[str],
) -> None:
    assert _tui_arguments(args) == build_parser().parse_args(args)


@pytest.mark.parametrize("args", [["setup", "--help"], ["--version"], ["dashboard", "x"]])
def test_other_command_lines_go_through_the_parser(args: list[str]) -> None:
    assert _tui_arguments(args) is None


# -- the quit guard and the ending signals -------------------------------------------------------

# Enter takes each step's default button; on Generate that is the sandbox key, so ctrl+n moves on.
STEP_KEYS = (
    (b"\r", b"Step 2 of 7"),
    (b"\r", b"Step 3 of 7"),
    (b"\r", b"Step 4 of 7"),
    (b"\x0e", b"Step 5 of 7"),
)
INSPECTED = b"This looks like a Qlik Cloud API key"
NOT_A_KEY = "✗".encode()
# What the driver writes when it gives the terminal back: main screen, mouse off, cursor shown.
RESTORED = (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h")


def a_key() -> str:
    return make_fake_key(key_id="pty-key-id", tenant_id="pty-tenant", sub="pty-user")


@contextmanager
def demo_at_the_paste_step(home: Path) -> Iterator[Terminal]:
    """``qlik-tui demo`` walked to step 5 from the keyboard; killed on leaving."""
    with Terminal(["demo", "--port", "0"], home) as terminal:
        assert terminal.wait_for(b"DEMO")
        for keys, marker in STEP_KEYS:
            terminal.send(keys)
            assert terminal.wait_for(marker), shown_text(terminal.output)[-2000:]
        yield terminal


def test_a_stray_keystroke_after_the_paste_keeps_the_quit_question(isolated_home: Path) -> None:
    with demo_at_the_paste_step(isolated_home) as terminal:
        terminal.paste(a_key())
        assert terminal.wait_for(INSPECTED)
        terminal.send(b"x")  # the field no longer parses
        assert terminal.wait_for(NOT_A_KEY)
        terminal.send(CTRL_Q)
        asked = terminal.wait_for(b"Stay")
        terminal.send(b"\r")  # Stay (the focused answer)
        terminal.signal(signal.SIGTERM)
        code = terminal.finish()
    assert asked, shown_text(terminal.output)[-2000:]
    assert code == 143


@pytest.mark.parametrize(
    ("ending", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
@pytest.mark.parametrize("with_key", [True, False], ids=["key-held", "no-key"])
def test_a_signal_exits_128_plus_n_restores_the_terminal_and_says_the_key_was_not_stored(
    ending: signal.Signals, code: int, with_key: bool, isolated_home: Path
) -> None:
    with demo_at_the_paste_step(isolated_home) as terminal:
        if with_key:
            terminal.paste(a_key())
            assert terminal.wait_for(INSPECTED)
        terminal.signal(ending)
        exit_code = terminal.finish()
    after = terminal.after_mark
    assert exit_code == code, shown_text(after)
    for sequence in RESTORED:
        assert sequence in after
    said = b"the pasted key was not stored" in shown_text(after)
    assert said is with_key
    if with_key:  # said once the terminal is back: after the driver restored it
        assert after.rindex(b"the pasted key was not stored") > after.rindex(RESTORED[0])
