"""``qlik-tui revoke`` and ``forget --revoke`` against the TLS sandbox and the real keyring."""

from __future__ import annotations

import json

from qlik_tui.services.context import Services
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of


def test_revoke_shows_then_deletes_own_keys(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    spare = key_id_of(sandbox.issue_key(description="old laptop"))
    assert spare is not None
    result = run_cli("revoke", "prod", spare, "--yes")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    shown = next(i for i, line in enumerate(lines) if "old laptop" in line)
    deleted = lines.index(f"✓ deleted {spare}")
    assert shown < deleted
    assert not sandbox.has_key(spare)


def test_revoke_refuses_the_profiles_own_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    token = sandbox.issue_key()
    store_profile(services, "prod", sandbox.origin, token)
    own = key_id_of(token)
    assert own is not None
    result = run_cli("revoke", "prod", own)
    assert result.code == 2
    assert "qlik-tui forget prod --revoke" in result.stderr
    assert sandbox.has_key(own) and sandbox.key_record(own)["status"] == "active"


def test_admin_revokes_another_users_key_and_a_user_cannot(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "admin", sandbox.origin, sandbox.issue_key())
    store_profile(services, "basil", sandbox.origin, sandbox.issue_key(user="user"))
    victim = key_id_of(sandbox.issue_key(user="user", description="basil's spare"))
    admins = key_id_of(sandbox.issue_key(description="ada's spare"))
    assert victim is not None and admins is not None

    refused = run_cli("revoke", "basil", admins, "--json")
    assert refused.code == 1
    assert json.loads(refused.stdout)[0]["outcome"] == "forbidden"
    assert sandbox.key_record(admins)["status"] == "active"

    result = run_cli("revoke", "admin", victim, "--yes")
    assert result.code == 0, result.output
    assert "owner " + sandbox.user.id in result.stdout
    assert sandbox.key_record(victim)["status"] == "revoked"  # revoked, not removed


def test_revoke_an_unknown_key_id(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    result = run_cli("revoke", "prod", "no-such-key")
    assert result.code == 2
    assert "not deleted" in result.stderr
    # One message, and the right one: not "the tenant will not show this key" beside a
    # "wrong host or region?" 404 that contradicts it.
    assert "will not show" not in result.output
    assert "region" not in result.output and "not your tenant" not in result.output
    assert "✗ No such key on the tenant" in result.stderr
    assert "shows no key no-such-key" in result.stderr and "qlik-tui keys prod" in result.stderr
    assert result.output.count("no-such-key") == 2  # the line that names it, and the cause


def test_forget_revoke_deletes_on_the_tenant_then_forgets(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    token = sandbox.issue_key()
    store_profile(services, "prod", sandbox.origin, token)
    result = run_cli("forget", "prod", "--revoke", "--yes")
    assert result.code == 0, result.output
    assert f"Deleted key {key_id_of(token)}" in result.stdout
    assert not sandbox.has_key(key_id_of(token) or "")
    assert services.profiles.get("prod") is None


def test_forget_revoke_keeps_the_profile_when_the_tenant_fails(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    token = sandbox.issue_key()
    store_profile(services, "prod", sandbox.origin, token)
    sandbox.set_fault("status_500", path="/api/v1/api-keys/")
    result = run_cli("forget", "prod", "--revoke", "--yes")
    assert result.code == 3
    assert "is kept" in result.stderr
    assert services.profiles.get("prod") is not None
    assert services.secrets.load("prod").info.key_id == key_id_of(token)
