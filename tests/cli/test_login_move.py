"""``login --store`` moving a key between stores only renders what ``store_key`` reports: the old
copy removed, or still there (a warning; the new key is stored all the same, exit 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.storing import store_key
from qlik_tui.store.secrets import SERVICE_NAME
from tests.fixtures.cli import RunCli
from tests.services.helpers import PASSPHRASE, UndeletableKeyring, services_with_both_stores
from tests.store.helpers import fake_key_text
from tests.store.memory_keyring import MemoryKeyring

TENANT = "acme.eu.qlikcloud.com"
MOVE = ("login", "--tenant", TENANT, "--name", "moved", "--with-token", "--no-verify")


@pytest.fixture()
def passphrase_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    monkeypatch.setenv("QLIK_TUI_PASSPHRASE_FILE", str(path))


def _store_in_keyring(services: Services, key_text: str) -> None:
    store_key(
        services,
        name="moved",
        tenant=parse_tenant(TENANT),
        key=parse_key(key_text),
        report=None,
        replace=True,
    )


def test_a_move_whose_old_copy_is_removed_says_so(
    run_cli: RunCli, tmp_path: Path, passphrase_file: None
) -> None:
    memory = MemoryKeyring()
    services = services_with_both_stores(tmp_path, memory)
    _store_in_keyring(services, fake_key_text())
    new = fake_key_text()

    moved = run_cli(*MOVE, "--store", "encrypted-file", stdin=new, using=services)

    assert moved.code == 0, moved.output
    assert "Removed the replaced key from the store it was in before." in moved.stdout
    assert "warning" not in moved.stderr
    assert memory.items == {}
    assert services.stores.encrypted.load("moved").reveal() == new


def test_a_move_whose_old_copy_stays_warns_and_keeps_the_new_key(
    run_cli: RunCli, tmp_path: Path, passphrase_file: None
) -> None:
    undeletable = UndeletableKeyring()
    services = services_with_both_stores(tmp_path, undeletable)
    old, new = fake_key_text(), fake_key_text()
    _store_in_keyring(services, old)

    moved = run_cli(*MOVE, "--store", "encrypted-file", stdin=new, using=services)

    assert moved.code == 0, moved.output
    assert "Stored key" in moved.stdout and "qlik-tui encrypted file" in moved.stdout
    assert "Removed the replaced key" not in moved.stdout
    assert "qlik-tui: warning: the replaced key is still in the other store:" in moved.stderr
    assert "The new key is stored regardless" in moved.stderr
    assert undeletable.items == {(SERVICE_NAME, "moved"): old}
    assert services.stores.encrypted.load("moved").reveal() == new
    for key in (old, new):
        assert key.rsplit(".", 1)[1] not in moved.output
