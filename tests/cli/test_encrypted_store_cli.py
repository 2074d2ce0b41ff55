"""The encrypted key file through the real CLI, as subprocesses with no D-Bus session:
``login --store encrypted-file``, ``list``, ``check`` and ``forget``, the passphrase from
QLIK_TUI_PASSPHRASE_FILE or a hidden prompt in a pty, and every way the file can be wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile, ProfileStore
from qlik_tui.store.secrets import KeyNotFound
from tests.cli.helpers import (
    PASSPHRASE,
    STORE_FILE,
    cheap_store_file,
    cli,
    key_forms,
    login,
    passphrase_file,
)
from tests.cli.terminal import run_in_terminal
from tests.fixtures.cli import RunCli
from tests.store.helpers import files_containing


def test_login_list_check_forget_through_the_encrypted_file(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    home = isolated_home
    key = sandbox.issue_key()
    secret = passphrase_file(home)

    stored = login(home, sandbox, "vault", key, secret)
    assert stored.returncode == 0, stored.stderr
    assert "The key works" in stored.stdout
    assert "qlik-tui encrypted file" in stored.stdout
    store_file = home / STORE_FILE
    assert store_file.stat().st_mode & 0o777 == 0o600

    listed = cli(home, "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("vault "))
    assert "encrypted file" in row
    as_json = json.loads(cli(home, "list", "--json").stdout)
    assert [(p["name"], p["store"]) for p in as_json] == [("vault", "encrypted-file")]

    checked = cli(home, "check", passphrase=secret)
    assert checked.returncode == 0, checked.stderr
    assert "Key works" in checked.stdout
    assert "[key in encrypted file]" in checked.stdout
    checked_json = json.loads(cli(home, "check", "--json", passphrase=secret).stdout)
    assert [(r["name"], r["store"], r["verdict"]) for r in checked_json] == [
        ("vault", "encrypted-file", "valid")
    ]

    token = cli(home, "token", "vault", passphrase=secret)  # its key, to a pipe
    assert (token.returncode, token.stdout) == (0, key + "\n"), token.stderr

    forgotten = cli(home, "forget", "vault")  # deleting an entry needs no passphrase
    assert forgotten.returncode == 0, forgotten.stderr
    assert 'Forgot "vault"' in forgotten.stdout
    assert json.loads(cli(home, "list", "--json").stdout) == []
    assert b"vault" not in store_file.read_bytes()

    assert files_containing([home], key_forms(key)) == []


def test_the_passphrase_is_asked_with_a_hidden_prompt_in_a_terminal(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    key = sandbox.issue_key()
    typed = PASSPHRASE.encode() + b"\r"
    code, seen = run_in_terminal(
        ["login", "--tenant", sandbox.origin, "--name", "typed", "--store", "encrypted-file"],
        [
            (b"New passphrase for qlik-tui's encrypted key file: ", typed),
            (b"The same passphrase again: ", typed),
            (b"Paste your API key (input hidden): ", key.encode() + b"\r"),
        ],
        isolated_home,
    )
    assert code == 0, seen.decode(errors="replace")
    assert b"The key works" in seen
    assert PASSPHRASE.encode() not in seen  # neither the passphrase nor the key is echoed
    assert key.rsplit(".", 1)[1][:16].encode() not in seen

    code, seen = run_in_terminal(
        ["check", "typed"],
        [(b"Passphrase for qlik-tui's encrypted key file: ", typed)],
        isolated_home,
    )
    assert code == 0, seen.decode(errors="replace")
    assert b"Key works" in seen and b"[key in encrypted file]" in seen
    assert PASSPHRASE.encode() not in seen
    assert files_containing([isolated_home], key_forms(key)) == []


def test_without_a_terminal_or_passphrase_file_nothing_reads_stdin_as_the_passphrase(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    key = sandbox.issue_key()
    result = login(isolated_home, sandbox, "piped", key, None)
    assert result.returncode == 4
    assert "no terminal to ask for it" in result.stderr
    assert "QLIK_TUI_PASSPHRASE_FILE" in result.stderr
    assert not (isolated_home / STORE_FILE).exists()


@pytest.fixture()
def stored_vault(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> tuple[Path, Path, str]:
    """A profile 'vault' in the encrypted file: (its file, the passphrase file, the key). The
    file is made cheap to unlock first (each test here runs several processes that unlock it;
    making it is the subject of the tests above)."""
    key = sandbox.issue_key()
    secret = passphrase_file(isolated_home)
    cheap_store_file(isolated_home)
    result = login(isolated_home, sandbox, "vault", key, secret)
    assert result.returncode == 0, result.stderr
    return isolated_home / STORE_FILE, secret, key


def test_a_wrong_passphrase_is_explained_and_changes_nothing(
    sandbox: SandboxTenant, isolated_home: Path, stored_vault: tuple[Path, Path, str]
) -> None:
    store_file, _, _ = stored_vault
    before = store_file.read_bytes()
    profiles_before = (isolated_home / ".config/qlik-tui/profiles.json").read_bytes()
    wrong = passphrase_file(isolated_home, "not the passphrase", "wrong")

    checked = cli(isolated_home, "check", passphrase=wrong)
    assert checked.returncode == 3  # inconclusive: the key could not be read
    assert "The passphrase does not unlock the encrypted key file" in checked.stderr
    assert "Encrypted key file unavailable" in checked.stdout

    relogin = login(isolated_home, sandbox, "vault", sandbox.issue_key(), wrong)
    assert relogin.returncode == 4
    assert "The passphrase does not unlock" in relogin.stderr
    assert "the encrypted key file is unchanged" in relogin.stderr

    assert store_file.read_bytes() == before
    # neither the check (a wrong passphrase is no check of the key) nor the login changed it
    profiles = ProfileStore(isolated_home / ".config/qlik-tui/profiles.json")
    assert profiles.get("vault") is not None
    assert profiles_before != b""


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("tampered", "was changed outside qlik-tui"),
        ("truncated", "is incomplete"),
        ("newer", "has format version 2, written by a newer qlik-tui"),
    ],
)
def test_a_damaged_or_newer_file_is_explained_and_changes_nothing(
    damage: str,
    message: str,
    sandbox: SandboxTenant,
    isolated_home: Path,
    stored_vault: tuple[Path, Path, str],
) -> None:
    store_file, secret, _ = stored_vault
    data = store_file.read_bytes()
    if damage == "tampered":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    elif damage == "truncated":
        data = data[: len(data) * 2 // 3]
    else:
        first_end = data.index(b"\n")
        data = data[: first_end - 1] + b"2" + data[first_end:]
    store_file.write_bytes(data)

    checked = cli(isolated_home, "check", passphrase=secret)
    assert checked.returncode == 3
    assert message in checked.stderr
    assert "Encrypted key file unavailable" in checked.stdout
    assert message in checked.stdout  # the outcome's cause names it too
    relogin = login(isolated_home, sandbox, "vault", sandbox.issue_key(), secret)
    assert relogin.returncode == 4
    assert message in relogin.stderr
    forgotten = cli(isolated_home, "forget", "vault")
    assert forgotten.returncode == 4
    assert "Nothing was removed" in forgotten.stderr

    assert store_file.read_bytes() == data
    assert ProfileStore(isolated_home / ".config/qlik-tui/profiles.json").get("vault")


def test_two_logins_at_once_both_land_in_the_file(
    sandbox: SandboxTenant, isolated_home: Path, stored_vault: tuple[Path, Path, str]
) -> None:
    _, secret, first_key = stored_vault
    keys = {name: sandbox.issue_key() for name in ("left", "right")}
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["QLIK_TUI_PASSPHRASE_FILE"] = str(secret)
    command = [sys.executable, "-m", "qlik_tui", "login", "--tenant", sandbox.origin]
    running = {}
    for name in keys:
        running[name] = subprocess.Popen(
            [*command, "--name", name, "--with-token", "--store", "encrypted-file"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    for name, process in running.items():  # both have their key before either finishes
        assert process.stdin is not None
        process.stdin.write(keys[name].encode())
        process.stdin.close()
    for process in running.values():
        assert process.stdout is not None and process.stderr is not None
        err = process.stderr.read()
        process.stdout.close()
        process.stderr.close()
        assert process.wait(timeout=120) == 0, err.decode()

    checked = json.loads(cli(isolated_home, "check", "--json", passphrase=secret).stdout)
    assert sorted((r["name"], r["verdict"]) for r in checked) == [
        ("left", "valid"),
        ("right", "valid"),
        ("vault", "valid"),
    ]
    for key in (*keys.values(), first_key):
        assert files_containing([isolated_home], key_forms(key)) == []


def test_check_and_login_without_a_dbus_session_explain_why_and_the_fix(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    profiles = ProfileStore(isolated_home / ".config/qlik-tui/profiles.json")
    profiles.put(Profile(name="desk", origin=sandbox.origin, backend="SecretService Keyring"))

    checked = cli(isolated_home, "check")
    assert checked.returncode == 3
    assert "Keyring unavailable" in checked.stdout
    for expected in ("No usable keyring", "why: There is no D-Bus session bus", "fix:"):
        assert expected in checked.stderr
    assert "dbus-run-session" in checked.stderr
    assert "gnome-keyring-daemon --unlock" in checked.stderr
    assert "qlik-tui login --store encrypted-file" in checked.stderr

    key = sandbox.issue_key()
    logged = cli(
        isolated_home,
        "login", "--tenant", sandbox.origin, "--name", "other", "--with-token",
        stdin=key,
    )  # fmt: skip
    assert logged.returncode == 4
    assert "why: There is no D-Bus session bus" in logged.stderr
    assert "dbus-run-session" in logged.stderr
    assert "--store encrypted-file" in logged.stderr
    assert "The key was not stored: nothing was read or changed." in logged.stderr
    assert profiles.get("other") is None
    assert not (isolated_home / STORE_FILE).exists()  # never chosen silently


def test_a_key_moved_to_the_encrypted_file_leaves_the_keyring(
    run_cli: RunCli,
    services: Services,
    sandbox: SandboxTenant,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = sandbox.issue_key(), sandbox.issue_key()
    args = ("login", "--tenant", sandbox.origin, "--name", "moved", "--with-token", "--no-verify")
    assert run_cli(*args, stdin=first).code == 0
    assert services.secrets.load("moved").reveal() == first

    monkeypatch.setenv("QLIK_TUI_PASSPHRASE_FILE", str(passphrase_file(isolated_home)))
    moved = run_cli(*args, "--store", "encrypted-file", stdin=second)
    assert moved.code == 0, moved.stderr
    assert "Removed the replaced key from the store it was in before." in moved.stdout
    with pytest.raises(KeyNotFound):
        services.secrets.load("moved")
    profile = services.profiles.get("moved")
    assert profile is not None and profile.store == "encrypted-file"
    assert services.secrets_for(profile).load("moved").reveal() == second

    again = run_cli(*args, stdin=first)  # no --store: the profile's own store
    assert again.code == 0, again.stderr
    assert services.secrets_for(profile).load("moved").reveal() == first
    with pytest.raises(KeyNotFound):
        services.secrets.load("moved")


def test_check_with_the_encrypted_file_gone_asks_for_nothing_and_says_the_key_is_missing(
    isolated_home: Path, stored_vault: tuple[Path, Path, str]
) -> None:
    store_file, _, _ = stored_vault
    store_file.unlink()
    checked = cli(isolated_home, "check")  # no passphrase file, no terminal: nothing to ask
    assert checked.returncode == 1
    assert "Key missing" in checked.stdout
    assert "passphrase" not in checked.stderr
    assert not store_file.exists()


def test_a_short_new_passphrase_is_refused_before_the_second_question(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    typed = PASSPHRASE.encode() + b"\r"
    code, seen = run_in_terminal(
        ["login", "--tenant", sandbox.origin, "--name", "typed", "--store", "encrypted-file"],
        [
            (b"New passphrase for qlik-tui's encrypted key file: ", b"short\r"),
            (b"New passphrase for qlik-tui's encrypted key file: ", typed),
            (b"The same passphrase again: ", typed),
            (b"Paste your API key (input hidden): ", sandbox.issue_key().encode() + b"\r"),
        ],
        isolated_home,
    )
    assert code == 0, seen.decode(errors="replace")
    shown = seen.decode(errors="replace")
    assert "Too short: at least 8 characters. Try again." in shown
    # The short one was never confirmed: one "again" question, for the good passphrase.
    assert shown.count("The same passphrase again: ") == 1
    assert b"The key works" in seen


def test_a_wrong_passphrase_at_the_prompt_is_asked_again_three_times_in_all(
    isolated_home: Path, stored_vault: tuple[Path, Path, str]
) -> None:
    prompt = b"Passphrase for qlik-tui's encrypted key file: "
    code, seen = run_in_terminal(
        ["check", "vault"],
        [(prompt, b"wrong one\r"), (prompt, b"wrong two\r"), (prompt, PASSPHRASE.encode() + b"\r")],
        isolated_home,
    )
    assert code == 0, seen.decode(errors="replace")
    assert b"2 more tries" in seen and b"1 more try." in seen
    assert b"Key works" in seen

    code, seen = run_in_terminal(
        ["check", "vault"],
        [(prompt, b"wrong\r"), (prompt, b"wrong\r"), (prompt, b"wrong\r")],
        isolated_home,
    )
    assert code == 3, seen.decode(errors="replace")
    assert seen.count(prompt) == 3
    assert b"The passphrase does not unlock the encrypted key file" in seen
