"""``qlik-tui rotate`` of an OAuth client's profile: the secret renewed end to end, and a failure
injected at each step, over the TLS sandbox and the real Secret Service. After each: what the
key store, the profile and the client's secrets are (never a lost working secret, never an
extra secret nobody is told about)."""

from __future__ import annotations

import json

from qlik_tui.services.context import Services
from tests.cli.helpers import login_client
from tests.fixtures.cli import RunCli
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.profile_faults import BreakProfiles

SECRETS = "/api/v1/oauth-clients/"


def _stored_secret(services: Services, name: str = "bot") -> str:
    return services.secrets.load_client_secret(name).reveal()


def _assert_untouched(
    services: Services, sandbox: FaultySandbox, client_id: str, secret: str, hints: list[str]
) -> None:
    assert _stored_secret(services) == secret
    assert sandbox.secret_hints(client_id) == hints
    profile = services.profiles.get("bot")
    assert profile is not None and profile.secret_hint == hints[0]


def test_rotation_end_to_end(run_cli: RunCli, sandbox: FaultySandbox, services: Services) -> None:
    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    result = run_cli("rotate", "bot")
    assert result.code == 0, result.output
    new = _stored_secret(services)
    [new_hint] = sandbox.secret_hints(client_id)
    assert new != old and new_hint != old_hint
    profile = services.profiles.get("bot")
    assert profile is not None and profile.secret_hint == new_hint
    assert f"Renewed 'bot': client secret {new_hint} is stored." in result.stdout
    assert f"The old client secret {old_hint} was deleted." in result.stdout
    assert old not in result.output and new not in result.output
    assert run_cli("check", "bot").code == 0
    assert run_cli("token", "bot").code == 0


