"""A FIFO (or another non-regular file) where qlik-tui reads a file: profiles.json, the encrypted
key file, qlik-cli's contexts file. Opening a FIFO for reading waits for a writer that never
comes; every command must instead answer at once, naming the path and the fix. The commands run
as real processes: one that hangs is killed by the subprocess timeout and fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.files import default_store_path
from qlik_tui.store.profiles import ProfileStore
from tests.cli.test_encrypted_store_cli import login, passphrase_file

HANG = 40  # seconds: far above any answer (check's --deadline is 5), far below a hang


def run(
    *args: str, stdin: str = "", passphrase: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``qlik-tui ARGS`` in a fresh interpreter with this test's HOME and no D-Bus session."""
    environment = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    environment.pop("QLIK_TUI_PASSPHRASE_FILE", None)
    if passphrase is not None:
        environment["QLIK_TUI_PASSPHRASE_FILE"] = str(passphrase)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "qlik_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=HANG,
    )


def make_fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.mkfifo(path, 0o600)
    return path


def assert_refused(done: subprocess.CompletedProcess[str], path: Path) -> None:
    output = done.stdout + done.stderr
    assert done.returncode not in (0, 70), output
    assert f"{path} is a FIFO (named pipe), not a regular file" in output
    assert f"mv {path} {path}.moved" in output


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["list", "--json"],
        ["check", "--deadline", "5"],
        ["token", "p"],
        ["exec", "p", "--", "true"],
        ["rotate", "p"],
        ["keys", "p"],
        ["forget", "p"],
        ["login", "--tenant", "TENANT", "--name", "p", "--with-token", "--store", "encrypted-file"],
    ],
    ids=lambda words: " ".join(words),
)
def test_a_fifo_at_the_profiles_file_is_refused_at_once(
    command: list[str], sandbox: SandboxTenant, isolated_home: Path
) -> None:
    fifo = make_fifo(ProfileStore().path)
    argv = [sandbox.origin if word == "TENANT" else word for word in command]
    done = run(*argv, stdin=sandbox.issue_key(), passphrase=passphrase_file(isolated_home))
    assert_refused(done, fifo)
    assert fifo.is_fifo()  # left as it was: nothing replaced it


@pytest.mark.parametrize(
    "command",
    [
        ["check", "--deadline", "5"],
        ["check", "--json", "--deadline", "5"],
        ["token", "p"],
        ["exec", "p", "--", "true"],
        ["rotate", "p"],
        ["keys", "p"],
        ["login", "--tenant", "TENANT", "--name", "q", "--with-token", "--store", "encrypted-file"],
    ],
    ids=lambda words: " ".join(words),
)
def test_a_fifo_at_the_encrypted_key_file_is_refused_at_once(
    command: list[str], sandbox: SandboxTenant, isolated_home: Path
) -> None:
    secret = passphrase_file(isolated_home)
    stored = login(isolated_home, sandbox, "p", sandbox.issue_key(), secret)
    assert stored.returncode == 0, stored.stderr
    fifo = make_fifo(default_store_path())
    argv = [sandbox.origin if word == "TENANT" else word for word in command]
    done = run(*argv, stdin=sandbox.issue_key(), passphrase=secret)
    assert_refused(done, fifo)
    assert fifo.is_fifo()


def test_check_names_the_fifo_as_an_outcome(sandbox: SandboxTenant, isolated_home: Path) -> None:
    import json

    secret = passphrase_file(isolated_home)
    assert login(isolated_home, sandbox, "p", sandbox.issue_key(), secret).returncode == 0
    fifo = make_fifo(default_store_path())
    done = run("check", "--json", "--deadline", "5", passphrase=secret)
    assert done.returncode == 3, done.stderr
    (answer,) = json.loads(done.stdout)
    assert answer["outcome"] == "not_a_regular_file"
    assert str(fifo) in answer["cause"]


def test_a_fifo_as_qlik_clis_contexts_file_is_refused_at_once(
    isolated_home: Path, tmp_path: Path
) -> None:
    given = make_fifo(tmp_path / "given.yml")
    assert_refused(run("import", "qlik-cli", "--file", str(given)), given)

    default = make_fifo(isolated_home / ".qlik" / "contexts.yml")
    assert_refused(run("import", "qlik-cli", "--dry-run"), default)

    folder = tmp_path / "qlik-home"
    in_folder = make_fifo(folder / "contexts.yml")
    done = run("import", "qlik-cli", "--json", env={"QLIK_CLI_USER_HOME_DIR": str(folder)})
    assert_refused(done, in_folder)


def test_a_directory_at_the_profiles_file_is_named_as_one(isolated_home: Path) -> None:
    path = ProfileStore().path
    path.mkdir(parents=True)
    done = run("list")
    assert done.returncode not in (0, 70)
    assert f"{path} is a directory, not a regular file" in done.stderr


def test_a_fifo_as_the_ca_file_is_named_not_waited_on(
    sandbox: SandboxTenant, isolated_home: Path, tmp_path: Path
) -> None:
    import json

    secret = passphrase_file(isolated_home)
    assert login(isolated_home, sandbox, "p", sandbox.issue_key(), secret).returncode == 0
    fifo = make_fifo(tmp_path / "ca.pem")
    done = run(
        "check", "--json", "--deadline", "5", passphrase=secret, env={"SSL_CERT_FILE": str(fifo)}
    )
    assert done.returncode == 3, done.stderr
    (answer,) = json.loads(done.stdout)
    assert answer["outcome"] == "ca_certificates_unreadable"
    assert f"{fifo}: it is a FIFO (named pipe), not a regular file" in answer["cause"]
