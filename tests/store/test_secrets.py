"""SecretStore against test doubles of the backend interface: deadlines, truncation, insecure
backends, secrets discipline. The real Secret Service is in test_secrets_daemon.py."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from keyring.backends import fail, null

from qlik_tui.core.apikey import parse_key
from qlik_tui.store.secrets import (
    SERVICE_NAME,
    DeadlineExceeded,
    InsecureBackend,
    KeyNotFound,
    NoBackend,
    NoDBusSession,
    SecretStore,
    SecretTruncated,
    StoredKeyUnreadable,
    StoreError,
)
from tests.store.doubles import (
    HangingKeyring,
    LeakyKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    TruncatingKeyring,
)
from tests.store.helpers import assert_no_secret, fake_key_text

PLAINTEXT_CLASS = "tests.store.plaintext_backend.PlaintextKeyring"


def test_round_trip_with_a_recommended_backend() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend=backend)
    key = parse_key(fake_key_text())

    store.save("work", key)

    assert backend.items == {(SERVICE_NAME, "work"): key.reveal()}
    loaded = store.load("work")
    assert loaded == key
    assert loaded.info.key_id == key.info.key_id
    assert store.is_secure is True
    assert store.insecure_notice is None
    assert store.delete("work") is True
    assert store.delete("work") is False
    with pytest.raises(KeyNotFound) as caught:
        store.load("work")
    assert "'work'" in caught.value.problem
    assert caught.value.fix


def test_a_hung_backend_gives_deadline_exceeded_and_a_daemon_thread() -> None:
    backend = HangingKeyring()
    store = SecretStore(deadline_s=0.2, backend=backend)
    key = parse_key(fake_key_text())
    try:
        with pytest.raises(DeadlineExceeded) as caught:
            store.save("work", key)
        stuck = [t for t in threading.enumerate() if t.name.startswith("qlik-tui keyring: save")]
        assert stuck
        assert all(thread.daemon for thread in stuck)
        with pytest.raises(DeadlineExceeded):
            store.load("work")
    finally:
        backend.release.set()
    error = caught.value
    assert "did not answer in 0.2 s" in error.problem
    assert "unlock prompt" in error.fix
    assert_no_secret(error, key.reveal())


def test_a_save_that_lands_after_the_deadline_is_removed_again() -> None:
    # The user was told "not stored": a keyring that answers late must not keep the key.
    backend = HangingKeyring()
    store = SecretStore(deadline_s=0.2, backend=backend)
    with pytest.raises(DeadlineExceeded):
        store.save("late", parse_key(fake_key_text()))
    backend.release.set()
    for _ in range(200):
        stuck = [t for t in threading.enumerate() if t.name.startswith("qlik-tui keyring: save")]
        if not stuck:
            break
        time.sleep(0.01)
    assert not stuck
    assert backend.items == {}


def test_a_truncating_backend_gives_secret_truncated_and_keeps_nothing() -> None:
    backend = TruncatingKeyring(limit=1280)
    store = SecretStore(backend=backend)
    long_text = fake_key_text(padding="p" * 1500)
    assert len(long_text) > 1280
    key = parse_key(long_text)

    with pytest.raises(SecretTruncated) as caught:
        store.save("work", key)

    assert backend.items == {}
    assert f"only 1280 of the key's {len(long_text)} characters" in caught.value.problem
    assert "1280" in caught.value.fix
    assert_no_secret(caught.value, long_text)
    with pytest.raises(KeyNotFound):
        store.load("work")


def test_the_truncating_backend_keeps_a_key_that_fits() -> None:
    backend = TruncatingKeyring(limit=1280)
    store = SecretStore(backend=backend)
    key = parse_key(fake_key_text())
    assert len(key.reveal()) < 1280

    store.save("work", key)

    assert store.load("work") == key


def test_the_fail_backend_outside_a_dbus_session_names_the_missing_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    store = SecretStore(backend=fail.Keyring())

    with pytest.raises(NoDBusSession) as caught:
        store.save("work", parse_key(fake_key_text()))

    assert "DBUS_SESSION_BUS_ADDRESS is not set" in caught.value.problem
    assert "dbus-run-session" in caught.value.fix


def test_the_null_backend_is_no_backend() -> None:
    store = SecretStore(backend=null.Keyring())

    with pytest.raises(NoBackend) as caught:
        store.check()

    assert "switched off" in caught.value.problem
    assert "keyring.backends.null.Keyring" in caught.value.fix


def test_an_unselected_insecure_backend_is_refused() -> None:
    backend = PlaintextKeyring()
    store = SecretStore(backend=backend)

    with pytest.raises(InsecureBackend) as caught:
        store.save("work", parse_key(fake_key_text()))

    assert backend.items == {}
    assert "not secure" in caught.value.problem
    assert f"PYTHON_KEYRING_BACKEND={PLAINTEXT_CLASS}" in caught.value.fix
    with pytest.raises(InsecureBackend):
        _ = store.is_secure


def test_an_insecure_backend_selected_by_environment_is_used_with_a_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT_CLASS)
    backend = PlaintextKeyring()
    store = SecretStore(backend=backend)
    key = parse_key(fake_key_text())

    store.save("work", key)

    assert store.load("work") == key
    assert store.is_secure is False
    notice = store.insecure_notice
    assert notice is not None
    assert "Not secure" in notice
    assert "PYTHON_KEYRING_BACKEND" in notice
    assert "not secure" in store.describe()


def test_an_insecure_backend_selected_in_keyringrc_is_used_with_a_notice(
    isolated_home: Path,
) -> None:
    config = isolated_home / ".config" / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir(parents=True)
    config.write_text(f"[backend]\ndefault-keyring = {PLAINTEXT_CLASS}\n")
    store = SecretStore(backend=PlaintextKeyring())

    store.save("work", parse_key(fake_key_text()))

    assert store.is_secure is False
    assert store.insecure_notice is not None
    assert str(config) in store.insecure_notice


def test_another_backend_in_the_environment_does_not_vouch_for_this_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")

    with pytest.raises(InsecureBackend):
        SecretStore(backend=PlaintextKeyring()).check()


def test_backend_errors_never_carry_the_key() -> None:
    store = SecretStore(backend=LeakyKeyring())
    key_text = fake_key_text()

    with pytest.raises(StoreError) as caught:
        store.save("work", parse_key(key_text))

    error = caught.value
    assert "failed to save the key of profile 'work'" in error.problem
    assert error.detail is not None
    assert "[redacted]" in error.detail
    assert_no_secret(error, key_text)


def test_a_stored_value_that_is_not_a_key_names_the_profile_not_the_value() -> None:
    backend = MemoryKeyring()
    backend.items[(SERVICE_NAME, "work")] = "eyJnot-a-key.but-looks-like-one-sensitive"
    store = SecretStore(backend=backend)

    with pytest.raises(StoreError) as caught:
        store.load("work")

    assert type(caught.value) is StoredKeyUnreadable  # not KeyNotFound: an entry is there
    assert "'work'" in caught.value.problem
    assert_no_secret(caught.value, "eyJnot-a-key.but-looks-like-one-sensitive")


@pytest.mark.parametrize("name", ["", "   ", "tab\there", "x" * 101])
def test_profile_names_are_checked_before_the_keyring_is_touched(name: str) -> None:
    backend = MemoryKeyring()

    with pytest.raises(StoreError) as caught:
        SecretStore(backend=backend).save(name, parse_key(fake_key_text()))

    assert caught.value.problem
    assert backend.items == {}
