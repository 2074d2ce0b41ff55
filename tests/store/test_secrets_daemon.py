"""SecretStore against the real Secret Service: a private D-Bus session bus and gnome-keyring
daemons (see tests/fixtures/keyring_daemon.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import secretstorage
from jeepney.io.blocking import open_dbus_connection
from keyring.backends import SecretService, fail

from qlik_tui.core.apikey import parse_key
from qlik_tui.store.profiles import Profile, ProfileStore
from qlik_tui.store.secrets import (
    SERVICE_NAME,
    KeyNotFound,
    KeyringLocked,
    NoBackend,
    NoDBusSession,
    PromptDismissed,
    SecretStore,
)
from tests.fixtures.keyring_daemon import LOCKED_PROFILE, SecretServiceSession
from tests.store.helpers import (
    assert_no_secret,
    fake_key_text,
    files_containing,
    secret_needles,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _items(address: str, profile: str) -> list[secretstorage.Item]:
    with closing(open_dbus_connection(address)) as connection:
        found = secretstorage.search_items(
            connection, {"service": SERVICE_NAME, "username": profile}
        )
        return list(found)


def _keyring_files(session: SecretServiceSession) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in session.keyring_dir.glob("*") if path.is_file()}


def test_save_load_delete_round_trip(
    secret_store: SecretStore, secret_service_env: SecretServiceSession
) -> None:
    key = parse_key(fake_key_text())

    secret_store.save("work", key)

    assert len(_items(secret_service_env.address, "work")) == 1
    loaded = secret_store.load("work")
    assert loaded == key
    assert loaded.info.key_id == key.info.key_id
    assert secret_store.delete("work") is True
    assert _items(secret_service_env.address, "work") == []
    assert secret_store.delete("work") is False


def test_saving_again_replaces_the_key(
    secret_store: SecretStore, secret_service_env: SecretServiceSession
) -> None:
    first = parse_key(fake_key_text())
    second = parse_key(fake_key_text())

    secret_store.save("work", first)
    secret_store.save("work", second)

    assert secret_store.load("work") == second
    assert len(_items(secret_service_env.address, "work")) == 1


def test_profiles_are_separate_entries(secret_store: SecretStore) -> None:
    work, home = parse_key(fake_key_text()), parse_key(fake_key_text())

    secret_store.save("work", work)
    secret_store.save("home", home)

    assert secret_store.load("work") == work
    assert secret_store.load("home") == home


def test_loading_a_missing_profile_raises_key_not_found(secret_store: SecretStore) -> None:
    with pytest.raises(KeyNotFound) as caught:
        secret_store.load("nobody")

    assert "'nobody'" in caught.value.problem
    assert "SecretService Keyring" in caught.value.problem


def test_the_secret_service_is_described_and_secure(secret_store: SecretStore) -> None:
    assert secret_store.backend_name == "SecretService Keyring"
    assert secret_store.describe() == "SecretService Keyring (Secret Service, D-Bus)"
    assert secret_store.is_secure is True
    assert secret_store.insecure_notice is None


def test_a_locked_collection_raises_keyring_locked(
    locked_secret_service: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)
    store = SecretStore(backend=SecretService.Keyring())
    key_text = fake_key_text()

    with pytest.raises(KeyringLocked) as loading:
        store.load(LOCKED_PROFILE)
    with pytest.raises(KeyringLocked) as saving:
        store.save("work", parse_key(key_text))

    assert "locked" in loading.value.problem
    assert "unlock" in loading.value.fix.lower()
    assert_no_secret(saving.value, key_text)


def test_a_dismissed_prompt_raises_prompt_dismissed(
    dismissing_secret_service: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dismissing_secret_service.address)
    store = SecretStore(backend=SecretService.Keyring())
    key_text = fake_key_text()

    with pytest.raises(PromptDismissed) as caught:
        store.save("work", parse_key(key_text))

    assert "dismissed" in caught.value.problem
    assert caught.value.detail is not None
    assert "PromptDismissedException" in caught.value.detail
    assert_no_secret(caught.value, key_text)


def test_an_unreachable_dbus_session_raises_no_dbus_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-such-socket'}")
    store = SecretStore(backend=SecretService.Keyring())

    with pytest.raises(NoDBusSession) as caught:
        store.save("work", parse_key(fake_key_text()))

    assert "cannot be reached" in caught.value.problem
    assert "dbus-run-session" in caught.value.fix


def test_no_dbus_session_at_all_raises_no_dbus_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)

    with pytest.raises(NoDBusSession) as caught:
        SecretStore(backend=SecretService.Keyring()).check()

    assert "DBUS_SESSION_BUS_ADDRESS is not set" in caught.value.problem


def test_a_bus_without_secret_service_raises_no_backend(
    bare_dbus_session: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_dbus_session.address)

    with pytest.raises(NoBackend) as with_secret_service:
        SecretStore(backend=SecretService.Keyring()).check()
    with pytest.raises(NoBackend) as with_nothing:
        SecretStore(backend=fail.Keyring()).check()

    for caught in (with_secret_service, with_nothing):
        assert "gnome-keyring" in caught.value.fix
        assert "PYTHON_KEYRING_BACKEND" in caught.value.fix


def test_the_key_is_in_no_file_under_either_home(
    secret_store: SecretStore,
    secret_service_env: SecretServiceSession,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    key_text = fake_key_text(marker="qlik-tui-sentinel")
    key = parse_key(key_text)
    needles = secret_needles(key_text)
    before = _keyring_files(secret_service_env)

    secret_store.save("sentinel", key)
    ProfileStore().put(
        Profile(
            name="sentinel",
            origin="https://tenant.example.com",
            key_id=key.info.key_id,
            backend=secret_store.backend_name,
        )
    )

    after = _keyring_files(secret_service_env)
    changed = [path for path, data in after.items() if before.get(path) != data]
    assert any(path.suffix == ".keyring" for path in changed)  # the item reached the disk
    assert (isolated_home / ".config" / "qlik-tui" / "profiles.json").is_file()
    assert files_containing([secret_service_env.home, isolated_home], needles) == []
    # The scan is not blind: the same needles are found in a file that holds the key.
    planted = tmp_path / "planted" / "file.bin"
    planted.parent.mkdir()
    planted.write_bytes(b"prefix " + key_text.encode() + b" suffix")
    assert files_containing([planted.parent], needles) == [planted]


# -- the backend keyring picks by itself, in a fresh process ------------------------------------

_PROBE = """
import json, sys
{imports}
from qlik_tui.core.apikey import parse_key
from qlik_tui.store.secrets import SecretStore, StoreError
from tests.store.helpers import fake_key_text
store = SecretStore()
key = parse_key(fake_key_text())
try:
    store.save("work", key)
    result = {{"loaded": store.load("work") == key, "name": store.backend_name,
              "secure": store.is_secure, "notice": store.insecure_notice}}