def test_create_refused_leaves_everything(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    hints = sandbox.secret_hints(client_id)
    sandbox.set_fault("status_500", count=1, path=SECRETS, method="POST")
    result = run_cli("rotate", "bot", "--json")
    assert result.code == 3
    answer = json.loads(result.stdout)
    assert answer["failed_step"] == "create" and answer["strays"] == []
    assert answer["credential"] == "client secret"
    _assert_untouched(services, sandbox, client_id, old, hints)


def test_a_lost_create_answer_names_the_secret_it_made(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    sandbox.set_fault("lost_answer", count=1, path=SECRETS, method="POST")
    result = run_cli("rotate", "bot")
    assert result.code == 3
    [made] = [h for h in sandbox.secret_hints(client_id) if h != old_hint]
    assert f"Stray client secret {made} is still active" in result.stderr
    assert f"client-secrets/{made}" in result.stderr and "qlik-tui token bot" in result.stderr
    assert _stored_secret(services) == old


def test_verify_fails_deletes_the_new_secret_with_the_old(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    hints = sandbox.secret_hints(client_id)
    sandbox.set_fault("status_500", count=1, path="/api/v1/users/")  # the new token's /me
    result = run_cli("rotate", "bot", "--json")
    assert result.code == 3
    answer = json.loads(result.stdout)
    assert answer["failed_step"] == "verify" and answer["strays"] == []
    _assert_untouched(services, sandbox, client_id, old, hints)


def test_verify_and_clean_up_failing_name_the_stray(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    sandbox.set_fault("status_500", count=1, path="/api/v1/users/")
    sandbox.set_fault("status", status=503, path=SECRETS, method="DELETE")
    result = run_cli("rotate", "bot", "--json")
    assert result.code == 3
    [stray] = json.loads(result.stdout)["strays"]
    assert stray["key_id"] in sandbox.secret_hints(client_id) and stray["key_id"] != old_hint
    assert _stored_secret(services) == old


def test_store_fails_keeps_the_old_secret_and_deletes_the_new(
    run_cli: RunCli,
    sandbox: FaultySandbox,
    services: Services,
    break_profiles: BreakProfiles,
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    hints = sandbox.secret_hints(client_id)
    break_profiles("read-only-folder", services.profiles)
    result = run_cli("rotate", "bot", "--json")
    assert result.code == 4
    answer = json.loads(result.stdout)
    assert answer["status"] == "store-failed" and answer["strays"] == []
    assert _stored_secret(services) == old
    assert sandbox.secret_hints(client_id) == hints


def test_old_secret_delete_fails_after_a_good_store(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    sandbox.set_fault("status_500", count=1, path=f"{SECRETS}{client_id}/client-secrets/")
    result = run_cli("rotate", "bot")
    assert result.code == 5
    new = _stored_secret(services)
    assert new != old and len(sandbox.secret_hints(client_id)) == 2
    assert f"Stray client secret {old_hint} is still active" in result.stderr


def test_an_unknown_old_hint_keeps_every_secret_and_names_the_candidates(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    sandbox.add_client_secret(client_id)  # a second secret: which one is stored is unknown
    before = sandbox.secret_hints(client_id)
    stored = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "bot",
        "--oauth-client-id", client_id, "--with-secret", stdin=secret,
    )  # fmt: skip
    assert stored.code == 0
    profile = services.profiles.get("bot")
    assert profile is not None and profile.secret_hint is None
    result = run_cli("rotate", "bot")
    assert result.code == 0, result.output
    after = sandbox.secret_hints(client_id)
    assert after[:2] == before and len(after) == 3
    assert "The old secret was kept" in result.stderr
    assert all(hint in result.stderr for hint in before)


def test_a_client_with_five_secrets_stops_before_creating(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    for _ in range(4):
        sandbox.add_client_secret(client_id)
    hints = sandbox.secret_hints(client_id)
    result = run_cli("rotate", "bot")
    assert result.code == 1
    assert "The client has five secrets already" in result.stderr
    assert sandbox.secret_hints(client_id) == hints and _stored_secret(services) == old


def test_a_secret_another_profile_holds_is_kept(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    twin = run_cli(
        "login", "--tenant", sandbox.origin, "--name", "twin",
        "--oauth-client-id", client_id, "--with-secret", stdin=old,
    )  # fmt: skip
    assert twin.code == 0
    result = run_cli("rotate", "bot")
    assert result.code == 0, result.output
    assert old_hint in sandbox.secret_hints(client_id)
    assert "hold it too" in result.stderr and "twin" in result.stderr
    assert _stored_secret(services, "twin") == old
    assert run_cli("check", "twin").code == 0


def test_check_renew_within_renews_a_secret_by_its_age(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    client_id, old = login_client(run_cli, sandbox)
    young = run_cli("check", "--renew-within", "1h", "--secret-max-age", "30d")
    assert young.code == 0 and "renewed" not in young.output
    assert _stored_secret(services) == old
    profile = services.profiles.get("bot")
    assert profile is not None
    services.profiles.update("bot", secret_created="2020-01-01T00:00:00+00:00")
    aged = run_cli("check", "--renew-within", "1h", "--secret-max-age", "30d")
    assert aged.code == 0, aged.output
    [new_hint] = sandbox.secret_hints(client_id)
    assert f"↻ renewed bot: client secret {new_hint}; old secret" in aged.stdout
    assert _stored_secret(services) != old and old not in aged.output
    assert run_cli("check", "--renew-within", "1h", "--secret-max-age", "soon").code == 2


def test_a_secret_left_by_a_killed_renewal_is_named_by_the_next(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    from qlik_tui.services.secret_rotation import JOURNAL_PREFIX
    from qlik_tui.store.renewals import PendingRenewal, RenewalJournal

    client_id, old = login_client(run_cli, sandbox)
    [old_hint] = sandbox.secret_hints(client_id)
    journal = RenewalJournal(services.profiles.path)
    # What a renewal killed right after its create leaves: its note, and a secret nobody holds.
    journal.add(PendingRenewal("bot", f"{JOURNAL_PREFIX}{old_hint}", old_hint, "2026-01-01"))
    sandbox.add_client_secret(client_id)
    [left] = [h for h in sandbox.secret_hints(client_id) if h != old_hint]
    result = run_cli("rotate", "bot")
    assert result.code == 0, result.output
    assert f"Stray client secret {left} is still active" in result.stderr
    assert "an earlier renewal of this profile was stopped" in result.stderr
    assert journal.pending("bot") == []
    assert left in sandbox.secret_hints(client_id)  # named, never deleted by guess
    assert old_hint not in sandbox.secret_hints(client_id) and _stored_secret(services) != old


def test_a_finished_renewal_leaves_no_journal_entry(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    from qlik_tui.store.renewals import RenewalJournal

    login_client(run_cli, sandbox)
    sandbox.set_fault("lost_answer", count=1, path=SECRETS, method="POST")
    assert run_cli("rotate", "bot").code == 3
    assert run_cli("rotate", "bot").code == 0
    assert RenewalJournal(services.profiles.path).pending("bot") == []
