"""``qlik-tui check``: exit codes, lines, --json and concurrency, against the sandbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from tests.fixtures.cli import RunCli, cli_in_subprocess, closed_port_origin, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox


def test_no_profiles_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("check")
    assert result.code == 2
    assert "no profiles" in result.stderr


def test_no_profiles_with_json_still_prints_a_json_array(run_cli: RunCli) -> None:
    result = run_cli("check", "--json")
    assert result.code == 2
    assert json.loads(result.stdout) == []
    assert "no profiles" in result.stderr


def test_negative_warn_hours_is_a_usage_error(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    for hours in ("-5", "nan", "inf"):
        result = run_cli("check", "--warn-hours", hours)
        assert result.code == 2, hours
        assert "--warn-hours takes a number of hours of 0 or more" in result.stderr
        assert result.stdout == ""
    assert run_cli("check", "--warn-hours", "0").code == 0


def test_a_fresh_long_lived_key_is_calm_and_its_creation_is_recorded(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key(expires_in=timedelta(days=30)))
    calm = run_cli("check")
    assert "⚠" not in calm.stdout and "expires in 29 d" in calm.stdout
    profile = services.profiles.get("a")
    assert profile is not None and profile.key_created  # the lifetime is known from now on


def test_all_valid_exits_0_with_one_line_each(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    store_profile(services, "b", sandbox.origin, sandbox.issue_key(user="user"))
    result = run_cli("check")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:4] == ["✓", "a", sandbox.origin, "ada.sandbox@example.com"]
    assert " ms  " in lines[0] and "  Key works  " in lines[0]
    assert lines[0].index(sandbox.origin) == lines[1].index(sandbox.origin)  # aligned
    assert "expires in 23 h" in lines[0]
    assert "basil.plain@example.com" in lines[1]


def test_check_updates_profile_metadata(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    assert run_cli("check").code == 0
    profile = services.profiles.get("a")
    assert profile is not None
    assert profile.last_outcome == "valid" and profile.last_checked_at
    assert profile.user_name == "Ada Sandbox"
    assert profile.key_status == "active" and profile.expiry


def test_mixed_results_exit_1_and_explain_each_failure(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "valid", sandbox.origin, sandbox.issue_key())
    store_profile(services, "revoked", sandbox.origin, sandbox.issue_key("revoked"))
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    store_profile(services, "expired", sandbox.origin, sandbox.issue_key("expired"), expiry=past)
    store_profile(services, "other", sandbox.origin, sandbox.issue_key("other-tenant"))
    store_profile(services, "down", closed_port_origin(), sandbox.issue_key())
    assert run_cli("check", "valid").code == 0  # teaches the tenant id of this origin

    result = run_cli("check", "--json")
    assert result.code == 1
    by_name = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert by_name["valid"]["outcome"] == "valid" and by_name["valid"]["verdict"] == "valid"
    assert by_name["revoked"]["outcome"] == "key_rejected"
    assert by_name["expired"]["outcome"] == "key_expired"
    assert by_name["other"]["outcome"] == "key_other_tenant"
    assert by_name["down"]["outcome"] == "connection_refused"
    assert by_name["down"]["verdict"] == "inconclusive"
    for entry in by_name.values():
        assert set(entry) >= {"title", "cause", "next_step", "latency_ms", "expiry_state", "tenant"}
    assert by_name["valid"]["expiry_state"] == "ok"  # a fresh 24 h key has 23 h of 24 left

    text = run_cli("check")
    assert text.code == 1
    assert text.stdout.count("    cause: ") == 4
    assert text.stdout.count("    next:  ") == 4


def test_quiet_prints_only_failures(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "good", sandbox.origin, sandbox.issue_key())
    store_profile(services, "bad", sandbox.origin, sandbox.issue_key("revoked"))
    result = run_cli("check", "--quiet")
    assert result.code == 1
    assert "good" not in result.stdout
    assert "bad" in result.stdout


def test_unreachable_only_exits_3(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "down", closed_port_origin(), sandbox.issue_key())
    store_profile(services, "good", sandbox.origin, sandbox.issue_key())
    result = run_cli("check")
    assert result.code == 3
    assert "Connection refused" in result.stdout


def test_named_profiles_only_and_unknown_names(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "good", sandbox.origin, sandbox.issue_key())
    store_profile(services, "bad", sandbox.origin, sandbox.issue_key("revoked"))
    assert run_cli("check", "good").code == 0
    missing = run_cli("check", "good", "nope")
    assert missing.code == 2
    assert "no profile named 'nope'" in missing.stderr


def test_key_missing_from_the_keyring_is_rejected(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "lost", sandbox.origin, sandbox.issue_key())
    services.secrets.delete("lost")
    result = run_cli("check", "--json")
    assert result.code == 1
    assert json.loads(result.stdout)[0]["outcome"] == "key_not_stored"


def test_profiles_are_checked_concurrently(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    for index in range(12):
        store_profile(services, f"p{index:02}", sandbox.origin, sandbox.issue_key())
    sandbox.delay = 0.2  # every answer waits, so sequential checking would never overlap
    result = run_cli("check")
    assert result.code == 0, result.output
    assert sandbox.max_in_flight > 1
    assert sandbox.max_in_flight <= 2 * services.check_concurrency  # two requests per profile


def test_expired_remembered_expiry_and_soon_warning_in_text(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key(expires_in=timedelta(hours=30)))
    calm = run_cli("check", "--warn-hours", "2")
    assert "⚠" not in calm.stdout and "expires in 1 d" in calm.stdout
    warned = run_cli("check", "--warn-hours", "48")
    assert "⚠ expires in 1 d: renew it: qlik-tui rotate a" in warned.stdout


def test_check_does_not_import_textual(sandbox: FaultySandbox, services: Services) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    done = cli_in_subprocess(services.profiles.path, "check")
    assert "EXIT 0 TEXTUAL False" in done.stderr, done.stdout + done.stderr


def test_profile_type_is_unchanged_by_failed_metadata(services: Services) -> None:
    assert Profile(name="x", origin="https://x").name == "x"


def test_the_exit_code_table_is_aligned() -> None:
    from qlik_tui.commands.exits import HELP

    rows = HELP.splitlines()[1:]
    starts = {len(row) - len(row.lstrip(" 0123456789")) for row in rows}
    assert len(rows) == 7 and len(starts) == 1  # every meaning starts in the same column
