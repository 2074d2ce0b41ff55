"""``qlik-tui rotate``: a renewal end to end, and a failure at each step, over the TLS sandbox
and the real Secret Service. After each: what the keyring, the profile and the tenant hold."""

from __future__ import annotations

import asyncio
import json
import re
import shlex

from qlik_tui.core.apikey import parse_key
from qlik_tui.services.context import Services
from qlik_tui.services.rotation import (
    CancelToken,
    RotationStatus,
    RotationStep,
    StepEvent,
    StepState,
    rotate_profile,
)
from tests.fixtures.cli import RunCli, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.store.profile_faults import BreakProfiles

API = "/api/v1"


def _stored(sandbox: FaultySandbox, services: Services, name: str = "prod") -> tuple[str, str]:
    token = sandbox.issue_key(description="the stored key")
    store_profile(services, name, sandbox.origin, token)
    key_id = key_id_of(token)
    assert key_id is not None
    return token, key_id


def _stored_key_id(services: Services, name: str = "prod") -> str | None:
    return services.secrets.load(name).info.key_id


def _profile_key_id(services: Services, name: str = "prod") -> str | None:
    profile = services.profiles.get(name)
    assert profile is not None
    return profile.key_id


def _assert_untouched(services: Services, sandbox: FaultySandbox, old_id: str) -> None:
    """The old key is still stored, listed and the only active key on the tenant."""
    assert _stored_key_id(services) == old_id
    assert _profile_key_id(services) == old_id
    assert sandbox.key_ids("admin") == [old_id]


def test_rotation_end_to_end(run_cli: RunCli, sandbox: FaultySandbox, services: Services) -> None:
    _, old_id = _stored(sandbox, services)
    services.profiles.update("prod", created_at="2026-01-02T03:04:05+00:00")
    sandbox.clear_requests()
    result = run_cli("rotate", "prod")
    assert result.code == 0, result.output

    new_id = _stored_key_id(services)
    assert new_id and new_id != old_id
    assert _profile_key_id(services) == new_id
    assert sandbox.key_ids("admin") == [new_id]
    assert not sandbox.has_key(old_id)  # the owner's delete removed it
    new_key = services.secrets.load("prod").reveal()
    assert new_key not in result.output
    assert new_key not in services.profiles.path.read_text()
    assert f"Renewed 'prod': key {new_id} is stored" in result.stdout
    assert f"The old key {old_id} was deleted." in result.stdout

    calls = [(r.method, r.path, r.key_id) for r in sandbox.requests]
    assert calls[0] == ("POST", f"{API}/api-keys", old_id)  # created with the stored key
    assert calls[1] == ("GET", f"{API}/users/me", new_id)  # proven with the new one
    assert calls[-1] == ("DELETE", f"{API}/api-keys/{old_id}", new_id)  # old deleted by new
    assert len(calls) == 4

    profile = services.profiles.get("prod")
    assert profile is not None
    assert profile.tenant_id == sandbox.tenant_id
    assert profile.last_outcome == "valid" and profile.key_status == "active" and profile.expiry
    assert profile.created_at == "2026-01-02T03:04:05+00:00"  # the profile's, not the key's
    # the renewed key works
    assert run_cli("check", "prod").code == 0


