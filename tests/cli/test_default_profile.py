"""A default profile: ``qlik-tui use NAME``, ``QLIK_TUI_PROFILE``, ``qlik-tui status``; token,
exec, rotate and keys without NAME. Each run as a real process."""

from __future__ import annotations

import json
import sys

from qlik_tui.sandbox import SandboxTenant
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from tests.cli.use_helpers import child_env, run_qlik_tui, store_in_default_place


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def test_use_keeps_the_default_in_the_profiles_file_and_token_needs_no_name(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    prod, dev = sandbox.issue_key(), sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, prod)
    store_in_default_place(secret_store, "dev", sandbox.origin, dev)

    before = run_qlik_tui("token")
    assert before.returncode == 2
    assert "no default profile" in before.stderr and "qlik-tui use NAME" in before.stderr

    chosen = run_qlik_tui("use", "dev")
    assert chosen.returncode == 0, chosen.stderr
    assert ProfileStore().default_name() == "dev"
    assert json.loads(ProfileStore().path.read_text())["default"] == "dev"
    assert run_qlik_tui("use").stdout == "dev\n"
    assert run_qlik_tui("token").stdout == dev + "\n"

    # The environment wins over the file.
    from_env = run_qlik_tui("token", env=child_env({"QLIK_TUI_PROFILE": "prod"}))
    assert from_env.stdout == prod + "\n"
    # A name on the command line wins over both.
    named = run_qlik_tui("token", "prod", env=child_env({"QLIK_TUI_PROFILE": "dev"}))
    assert named.stdout == prod + "\n"


def test_use_refuses_an_unknown_profile_and_forget_clears_the_default(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    store_in_default_place(secret_store, "prod", sandbox.origin, sandbox.issue_key())
    unknown = run_qlik_tui("use", "prdo")
    assert unknown.returncode == 2
    assert 'no profile named "prdo"' in unknown.stderr
    assert ProfileStore().default_name() is None

    assert run_qlik_tui("use", "prod").returncode == 0
    assert run_qlik_tui("forget", "prod").returncode == 0
    assert ProfileStore().default_name() is None
    cleared = run_qlik_tui("use", "--clear")
    assert (cleared.returncode, cleared.stdout) == (0, "No default profile now.\n")


def test_status_names_the_default_and_proves_its_key(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    key = sandbox.issue_key()
    store_in_default_place(secret_store, "prod", sandbox.origin, key)
    none = run_qlik_tui("status")
    assert none.returncode == 2
    assert "no default profile" in none.stderr

    run_qlik_tui("use", "prod")
    shown = run_qlik_tui("status")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith('Default profile: "prod" (set with `qlik-tui use`)\n')
    assert "✓ " in shown.stdout and "Key works" in shown.stdout

    as_json = run_qlik_tui("status", "--json")
    assert as_json.returncode == 0, as_json.stderr
    payload = json.loads(as_json.stdout)
    assert (payload["default"], payload["source"]) == ("prod", "profiles-file")
    assert (payload["check"]["name"], payload["check"]["verdict"]) == ("prod", "valid")
    assert signature(key) not in shown.stdout + shown.stderr + as_json.stdout + as_json.stderr


def test_status_says_a_rejected_default_key_fails(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    store_in_default_place(secret_store, "old", sandbox.origin, sandbox.issue_key("revoked"))
    shown = run_qlik_tui("status", env=child_env({"QLIK_TUI_PROFILE": "old"}))
    assert shown.returncode == 1
    assert 'Default profile: "old" (from QLIK_TUI_PROFILE)' in shown.stdout
    assert "✗ " in shown.stdout and "next:" in shown.stdout

    missing = run_qlik_tui("status", env=child_env({"QLIK_TUI_PROFILE": "gone"}))
    assert missing.returncode == 2
    assert 'QLIK_TUI_PROFILE names "gone", which is not stored' in missing.stderr


def test_exec_and_keys_use_the_default_profile(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    store_in_default_place(secret_store, "prod", sandbox.origin, sandbox.issue_key())
    lacking = run_qlik_tui("exec", "--", "true")
    assert lacking.returncode == 2
    assert "no profile given and no default profile" in lacking.stderr
    assert "qlik-tui exec NAME -- COMMAND" in lacking.stderr

    run_qlik_tui("use", "prod")
    report = "import os, sys; print(os.environ['QLIK_TUI_PROFILE'])"
    ran = run_qlik_tui("exec", "--", sys.executable, "-c", report)
    assert (ran.returncode, ran.stdout) == (0, "prod\n"), ran.stderr
    listed = run_qlik_tui("keys", "--json")
    assert listed.returncode == 0, listed.stderr
    assert any(k["stored"] for k in json.loads(listed.stdout)["keys"])


def test_a_rejected_stored_key_names_the_command_that_stores_a_new_one(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    store_in_default_place(secret_store, "old", sandbox.origin, sandbox.issue_key("revoked"))
    command = "Then store it with `qlik-tui login --name old`"
    for argv in (["check"], ["status"], ["exec", "--check", "--", "true"], ["keys"]):
        done = run_qlik_tui(*argv, env=child_env({"QLIK_TUI_PROFILE": "old"}))
        assert done.returncode == 1, (argv, done.stderr)
        assert command in done.stdout + done.stderr, argv
    entry = json.loads(run_qlik_tui("check", "--json").stdout)[0]
    assert command in entry["next_step"]


def test_rotate_renews_the_default_profile(
    sandbox: SandboxTenant, secret_store: SecretStore
) -> None:
    store_in_default_place(secret_store, "prod", sandbox.origin, sandbox.issue_key())
    before = ProfileStore().get("prod")
    run_qlik_tui("use", "prod")
    renewed = run_qlik_tui("rotate", "--json")
    assert renewed.returncode == 0, renewed.stderr
    result = json.loads(renewed.stdout)
    after = ProfileStore().get("prod")
    assert before is not None and after is not None
    assert (result["name"], result["old_key_id"]) == ("prod", before.key_id)
    assert after.key_id == result["new_key_id"] != before.key_id
