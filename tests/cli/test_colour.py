"""Colour for the ✓/✗/⚠ marks: on a terminal by default, never in a pipe, off with NO_COLOR or
``--color never``, forced with ``--color always``. Each run as a real process."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.secrets import SecretStore
from tests.cli.use_helpers import child_env, qlik_tui_argv, run_qlik_tui, store_in_default_place

GREEN_TICK = "\033[32m✓\033[0m"
RED_CROSS = "\033[31m✗\033[0m"


def on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """What ``qlik-tui ARGS`` writes to standard output when that is a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            qlik_tui_argv(*args), stdin=subprocess.DEVNULL, stdout=follower,
            stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        os.close(follower)
        received = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            received += chunk
        process.wait(timeout=60)
    finally:
        os.close(leader)
    return received.decode()


@pytest.fixture
def two_profiles(sandbox: SandboxTenant, secret_store: SecretStore) -> None:
    store_in_default_place(secret_store, "good", sandbox.origin, sandbox.issue_key())
    store_in_default_place(secret_store, "gone", sandbox.origin, sandbox.issue_key("revoked"))


@pytest.mark.usefixtures("two_profiles")
def test_check_colours_its_marks_on_a_terminal_and_not_with_no_color() -> None:
    coloured = on_a_terminal("check", env=child_env())
    assert GREEN_TICK in coloured and RED_CROSS in coloured
    plain = on_a_terminal("check", env=child_env({"NO_COLOR": "1"}))
    assert "✓" in plain and "\033[" not in plain
    never = on_a_terminal("check", "--color", "never", env=child_env())
    assert "✓" in never and "\033[" not in never
    forced = on_a_terminal("check", "--color", "always", env=child_env({"NO_COLOR": "1"}))
    assert GREEN_TICK in forced


@pytest.mark.usefixtures("two_profiles")
def test_a_pipe_gets_no_colour_unless_asked() -> None:
    piped = run_qlik_tui("check")
    assert "✓" in piped.stdout and "\033[" not in piped.stdout
    forced = run_qlik_tui("check", "--color", "always")
    assert GREEN_TICK in forced.stdout and RED_CROSS in forced.stdout

    # The columns line up as without colour: escapes are added after the padding.
    def columns(text: str) -> list[int]:
        bare = text.replace("\033[32m", "").replace("\033[31m", "").replace("\033[0m", "")
        return [line.find("https://") for line in bare.splitlines()]

    assert columns(forced.stdout) == columns(piped.stdout)


@pytest.mark.usefixtures("two_profiles")
def test_list_and_rotate_colour_their_marks() -> None:
    run_qlik_tui("check")  # records each last outcome, which list shows with its mark
    listed = run_qlik_tui("list", "--color", "always")
    assert GREEN_TICK + " Key works" in listed.stdout
    assert "\033[" not in run_qlik_tui("list").stdout
    renewed = run_qlik_tui("rotate", "good", "--color", "always")
    assert renewed.returncode == 0, renewed.stderr
    assert f"  {GREEN_TICK} " in renewed.stdout