def test_rotate_json_keep_old_expiry_and_description(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    result = run_cli(
        "rotate", "prod", "--json", "--keep-old", "--expiry", "PT2H", "--description", "ci key"
    )
    assert result.code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["status"] == "renewed" and answer["kept_old"] is True
    assert answer["old_key_id"] == old_id and answer["strays"] == []
    new_id = answer["new_key_id"]
    assert set(sandbox.key_ids("admin")) == {old_id, new_id}
    record = sandbox.key_record(new_id)
    # the user's description, tagged with the run's marker (a lost answer finds the key by it)
    assert re.fullmatch(r"ci key \[qlik-tui run [0-9a-f]{12}\]", record["description"])
    assert answer["new_expiry"] is not None


def test_create_refused_for_missing_permission(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    sandbox.admin.can_create_keys = False
    result = run_cli("rotate", "prod", "--json")
    assert result.code == 1
    answer = json.loads(result.stdout)
    assert answer["outcome"] == "key_create_forbidden" and answer["failed_step"] == "create"
    assert "Requestor not allowed to create an API key" in answer["cause"]
    assert "Manage API keys" in answer["next_step"]
    _assert_untouched(services, sandbox, old_id)


def test_key_limit_lists_the_active_keys_and_how_to_revoke(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    other = key_id_of(sandbox.issue_key(description="laptop"))
    sandbox.set_config(max_keys_per_user=2)
    result = run_cli("rotate", "prod")
    assert result.code == 1
    assert "Too many API keys" in result.stderr
    assert "Maximum number of API keys reached" in result.stderr  # the tenant's own words
    assert f"{other} (laptop" in result.stderr and old_id in result.stderr
    assert "qlik-tui revoke prod KEY_ID" in result.stderr
    assert "at most 2 active keys" in result.stderr  # the config, read by the TenantAdmin
    assert _stored_key_id(services) == old_id
    assert set(sandbox.key_ids("admin")) == {old_id, other}


def test_expiry_above_the_maximum(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    result = run_cli("rotate", "prod", "--expiry", "P30D", "--json")
    assert result.code == 1
    answer = json.loads(result.stdout)
    assert answer["outcome"] == "expiry_too_long"
    assert "P30D" in answer["cause"] and "PT24H" in answer["cause"]
    _assert_untouched(services, sandbox, old_id)


def test_verify_fails_deletes_the_new_key_with_the_old(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    sandbox.set_fault("status_500", count=1, path=f"{API}/users/me")
    sandbox.clear_requests()
    result = run_cli("rotate", "prod", "--json")
    assert result.code == 3
    answer = json.loads(result.stdout)
    assert answer["failed_step"] == "verify" and answer["strays"] == []
    deletes = [r for r in sandbox.requests if r.method == "DELETE"]
    assert [(r.path, r.key_id) for r in deletes] == [
        (f"{API}/api-keys/{answer['new_key_id']}", old_id)
    ]
    _assert_untouched(services, sandbox, old_id)


def test_store_fails_keeps_the_old_key_and_deletes_the_new(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    services: Services,
    break_profiles: BreakProfiles,
) -> None:
    _, old_id = _stored(sandbox, services)
    break_profiles("read-only-folder", services.profiles)
    result = run_cli("rotate", "prod", "--json")
    assert result.code == 4
    answer = json.loads(result.stdout)
    assert answer["status"] == "store-failed" and answer["failed_step"] == "store"
    assert answer["store_problem"] and answer["strays"] == []
    assert answer["outcome"] is None  # the profiles file refused, not the keyring
    _assert_untouched(services, sandbox, old_id)
    assert not sandbox.has_key(answer["new_key_id"])


def test_old_key_delete_fails_after_a_good_store(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    sandbox.set_fault("status_500", count=1, path=f"{API}/api-keys/{old_id}")
    result = run_cli("rotate", "prod")
    assert result.code == 5
    new_id = _stored_key_id(services)
    assert new_id != old_id and _profile_key_id(services) == new_id
    assert set(sandbox.key_ids("admin")) == {old_id, new_id}
    assert f"Stray key {old_id} is still active" in result.stderr
    command = f"qlik-tui revoke prod {old_id}"
    assert command in result.stderr
    # the named command removes it
    assert run_cli(*shlex.split(command)[1:], "--yes").code == 0  # asked on a terminal
    assert sandbox.key_ids("admin") == [new_id]


def test_network_lost_after_create_names_the_stray_new_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    # Everything after the create is cut: the proof of the new key and the clean-up delete.
    sandbox.set_fault("reset", path=f"{API}/users/")
    sandbox.set_fault("status_500", path=f"{API}/api-keys/")
    result = run_cli("rotate", "prod")
    assert result.code == 3
    assert _stored_key_id(services) == old_id and _profile_key_id(services) == old_id
    stray = next(k for k in sandbox.key_ids("admin") if k != old_id)
    assert f"Stray key {stray} is still active" in result.stderr
    assert f"qlik-tui revoke prod {stray}" in result.stderr
    sandbox.clear_faults()
    assert run_cli("revoke", "prod", stray, "--yes").code == 0
    assert sandbox.key_ids("admin") == [old_id]


def test_network_lost_during_create(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    sandbox.set_fault("reset", count=1, path=f"{API}/api-keys")
    result = run_cli("rotate", "prod", "--json")
    assert result.code == 3
    assert json.loads(result.stdout)["outcome"] == "connection_reset"
    _assert_untouched(services, sandbox, old_id)


def test_cancel_before_the_store_deletes_the_new_key(
    sandbox: FaultySandbox, services: Services
) -> None:
    _, old_id = _stored(sandbox, services)
    cancel = CancelToken()
    events: list[StepEvent] = []

    def on_step(event: StepEvent) -> None:
        events.append(event)
        if event.step is RotationStep.VERIFY and event.state is StepState.DONE:
            assert cancel.cancel()

    result = asyncio.run(rotate_profile(services, "prod", on_step=on_step, cancel=cancel))
    assert result.status is RotationStatus.CANCELLED and result.strays == ()
    assert RotationStep.STORE not in {e.step for e in events}
    _assert_untouched(services, sandbox, old_id)


def test_cancel_is_refused_once_storing_began(sandbox: FaultySandbox, services: Services) -> None:
    _stored(sandbox, services)
    cancel = CancelToken()
    refused: list[bool] = []

    def on_step(event: StepEvent) -> None:
        if event.step is RotationStep.STORE and event.state is StepState.STARTED:
            refused.append(cancel.cancel())

    result = asyncio.run(rotate_profile(services, "prod", on_step=on_step, cancel=cancel))
    assert refused == [False]
    assert result.status is RotationStatus.RENEWED
    assert parse_key(services.secrets.load("prod").reveal()).key_id == result.new_key_id


def test_unknown_profile_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("rotate", "nope")
    assert result.code == 2 and 'no profile named "nope"' in result.stderr


def test_help_documents_every_exit_code(run_cli: RunCli) -> None:
    result = run_cli("rotate", "--help")
    assert result.code == 0
    for code in ("0", "1", "2", "3", "4", "5"):
        assert f"\n  {code}  " in result.stdout


def test_key_descriptions_from_the_tenant_are_neutralised(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    _stored(sandbox, services)
    sandbox.issue_key(description="\x1b]52;c;cGF3bmVk\x07evil\x1b[2J")
    sandbox.set_config(max_keys_per_user=2)
    limited = run_cli("rotate", "prod")
    listed = run_cli("keys", "prod")
    assert limited.code == 1 and listed.code == 0
    for output in (limited.output, listed.output):
        assert "\x1b" not in output and "\x07" not in output
        assert "evil" in output
