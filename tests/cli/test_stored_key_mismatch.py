"""The stored key is the profile's key: a store holding another key than the one the profile
recorded (an older copy of the encrypted file put back, a keyring entry changed behind our back)
is named as such by ``check``, and ``token`` / ``exec`` never hand that key out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qlik_tui.core.apikey import parse_key
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.store.files import default_store_path
from tests.cli.helpers import cheap_store_file, cli, login, passphrase_file
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.recording import key_id_of


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def test_an_older_copy_of_the_encrypted_file_put_back_is_named_and_its_key_not_handed_out(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None, tmp_path: Path
) -> None:
    secret = passphrase_file(isolated_home)
    cheap_store_file(isolated_home)  # five processes unlock it
    old_key = sandbox.issue_key()
    assert login(isolated_home, sandbox, "p", old_key, secret).returncode == 0
    backup = tmp_path / "keys.encrypted.bak"
    shutil.copy2(default_store_path(), backup)
    renewed = cli(isolated_home, "rotate", "p", "--json", passphrase=secret)
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    new_id = json.loads(renewed.stdout)["new_key_id"]
    assert not sandbox.has_key(str(key_id_of(old_key)))  # the rotation deleted the old key

    shutil.copy2(backup, default_store_path())  # the rollback

    checked = cli(isolated_home, "check", "p", "--json", passphrase=secret)
    assert checked.returncode == 1, checked.stderr
    (answer,) = json.loads(checked.stdout)
    assert answer["outcome"] == "stored_key_mismatch"
    assert f"recorded the key {new_id}" in answer["cause"]
    assert f"holds a different key ({key_id_of(old_key)})" in answer["cause"]
    assert "older copy" in answer["cause"]
    assert "put the newer one back" in answer["next_step"]

    token = cli(isolated_home, "token", "p", passphrase=secret)
    assert token.returncode == 1
    assert token.stdout == ""
    assert "older copy" in token.stderr
    assert signature(old_key) not in token.stdout + token.stderr

    ran = tmp_path / "ran"
    run = cli(
        isolated_home, "exec", "p", "--", "touch", str(ran), passphrase=secret
    )  # fmt: skip
    assert run.returncode == 1
    assert not ran.exists()


def test_a_keyring_entry_holding_another_key_is_named_too(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    recorded = sandbox.issue_key()
    store_profile(services, "p", sandbox.origin, recorded)
    other = sandbox.issue_key()
    services.secrets.save("p", parse_key(other))  # behind the profile's back

    checked = run_cli("check", "p", "--json")
    assert checked.code == 1
    (answer,) = json.loads(checked.stdout)
    assert answer["outcome"] == "stored_key_mismatch"
    assert "the keyring" in answer["cause"]
    assert f"({key_id_of(other)})" in answer["cause"]
    assert services.profiles.get("p").key_id == key_id_of(recorded)  # type: ignore[union-attr]

    token = run_cli("token", "p")
    assert token.code == 1
    assert signature(other) not in token.output


def test_the_profiles_own_key_still_passes(
    run_cli: RunCli, sandbox: SandboxTenant, services: Services
) -> None:
    store_profile(services, "p", sandbox.origin, sandbox.issue_key())
    checked = run_cli("check", "p", "--json")
    assert checked.code == 0, checked.output
    assert json.loads(checked.stdout)[0]["outcome"] == "valid"