except StoreError as error:
    result = {{"error": type(error).__name__, "problem": error.problem, "fix": error.fix}}
print(json.dumps(result))
"""


def _probe(env_changes: dict[str, str | None], imports: str = "") -> dict[str, object]:
    env = dict(os.environ)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE.format(imports=imports)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_keyring_picks_the_secret_service_by_itself(
    secret_service_env: SecretServiceSession,
) -> None:
    result = _probe({"DBUS_SESSION_BUS_ADDRESS": secret_service_env.address})

    assert result == {
        "loaded": True,
        "name": "SecretService Keyring",
        "secure": True,
        "notice": None,
    }


def test_an_insecure_backend_keyring_picks_by_itself_is_refused() -> None:
    # keyrings.alt-style plaintext backend installed, no Secret Service: keyring picks it.
    result = _probe(
        {"DBUS_SESSION_BUS_ADDRESS": None, "PYTHON_KEYRING_BACKEND": None},
        imports="import tests.store.plaintext_backend",
    )

    assert result["error"] == "InsecureBackend"
    assert "not secure" in str(result["problem"])


def test_an_insecure_backend_selected_by_the_user_works_with_a_notice() -> None:
    result = _probe(
        {
            "DBUS_SESSION_BUS_ADDRESS": None,
            "PYTHON_KEYRING_BACKEND": "tests.store.plaintext_backend.PlaintextKeyring",
        }
    )

    assert result["loaded"] is True
    assert result["secure"] is False
    assert "PYTHON_KEYRING_BACKEND" in str(result["notice"])


def test_no_backend_outside_a_dbus_session_in_a_fresh_process() -> None:
    result = _probe({"DBUS_SESSION_BUS_ADDRESS": None, "PYTHON_KEYRING_BACKEND": None})

    assert result["error"] == "NoDBusSession"


def test_a_backend_keyring_cannot_load_is_explained() -> None:
    result = _probe({"PYTHON_KEYRING_BACKEND": "no_such_module.Keyring"})

    assert result["error"] == "StoreError"
    assert "PYTHON_KEYRING_BACKEND" in str(result["problem"])
    assert "no_such_module" in str(result["problem"])
