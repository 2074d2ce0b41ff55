"""Outcomes and store results name the store that holds the profile's key: the OS keyring, or
qlik-tui's encrypted file (never "the keyring" for a key in the file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.services.check import check_one
from qlik_tui.services.results import KeyNotStored, StoreStep
from qlik_tui.services.storing import store_key
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.secrets import SERVICE_NAME
from tests.services.helpers import (
    NAME,
    TENANT,
    outcome_words,
    profile_in,
    services_with_both_stores,
)
from tests.store.helpers import fake_key_text
from tests.store.memory_keyring import MemoryKeyring


def test_a_key_missing_from_the_encrypted_file_says_the_encrypted_file(tmp_path: Path) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())
    profile = profile_in(services, KeyStoreKind.ENCRYPTED_FILE)

    outcome = asyncio.run(check_one(services, profile)).outcome

    assert outcome.kind is OutcomeKind.KEY_NOT_STORED
    assert outcome.title == "Key missing from the encrypted file"
    assert "qlik-tui's encrypted key file holds no key for it" in outcome.cause
    assert "keyring" not in outcome_words(outcome).lower()


def test_an_unreadable_entry_in_the_encrypted_file_says_the_encrypted_file(
    tmp_path: Path,
) -> None:
    services = services_with_both_stores(tmp_path, MemoryKeyring())
    profile = profile_in(services, KeyStoreKind.ENCRYPTED_FILE)
    services.stores.encrypted_file.set_password(SERVICE_NAME, NAME, "not an API key")

    outcome = asyncio.run(check_one(services, profile)).outcome

    assert outcome.kind is OutcomeKind.STORED_KEY_INVALID
    assert "entry in qlik-tui's encrypted key file does not hold a valid API key" in outcome.cause
    assert "qlik-tui login --name vault" in outcome.next_step
    assert "keyring" not in outcome_words(outcome).lower()


def test_keyring_profiles_keep_naming_the_keyring_and_its_backend(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    profile = profile_in(services, KeyStoreKind.KEYRING)
    backend = services.secrets.backend_name

    missing = asyncio.run(check_one(services, profile)).outcome
    memory.items[(SERVICE_NAME, NAME)] = "not an API key"
    unreadable = asyncio.run(check_one(services, profile)).outcome

    assert missing.title == "Key missing from the keyring"
    assert missing.cause == (
        f"The profile exists but the keyring ({backend}) holds no key for it: it was removed "
        "there, or saved with another keyring backend."
    )
    assert unreadable.kind is OutcomeKind.STORED_KEY_INVALID
    assert f"entry in the keyring ({backend}) does not hold a valid API key" in unreadable.cause


def test_a_failed_store_into_the_encrypted_file_says_the_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)
    services = services_with_both_stores(tmp_path, MemoryKeyring(), unlocked=False)
    in_file = services.storing_in(KeyStoreKind.ENCRYPTED_FILE)

    with pytest.raises(KeyNotStored) as caught:
        store_key(
            in_file,
            name=NAME,
            tenant=TENANT,
            key=parse_key(fake_key_text()),
            report=None,
            replace=True,
        )

    assert caught.value.store is KeyStoreKind.ENCRYPTED_FILE
    # the save failed after the entry was read: it was put back as it was (no entry)
    assert caught.value.summary() == (
        'The key was not stored; the encrypted key file holds no entry for "vault" (as before), '
        "and the profiles file is unchanged."
    )
    assert caught.value.keyring_note() == (
        'The encrypted key file holds no entry for "vault", as before.'
    )
    unchanged = KeyNotStored(
        StoreStep.KEYRING, "p", "f", name=NAME, store=KeyStoreKind.ENCRYPTED_FILE
    )
    assert unchanged.summary() == (
        "The key was not stored; the encrypted key file and the profiles file are unchanged."
    )
    in_keyring = KeyNotStored(StoreStep.KEYRING, "p", "f", name=NAME)
    assert in_keyring.summary() == (
        "The key was not stored; the keyring and the profiles file are unchanged."
    )
