"""Renewing a key kept in qlik-tui's encrypted file, through the real CLI over the TLS sandbox:
the new key goes to the file (never the OS keyring, a real Secret Service here), the file is
unlocked before anything happens (QLIK_TUI_PASSPHRASE_FILE), and every failure names the file."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from tests.cli.helpers import STORE_FILE, key_forms, passphrase_file
from tests.fixtures.cli import RunCli
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.fixtures.services import make_services
from tests.store.helpers import files_containing

NAME = "vault"
STORE_STEP = "Store the new key (encrypted file and profile, all or nothing)"


@pytest.fixture
def vault(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """Profile 'vault' logged in with ``--store encrypted-file``: (its key, its key id). The
    passphrase comes from QLIK_TUI_PASSPHRASE_FILE from here on."""
    monkeypatch.setenv("QLIK_TUI_PASSPHRASE_FILE", str(passphrase_file(isolated_home)))
    key = sandbox.issue_key(description="the stored key")
    logged = run_cli(
        "login", "--tenant", sandbox.origin, "--name", NAME, "--with-token",
        "--store", "encrypted-file",
        stdin=key,
    )  # fmt: skip
    assert logged.code == 0, logged.output
    key_id = key_id_of(key)
    assert key_id is not None
    return key, key_id


def fresh_services(tmp_path: Path, keyring: SecretStore) -> Services:
    """Services as a new process has them: the same files, the encrypted file still locked."""
    services = make_services(tmp_path, keyring)
    assert not services.stores.encrypted_unlocked
    return services


def vault_profile(services: Services) -> Profile:
    profile = services.profiles.get(NAME)
    assert profile is not None
    return profile


def key_in_the_file(services: Services) -> str:
    profile = vault_profile(services)
    assert profile.store == KeyStoreKind.ENCRYPTED_FILE.value
    return services.secrets_for(profile).load(NAME).reveal()


@contextmanager
def folder_refusing_new_files(folder: Path) -> Iterator[None]:
    """``folder`` refuses new entries (the atomic write's temporary file): root, for whom mode
    bits stop nothing, makes it immutable; anyone else gets mode 0500."""
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
    try:
        with pytest.raises(OSError):
            (folder / "probe").write_bytes(b"")
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o700)


def renewed_in_the_file(
    services: Services,
    sandbox: FaultySandbox,
    secret_store: SecretStore,
    root: Path,
    vault: tuple[str, str],
) -> tuple[str, str]:
    """The new key is in the encrypted file and on the tenant, the old one nowhere, the OS
    keyring held neither, and no key bytes are on disk. Returns the new key and its id."""
    old_key, old_id = vault
    new_key = key_in_the_file(services)
    new_id = vault_profile(services).key_id
    assert new_id and new_id != old_id and key_id_of(new_key) == new_id
    assert sandbox.key_ids("admin") == [new_id] and not sandbox.has_key(old_id)
    with pytest.raises(KeyNotFound):
        secret_store.load(NAME)  # the OS keyring never held either key
    assert files_containing([root], key_forms(old_key) + key_forms(new_key)) == []
    return new_key, new_id


def test_rotate_renews_an_encrypted_file_profile_in_the_file(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    secret_store: SecretStore,
    tmp_path: Path,
    vault: tuple[str, str],
) -> None:
    services = fresh_services(tmp_path, secret_store)

    rotated = run_cli("rotate", NAME, using=services)

    assert rotated.code == 0, rotated.output
    assert services.stores.encrypted_unlocked  # unlocked by rotate, before the renewal
    assert f"✓ {STORE_STEP}" in rotated.stdout
    assert "keyring" not in rotated.output.lower()
    new_key, new_id = renewed_in_the_file(services, sandbox, secret_store, tmp_path, vault)
    assert f"Renewed 'vault': key {new_id} is stored" in rotated.stdout
    assert f"The old key {vault[1]} was deleted." in rotated.stdout
    assert new_key not in rotated.output
    assert run_cli("check", NAME, using=fresh_services(tmp_path, secret_store)).code == 0


def test_check_renew_within_renews_an_encrypted_file_profile_in_the_file(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    secret_store: SecretStore,
    tmp_path: Path,
    vault: tuple[str, str],
) -> None:
    services = fresh_services(tmp_path, secret_store)
    sandbox.set_config(max_api_key_expiry="P30D")  # new keys outlive the window: a 24 h key is due

    renewed = run_cli("check", "--renew-within", "2d", using=services)

    assert renewed.code == 0, renewed.output
    _, new_id = renewed_in_the_file(services, sandbox, secret_store, tmp_path, vault)
    assert f"↻ renewed vault: key {new_id}" in renewed.stdout


def test_a_rotation_the_encrypted_file_refuses_names_the_file_and_keeps_the_old_key(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    secret_store: SecretStore,
    tmp_path: Path,
    isolated_home: Path,
    vault: tuple[str, str],
) -> None:
    old_key, old_id = vault
    store_file = isolated_home / STORE_FILE
    before = store_file.read_bytes()

    with folder_refusing_new_files(store_file.parent):
        as_json = run_cli("rotate", NAME, "--json", using=fresh_services(tmp_path, secret_store))
        as_text = run_cli("rotate", NAME, using=fresh_services(tmp_path, secret_store))

    assert (as_json.code, as_text.code) == (4, 4), as_json.output + as_text.output
    answer = json.loads(as_json.stdout)
    assert answer["status"] == "store-failed" and answer["failed_step"] == "store"
    assert answer["outcome"] == "key_file_unavailable"
    assert answer["title"] == "Encrypted key file unavailable"
    assert "Could not write the encrypted key file" in answer["store_problem"]
    assert answer["strays"] == []
    assert "keyring" not in as_json.stdout.lower()
    assert "Not renewed: 'vault' still holds key" in as_text.stderr
    assert "was put back in the encrypted key file" in as_text.stderr
    assert "keyring" not in as_text.output.lower()
    # nothing changed: the file, the profile, and on the tenant only the old key is left
    assert store_file.read_bytes() == before
    services = fresh_services(tmp_path, secret_store)
    assert vault_profile(services).key_id == old_id
    assert key_in_the_file(services) == old_key
    assert sandbox.key_ids("admin") == [old_id]
    with pytest.raises(KeyNotFound):
        secret_store.load(NAME)


def test_rotate_with_a_wrong_passphrase_explains_it_and_asks_the_tenant_nothing(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    secret_store: SecretStore,
    tmp_path: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    vault: tuple[str, str],
) -> None:
    _, old_id = vault
    before = (isolated_home / STORE_FILE).read_bytes()
    wrong = passphrase_file(isolated_home, "not the passphrase", "wrong")
    monkeypatch.setenv("QLIK_TUI_PASSPHRASE_FILE", str(wrong))
    sandbox.clear_requests()

    rotated = run_cli("rotate", NAME, using=fresh_services(tmp_path, secret_store))

    assert rotated.code == 3, rotated.output
    assert "The passphrase does not unlock the encrypted key file" in rotated.stderr
    assert "Renewing" not in rotated.stdout
    assert sandbox.requests == []
    assert (isolated_home / STORE_FILE).read_bytes() == before
    assert sandbox.key_ids("admin") == [old_id]
