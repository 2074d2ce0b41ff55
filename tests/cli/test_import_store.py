"""``qlik-tui import qlik-cli --store``: qlik-cli's keys into the encrypted file, as subprocesses
with no D-Bus session; and, without ``--store`` where no keyring is usable, an explanation and
nothing imported (never a silent fall back to the encrypted file)."""

from __future__ import annotations

import json
from pathlib import Path

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.profiles import ProfileStore
from tests.cli.test_encrypted_store_cli import STORE_FILE, cli, key_forms, passphrase_file
from tests.cli.test_import import key_context, signature, write_contexts
from tests.store.helpers import files_containing

PROFILES = Path(".config/qlik-tui/profiles.json")


def test_import_into_the_encrypted_file_then_check_and_token_read_it(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    working, revoked = sandbox.issue_key(), sandbox.issue_key("revoked")
    contexts = write_contexts(
        isolated_home / "qlik" / "contexts.yml",
        key_context("work", sandbox.origin, working),
        key_context("old", sandbox.origin, revoked),
    )
    before = contexts.read_bytes()
    secret = passphrase_file(isolated_home)

    imported = cli(
        isolated_home,
        "import", "qlik-cli", "--file", str(contexts), "--store", "encrypted-file",
        passphrase=secret,
    )  # fmt: skip

    assert imported.returncode == 1, imported.stderr  # the revoked key
    assert "stored as profile 'work'" in imported.stdout
    assert "now in the encrypted file too: `qlik context rm work`" in imported.stdout
    assert "Key rejected (401)" in imported.stdout
    assert contexts.read_bytes() == before
    profiles = ProfileStore(isolated_home / PROFILES)
    work = profiles.get("work")
    assert work is not None and work.store == "encrypted-file"
    assert profiles.get("old") is None
    assert (isolated_home / STORE_FILE).stat().st_mode & 0o777 == 0o600

    token = cli(isolated_home, "token", "work", passphrase=secret)
    assert (token.returncode, token.stdout) == (0, working + "\n"), token.stderr
    checked = json.loads(cli(isolated_home, "check", "--json", passphrase=secret).stdout)
    assert [(r["name"], r["store"], r["verdict"]) for r in checked] == [
        ("work", "encrypted-file", "valid")
    ]
    for key in (working, revoked):
        assert signature(key) not in imported.stdout + imported.stderr
    # qlik-cli's own file is outside the searched folders: it still holds the keys, by design
    assert (
        files_containing([isolated_home / ".config", isolated_home / ".local"], key_forms(working))
        == []
    )


def test_import_as_json_names_the_store(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    contexts = write_contexts(
        isolated_home / "qlik" / "contexts.yml",
        key_context("work", sandbox.origin, sandbox.issue_key()),
    )
    imported = cli(
        isolated_home,
        "import", "qlik-cli", "--file", str(contexts), "--store", "encrypted-file", "--json",
        passphrase=passphrase_file(isolated_home),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    (work,) = json.loads(imported.stdout)["contexts"]
    assert (work["status"], work["profile"], work["store"]) == (
        "imported",
        "work",
        "encrypted-file",
    )


def test_without_a_usable_keyring_nothing_is_imported_and_the_reason_is_explained(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    contexts = write_contexts(
        isolated_home / "qlik" / "contexts.yml",
        key_context("work", sandbox.origin, sandbox.issue_key()),
    )
    passphrase_file(isolated_home)  # there, but not named: the file must be chosen explicitly

    imported = cli(isolated_home, "import", "qlik-cli", "--file", str(contexts))

    assert imported.returncode == 4
    assert "No usable keyring" in imported.stderr
    assert "why: There is no D-Bus session bus" in imported.stderr
    assert "dbus-run-session" in imported.stderr
    assert "`qlik-tui import qlik-cli --store encrypted-file`" in imported.stderr
    assert "Nothing was imported: no key was tested or stored." in imported.stderr
    assert imported.stdout == ""
    assert not any(r.path == "/api/v1/users/me" for r in sandbox.requests)  # nothing proven
    assert not (isolated_home / PROFILES).exists()
    assert not (isolated_home / STORE_FILE).exists()  # never chosen silently


def test_a_wrong_passphrase_imports_nothing_and_changes_nothing(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    first = write_contexts(
        isolated_home / "qlik" / "first.yml",
        key_context("first", sandbox.origin, sandbox.issue_key()),
    )
    secret = passphrase_file(isolated_home)
    assert cli(
        isolated_home,
        "import", "qlik-cli", "--file", str(first), "--store", "encrypted-file",
        passphrase=secret,
    ).returncode == 0  # fmt: skip
    store_before = (isolated_home / STORE_FILE).read_bytes()
    profiles_before = (isolated_home / PROFILES).read_bytes()
    second = write_contexts(
        isolated_home / "qlik" / "second.yml",
        key_context("second", sandbox.origin, sandbox.issue_key()),
    )

    imported = cli(
        isolated_home,
        "import", "qlik-cli", "--file", str(second), "--store", "encrypted-file",
        passphrase=passphrase_file(isolated_home, "not the passphrase", "wrong"),
    )  # fmt: skip

    assert imported.returncode == 4
    assert "The passphrase does not unlock the encrypted key file" in imported.stderr
    assert "Nothing was imported; the encrypted key file is unchanged." in imported.stderr
    assert (isolated_home / STORE_FILE).read_bytes() == store_before
    assert (isolated_home / PROFILES).read_bytes() == profiles_before


def test_a_dry_run_needs_no_store(
    sandbox: SandboxTenant, isolated_home: Path, no_dbus: None
) -> None:
    contexts = write_contexts(
        isolated_home / "qlik" / "contexts.yml",
        key_context("work", sandbox.origin, sandbox.issue_key()),
    )
    proven = cli(isolated_home, "import", "qlik-cli", "--file", str(contexts), "--dry-run")
    assert proven.returncode == 0, proven.stderr
    assert "Key works; not stored (dry run)" in proven.stdout
    assert "No usable keyring" not in proven.stderr
    assert not (isolated_home / STORE_FILE).exists()


def test_import_help_documents_the_store_choice(isolated_home: Path) -> None:
    shown = cli(isolated_home, "import", "--help")
    assert shown.returncode == 0
    assert "--store {keyring,encrypted-file}" in shown.stdout
    assert "QLIK_TUI_PASSPHRASE_FILE" in shown.stdout
