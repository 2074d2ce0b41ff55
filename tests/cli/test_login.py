"""``qlik-tui login``: stdin or prompt only, proven before stored, never loses or leaks the key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from tests.fixtures.cli import CliRun, RunCli, TerminalInput
from tests.fixtures.profile_faults import FAULTS, BreakProfiles
from tests.fixtures.services import make_services
from tests.store.doubles import RefusingKeyring


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def test_valid_key_is_proven_then_stored(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = sandbox.issue_key("valid")
    wrapped = "  Bearer " + key[:50] + "\n" + key[50:] + "\n"
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "work", "--with-token", stdin=wrapped
    )
    assert result.code == 0, result.output
    assert "Ada Sandbox <ada.sandbox@example.com>" in result.stdout
    assert "as profile 'work' in SecretService Keyring" in result.stdout
    assert services.secrets.load("work").reveal() == key
    profile = services.profiles.get("work")
    assert profile is not None
    assert profile.user_name == "Ada Sandbox"
    assert profile.last_outcome == "valid"
    assert profile.key_status == "active" and profile.expiry is not None
    assert signature(key) not in result.output


def test_default_profile_name_is_the_tenant_host(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    result = run_cli("login", "--tenant", sandbox.origin, "--with-token", stdin=sandbox.issue_key())
    assert result.code == 0, result.output
    assert [p.name for p in services.profiles.all()] == [f"127.0.0.1:{sandbox.port}"]


def test_revoked_key_is_explained_and_not_stored(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = sandbox.issue_key("revoked")
    result = run_cli("login", "--tenant", sandbox.origin, "--name", "w", "--with-token", stdin=key)
    assert result.code == 1
    assert "Key rejected (401)" in result.stderr
    assert "cause:" in result.stderr and "next:" in result.stderr
    assert "Nothing was stored" in result.stderr
    assert services.profiles.all() == []
    assert signature(key) not in result.output


def test_second_login_replaces_the_key_only_after_it_is_proven(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    first, bad, second = sandbox.issue_key(), sandbox.issue_key("expired"), sandbox.issue_key()
    assert (
        run_cli(
            "login", "--tenant", sandbox.origin, "--name", "p", "--with-token", stdin=first
        ).code
        == 0
    )
    rejected = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "p", "--with-token", stdin=bad
    )
    assert rejected.code == 1
    assert services.secrets.load("p").reveal() == first
    replaced = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "p", "--with-token", stdin=second
    )
    assert replaced.code == 0
    assert services.secrets.load("p").reveal() == second


def test_key_from_another_tenant_is_named_once_the_tenant_is_known(
    run_cli: RunCli, sandbox: SandboxTenant
) -> None:
    assert (
        run_cli(
            "login",
            "--tenant",
            sandbox.origin,
            "--name",
            "a",
            "--with-token",
            stdin=sandbox.issue_key(),
        ).code
        == 0
    )
    other = sandbox.issue_key("other-tenant")
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "b", "--with-token", stdin=other
    )
    assert result.code == 1
    assert "another tenant" in result.stderr
    assert sandbox.tenant_id in result.stderr


def test_key_as_an_argument_is_refused_without_echoing_it(
    run_cli: RunCli, sandbox: SandboxTenant
) -> None:
    key = sandbox.issue_key()
    result = run_cli("login", "--tenant", sandbox.origin, key)
    assert result.code == 2
    assert "--with-token" in result.stderr
    assert key not in result.output and signature(key) not in result.output


def test_no_key_on_a_pipe_is_a_usage_error(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    result = run_cli("login", "--tenant", sandbox.origin)
    assert result.code == 2
    assert "--with-token" in result.stderr


def test_two_keys_on_stdin_are_refused(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    keys = sandbox.issue_key() + "\n" + sandbox.issue_key() + "\n"
    result = run_cli("login", "--tenant", sandbox.origin, "--with-token", stdin=keys)
    assert result.code == 2
    assert "more than one key" in result.stderr


def test_mangled_paste_is_named(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    key = sandbox.issue_key()
    result = run_cli("login", "--tenant", sandbox.origin, "--with-token", stdin=key[:-40])
    assert result.code == 2
    assert "cut off" in result.stderr
    assert signature(key)[:40] not in result.output


def test_bad_tenant_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("login", "--tenant", "ftp://acme.eu.qlikcloud.com", "--with-token", stdin="x")
    assert result.code == 2
    assert result.stderr.startswith("qlik-tui: error: ")
    assert "Traceback" not in result.stderr


def test_non_qlik_host_is_accepted_with_a_warning(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = sandbox.issue_key()
    result = run_cli(
        "login", "--tenant", "keys.example.com", "--no-verify", "--with-token", stdin=key
    )
    assert result.code == 0, result.output
    assert "not a Qlik Cloud hostname" in result.stderr
    assert "without a live test" in result.stdout
    assert services.secrets.load("keys.example.com").reveal() == key


def test_unreachable_tenant_is_inconclusive(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    key, origin = sandbox.issue_key(), sandbox.origin
    sandbox.stop()
    result = run_cli("login", "--tenant", origin, "--with-token", stdin=key)
    assert result.code == 3
    assert "Connection refused" in result.stderr


def no_backend_services(tmp_path: Path) -> Services:
    """A keyring that passes the probe, then refuses the key (no backend at all stops login
    before the key is read: see tests/cli/test_encrypted_store_cli.py)."""
    return make_services(tmp_path / "c2", SecretStore(backend=RefusingKeyring()))


def test_storage_failure_on_a_pipe_exits_4_and_says_nothing_was_stored(
    run_cli: RunCli, sandbox: SandboxTenant, tmp_path: Path
) -> None:
    broken = no_backend_services(tmp_path)
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--with-token", stdin=sandbox.issue_key(), using=broken
    )
    assert result.code == 4
    assert "fix:" in result.stderr
    assert "The key was not stored" in result.stderr
    assert broken.profiles.all() == []


def test_storage_failure_on_a_terminal_can_write_the_key_to_a_new_0600_file(
    run_cli: RunCli, sandbox: SandboxTenant, tmp_path: Path
) -> None:
    key = sandbox.issue_key()
    target = tmp_path / "rescued-key.txt"
    stdin = TerminalInput(key + "\n")
    stdin.read = lambda *_: key  # type: ignore[method-assign]  # --with-token reads it all
    stdin.readline = iter(["f\n", f"{target}\n"]).__next__  # type: ignore[method-assign]
    result = run_cli(
        "login",
        "--tenant",
        sandbox.origin,
        "--with-token",
        stdin=stdin,
        using=no_backend_services(tmp_path),
    )
    assert result.code == 4
    assert target.read_text().strip() == key
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert signature(key) not in result.output


def test_rescue_file_never_overwrites(
    run_cli: RunCli, sandbox: SandboxTenant, tmp_path: Path
) -> None:
    key = sandbox.issue_key()
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    answers = iter(["f\n", f"{existing}\n", "d\n"])
    stdin = TerminalInput()
    stdin.read = lambda *_: key  # type: ignore[method-assign]
    stdin.readline = lambda *_: next(answers)  # type: ignore[method-assign]
    result = run_cli(
        "login",
        "--tenant",
        sandbox.origin,
        "--with-token",
        stdin=stdin,
        using=no_backend_services(tmp_path),
    )
    assert result.code == 4
    assert existing.read_text() == "keep me"
    assert "already exists" in result.stderr
    assert "Discarded" in result.stderr


def test_storage_failure_retry_succeeds_once_the_keyring_works(
    run_cli: RunCli, sandbox: SandboxTenant, tmp_path: Path, secret_store: SecretStore
) -> None:
    key = sandbox.issue_key()
    flaky = no_backend_services(tmp_path)
    working = make_services(tmp_path / "c2", secret_store)

    def fix_keyring_then_retry(*_: object) -> str:
        flaky.secrets = working.secrets  # the user unlocked their keyring
        return "r\n"

    stdin = TerminalInput()
    stdin.read = lambda *_: key  # type: ignore[method-assign]
    stdin.readline = fix_keyring_then_retry  # type: ignore[method-assign]
    result = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "r", "--with-token", stdin=stdin, using=flaky
    )
    assert result.code == 0, result.output
    assert secret_store.load("r").reveal() == key


# -- all or nothing: a profiles file that cannot be written never costs the stored key ---------


def _login_no_verify(
    run_cli: RunCli, origin: str, name: str, key: str, using: Services | None = None
) -> CliRun:
    argv = ("login", "--tenant", origin, "--name", name, "--no-verify", "--with-token")
    return run_cli(*argv, stdin=key, using=using)


def _file_bytes(profiles: ProfileStore) -> bytes | None:
    try:
        return profiles.path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


@pytest.mark.parametrize("name", ["work", "home"])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_profiles_file_that_cannot_be_written_keeps_the_stored_key(
    run_cli: RunCli,
    sandbox: SandboxTenant,
    services: Services,
    break_profiles: BreakProfiles,
    fault: str,
    name: str,
) -> None:
    first = sandbox.issue_key()
    assert _login_no_verify(run_cli, sandbox.origin, "work", first).code == 0
    broken = Services(services.secrets, break_profiles(fault, services.profiles))
    file_before = _file_bytes(broken.profiles)

    result = _login_no_verify(run_cli, sandbox.origin, name, sandbox.issue_key(), using=broken)

    assert result.code == 4
    assert "The key was not stored; the keyring and the profiles file are unchanged." in (
        result.stderr
    )
    assert services.secrets.load("work").reveal() == first
    with pytest.raises(KeyNotFound):
        services.secrets.load("home")
    assert _file_bytes(broken.profiles) == file_before


def test_login_says_which_key_it_replaced(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    first, second = sandbox.issue_key(), sandbox.issue_key()
    assert _login_no_verify(run_cli, sandbox.origin, "p", first).code == 0
    first_id = services.profiles.get("p")
    assert first_id is not None and first_id.key_id

    result = _login_no_verify(run_cli, sandbox.origin, "p", second)

    assert result.code == 0
    assert f'Replaced key {first_id.key_id}, which profile "p" held before.' in result.stdout
    assert services.secrets.load("p").reveal() == second


def test_a_first_login_mentions_no_replacement(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    result = _login_no_verify(run_cli, sandbox.origin, "fresh", sandbox.issue_key())
    assert result.code == 0
    assert "Replaced" not in result.stdout


def test_an_empty_name_is_a_usage_error(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    result = _login_no_verify(run_cli, sandbox.origin, "", sandbox.issue_key())
    assert result.code == 2
    assert "--name: A profile name cannot be empty." in result.stderr
    assert services.profiles.all() == []


def test_a_key_like_name_is_a_usage_error_and_not_echoed(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    name = sandbox.issue_key()
    result = _login_no_verify(run_cli, sandbox.origin, name, sandbox.issue_key())
    assert result.code == 2
    assert "looks like an API key" in result.stderr
    assert signature(name) not in result.output and name.split(".")[1] not in result.output
    assert services.profiles.all() == []
