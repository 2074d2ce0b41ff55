"""The all-or-nothing store (``services.storing.store_key``) against the real Secret Service.

Either the key and its profile are both written, or the keyring entry and the profiles file
are exactly as they were: every way the profiles write can fail, for a name that already holds
a key and for a new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.forgetting import forget_profile
from qlik_tui.services.results import KeyNotStored, KeyringState, Removal, StoreStep
from qlik_tui.services.storing import free_profile_name, store_key
from qlik_tui.store.errors import StoreError
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from tests.fixtures.profile_faults import FAULTS, BreakProfiles, snapshot_folder
from tests.store.helpers import assert_no_secret, fake_key_text

TENANT = parse_tenant("https://acme.eu.qlikcloud.com")
EXISTING, NEW = "work", "home"


@pytest.fixture
def services(secret_store: SecretStore, tmp_path: Path) -> Services:
    return Services(secrets=secret_store, profiles=ProfileStore(tmp_path / "cfg" / "profiles.json"))


@pytest.fixture
def first_key(services: Services) -> ApiKey:
    """A key stored properly under EXISTING before each test."""
    key = parse_key(fake_key_text())
    store_key(services, name=EXISTING, tenant=TENANT, key=key, report=None, replace=False)
    return key


def _store(services: Services, name: str, key: ApiKey, *, replace: bool = True) -> KeyNotStored:
    with pytest.raises(KeyNotStored) as caught:
        store_key(services, name=name, tenant=TENANT, key=key, report=None, replace=replace)
    return caught.value


def _file_bytes(profiles: ProfileStore) -> bytes | None:
    """The profiles file's content; None when there is none (or its folder cannot exist)."""
    try:
        return profiles.path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _assert_keyring_as_before(secrets: SecretStore, first_key: ApiKey) -> None:
    assert secrets.load(EXISTING) == first_key
    with pytest.raises(KeyNotFound):
        secrets.load(NEW)


def test_a_stored_key_reports_its_profile_and_what_it_replaced(
    services: Services, first_key: ApiKey
) -> None:
    second = parse_key(fake_key_text())
    stored = store_key(
        services, name=EXISTING, tenant=TENANT, key=second, report=None, replace=True
    )

    assert services.secrets.load(EXISTING) == second
    assert stored.profile == services.profiles.get(EXISTING)
    assert stored.replaced is not None and stored.replaced_key_id == first_key.info.key_id
    assert first_key.info.key_id in (stored.replacement_note() or "")
    assert stored.backend == services.secrets.backend_name


def test_a_taken_name_is_not_replaced_unless_asked(services: Services, first_key: ApiKey) -> None:
    before = services.profiles.path.read_bytes()

    failure = _store(services, EXISTING, parse_key(fake_key_text()), replace=False)

    assert failure.step is StoreStep.NAME_TAKEN
    assert failure.existing is not None and failure.existing.key_id == first_key.info.key_id
    assert failure.keyring is KeyringState.UNCHANGED and failure.nothing_stored
    assert services.secrets.load(EXISTING) == first_key
    assert services.profiles.path.read_bytes() == before
    assert free_profile_name(services, EXISTING) == f"{EXISTING}-2"


@pytest.mark.parametrize("name", [EXISTING, NEW])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_profiles_file_that_cannot_be_written_leaves_keyring_and_file_as_they_were(
    services: Services, first_key: ApiKey, break_profiles: BreakProfiles, fault: str, name: str
) -> None:
    broken = Services(secrets=services.secrets, profiles=break_profiles(fault, services.profiles))
    file_before = _file_bytes(broken.profiles)
    attempt = parse_key(fake_key_text())

    failure = _store(broken, name, attempt)

    assert failure.step is StoreStep.PROFILES_FILE
    assert failure.keyring is KeyringState.UNCHANGED and failure.nothing_stored
    assert "not stored" in failure.summary() and "unchanged" in failure.summary()
    _assert_keyring_as_before(services.secrets, first_key)
    assert _file_bytes(broken.profiles) == file_before
    assert_no_secret(failure, attempt.reveal())


