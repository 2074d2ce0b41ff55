"""One key, several profiles (issue 17, item 1), over the TLS sandbox, the real Secret Service
and the real encrypted file: storing names the other holders, a rotation renews the key for
every profile that holds it (all or nothing), and a profile left with the renewed key is
pointed at the profile that holds its successor."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from qlik_tui.services.context import Services
from qlik_tui.services.rotation import (
    RotationStatus,
    RotationStep,
    StepEvent,
    StepState,
    rotate_profile,
)
from qlik_tui.store.key_stores import KeyStoreKind
from tests.cli.test_encrypted_store_cli import passphrase_file
from tests.cli.test_import import key_context, write_contexts
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of


def login(run_cli: RunCli, sandbox: FaultySandbox, name: str, key: str, *extra: str) -> str:
    done = run_cli(
        "login", "--tenant", sandbox.origin, "--name", name, "--with-token", *extra, stdin=key
    )
    assert done.code == 0, done.output
    return done.stdout


@pytest.fixture
def shared(
    run_cli: RunCli, sandbox: FaultySandbox, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """One key stored as 'a' and 'b' (OS keyring) and 'c' (encrypted file): (key, key id)."""
    monkeypatch.setenv("QLIK_TUI_PASSPHRASE_FILE", str(passphrase_file(isolated_home)))
    key = sandbox.issue_key(description="the shared key")
    key_id = key_id_of(key)
    assert key_id is not None
    login(run_cli, sandbox, "a", key)
    login(run_cli, sandbox, "b", key)
    login(run_cli, sandbox, "c", key, "--store", "encrypted-file")
    return key, key_id


def held_key_id(services: Services, name: str) -> str | None:
    profile = services.profiles.get(name)
    assert profile is not None
    return services.secrets_for(profile).load(name).info.key_id


def test_storing_a_key_another_profile_holds_names_that_profile(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    key = sandbox.issue_key()
    first = login(run_cli, sandbox, "a", key)
    assert "also stored" not in first
    second = login(run_cli, sandbox, "b", key)
    assert f'Key {key_id_of(key)} is also stored in profile "a"' in second


def test_logging_in_the_same_key_again_says_unchanged(
    run_cli: RunCli, sandbox: FaultySandbox
) -> None:
    key = sandbox.issue_key()
    login(run_cli, sandbox, "a", key)
    again = login(run_cli, sandbox, "a", key)
    assert "Replaced key" not in again
    assert f'Profile "a" already held key {key_id_of(key)}: it is unchanged.' in again


def test_rotation_renews_every_holder_in_both_stores(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services, shared: tuple[str, str]
) -> None:
    key, old_id = shared
    c = services.profiles.get("c")
    assert c is not None and c.store == KeyStoreKind.ENCRYPTED_FILE.value

    done = run_cli("rotate", "a", "--json")
    assert done.code == 0, done.output
    answer = json.loads(done.stdout)
    new_id = answer["new_key_id"]
    assert answer["updated_profiles"] == ["a", "b", "c"]
    for name in ("a", "b", "c"):
        assert held_key_id(services, name) == new_id
        profile = services.profiles.get(name)
        assert profile is not None and profile.key_id == new_id and profile.renewed_from == old_id
    assert sandbox.key_ids("admin") == [new_id]
    assert not sandbox.has_key(old_id)
    assert key not in done.output
    checked = run_cli("check", "a", "b", "c")
    assert checked.code == 0, checked.output


def test_rotation_text_names_the_profiles_it_updated(
    run_cli: RunCli, sandbox: FaultySandbox, shared: tuple[str, str]
) -> None:
    done = run_cli("rotate", "b")
    assert done.code == 0, done.output
    assert 'Also renewed in profile "a", "c", which held the same key' in done.stdout
    assert 'updated "b", "a", "c".' in done.stdout


def test_a_holder_that_cannot_take_the_new_key_leaves_every_profile_as_it_was(
    sandbox: FaultySandbox, services: Services, shared: tuple[str, str]
) -> None:
    _, old_id = shared
    services.stores.unlock_encrypted(lambda: "unused: QLIK_TUI_PASSPHRASE_FILE is read")
    path = services.stores.encrypted_path
    aside = path.with_name("aside")

    def break_the_file(event: StepEvent) -> None:
        if event.step is RotationStep.STORE and event.state is StepState.STARTED:
            shutil.move(path, aside)
            path.mkdir()  # the file's writes fail: holder 'c' cannot take the new key

    result = asyncio.run(rotate_profile(services, "a", on_step=break_the_file))
    path.rmdir()
    shutil.move(aside, path)

    assert result.status is RotationStatus.STORE_FAILED, result
    assert any('profile "c" holds the same key' in note for note in result.notes)
    assert result.strays == ()
    for name in ("a", "b", "c"):
        assert held_key_id(services, name) == old_id
        profile = services.profiles.get(name)
        assert profile is not None and profile.key_id == old_id
    assert sandbox.key_ids("admin") == [old_id]  # the new key was deleted again


def test_check_of_a_profile_left_with_a_renewed_key_names_the_successors_holder(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    key = sandbox.issue_key()
    login(run_cli, sandbox, "a", key)
    assert run_cli("rotate", "a").code == 0
    store_profile(services, "stale", sandbox.origin, key)  # e.g. an older copy put back

    done = run_cli("check", "stale", "--json")
    assert done.code == 1
    [entry] = json.loads(done.stdout)
    assert entry["outcome"] == "key_renewed_elsewhere"
    assert 'renewed through profile "a"' in entry["cause"]
    assert 'Use profile "a"' in entry["next_step"]


def test_import_of_a_key_another_profile_holds_names_it_in_text_and_json(
    run_cli: RunCli, sandbox: FaultySandbox, tmp_path: Path
) -> None:
    key = sandbox.issue_key()
    login(run_cli, sandbox, "mine", key)
    contexts = write_contexts(
        tmp_path / "qlik" / "contexts.yml",
        key_context("work", sandbox.origin, key),
        key_context("other", sandbox.origin, key),
    )
    shown = run_cli("import", "qlik-cli", "--file", str(contexts), "--context", "work")
    assert shown.code == 0, shown.output
    assert "stored as profile 'work' (the same key is also stored in profile 'mine')" in (
        shown.stdout
    )
    as_json = run_cli("import", "qlik-cli", "--file", str(contexts), "--context", "other", "--json")
    assert as_json.code == 0, as_json.output
    [entry] = json.loads(as_json.stdout)["contexts"]
    assert entry["status"] == "imported"
    assert entry["shared_with"] == ["mine", "work"]


def test_renew_within_renews_a_shared_key_once_for_all_its_holders(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    key = sandbox.issue_key(expires_in=timedelta(hours=1))
    login(run_cli, sandbox, "a", key)
    login(run_cli, sandbox, "b", key)
    done = run_cli("check", "--renew-within", "12h", "--json")
    assert done.code == 0, done.output
    renewals = [e["renewal"] for e in json.loads(done.stdout) if e["renewal"]]
    assert len(renewals) == 1 and renewals[0]["updated_profiles"] == ["a", "b"]
    new_id = renewals[0]["new_key_id"]
    assert held_key_id(services, "a") == held_key_id(services, "b") == new_id
    assert sandbox.key_ids("admin") == [new_id]  # one new key, the old one deleted
