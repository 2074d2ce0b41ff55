"""``check`` and ``list`` name the store of a profile's key: "the encrypted file" for a key kept
there, "the keyring" for one in the OS keyring (never the keyring for a key in the file)."""

from __future__ import annotations

import json

import pytest

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from tests.fixtures.cli import RunCli


@pytest.fixture()
def no_passphrase_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QLIK_TUI_PASSPHRASE_FILE", raising=False)


def test_a_key_missing_from_the_encrypted_file_is_worded_for_the_file(
    run_cli: RunCli, services: Services, sandbox: SandboxTenant, no_passphrase_file: None
) -> None:
    services.profiles.put(
        Profile(name="vault", origin=sandbox.origin, store="encrypted-file", key_id="k1")
    )

    checked = run_cli("check")
    assert checked.code == 1, checked.output
    assert "Key missing from the encrypted file" in checked.stdout
    assert "qlik-tui's encrypted key file holds no key for it" in checked.stdout
    entry = json.loads(run_cli("check", "--json").stdout)[0]
    assert entry["outcome"] == "key_not_stored"
    assert "keyring" not in f"{entry['title']} {entry['cause']} {entry['next_step']}".lower()

    listed = run_cli("list")
    assert listed.code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if line.startswith("vault "))
    assert row.endswith("✗ Key missing from the encrypted file")


def test_a_key_missing_from_the_keyring_still_names_the_keyring(
    run_cli: RunCli, services: Services, sandbox: SandboxTenant
) -> None:
    services.profiles.put(Profile(name="desk", origin=sandbox.origin, key_id="k2"))

    checked = run_cli("check")
    assert checked.code == 1, checked.output
    assert "Key missing from the keyring" in checked.stdout
    backend = services.secrets.backend_name
    assert f"the keyring ({backend}) holds no key for it" in checked.stdout
    row = next(line for line in run_cli("list").stdout.splitlines() if line.startswith("desk "))
    assert row.endswith("✗ Key missing from the keyring")


def test_help_texts_name_the_key_store_not_only_the_keyring(run_cli: RunCli) -> None:
    main_help = run_cli("--help").stdout
    assert "key from its store, metadata from disk" in main_help  # forget's one-liner
    assert (
        "4    the key could not be stored or removed (key store (keyring or encrypted file) or\n"
        in (main_help)
    )
    token = run_cli("token", "--help").stdout
    assert "no key in its store (the OS keyring or the encrypted file)" in token
    assert "encrypted file locked, its passphrase wrong, or damaged" in token
    imported = run_cli("import", "--help").stdout
    assert "or no usable key store (nothing was imported)" in imported
    rotate = " ".join(run_cli("rotate", "--help").stdout.split())
    assert "store it where the old key is (the OS keyring or the encrypted file)" in rotate
    for text in (main_help, token, imported, rotate):
        assert "no key in the keyring" not in text
        assert "(keyring or profiles file)" not in text
