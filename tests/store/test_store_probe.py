"""The key-store probe against real Secret Services (unlocked, locked, none, no bus), the
encrypted file as an explicitly chosen store, and the profile field recording where a key is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from keyring.backends import SecretService

from qlik_tui.core.apikey import parse_key
from qlik_tui.services.context import Services
from qlik_tui.services.store_probe import Platform, ProbeProblem, probe_key_store
from qlik_tui.store.backends import select_backend
from qlik_tui.store.encrypted_errors import WrongPassphrase
from qlik_tui.store.encrypted_file import EncryptedFileKeyring
from qlik_tui.store.encrypted_format import Argon2idParams
from qlik_tui.store.key_stores import EncryptedFileLocked, KeyStoreKind, KeyStores, kind_of
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.keyring_daemon import SecretServiceSession
from tests.store.helpers import fake_key_text

FAST = Argon2idParams(iterations=1, lanes=1, memory_cost_kib=8)
PASSPHRASE = "correct horse battery staple"


def stores_on(address: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeyStores:
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    keyring = SecretStore(backend=SecretService.Keyring())
    return KeyStores(keyring, encrypted_path=tmp_path / "data" / "keys.encrypted")


def test_an_unlocked_secret_service_is_usable_and_named(
    secret_store: SecretStore, tmp_path: Path
) -> None:
    probe = probe_key_store(KeyStores(secret_store, encrypted_path=tmp_path / "k"))
    assert probe.usable
    assert probe.headline == "SecretService Keyring, unlocked"
    assert probe.problem is None and probe.why is None and probe.fix is None
    assert probe.reason is None
    assert probe.explanation() == ["SecretService Keyring, unlocked"]


def test_no_dbus_session_explains_why_the_headless_fix_and_the_encrypted_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stores = stores_on(None, monkeypatch, tmp_path)
    probe = probe_key_store(stores, Platform.SSH)
    assert not probe.usable
    assert probe.problem is ProbeProblem.NO_DBUS_SESSION
    assert probe.reason == "no D-Bus session, so no Secret Service"  # the one-line form
    assert probe.why is not None and "no D-Bus session bus" in probe.why
    assert probe.fix is not None
    assert "dbus-run-session" in probe.fix and "gnome-keyring-daemon --unlock" in probe.fix
    assert "--store encrypted-file" in probe.alternative
    assert str(stores.encrypted_path) in probe.alternative
    assert not probe.encrypted_file_exists
    lines = probe.explanation()
    assert lines[0] == "No usable keyring"
    assert [line.split(":", 1)[0] for line in lines[1:]] == ["why", "fix", "or"]


def test_wsl_gets_wsl_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    probe = probe_key_store(stores_on(None, monkeypatch, tmp_path), Platform.WSL)
    assert probe.fix is not None and probe.fix.startswith("WSL runs no keyring of its own")
    assert "encrypted file" in probe.fix


def test_a_bus_without_a_secret_service_is_no_backend(
    bare_dbus_session: SecretServiceSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probe = probe_key_store(
        stores_on(bare_dbus_session.address, monkeypatch, tmp_path), Platform.LINUX_HEADLESS
    )
    assert not probe.usable
    assert probe.problem is ProbeProblem.NO_BACKEND
    assert probe.why is not None and "neither running nor activatable" in probe.why


def test_a_locked_keyring_without_a_desktop_is_unusable_and_no_prompt_is_shown(
    locked_secret_service: SecretServiceSession,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    stores = stores_on(locked_secret_service.address, monkeypatch, tmp_path)
    probe = probe_key_store(stores, Platform.SSH)
    assert not probe.usable
    assert probe.problem is ProbeProblem.LOCKED
    assert probe.headline == "SecretService Keyring, locked"
    assert probe.fix is not None and "gnome-keyring-daemon --unlock" in probe.fix
    on_desktop = probe_key_store(stores, Platform.LINUX_DESKTOP)
    assert on_desktop.usable
    assert on_desktop.headline == "SecretService Keyring, locked (you will be asked to unlock it)"


def test_the_encrypted_file_is_a_secure_backend_only_when_given(tmp_path: Path) -> None:
    keyring = EncryptedFileKeyring(tmp_path / "keys.encrypted", lambda: PASSPHRASE, kdf=FAST)
    selected = select_backend(keyring)
    assert selected.insecure_notice is None
    assert selected.encrypted_file
    assert selected.kind == f"passphrase-encrypted file {tmp_path / 'keys.encrypted'}"


def test_encrypted_store_never_prompts_in_the_worker_before_it_is_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)
    stores = KeyStores(encrypted_path=tmp_path / "keys.encrypted")
    key = parse_key(fake_key_text())
    with pytest.raises(EncryptedFileLocked):
        stores.encrypted.save("vault", key)
    assert not stores.encrypted_file_exists()

    stores.unlock_encrypted(lambda: PASSPHRASE)
    stores.encrypted.save("vault", key)
    assert stores.encrypted.load("vault") == key
    assert stores.encrypted.is_encrypted_file


def test_a_wrong_passphrase_keeps_the_store_locked_and_the_file_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)
    path = tmp_path / "keys.encrypted"
    first = KeyStores(encrypted_path=path)
    first.unlock_encrypted(lambda: PASSPHRASE)
    first.encrypted.save("vault", parse_key(fake_key_text()))
    before = path.read_bytes()

    second = KeyStores(encrypted_path=path)
    with pytest.raises(WrongPassphrase):
        second.unlock_encrypted(lambda: "not the passphrase")
    with pytest.raises(EncryptedFileLocked) as locked:
        second.encrypted.load("vault")
    assert "The passphrase does not unlock" in locked.value.problem
    assert path.read_bytes() == before


def test_profiles_record_the_store_and_old_files_read_as_keyring(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    old = {"version": 1, "profiles": {"old": {"origin": "https://a.eu.qlikcloud.com"}}}
    path.write_text(json.dumps(old))
    profiles = ProfileStore(path)
    profile = profiles.get("old")
    assert profile is not None and profile.store is None
    assert kind_of(profile) is KeyStoreKind.KEYRING

    profiles.update("old", store="encrypted-file")
    reread = ProfileStore(path).get("old")
    assert reread is not None and kind_of(reread) is KeyStoreKind.ENCRYPTED_FILE
    future = ProfileStore(path)
    future.update("old", store="cloud-vault")
    unknown = future.get("old")
    assert unknown is not None and kind_of(unknown) is None


def test_services_pick_each_profiles_store(tmp_path: Path, secret_store: SecretStore) -> None:
    services = Services(secret_store, ProfileStore(tmp_path / "profiles.json"))
    assert services.storing_in(KeyStoreKind.KEYRING) is services
    encrypted = services.storing_in(KeyStoreKind.ENCRYPTED_FILE)
    assert encrypted.secrets is services.stores.encrypted
    assert encrypted.stores is services.stores  # one encrypted keyring per process
