"""``qlik-tui check``: exit codes, lines, --json and concurrency, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qlik_tui.core.client import ClientSettings
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.cli import RunCli, cli_in_subprocess, closed_port_origin, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.services import make_services


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
    # the working key of the same user reads the dead key's record: "revoked", not a bare 401
    assert by_name["revoked"]["outcome"] == "key_revoked"
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
    assert 'no profile named "nope"' in missing.stderr


def test_one_name_reads_that_profile_alone(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    assert "no profiles stored" in run_cli("check", "good").stderr
    store_profile(services, "good", sandbox.origin, sandbox.issue_key())
    store_profile(services, "bad", sandbox.origin, sandbox.issue_key("revoked"))
    checked = run_cli("check", "good", "good")
    assert checked.code == 0
    assert "good" in checked.stdout and "bad" not in checked.stdout
    missing = run_cli("check", "nope")
    assert missing.code == 2
    assert 'no profile named "nope"' in missing.stderr


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


def test_check_of_an_api_key_loads_no_oauth_parsers(
    sandbox: FaultySandbox, services: Services
) -> None:
    # check-one's start-up (benchmarks/README.md): an API key's profile mints no token
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    oauth = ("qlik_tui.core.oauth", "qlik_tui.services.oauth_clients")
    extra = f"'LOADED', sorted(m for m in {oauth!r} if m in sys.modules)"
    done = cli_in_subprocess(services.profiles.path, "check", "a", extra=extra)
    assert "EXIT 0" in done.stderr and "LOADED []" in done.stderr, done.stdout + done.stderr


def test_profile_type_is_unchanged_by_failed_metadata(services: Services) -> None:
    assert Profile(name="x", origin="https://x").name == "x"


# -- the keyring entry itself, the environment, the deadline ----------------------------------


def put_raw_entry(name: str, value: str) -> None:
    """Write the keyring entry directly, as another tool (or a damaged keyring) would."""
    import keyring.backends.SecretService as secret_service

    secret_service.Keyring().set_password("qlik-tui", name, value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda key: "",
        lambda key: "garbage, not a key",
        lambda key: key[: len(key) // 3],
        lambda key: key + "A" * 200_000,
    ],
    ids=["empty", "garbage", "truncated", "huge"],
)
def test_a_stored_entry_that_is_not_a_key_is_a_rejection(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services, damage: Callable[[str], str]
) -> None:
    key = sandbox.issue_key()
    store_profile(services, "my work", sandbox.origin, key)
    put_raw_entry("my work", damage(key))
    result = run_cli("check", "--json")
    assert result.code == 1, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "stored_key_invalid" and entry["verdict"] == "rejected"
    assert "does not hold a valid API key" in entry["cause"]
    assert "qlik-tui login --name 'my work'" in entry["next_step"]
    assert "Unlock" not in entry["next_step"]
    assert sandbox.requests == []


def test_profiles_whose_keys_are_read_together_keep_each_ones_outcome(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    for name in ("good one", "good two", "lost", "damaged", "swapped"):
        store_profile(services, name, sandbox.origin, sandbox.issue_key())
    services.secrets.delete("lost")
    put_raw_entry("damaged", "garbage, not a key")
    put_raw_entry("swapped", sandbox.issue_key())  # another key than the profile recorded

    result = run_cli("check", "--json")

    assert result.code == 1, result.output
    outcomes = {entry["name"]: entry["outcome"] for entry in json.loads(result.stdout)}
    assert outcomes == {
        "good one": "valid",
        "good two": "valid",
        "lost": "key_not_stored",
        "damaged": "stored_key_invalid",
        "swapped": "stored_key_mismatch",
    }


def test_no_dbus_session_says_so_and_how_to_start_one(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring.backends.SecretService as secret_service

    store_profile(services, "p", sandbox.origin, sandbox.issue_key())
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    nowhere = make_services(tmp_path / "cfg", SecretStore(backend=secret_service.Keyring()))
    nowhere.profiles.put(Profile(name="p", origin=sandbox.origin))
    result = run_cli("check", "--json", using=nowhere)
    assert result.code == 3, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "keyring_unavailable"
    assert "D-Bus" in entry["cause"]
    assert "dbus-run-session" in entry["next_step"]
    assert "Unlock the keyring (sign in" not in entry["next_step"]


def test_unreadable_ssl_cert_file_is_explained_not_an_internal_error(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing-ca.pem"))
    result = run_cli("check")
    assert result.code == 3, result.output
    assert "CA certificates unreadable (SSL_CERT_FILE)" in result.stdout
    assert "next:  Point SSL_CERT_FILE at a readable PEM file" in result.stdout
    assert "internal error" not in result.output.lower()


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("socks5://127.0.0.1:1080", "Proxy setting unusable (HTTPS_PROXY)"),
        ("http://127.0.0.1:99999", "Proxy setting unusable (HTTPS_PROXY)"),
        ("n" * 64, "Proxy failed"),  # like HTTPS_PROXY=notaurl, with no DNS query sent
        (f"http://127.0.0.1:{closed_port_origin().rsplit(':', 1)[1]}", "Proxy failed"),
    ],
    ids=["socks5", "bad-port", "not-a-url", "refused"],
)
def test_proxy_problems_are_named_as_such(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    title: str,
) -> None:
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", value)
    result = run_cli("check", "--json")
    assert result.code == 3, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["title"] == title
    assert "HTTPS_PROXY" in entry["cause"] and "HTTPS_PROXY" in entry["next_step"]
    assert "Hostname not found" not in entry["title"]


def test_a_long_retry_after_is_refused_within_the_deadline(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services, tmp_path: Path
) -> None:
    # the product's own limits: a single wait of up to 30 s would be honoured without a deadline
    defaults = make_services(tmp_path / "defaults", services.secrets, ClientSettings())
    store_profile(defaults, "a", sandbox.origin, sandbox.issue_key())
    sandbox.set_fault("rate_limit", retry_after=30)
    result = run_cli("check", "--deadline", "5", using=defaults)
    assert result.code == 3, result.output
    assert "Rate limited (429): wait refused" in result.stdout
    assert "asked to wait 30 s; the check did not wait that long" in result.stdout
    assert "must finish within 5 s" in result.stdout
    # the user and the key's record are asked together, but a 429 holds what was not sent yet
    # (the record may never go out); neither is asked again
    paths = [r.path.split("/")[3] for r in sandbox.requests]
    assert paths.count("users") == 1 and paths.count("api-keys") <= 1, paths
    assert set(paths) <= {"users", "api-keys"}, paths


def test_deadline_is_documented_and_checked(run_cli: RunCli) -> None:
    from qlik_tui.cli import build_parser

    parser = build_parser()._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    check_help = " ".join(parser.format_help().split())
    assert "--deadline SECONDS finish within this many seconds in total (default: 30)" in check_help
    assert "reported, not waited for" in check_help
    bad = run_cli("check", "--deadline", "0")
    assert bad.code == 2
    assert "positive number of seconds" in bad.stderr


def test_a_user_record_without_a_name_still_proves_the_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    sandbox.admin.name = None  # type: ignore[assignment]
    store_profile(services, "a", sandbox.origin, sandbox.issue_key())
    result = run_cli("check", "--json")
    assert result.code == 0, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "valid"
    assert entry["user_name"] == "unknown"


def test_a_tenant_slower_than_the_deadline_is_reported_timed_out(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_profile(services, "slow", sandbox.origin, sandbox.issue_key())
    sandbox.set_fault("slow", delay=5)
    result = run_cli("check", "--json", "--deadline", "0.5")
    assert result.code == 3, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["outcome"] == "timeout"
    assert "overall timeout after 0.5 s" in entry["cause"]
    assert services.profiles.get("slow").last_outcome == "timeout"  # type: ignore[union-attr]


def test_the_exit_code_table_is_aligned() -> None:
    from qlik_tui.commands.exits import HELP

    rows = HELP.splitlines()[1:]
    starts = {len(row) - len(row.lstrip(" 0123456789")) for row in rows}
    codes = [row.split()[0] for row in rows if row.lstrip()[:1].isdigit()]
    assert codes == ["0", "1", "2", "3", "4", "5", "70", "129", "130", "143"]
    assert len(starts) == 1  # every meaning (and every continuation) starts in the same column
