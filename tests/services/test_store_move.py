"""``store_key`` moving a profile's key between the OS keyring and the encrypted file: the new
key and profile are committed, then the replaced key leaves the store it was in, and
``StoredKey`` says how that went. The encrypted file is real; the OS keyring is in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.results import KeyNotStored, Removal, StoredKey
from qlik_tui.services.storing import store_key
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SERVICE_NAME, KeyNotFound
from tests.services.helpers import UndeletableKeyring, services_with_both_stores
from tests.store.helpers import fake_key_text
from tests.store.memory_keyring import MemoryKeyring

TENANT = parse_tenant("https://acme.eu.qlikcloud.com")
NAME = "work"
KEYRING, FILE = KeyStoreKind.KEYRING, KeyStoreKind.ENCRYPTED_FILE


def _store_in(services: Services, kind: KeyStoreKind, key: ApiKey) -> StoredKey:
    return store_key(
        services.storing_in(kind), name=NAME, tenant=TENANT, key=key, report=None, replace=True
    )


def _new_key() -> ApiKey:
    return parse_key(fake_key_text())


def test_a_key_moved_to_the_encrypted_file_is_removed_from_the_keyring(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    old, new = _new_key(), _new_key()
    _store_in(services, KEYRING, old)
    assert memory.items == {(SERVICE_NAME, NAME): old.reveal()}

    stored = _store_in(services, FILE, new)

    assert stored.moved_from is KEYRING
    assert stored.old_copy is Removal.REMOVED and stored.old_copy_removed
    assert stored.old_copy_problem is None and stored.old_copy_warning() is None
    assert stored.move_note() == "Removed the replaced key from the store it was in before."
    assert memory.items == {}
    assert services.stores.encrypted.load(NAME) == new
    profile = services.profiles.get(NAME)
    assert profile is not None and profile.store == FILE.value
    assert stored.replaced is not None and stored.replaced.key_id == old.info.key_id


def test_a_key_moved_back_to_the_keyring_is_removed_from_the_encrypted_file(
    tmp_path: Path,
) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    old, new = _new_key(), _new_key()
    _store_in(services, FILE, old)

    stored = _store_in(services, KEYRING, new)

    assert (stored.moved_from, stored.old_copy) == (FILE, Removal.REMOVED)
    with pytest.raises(KeyNotFound):
        services.stores.encrypted.load(NAME)
    assert memory.items == {(SERVICE_NAME, NAME): new.reveal()}
    profile = services.profiles.get(NAME)
    assert profile is not None and profile.store == KEYRING.value


def test_an_old_copy_that_cannot_be_removed_is_reported_and_the_new_key_stays_stored(
    tmp_path: Path,
) -> None:
    undeletable = UndeletableKeyring()
    services = services_with_both_stores(tmp_path, undeletable)
    old, new = _new_key(), _new_key()
    _store_in(services, KEYRING, old)

    stored = _store_in(services, FILE, new)

    assert stored.moved_from is KEYRING
    assert stored.old_copy is Removal.FAILED and not stored.old_copy_removed
    assert stored.old_copy_problem and "locked" in stored.old_copy_problem.lower()
    assert stored.old_copy_fix
    assert stored.move_note() is None
    warning = stored.old_copy_warning() or ""
    assert "still in the other store" in warning
    assert "The new key is stored regardless" in warning
    assert 'OS keyring still holds the old key of "work"' in warning
    # the store itself is complete: the new key in the file, the profile pointing there
    assert services.stores.encrypted.load(NAME) == new
    profile = services.profiles.get(NAME)
    assert profile is not None and profile.store == FILE.value
    assert undeletable.items == {(SERVICE_NAME, NAME): old.reveal()}


def test_a_key_replaced_in_the_same_store_did_not_move(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    first = _store_in(services, FILE, _new_key())
    new = _new_key()

    again = _store_in(services, FILE, new)

    for stored in (first, again):
        assert stored.moved_from is None
        assert stored.old_copy is Removal.NOT_TRIED
        assert stored.move_note() is None and stored.old_copy_warning() is None
    assert again.replaced is not None
    assert services.stores.encrypted.load(NAME) == new
    assert memory.items == {}


def test_a_move_whose_old_store_held_no_key_says_so(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    services.profiles.put(Profile(name=NAME, origin=TENANT.origin, store=KEYRING.value))

    stored = _store_in(services, FILE, _new_key())

    assert (stored.moved_from, stored.old_copy) == (KEYRING, Removal.ABSENT)
    assert stored.move_note() is None and stored.old_copy_warning() is None


def test_a_store_this_version_does_not_know_is_left_alone(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    services.profiles.put(Profile(name=NAME, origin=TENANT.origin, store="hardware-token"))
    memory.items[(SERVICE_NAME, NAME)] = fake_key_text()  # not the unknown store's copy

    stored = _store_in(services, FILE, _new_key())

    assert (stored.moved_from, stored.old_copy) == (None, Removal.NOT_TRIED)
    assert (SERVICE_NAME, NAME) in memory.items


def test_a_move_that_fails_to_store_leaves_the_old_copy_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory, unlocked=False)
    old = _new_key()
    _store_in(services, KEYRING, old)
    before = services.profiles.path.read_bytes()

    with pytest.raises(KeyNotStored) as caught:
        _store_in(services, FILE, _new_key())  # the file is locked: no passphrase was given

    assert caught.value.nothing_stored
    assert memory.items == {(SERVICE_NAME, NAME): old.reveal()}
    assert services.profiles.path.read_bytes() == before
