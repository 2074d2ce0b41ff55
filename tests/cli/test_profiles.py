"""``qlik-tui list`` and ``qlik-tui forget``."""

from __future__ import annotations

import json
import os

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import KeyNotFound
from tests.fixtures.cli import RunCli
from tests.fixtures.profile_faults import BreakProfiles


def login(run_cli: RunCli, sandbox: SandboxTenant, name: str, kind: str = "valid") -> str:
    key = sandbox.issue_key(kind)
    args = ["login", "--tenant", sandbox.origin, "--name", name, "--with-token"]
    if kind != "valid":
        args.append("--no-verify")
    result = run_cli(*args, stdin=key)
    assert result.code == 0, result.output
    return key


def test_list_without_profiles_says_how_to_add_one(run_cli: RunCli) -> None:
    result = run_cli("list")
    assert result.code == 0
    assert "No profiles yet" in result.stdout


def test_list_shows_tenant_user_key_id_backend_and_last_outcome(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    key = login(run_cli, sandbox, "work")
    result = run_cli("list")
    assert result.code == 0
    header, row = result.stdout.splitlines()
    assert header.split() == [
        "NAME",
        "KIND",
        "TENANT",
        "USER",
        "KEY/CLIENT",
        "ID",
        "EXPIRES",
        "STORED",
        "IN",
        "LAST",
        "OUTCOME",
    ]
    profile = services.profiles.get("work")
    assert profile is not None and profile.key_id
    for expected in (
        "work",
        sandbox.origin,
        "ada.sandbox@example.com",
        profile.key_id,
        f"{profile.expiry[:10]} (expires in ",  # the day, as `list --json` has it, and the rest
        "SecretService Keyring",
        "✓ Key works",
    ):
        assert expected in row
    assert key.rsplit(".", 1)[1] not in result.output


def test_list_json_is_machine_readable(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    login(run_cli, sandbox, "b")
    login(run_cli, sandbox, "a")
    data = json.loads(run_cli("list", "--json").stdout)
    assert [entry["name"] for entry in data] == ["a", "b"]
    assert set(data[0]) >= {"name", "tenant", "user_name", "key_id", "backend", "last_outcome"}
    assert data[0]["tenant"] == sandbox.origin


def test_forget_removes_key_and_metadata_and_says_so(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    login(run_cli, sandbox, "gone")
    login(run_cli, sandbox, "kept")
    result = run_cli("forget", "gone")
    assert result.code == 0
    assert (
        'Forgot "gone": removed its key from SecretService Keyring and its profile.'
        in result.stdout
    )
    assert [p.name for p in services.profiles.all()] == ["kept"]
    try:
        services.secrets.load("gone")
    except KeyNotFound:
        pass
    else:
        raise AssertionError("the key is still in the keyring")
    assert services.secrets.load("kept")


def test_forget_all(run_cli: RunCli, sandbox: SandboxTenant, services: Services) -> None:
    login(run_cli, sandbox, "one")
    login(run_cli, sandbox, "two")
    result = run_cli("forget", "--all", "--yes")
    assert result.code == 0
    assert result.stdout.count("Forgot ") == 2
    assert services.profiles.all() == []


def test_forget_unknown_profile_is_a_usage_error(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    login(run_cli, sandbox, "one")
    result = run_cli("forget", "nope")
    assert result.code == 2
    assert 'no profile named "nope"' in result.stderr


def test_forget_needs_names_or_all(run_cli: RunCli) -> None:
    neither = run_cli("forget")
    assert neither.code == 2
    assert "name the profiles to forget, or pass --all" in neither.stderr
    both = run_cli("forget", "--all", "nosuch")
    assert both.code == 2
    assert "not both" in both.stderr and "or pass --all\n" not in both.stderr


def test_list_shows_the_title_of_an_outcome_not_its_id(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    login(run_cli, sandbox, "gone", kind="revoked")
    services.profiles.update("gone", last_outcome="key_rejected")
    login(run_cli, sandbox, "fresh")
    services.profiles.update("fresh", last_outcome=None)
    rows = run_cli("list").stdout.splitlines()[1:]
    assert "✗ Key rejected" in rows[1] and "key_rejected" not in rows[1]
    assert rows[0].endswith("never checked")


def test_forget_when_the_key_is_already_gone_still_removes_metadata(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    login(run_cli, sandbox, "half")
    services.secrets.delete("half")
    result = run_cli("forget", "half")
    assert result.code == 0
    assert 'Forgot "half": SecretService Keyring held no key; removed its profile.' in result.stdout
    assert services.profiles.all() == []


def test_forget_on_a_read_only_config_removes_nothing_and_says_so(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, break_profiles: BreakProfiles
) -> None:
    key = login(run_cli, sandbox, "kept")
    break_profiles("read-only-folder", services.profiles)

    result = run_cli("forget", "kept")

    assert result.code == 4
    assert "Nothing was removed" in result.stderr
    assert 'the key and the profile "kept" are both kept' in result.stderr
    assert services.secrets.load("kept").reveal() == key
    assert [p.name for p in services.profiles.all()] == ["kept"]


def test_forget_that_cannot_write_the_file_after_removing_the_key_says_what_is_left(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(run_cli, sandbox, "half")

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    result = run_cli("forget", "half")
    monkeypatch.undo()

    assert result.code == 4
    said = " ".join(result.stderr.split())
    assert 'Removed the key of "half"' in said
    assert '"half" is still listed, without a key' in said
    assert "No space left on device" in said
    assert [p.name for p in services.profiles.all()] == ["half"]
    with pytest.raises(KeyNotFound):
        services.secrets.load("half")


def test_forget_never_echoes_a_key_given_as_a_name(run_cli: RunCli, sandbox: SandboxTenant) -> None:
    login(run_cli, sandbox, "one")
    key = sandbox.issue_key()

    result = run_cli("forget", key)

    assert result.code == 2
    assert key.split(".")[1] not in result.output and key.rsplit(".", 1)[1] not in result.output
    assert "looks like an API key" in result.stderr
