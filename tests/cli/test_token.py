"""``qlik-tui token``: the key and a newline to a pipe, nothing to a terminal."""

from __future__ import annotations

import os
import pty
import subprocess

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from tests.cli.use_helpers import child_env, qlik_tui_argv, run_qlik_tui, store_in_default_place
from tests.fixtures.cli import RunCli, store_profile


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def test_to_a_pipe_prints_exactly_the_key_and_a_newline(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    key = sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, key)
    done = run_qlik_tui("token", "prod")
    assert done.returncode == 0, done.stderr
    assert done.stdout == key + "\n"
    assert signature(key) not in done.stderr


def test_to_a_terminal_refuses_and_prints_no_key(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    key = sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, key)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            qlik_tui_argv("token", "prod"),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=child_env(),
        )
        os.close(follower)
        _, stderr = process.communicate(timeout=60)
        seen = _drain(leader)
    finally:
        os.close(leader)
    assert process.returncode == 2
    assert seen == b""  # not a byte on the terminal
    message = stderr.decode()
    assert "standard output is a terminal" in message
    assert "qlik-tui token prod | " in message
    assert signature(key) not in message


def _drain(leader: int) -> bytes:
    import select

    seen = b""
    while select.select([leader], [], [], 0.5)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_unknown_profile_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("token", "nope")
    assert result.code == 2
    assert 'no profile named "nope"' in result.stderr
    assert result.stdout == ""


def test_profile_without_a_key_in_the_keyring_exits_1(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = sandbox.issue_key()
    store_profile(services, "gone", sandbox.origin, key)
    services.secrets.delete("gone")
    result = run_cli("token", "gone")
    assert result.code == 1
    assert "No key is stored for profile 'gone'" in result.stderr
    assert result.stdout == ""


def test_with_standard_output_closed_says_so_and_is_no_internal_error(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    key = sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, key)
    closed = ["sh", "-c", 'exec "$@" >&-', "sh", *qlik_tui_argv("token", "prod")]
    done = subprocess.run(
        closed, capture_output=True, text=True, timeout=60, env=child_env(), check=False
    )
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert "standard output is closed" in done.stderr
    assert "qlik-tui token prod | your-tool" in done.stderr
    assert signature(key) not in done.stderr