@pytest.mark.parametrize("name", [EXISTING, NEW])
def test_a_rename_that_fails_after_the_keyring_took_the_key_puts_the_keyring_back(
    services: Services, first_key: ApiKey, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    files_before = snapshot_folder(services.profiles.path.parent)

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    failure = _store(services, name, parse_key(fake_key_text()))
    monkeypatch.undo()

    assert failure.step is StoreStep.PROFILES_WRITE
    assert failure.keyring is KeyringState.PUT_BACK and failure.nothing_stored
    assert failure.previous_existed is (name == EXISTING)
    assert "No space left on device" in failure.problem
    _assert_keyring_as_before(services.secrets, first_key)
    assert snapshot_folder(services.profiles.path.parent) == files_before


def test_a_failed_put_back_is_reported_with_what_is_stored_now(
    services: Services, first_key: ApiKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse_replace(*_: object) -> None:
        raise OSError(28, "No space left on device")

    def refuse_restore(*_: object) -> None:
        raise StoreError(problem="The keyring went away.")

    attempt = parse_key(fake_key_text())
    monkeypatch.setattr(os, "replace", refuse_replace)
    monkeypatch.setattr(services.secrets, "restore", refuse_restore)
    failure = _store(services, NEW, attempt)
    monkeypatch.undo()

    assert failure.keyring is KeyringState.NOT_RESTORED
    assert not failure.nothing_stored and failure.new_entry_left
    assert failure.restore_problem == "The keyring went away."
    assert "is in" in failure.summary() and "no profile lists it" in failure.summary()
    assert services.secrets.load(NEW) == attempt  # what the summary says is true


def test_a_keyring_that_refuses_the_key_keeps_the_previous_key(
    services: Services, first_key: ApiKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = services.profiles.path.read_bytes()

    def refuse(*_: object) -> None:
        raise StoreError(problem="The keyring refused.")

    monkeypatch.setattr(services.secrets, "save", refuse)
    failure = _store(services, EXISTING, parse_key(fake_key_text()))
    monkeypatch.undo()

    assert failure.step is StoreStep.KEYRING and failure.nothing_stored
    assert services.secrets.load(EXISTING) == first_key
    assert services.profiles.path.read_bytes() == before


def test_an_unlisted_keyring_entry_is_reported_when_replaced(services: Services) -> None:
    services.secrets.save(NEW, parse_key(fake_key_text()))

    stored = store_key(
        services,
        name=NEW,
        tenant=TENANT,
        key=parse_key(fake_key_text()),
        report=None,
        replace=False,
    )

    assert stored.replaced is None and stored.replaced_unlisted_entry
    assert "without a profile" in (stored.replacement_note() or "")


def test_a_key_like_name_is_refused_and_never_echoed(services: Services) -> None:
    key_text = fake_key_text()

    failure = _store(services, key_text + "\n", parse_key(fake_key_text()))

    assert failure.step is StoreStep.NAME
    shown = [
        str(failure),
        repr(failure),
        failure.summary(),
        failure.fix,
        *map(repr, vars(failure).values()),
    ]
    assert not [text for text in shown if key_text in text or key_text.split(".")[1] in text]
    assert "looks like an API key" in failure.problem


# -- forgetting ----------------------------------------------------------------------------


def test_forget_removes_both_and_says_so(services: Services, first_key: ApiKey) -> None:
    result = forget_profile(services, EXISTING)

    assert (result.key, result.profile) == (Removal.REMOVED, Removal.REMOVED)
    assert result.complete and "removed its key" in result.summary()
    assert services.profiles.get(EXISTING) is None
    with pytest.raises(KeyNotFound):
        services.secrets.load(EXISTING)


@pytest.mark.parametrize("fault", FAULTS)
def test_forget_with_an_unchangeable_profiles_file_removes_nothing_and_says_so(
    services: Services, first_key: ApiKey, break_profiles: BreakProfiles, fault: str
) -> None:
    broken = Services(secrets=services.secrets, profiles=break_profiles(fault, services.profiles))

    result = forget_profile(broken, EXISTING)

    assert (result.key, result.profile) == (Removal.NOT_TRIED, Removal.FAILED)
    assert not result.complete and result.summary().startswith("Nothing was removed")
    assert services.secrets.load(EXISTING) == first_key


def test_forget_that_removes_the_key_but_cannot_write_the_file_says_what_is_left(
    services: Services, first_key: ApiKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    result = forget_profile(services, EXISTING)
    monkeypatch.undo()

    assert (result.key, result.profile) == (Removal.REMOVED, Removal.FAILED)
    assert "still listed, without a key" in result.summary()
    assert services.profiles.get(EXISTING) is not None
    with pytest.raises(KeyNotFound):
        services.secrets.load(EXISTING)


def test_forget_removes_a_key_no_profile_lists(services: Services) -> None:
    services.secrets.save(NEW, parse_key(fake_key_text()))

    result = forget_profile(services, NEW)

    assert (result.key, result.profile) == (Removal.REMOVED, Removal.ABSENT)
    with pytest.raises(KeyNotFound):
        services.secrets.load(NEW)
