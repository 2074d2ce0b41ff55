"""Reading many profiles' entries together (``SecretStore.load_many`` /
``load_client_secrets``): the same answers as one read per profile, in fewer keyring calls.
And a store's first ``read_text`` (``exec``, ``token``), which chooses the backend in the same
call: one D-Bus connection, the same failures.

Against the real gnome-keyring (tests/fixtures/keyring_daemon.py) and the real encrypted file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import SecretService

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.oauth import ClientSecret
from qlik_tui.store import secrets as secrets_module
from qlik_tui.store.encrypted_errors import WrongPassphrase
from qlik_tui.store.encrypted_file import EncryptedFileKeyring
from qlik_tui.store.encrypted_format import Argon2idParams
from qlik_tui.store.errors import StoreError
from qlik_tui.store.secrets import (
    ACCESS_TOKEN_SERVICE,
    CLIENT_SECRET_SERVICE,
    SERVICE_NAME,
    KeyNotFound,
    KeyringLocked,
    PromptDismissed,
    SecretStore,
    StoredKeyUnreadable,
)
from tests.fixtures.keyring_daemon import LOCKED_PROFILE, SecretServiceSession
from tests.store.helpers import BusCalls, assert_no_secret, fake_key_text
from tests.store.memory_keyring import MemoryKeyring

SENTINEL = "qlik-tui-sentinel-" + "S3cr3tV4lu3" * 4  # a stored value that is no key
FAST = Argon2idParams(iterations=1, lanes=1, memory_cost_kib=8)
PASSPHRASE = "correct horse battery staple"


def _read_one_by_one(store: SecretStore, names: list[str]) -> dict[str, ApiKey | StoreError]:
    found: dict[str, ApiKey | StoreError] = {}
    for name in names:
        try:
            found[name] = store.load(name)
        except StoreError as exc:
            found[name] = exc
    return found


def _assert_same(
    together: dict[str, ApiKey | StoreError], alone: dict[str, ApiKey | StoreError]
) -> None:
    assert list(together) == list(alone)
    for name, expected in alone.items():
        got = together[name]
        if isinstance(expected, StoreError):
            assert type(got) is type(expected), name
            assert isinstance(got, StoreError)
            assert (got.problem, got.fix) == (expected.problem, expected.fix)
        else:
            assert got == expected, name


def _store_keys(store: SecretStore, count: int) -> list[str]:
    names = [f"profile {index}" for index in range(count)]
    for name in names:
        store.save(name, parse_key(fake_key_text()))
    return names


def _assert_hidden(results: dict[str, ApiKey | StoreError], secret: str) -> None:
    assert secret not in repr(results)
    for result in results.values():
        if isinstance(result, StoreError):
            assert_no_secret(result, secret)


def test_many_keys_read_together_equal_the_keys_read_one_by_one(
    secret_store: SecretStore,
) -> None:
    names = _store_keys(secret_store, 30)
    secret_store.save("not a key", ClientSecret(SENTINEL), service=secret_store.service_name)
    asked = [*names, "not a key", "never stored", "bad\nname"]

    together = secret_store.load_many(asked)

    _assert_same(together, _read_one_by_one(secret_store, asked))
    assert all(isinstance(together[name], ApiKey) for name in names)
    assert isinstance(together["not a key"], StoredKeyUnreadable)
    assert isinstance(together["never stored"], KeyNotFound)
    _assert_hidden(together, SENTINEL)


def test_the_secret_service_is_asked_once_for_all_the_secrets(
    secret_store: SecretStore, secret_service_env: SecretServiceSession
) -> None:
    names = _store_keys(secret_store, 20)

    with BusCalls(secret_service_env.address) as together:
        secret_store.load_many([*names, "never stored"])
    with BusCalls(secret_service_env.address) as alone:
        _read_one_by_one(secret_store, names[:2])

    # one connection and one session for all: a search per name, then one GetSecrets
    assert together.members.count("Hello") == 1
    assert together.members.count("OpenSession") == 1
    assert together.members.count("GetSecrets") == 1
    # a search per name, and the one each connection starts with (``backends``' first call)
    assert together.members.count("SearchItems") == 21 + together.members.count("Hello")
    assert "GetSecret" not in together.members
    assert alone.members.count("Hello") == 2  # what each read alone costs, for comparison
    assert alone.members.count("OpenSession") == 2


def test_many_entries_are_read_a_bounded_number_per_keyring_call(
    secret_store: SecretStore,
    secret_service_env: SecretServiceSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(secrets_module, "_ENTRIES_PER_CALL", 4)  # each call under its deadline
    names = _store_keys(secret_store, 10)

    with BusCalls(secret_service_env.address) as reading:
        together = secret_store.load_many(names)

    _assert_same(together, _read_one_by_one(secret_store, names))
    assert reading.members.count("Hello") == 3  # 4 + 4 + 2
    assert reading.members.count("GetSecrets") == 3


def test_client_secrets_read_together_equal_those_read_one_by_one(
    secret_store: SecretStore,
) -> None:
    for name in ("bot a", "bot b", "bot c"):
        secret_store.save(name, ClientSecret(f"{SENTINEL} {name}"), service=CLIENT_SECRET_SERVICE)

    together = secret_store.load_client_secrets(["bot a", "bot b", "bot c", "no bot"])

    for name in ("bot a", "bot b", "bot c"):
        secret = together[name]
        assert isinstance(secret, ClientSecret)
        assert secret == secret_store.load_client_secret(name)
    missing = together["no bot"]
    assert isinstance(missing, KeyNotFound)
    with pytest.raises(KeyNotFound) as alone:
        secret_store.load_client_secret("no bot")
    assert missing.problem == alone.value.problem
    assert SENTINEL not in repr(together)


def test_a_locked_collection_refuses_every_profile_as_one_read_does(
    locked_secret_service: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)
    store = SecretStore(backend=SecretService.Keyring())
    asked = [LOCKED_PROFILE, "never stored"]

    together = store.load_many(asked)

    _assert_same(together, _read_one_by_one(store, asked))
    assert all(isinstance(together[name], KeyringLocked) for name in asked)


def test_a_dismissed_prompt_refuses_every_profile_as_one_read_does(
    dismissing_secret_service: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dismissing_secret_service.address)
    store = SecretStore(backend=SecretService.Keyring())
    asked = ["work", "home"]

    together = store.load_many(asked)

    _assert_same(together, _read_one_by_one(store, asked))
    assert all(isinstance(together[name], PromptDismissed) for name in asked)


def _encrypted_store(path: Path, passphrase: str = PASSPHRASE) -> SecretStore:
    return SecretStore(backend=EncryptedFileKeyring(path, lambda: passphrase, kdf=FAST))


def test_the_encrypted_file_reads_many_keys_from_one_read(tmp_path: Path) -> None:
    path = tmp_path / "keys.encrypted"
    store = _encrypted_store(path)
    names = _store_keys(store, 5)
    store.save("not a key", ClientSecret(SENTINEL), service=store.service_name)
    asked = [*names, "not a key", "never stored"]

    together = store.load_many(asked)

    _assert_same(together, _read_one_by_one(store, asked))
    _assert_hidden(together, SENTINEL)


def test_the_encrypted_file_with_a_wrong_passphrase_refuses_only_stored_entries(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys.encrypted"
    names = _store_keys(_encrypted_store(path), 3)
    store = _encrypted_store(path, "not the passphrase")
    asked = [*names, "never stored"]

    together = store.load_many(asked)

    _assert_same(together, _read_one_by_one(store, asked))
    assert all(isinstance(together[name], WrongPassphrase) for name in names)
    assert isinstance(together["never stored"], KeyNotFound)  # no passphrase needed for that


def test_another_backend_is_read_one_profile_at_a_time_with_the_same_answers() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend=backend)
    names = _store_keys(store, 3)
    backend.set_password(store.service_name, "not a key", SENTINEL)
    asked = [*names, "not a key", "never stored"]

    together = store.load_many(asked)

    _assert_same(together, _read_one_by_one(store, asked))
    _assert_hidden(together, SENTINEL)


# -- a first read that chooses the backend too ---------------------------------------------------


def test_a_first_read_chooses_the_secret_service_on_the_same_connection(
    secret_store: SecretStore, secret_service_env: SecretServiceSession
) -> None:
    secret_store.save("bot", ClientSecret(SENTINEL), service=ACCESS_TOKEN_SERVICE)
    fresh = SecretStore()  # keyring's own choice, as the commands make it

    with BusCalls(secret_service_env.address) as reading:
        text = fresh.read_text("bot", ACCESS_TOKEN_SERVICE)
    with BusCalls(secret_service_env.address) as describing:
        name = fresh.backend_name

    assert text == SENTINEL
    assert reading.members.count("Hello") == 1  # no connection of its own to vet the service
    assert "NameHasOwner" not in reading.members
    assert name == "SecretService Keyring"
    assert describing.members == []  # chosen by the read
    assert fresh.read_text("nobody", ACCESS_TOKEN_SERVICE) is None
    assert SENTINEL not in repr(fresh)


def test_a_first_read_from_a_locked_collection_is_refused_once_as_before(
    locked_secret_service: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)
    with pytest.raises(KeyringLocked) as chosen_first:
        SecretStore(backend=SecretService.Keyring()).read_text(LOCKED_PROFILE, SERVICE_NAME)

    with BusCalls(locked_secret_service.address) as reading, pytest.raises(KeyringLocked) as caught:
        SecretStore().read_text(LOCKED_PROFILE, SERVICE_NAME)

    assert (caught.value.problem, caught.value.fix) == (
        chosen_first.value.problem,
        chosen_first.value.fix,
    )
    assert reading.members.count("Unlock") == 1  # one unlock prompt, not one per attempt
    assert_no_secret(caught.value, "not-a-key")


def test_a_first_read_without_a_secret_service_is_explained_as_choosing_is(
    bare_dbus_session: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_dbus_session.address)
    with pytest.raises(StoreError) as choosing:
        SecretStore().check()

    with pytest.raises(StoreError) as reading:
        SecretStore().read_text("bot", ACCESS_TOKEN_SERVICE)

    assert type(reading.value) is type(choosing.value)
    assert (reading.value.problem, reading.value.fix) == (
        choosing.value.problem,
        choosing.value.fix,
    )


def test_every_secret_service_connection_searches_before_it_reads_a_property(
    secret_store: SecretStore, secret_service_env: SecretServiceSession
) -> None:
    # gnome-keyring aborts on a property read that arrives before it registered the new
    # connection's client; a search then is only answered UnknownMethod (and tried again).
    with BusCalls(secret_service_env.address) as calls:
        secret_store.save("first", ClientSecret(SENTINEL), service=ACCESS_TOKEN_SERVICE)
        assert secret_store.read_text("first", ACCESS_TOKEN_SERVICE) == SENTINEL
        secret_store.load_many(["first", "second"])
        assert secret_store.delete("first", service=ACCESS_TOKEN_SERVICE)

    starts = [i for i, member in enumerate(calls.members) if member == "Hello"]
    assert len(starts) >= 4  # a connection per keyring call
    for start, end in zip(starts, [*starts[1:], len(calls.members)], strict=True):
        connection = calls.members[start:end]
        assert "SearchItems" in connection, connection
        first_read = connection.index("Get") if "Get" in connection else len(connection)
        assert connection.index("SearchItems") < first_read, connection
