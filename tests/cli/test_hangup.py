"""A terminal that goes away ends the TUI: closing the pty (with SIGHUP when it is the controlling
terminal, with only the end of the input when it is not) or a SIGHUP makes ``qlik-tui`` exit 129,
with nothing of its session left running. And the test terminals themselves leave nothing
behind."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import signal
import threading
from pathlib import Path

import pytest
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from qlik_tui.commands import exits
from qlik_tui.core.apikey import make_fake_key
from qlik_tui.tui.terminal_driver import DroppingWritesWhenGone
from tests.cli.terminal import (
    Terminal,
    close_every_terminal,
    processes_started_by_tests,
    shown_text,
)

REPO = Path(__file__).resolve().parents[2]
EXIT_SECONDS = 30  # a deadline, not a measurement: machines can be busy
FIRST_SCREENS = [(["demo", "--port", "0"], b"DEMO"), (["setup"], b"Welcome")]
# What the driver writes when it gives the terminal back: main screen, mouse off, cursor shown.
RESTORED = (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h")
# Enter takes each step's default button; on Generate that is the sandbox key, so ctrl+n moves on.
TO_THE_PASTE_STEP = (
    (b"\r", b"Step 2 of 7"),
    (b"\r", b"Step 3 of 7"),
    (b"\r", b"Step 4 of 7"),
    (b"\x0e", b"Step 5 of 7"),
)


@pytest.mark.parametrize(("args", "marker"), FIRST_SCREENS, ids=["demo", "setup"])
@pytest.mark.parametrize(
    "controlling", [True, False], ids=["controlling-terminal", "input-ends-only"]
)
def test_closing_the_terminal_ends_the_tui_with_129_and_leaves_nothing_running(
    args: list[str], marker: bytes, controlling: bool, isolated_home: Path
) -> None:
    with Terminal(args, isolated_home, controlling=controlling) as terminal:
        assert terminal.wait_for(marker), shown_text(terminal.output)[-2000:]
        terminal.hang_up()
        code = terminal.exit_code(wait=EXIT_SECONDS)
        left = terminal.session_processes()
    assert code == exits.HUNG_UP
    assert left == []


def test_closing_the_terminal_while_a_pasted_key_is_held_still_exits_129(
    isolated_home: Path,
) -> None:
    """The line saying the key was not stored has nowhere to go: it is dropped, not a crash."""
    key = make_fake_key(key_id="hangup-key-id", tenant_id="hangup-tenant", sub="hangup-user")
    with Terminal(["demo", "--port", "0"], isolated_home) as terminal:
        assert terminal.wait_for(b"DEMO")
        for keys, step in TO_THE_PASTE_STEP:
            terminal.send(keys)
            assert terminal.wait_for(step), shown_text(terminal.output)[-2000:]
        terminal.paste(key)
        assert terminal.wait_for(b"This looks like a Qlik Cloud API key")
        terminal.hang_up()
        code = terminal.exit_code(wait=EXIT_SECONDS)
        left = terminal.session_processes()
    assert code == exits.HUNG_UP
    assert left == []


@pytest.mark.parametrize(("args", "marker"), FIRST_SCREENS, ids=["demo", "setup"])
def test_sighup_ends_the_tui_with_129_and_restores_the_terminal(
    args: list[str], marker: bytes, isolated_home: Path
) -> None:
    with Terminal(args, isolated_home) as terminal:
        assert terminal.wait_for(marker)
        terminal.signal(signal.SIGHUP)
        code = terminal.finish()
        after = terminal.after_mark
    assert code == exits.HUNG_UP, shown_text(after)
    for sequence in RESTORED:
        assert sequence in after
    assert b"crashed" not in shown_text(after)


def test_the_screen_writer_outlives_a_closed_terminal_and_drops_what_is_written() -> None:
    """Textual's writer thread dies of the first EIO, and the app then blocks for ever on its
    full queue; through ``DroppingWritesWhenGone`` it takes every write and stops when told."""
    leader, follower = pty.openpty()
    os.close(leader)  # the terminal hangs up: writing to it fails with EIO
    stream = open(follower, "w", encoding="utf-8")  # noqa: SIM115 (closed below, EIO or not)
    output = DroppingWritesWhenGone(stream)
    writer = WriterThread(output)  # type: ignore[arg-type]
    writer.start()

    def write_more_than_the_queue_holds() -> None:
        for number in range(4 * MAX_QUEUED_WRITES):
            writer.write(f"line {number}\n")
        writer.stop()

    feeder = threading.Thread(target=write_more_than_the_queue_holds, daemon=True)
    try:
        feeder.start()
        feeder.join(timeout=EXIT_SECONDS)  # a deadline: it returns at once unless blocked
    finally:
        with contextlib.suppress(OSError):
            stream.close()
    assert not feeder.is_alive()
    assert not writer.is_alive()
    assert output.gone


def test_a_terminal_left_open_is_killed_with_its_whole_session(isolated_home: Path) -> None:
    terminal = Terminal(["demo", "--port", "0"], isolated_home)
    assert terminal.wait_for(b"DEMO")
    assert terminal.session_processes() == [terminal.process.pid]
    assert close_every_terminal() == 1
    assert terminal.process.returncode == -signal.SIGKILL
    assert terminal.session_processes() == []
    assert processes_started_by_tests(os.getpid()) == []


def test_the_readme_lists_every_exit_code_of_the_help() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes") :]
    table = section[: section.index("\n### ")]
    in_readme = set(re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE))
    in_help = set(re.findall(r"^  (\d+) ", exits.HELP, flags=re.MULTILINE))
    assert str(exits.HUNG_UP) in in_help
    assert in_help <= in_readme
