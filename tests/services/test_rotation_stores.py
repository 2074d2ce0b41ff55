"""A renewal and a forget name the store that holds the profile's key: the OS keyring, or
qlik-tui's encrypted file (real file, real key derivation; an in-memory OS keyring). Failures to
read the stored key read exactly as ``check`` reads them."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.outcomes import Outcome, OutcomeKind
from qlik_tui.services.check import check_one
from qlik_tui.services.context import Services
from qlik_tui.services.forgetting import forget_profile
from qlik_tui.services.results import ForgetResult, KeyNotStored, Removal, StoreStep
from qlik_tui.services.rotation import (
    RotationStatus,
    RotationStep,
    StepEvent,
    StepState,
    rotate_profile,
    step_title,
    store_failure_outcome,
)
from qlik_tui.store.backends import explain_failure
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.secrets import SERVICE_NAME, KeyNotFound, StoredKeyUnreadable
from tests.services.helpers import (
    NAME,
    TENANT,
    outcome_words,
    profile_in,
    services_with_both_stores,
)
from tests.store.helpers import fake_key_text
from tests.store.memory_keyring import MemoryKeyring

FILE = KeyStoreKind.ENCRYPTED_FILE


def _renewal_stops_at_load(services: Services) -> tuple[Outcome, list[StepEvent]]:
    events: list[StepEvent] = []
    result = asyncio.run(rotate_profile(services, NAME, on_step=events.append))
    assert result.status is RotationStatus.FAILED
    assert result.failed_step is RotationStep.LOAD
    assert result.outcome is not None
    return result.outcome, events


def _with_unreadable_entry(services: Services) -> None:
    services.stores.encrypted_file.set_password(SERVICE_NAME, NAME, "not an API key")


@pytest.mark.parametrize("state", ["missing", "unreadable", "locked"])
def test_a_stored_key_the_renewal_cannot_read_reads_as_check_reads_it(
    state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)
    services = services_with_both_stores(tmp_path, MemoryKeyring())
    profile = profile_in(services, KeyStoreKind.ENCRYPTED_FILE)
    if state == "unreadable":
        _with_unreadable_entry(services)
    if state == "locked":  # the file exists; this process was never given its passphrase
        _with_unreadable_entry(services)
        services = services_with_both_stores(tmp_path, MemoryKeyring(), unlocked=False)

    renewal, events = _renewal_stops_at_load(services)
    checked = asyncio.run(check_one(services, profile)).outcome

    expected = {
        "missing": OutcomeKind.KEY_NOT_STORED,
        "unreadable": OutcomeKind.STORED_KEY_INVALID,
        "locked": OutcomeKind.KEY_FILE_UNAVAILABLE,
    }[state]
    assert renewal.kind is checked.kind is expected
    assert outcome_words(renewal) == outcome_words(checked)
    assert "encrypted" in outcome_words(renewal)
    assert "keyring" not in outcome_words(renewal).lower()
    assert [(e.step, e.state, e.store) for e in events] == [
        (RotationStep.LOAD, StepState.STARTED, KeyStoreKind.KEYRING),  # the profile is unread
        (RotationStep.LOAD, StepState.FAILED, KeyStoreKind.ENCRYPTED_FILE),
    ]


def test_a_key_missing_from_the_keyring_still_names_the_keyring(tmp_path: Path) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())
    profile_in(services, KeyStoreKind.KEYRING)

    renewal, _ = _renewal_stops_at_load(services)

    assert renewal.kind is OutcomeKind.KEY_NOT_STORED
    assert renewal.title == "Key missing from the keyring"
    assert f"the keyring ({services.secrets.backend_name})" in renewal.cause  # no backend recorded


def test_an_unreadable_entry_names_the_store_it_was_read_from(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    _with_unreadable_entry(services)
    memory.items[(SERVICE_NAME, NAME)] = "not an API key"

    with pytest.raises(StoredKeyUnreadable) as in_file:
        services.stores.encrypted.load(NAME)
    with pytest.raises(StoredKeyUnreadable) as in_keyring:
        services.stores.keyring.load(NAME)

    assert in_file.value.problem == (
        "The entry of profile 'vault' in qlik-tui's encrypted key file does not hold a valid "
        "API key."
    )
    assert in_keyring.value.problem == (
        "The keyring entry of profile 'vault' does not hold a valid API key."
    )
    with pytest.raises(KeyNotFound) as missing:
        services.stores.encrypted.load("other")
    assert missing.value.problem == (
        "No key is stored for profile 'other' in qlik-tui's encrypted key file."
    )


def test_the_store_step_is_titled_after_the_profiles_store() -> None:
    assert step_title(RotationStep.STORE) == (
        "Store the new key (keyring and profile, all or nothing)"
    )
    encrypted = StepEvent(RotationStep.STORE, StepState.STARTED, "", KeyStoreKind.ENCRYPTED_FILE)
    assert encrypted.title == "Store the new key (encrypted file and profile, all or nothing)"
    for step in RotationStep:  # the other steps do not depend on the store
        if step is not RotationStep.STORE:
            assert step_title(step, KeyStoreKind.ENCRYPTED_FILE) == step_title(step)


def test_a_refused_store_gives_the_row_of_the_store_that_refused() -> None:
    def refused(step: StoreStep, store: KeyStoreKind) -> KeyNotStored:
        return KeyNotStored(step, "Could not write it.", "Free some space.", name=NAME, store=store)

    in_file = store_failure_outcome(refused(StoreStep.KEYRING, KeyStoreKind.ENCRYPTED_FILE), TENANT)
    in_keyring = store_failure_outcome(refused(StoreStep.KEYRING, KeyStoreKind.KEYRING), TENANT)
    profiles = store_failure_outcome(refused(StoreStep.PROFILES_FILE, KeyStoreKind.KEYRING), TENANT)

    assert in_file is not None and in_file.kind is OutcomeKind.KEY_FILE_UNAVAILABLE
    assert in_file.cause == "qlik-tui's encrypted key file could not be used (Could not write it)."
    assert in_keyring is not None and in_keyring.kind is OutcomeKind.KEYRING_UNAVAILABLE
    assert in_keyring.next_step == "Free some space."
    assert profiles is None  # no row describes the profiles file: the failure itself says it


@pytest.mark.parametrize("kind", list(KeyStoreKind))
def test_forget_names_the_store_it_removed_the_key_from(kind: KeyStoreKind, tmp_path: Path) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())
    profile = profile_in(services, kind)
    services.secrets_for(profile).save(NAME, parse_key(fake_key_text()))
    where = (
        "qlik-tui's encrypted key file"
        if kind is KeyStoreKind.ENCRYPTED_FILE
        else services.secrets.backend_name
    )

    removed = forget_profile(services, NAME)
    profile_in(services, kind)  # listed again, with no key anywhere
    nothing = forget_profile(services, NAME)

    assert removed.store is nothing.store is kind
    assert removed.summary() == f'Forgot "vault": removed its key from {where} and its profile.'
    assert nothing.summary() == f'Forgot "vault": {where} held no key; removed its profile.'


def test_no_forget_sentence_calls_the_encrypted_file_a_keyring(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    results = [
        ForgetResult(NAME, key, profile, "qlik-tui encrypted file", path, "p", "f", FILE)
        for key, profile in itertools.product(Removal, Removal)
    ]

    sentences = {result.summary() for result in results}

    assert any("qlik-tui's encrypted key file" in sentence for sentence in sentences)
    assert not [s for s in sentences if "keyring" in s.lower() or "from qlik-tui encrypted" in s]


def test_an_unforeseen_failure_of_the_encrypted_file_is_not_called_a_keyring_failure(
    tmp_path: Path,
) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())

    in_file = explain_failure(RuntimeError("boom"), services.stores.encrypted_file, "save it")
    in_keyring = explain_failure(RuntimeError("boom"), MemoryKeyring(), "save it")

    assert in_file.problem == "qlik-tui's encrypted key file failed to save it: RuntimeError: boom."
    assert "keyring" not in f"{in_file.problem} {in_file.fix}".lower()
    assert in_keyring.problem.startswith("The keyring (")
