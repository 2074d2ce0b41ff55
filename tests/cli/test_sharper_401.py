"""Sharper 401s from what is already stored, and the tenant id kept once learnt."""

from __future__ import annotations

import json

from qlik_tui.services.context import Services
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of


def _by_name(stdout: str) -> dict[str, dict[str, object]]:
    return {entry["name"]: entry for entry in json.loads(stdout)}


def test_a_working_key_of_the_same_user_explains_revoked_and_expired(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "good", sandbox.origin, sandbox.issue_key())
    revoked = sandbox.issue_key("revoked")
    expired = sandbox.issue_key("expired")
    store_profile(services, "revoked", sandbox.origin, revoked)
    store_profile(services, "expired", sandbox.origin, expired)
    result = run_cli("check", "--json")
    assert result.code == 1
    entries = _by_name(result.stdout)
    assert entries["revoked"]["outcome"] == "key_revoked"
    assert entries["expired"]["outcome"] == "key_expired"
    expired_id = key_id_of(expired)
    at = sandbox.key_record(expired_id or "")["expiry"]
    assert f"{expired_id} (expired at {str(at)[:16]}" in str(entries["expired"]["cause"])
    profile = services.profiles.get("revoked")
    assert profile is not None and profile.last_outcome == "key_revoked"


def test_without_a_working_key_of_the_same_user_the_401_stays_generic(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "basil", sandbox.origin, sandbox.issue_key(user="user"))
    store_profile(services, "revoked", sandbox.origin, sandbox.issue_key("revoked"))
    result = run_cli("check", "--json")
    assert _by_name(result.stdout)["revoked"]["outcome"] == "key_rejected"


def test_the_tenant_id_learnt_once_is_kept_whatever_the_last_outcome(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    token = sandbox.issue_key()
    store_profile(services, "prod", sandbox.origin, token)
    assert run_cli("check").code == 0
    profile = services.profiles.get("prod")
    assert profile is not None and profile.tenant_id == sandbox.tenant_id
    sandbox.revoke_key(key_id_of(token) or "")
    assert run_cli("check", "prod").code == 1  # the only profile is now rejected
    store_profile(services, "other", sandbox.origin, sandbox.issue_key("other-tenant"))
    # twice: the diagnosis no longer comes and goes with the last check
    for _ in range(2):
        entries = _by_name(run_cli("check", "--json").stdout)
        assert entries["other"]["outcome"] == "key_other_tenant"
