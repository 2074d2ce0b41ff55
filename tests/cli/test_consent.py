"""Consent before destruction (issue 17, item 2), over the TLS sandbox and the real Secret
Service: ``revoke``, ``forget --all`` and ``forget --revoke`` show what goes and ask on a
terminal (a real pty here), ``--yes`` answers for scripts, and without a terminal and without
``--yes`` nothing is deleted (exit 2). A key another profile stores is named with it."""

from __future__ import annotations

import json
from pathlib import Path

from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from tests.cli.terminal import Terminal, shown_text
from tests.cli.use_helpers import store_in_default_place
from tests.fixtures.cli import RunCli, TerminalInput, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of

NO_TERMINAL = "standard input is not a terminal to ask on; nothing was deleted"


def spare_key(sandbox: FaultySandbox, description: str = "old laptop") -> str:
    key_id = key_id_of(sandbox.issue_key(description=description))
    assert key_id is not None
    return key_id


def test_revoke_without_a_terminal_and_without_yes_deletes_nothing(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    spare = spare_key(sandbox)
    result = run_cli("revoke", "prod", spare)
    assert result.code == 2
    assert NO_TERMINAL in result.stderr and "--yes" in result.stderr
    assert "old laptop" in result.stdout  # shown all the same
    assert sandbox.key_record(spare)["status"] == "active"


def test_forget_all_without_a_terminal_and_without_yes_removes_nothing(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "one", sandbox.origin, sandbox.issue_key())
    store_profile(services, "two", sandbox.origin, sandbox.issue_key())
    result = run_cli("forget", "--all")
    assert result.code == 2
    assert "`qlik-tui forget --all` asks before it deletes" in result.stderr
    assert [p.name for p in services.profiles.all()] == ["one", "two"]
    assert services.secrets.load("one") and services.secrets.load("two")


def test_forget_revoke_without_a_terminal_and_without_yes_deletes_nothing(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    token = sandbox.issue_key()
    store_profile(services, "prod", sandbox.origin, token)
    result = run_cli("forget", "prod", "--revoke")
    assert result.code == 2
    assert NO_TERMINAL in result.stderr
    assert sandbox.key_record(key_id_of(token) or "")["status"] == "active"
    assert services.profiles.get("prod") is not None


def test_a_no_at_the_question_keeps_the_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    spare = spare_key(sandbox)
    result = run_cli("revoke", "prod", spare, stdin=TerminalInput("n\n"))
    assert result.code == 2
    assert "Delete 1 key(s) on" in result.stderr and "Nothing was deleted." in result.stderr
    assert sandbox.key_record(spare)["status"] == "active"


def test_revoke_of_a_key_another_profile_stores_names_it_and_needs_consent(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    shared = sandbox.issue_key(description="ci runner")
    store_profile(services, "ci", sandbox.origin, shared)
    store_profile(services, "ci-copy", sandbox.origin, shared)
    shared_id = key_id_of(shared) or ""

    refused = run_cli("revoke", "prod", shared_id)
    assert refused.code == 2
    assert 'stored in profile "ci", "ci-copy": revoking it stops those profiles too' in (
        refused.stdout
    )
    assert sandbox.key_record(shared_id)["status"] == "active"
    assert shared.rsplit(".", 1)[1] not in refused.output

    done = run_cli("revoke", "prod", shared_id, "--json", "--yes")
    assert done.code == 0, done.output
    [entry] = json.loads(done.stdout)
    assert entry["removed"] and entry["stored_in_profiles"] == ["ci", "ci-copy"]
    assert not sandbox.has_key(shared_id)


def test_forget_revoke_of_a_shared_key_names_the_other_holders(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    shared = sandbox.issue_key(description="shared one")
    store_profile(services, "a", sandbox.origin, shared)
    store_profile(services, "b", sandbox.origin, shared)
    shared_id = key_id_of(shared) or ""

    asked = run_cli("forget", "a", "--revoke", stdin=TerminalInput("\n"))
    assert asked.code == 2
    assert f'"a": key {shared_id} (shared one)' in asked.stdout
    assert 'also stored in profile "b": it stops working too' in asked.stdout
    assert "Revoke the keys and forget 1 profile(s)? [y/N]" in asked.stderr
    assert sandbox.has_key(shared_id) and services.profiles.get("a") is not None
    assert shared.rsplit(".", 1)[1] not in asked.output  # key ids only, never the key

    done = run_cli("forget", "a", "--revoke", stdin=TerminalInput("y\n"))
    assert done.code == 0, done.output
    assert not sandbox.has_key(shared_id)
    assert services.profiles.get("a") is None and services.profiles.get("b") is not None


def test_revoke_on_a_terminal_shows_the_key_asks_and_deletes_on_yes(
    sandbox: FaultySandbox, secret_store: SecretStore, isolated_home: Path
) -> None:
    store_in_default_place(secret_store, "prod", sandbox.origin, sandbox.issue_key())
    spare = spare_key(sandbox)
    with Terminal(["revoke", "prod", spare], isolated_home) as terminal:
        assert terminal.wait_for(b"[y/N]"), shown_text(terminal.output)[-2000:]
        assert b"old laptop" in shown_text(terminal.output)
        assert sandbox.key_record(spare)["status"] == "active"  # asked before deleting
        terminal.send(b"y\r")
        assert terminal.wait_for(f"deleted {spare}".encode())
        code = terminal.finish()
    assert code == 0
    assert not sandbox.has_key(spare)


def test_forget_all_on_a_terminal_lists_the_profiles_and_keeps_them_on_no(
    sandbox: FaultySandbox, secret_store: SecretStore, isolated_home: Path
) -> None:
    one, two = sandbox.issue_key(), sandbox.issue_key()
    store_in_default_place(secret_store, "one", sandbox.origin, one)
    store_in_default_place(secret_store, "two", sandbox.origin, two)
    with Terminal(["forget", "--all"], isolated_home) as terminal:
        assert terminal.wait_for(b"Forget 2 profile(s)? [y/N]"), shown_text(terminal.output)
        screen = shown_text(terminal.output)
        assert f"key {key_id_of(one)}".encode() in screen
        assert f"key {key_id_of(two)}".encode() in screen
        terminal.send(b"n\r")
        assert terminal.wait_for(b"Nothing was deleted.")
        code = terminal.finish()
    assert code == 2
    assert secret_store.load("one") and secret_store.load("two")
