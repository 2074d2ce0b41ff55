"""``remove_half_stored_key``: discarding the entry a failed store left behind, as one service
call that never raises and says what it did."""

from __future__ import annotations

from pathlib import Path

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.results import HalfStoredKeyStatus
from qlik_tui.services.storing import remove_half_stored_key
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SERVICE_NAME
from tests.services.helpers import UndeletableKeyring, services_with_both_stores
from tests.store.helpers import fake_key_text
from tests.store.memory_keyring import MemoryKeyring

TENANT = parse_tenant("https://acme.eu.qlikcloud.com")
NAME = "work"


def test_an_unlisted_entry_is_removed(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    memory.items[(SERVICE_NAME, NAME)] = fake_key_text()

    removal = remove_half_stored_key(services, NAME)

    assert removal.status is HalfStoredKeyStatus.REMOVED and removal.gone
    assert (removal.problem, removal.fix) == (None, None)
    assert memory.items == {}
    assert "removed from" in removal.summary() and '"work"' in removal.summary()


def test_an_unlisted_entry_in_the_encrypted_file_is_removed(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    in_file = services.storing_in(KeyStoreKind.ENCRYPTED_FILE)
    in_file.secrets.save(NAME, parse_key(fake_key_text()))

    removal = remove_half_stored_key(in_file, NAME)

    assert removal.status is HalfStoredKeyStatus.REMOVED
    assert removal.backend == "qlik-tui encrypted file"
    assert in_file.secrets.delete(NAME) is False  # nothing left


def test_no_entry_is_reported_as_absent(tmp_path: Path) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())

    removal = remove_half_stored_key(services, NAME)

    assert removal.status is HalfStoredKeyStatus.ABSENT and removal.gone
    assert "holds no entry" in removal.summary()


def test_a_name_a_profile_lists_now_keeps_its_key(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    key = fake_key_text()
    memory.items[(SERVICE_NAME, NAME)] = key
    services.profiles.put(Profile(name=NAME, origin=TENANT.origin))

    removal = remove_half_stored_key(services, NAME)

    assert removal.status is HalfStoredKeyStatus.LISTED and not removal.gone
    assert memory.items == {(SERVICE_NAME, NAME): key}
    assert removal.summary().startswith("Kept:")


def test_a_store_that_refuses_is_reported_with_the_problem_and_fix(tmp_path: Path) -> None:
    undeletable = UndeletableKeyring()
    services = services_with_both_stores(tmp_path, undeletable)
    undeletable.items[(SERVICE_NAME, NAME)] = fake_key_text()

    removal = remove_half_stored_key(services, NAME)

    assert removal.status is HalfStoredKeyStatus.FAILED and not removal.gone
    assert removal.problem and "locked" in removal.problem.lower()
    assert removal.fix
    assert "still in" in removal.summary() and "no profile lists it" in removal.summary()
    assert (SERVICE_NAME, NAME) in undeletable.items


def test_an_unreadable_profiles_file_removes_nothing(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    memory.items[(SERVICE_NAME, NAME)] = fake_key_text()
    services.profiles.path.parent.mkdir(parents=True, exist_ok=True)
    services.profiles.path.write_text("{ not json")

    removal = remove_half_stored_key(services, NAME)

    assert removal.status is HalfStoredKeyStatus.FAILED
    assert removal.problem and str(services.profiles.path) in removal.problem
    assert removal.fix
    assert (SERVICE_NAME, NAME) in memory.items


def test_an_invalid_name_is_a_result_not_an_exception(tmp_path: Path) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())

    removal = remove_half_stored_key(services, "a\nb")

    assert removal.status is HalfStoredKeyStatus.FAILED
    assert removal.problem and removal.fix
