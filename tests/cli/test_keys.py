"""``qlik-tui keys`` and ``check --renew-within`` against the TLS sandbox and the real keyring."""

from __future__ import annotations

import json
from datetime import timedelta

from qlik_tui.services.context import Services
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of

API = "/api/v1"


def test_keys_lists_the_users_keys_and_marks_the_stored_one(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    stored = sandbox.issue_key(description="stored one")
    store_profile(services, "prod", sandbox.origin, stored)
    other = key_id_of(sandbox.issue_key(description="laptop"))
    sandbox.issue_key(user="user", description="basil's")  # another user's: not listed
    result = run_cli("keys", "prod")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("API keys of ada.sandbox@example.com on ")
    assert "(2 active)" in lines[0]
    assert lines[1].split() == ["ID", "DESCRIPTION", "STATUS", "CREATED", "EXPIRY"]
    marked = [line for line in lines if line.startswith("*  ")]
    assert len(marked) == 1 and key_id_of(stored) in marked[0] and "stored one" in marked[0]
    assert any(other in line and "laptop" in line for line in lines)
    assert "basil's" not in result.stdout


def test_keys_json_and_paging_past_100_keys(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "prod", sandbox.origin, sandbox.issue_key())
    for index in range(130):
        sandbox.issue_key(description=f"bulk {index}")
    sandbox.clear_requests()
    result = run_cli("keys", "prod", "--json")
    assert result.code == 0, result.output
    answer = json.loads(result.stdout)
    assert len(answer["keys"]) == 131 and answer["complete"] is True
    assert len({k["id"] for k in answer["keys"]}) == 131
    assert sum(1 for k in answer["keys"] if k["stored"]) == 1
    pages = [r for r in sandbox.requests if r.path == f"{API}/api-keys"]
    assert len(pages) == 2
    assert "startingAfter=" in pages[1].query and "limit=100" in pages[1].query


def test_all_users_for_a_tenant_admin_shows_owners(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "admin", sandbox.origin, sandbox.issue_key())
    sandbox.issue_key(user="user", description="basil's")
    result = run_cli("keys", "admin", "--all-users")
    assert result.code == 0, result.output
    assert "OWNER" in result.stdout.splitlines()[1]
    assert sandbox.user.id in result.stdout and " you" in result.stdout


def test_all_users_without_tenant_admin_is_a_clear_error(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "basil", sandbox.origin, sandbox.issue_key(user="user"))
    result = run_cli("keys", "basil", "--all-users")
    assert result.code == 1
    assert "is not a TenantAdmin" in result.stderr and "--all-users" in result.stderr


def test_keys_with_a_revoked_stored_key_explains_the_401(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "dead", sandbox.origin, sandbox.issue_key("revoked"))
    result = run_cli("keys", "dead")
    assert result.code == 1
    assert "Key rejected (401)" in result.stderr


def test_renew_within_renews_only_keys_expiring_soon(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    soon = sandbox.issue_key(expires_in=timedelta(hours=2))
    late = sandbox.issue_key(expires_in=timedelta(days=20))
    store_profile(services, "soon", sandbox.origin, soon)
    store_profile(services, "late", sandbox.origin, late)
    sandbox.set_config(max_api_key_expiry="P30D")
    result = run_cli("check", "--renew-within", "12h")
    assert result.code == 0, result.output
    renewals = [line for line in result.stdout.splitlines() if line.startswith("↻")]
    assert len(renewals) == 1 and "renewed soon:" in renewals[0]
    assert f"old key {key_id_of(soon)} deleted" in renewals[0]
    assert services.secrets.load("late").info.key_id == key_id_of(late)
    new_id = services.secrets.load("soon").info.key_id
    assert new_id != key_id_of(soon) and new_id in renewals[0]


def test_renew_within_twenty_profiles_stays_within_tier_2(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    sandbox.set_config(max_keys_per_user=30)  # one user holding twenty keys
    old_ids = set()
    for index in range(20):
        token = sandbox.issue_key(expires_in=timedelta(hours=3))
        old_ids.add(key_id_of(token))
        store_profile(services, f"p{index:02}", sandbox.origin, token)
    sandbox.clear_requests()
    result = run_cli("check", "--renew-within", "PT6H", "--json")
    assert result.code == 0, result.output
    entries = json.loads(result.stdout)
    assert len(entries) == 20
    assert all(e["renewal"]["status"] == "renewed" for e in entries)
    writes = [r for r in sandbox.requests if r.method in ("POST", "PATCH", "DELETE")]
    assert len(writes) == 40  # one create and one delete per profile
    assert len(writes) <= 100  # Qlik's rate tier 2: 100 requests per minute
    assert all(r.status in (201, 204) for r in writes)
    now_ids = {services.secrets.load(f"p{i:02}").info.key_id for i in range(20)}
    assert not now_ids & old_ids
    assert set(sandbox.key_ids("admin")) == now_ids


def test_renew_within_rejects_a_bad_duration(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    result = run_cli("check", "--renew-within", "soon")
    assert result.code == 2 and "not a duration" in result.stderr
