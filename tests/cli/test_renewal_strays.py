"""A create whose answer never arrives -- reset, timeout, Ctrl-C, SIGTERM, SIGKILL while the
POST is in flight -- leaves no active key nobody is told about: the run deletes what the tenant
made (found by the run's marker in the description) and says so, and what a SIGKILL leaves is
reported by the next ``keys``, ``rotate`` or ``check --renew-within``. Over the TLS sandbox and
the real Secret Service; signals go to a real ``qlik-tui`` process."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from qlik_tui.commands import exits
from qlik_tui.core.settings import ClientSettings
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import SecretStore
from tests.fixtures.cli import RunCli, cli_process, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.fixtures.services import make_services

API = "/api/v1"
HELD_S = 60.0  # the create's answer is held far longer than any step of a test waits
WAIT_S = 30.0  # a deadline, not a measurement


def _stored(
    sandbox: FaultySandbox,
    services: Services,
    name: str = "prod",
    expires_in: timedelta = timedelta(hours=24),
) -> str:
    token = sandbox.issue_key(description="the stored key", expires_in=expires_in)
    store_profile(services, name, sandbox.origin, token)
    key_id = key_id_of(token)
    assert key_id is not None
    return key_id


def _made_by_the_create(sandbox: FaultySandbox, old_id: str) -> str:
    """The one key the tenant made for the run's create (whether it still exists or not)."""
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == f"{API}/api-keys"]
    assert len(posts) == 1
    made = sandbox.minted[sandbox.minted.index(old_id) + 1 :]
    assert len(made) == 1
    return made[0]


def _deleted(sandbox: FaultySandbox) -> list[str]:
    return [
        r.path.rsplit("/", 1)[1]
        for r in sandbox.requests
        if r.method == "DELETE" and r.path.startswith(f"{API}/api-keys/")
    ]


ROTATE = ("rotate", "prod")
RENEW_WITHIN = ("check", "--renew-within", "12h")


def _signal_during_create(
    sandbox: FaultySandbox,
    services: Services,
    number: signal.Signals,
    command: tuple[str, ...] = ROTATE,
) -> tuple[subprocess.CompletedProcess[str], str]:
    """``command`` (a renewal of profile prod) in its own process, signalled once the tenant
    made the key and while it holds the answer."""
    old_id = _stored(sandbox, services, expires_in=timedelta(hours=2))  # due within 12 h
    sandbox.set_fault("hold_answer", count=1, path=f"{API}/api-keys", method="POST", delay=HELD_S)
    process = cli_process(services.profiles.path, *command)
    try:
        assert sandbox.held.wait(WAIT_S), "the create never reached the tenant"
        process.send_signal(number)
        stdout, stderr = process.communicate(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), old_id


@pytest.mark.parametrize("fault", ["reset", "timeout"])
def test_a_lost_create_answer_is_deleted_again_and_said(
    fault: str, sandbox: FaultySandbox, secret_store: SecretStore, tmp_path: Path, run_cli: RunCli
) -> None:
    services = make_services(
        tmp_path, secret_store, ClientSettings(connect_timeout=2.0, read_timeout=1.0)
    )
    old_id = _stored(sandbox, services)
    if fault == "reset":
        sandbox.set_fault("lost_answer", count=1, path=f"{API}/api-keys", method="POST")
    else:  # the tenant made the key but answers after the client's read timeout
        sandbox.set_fault(
            "hold_answer", count=1, path=f"{API}/api-keys", method="POST", delay=HELD_S
        )
    sandbox.clear_requests()
    result = run_cli("rotate", "prod", "--json", using=services)

    assert result.code == exits.INCONCLUSIVE, result.output
    answer = json.loads(result.stdout)
    made = _made_by_the_create(sandbox, old_id)
    assert answer["deleted_strays"] == [made] and answer["strays"] == []
    said = f"the tenant had made key {made}: it was deleted again"
    assert any(said in note for note in answer["notes"])
    assert sandbox.key_ids("admin") == [old_id]  # no active key nobody was told about
    assert services.secrets.load("prod").info.key_id == old_id
    # nothing is left for the next run to report
    listed = run_cli("keys", "prod", using=services)
    assert listed.code == 0 and "Stray" not in listed.output


def test_the_marker_finds_only_this_runs_key(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    """An older key with the same description (an earlier renewal's) is not deleted."""
    old_id = _stored(sandbox, services)
    older = key_id_of(sandbox.issue_key(description="ci key"))
    sandbox.set_fault("lost_answer", count=1, path=f"{API}/api-keys", method="POST")
    result = run_cli("rotate", "prod", "--description", "ci key")
    assert result.code == exits.INCONCLUSIVE
    assert sorted(sandbox.key_ids("admin")) == sorted([old_id, older])
    assert "it was deleted again" in result.stderr


def test_a_lost_key_that_cannot_be_deleted_is_named_until_a_later_run_deletes_it(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    old_id = _stored(sandbox, services)
    sandbox.set_fault("lost_answer", count=1, path=f"{API}/api-keys", method="POST")
    sandbox.set_fault("status_500", count=1, path=f"{API}/api-keys/", method="DELETE")
    first = run_cli("rotate", "prod", "--json")
    assert first.code == exits.INCONCLUSIVE
    answer = json.loads(first.stdout)
    stray = next(k for k in sandbox.key_ids("admin") if k != old_id)
    assert [s["key_id"] for s in answer["strays"]] == [stray]
    assert answer["strays"][0]["command"] == f"qlik-tui revoke prod {stray}"
    assert "could not be deleted" in " ".join(answer["notes"])

    listed = run_cli("keys", "prod")  # still named by the next run
    assert f"Stray key {stray} is still active" in listed.stderr
    renewed = run_cli("rotate", "prod")  # and deleted by the next renewal
    assert renewed.code == 0, renewed.output
    assert f"Deleted key {stray}" in renewed.stderr
    assert sandbox.key_ids("admin") == [services.secrets.load("prod").info.key_id]


@pytest.mark.parametrize("command", [ROTATE, RENEW_WITHIN], ids=["rotate", "check-renew-within"])
@pytest.mark.parametrize(
    ("number", "code"),
    [(signal.SIGINT, exits.INTERRUPTED), (signal.SIGTERM, exits.TERMINATED)],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_while_the_create_is_in_flight_deletes_the_key_the_tenant_made(
    number: signal.Signals,
    code: int,
    command: tuple[str, ...],
    sandbox: FaultySandbox,
    services: Services,
) -> None:
    sandbox.clear_requests()
    done, old_id = _signal_during_create(sandbox, services, number, command)
    assert done.returncode == code, done.stderr
    made = _made_by_the_create(sandbox, old_id)
    assert sandbox.key_ids("admin") == [old_id]
    assert _deleted(sandbox) == [made]
    if command == ROTATE:
        assert f"Not renewed: 'prod' still holds key {old_id}." in done.stderr
    else:
        assert f"✗ not renewed prod: cancelled; it still holds key {old_id}" in done.stderr
    assert f"the tenant had made key {made}: it was deleted again" in done.stderr
    assert "qlik-tui: interrupted" not in done.stderr
    assert services.secrets.load("prod").info.key_id == old_id


@pytest.mark.parametrize(
    "next_run",
    [["keys", "prod"], ["rotate", "prod"], ["check", "--renew-within", "1h"]],
    ids=["keys", "rotate", "check-renew-within"],
)
def test_the_next_run_reports_what_a_sigkill_left(
    next_run: list[str], run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    killed, old_id = _signal_during_create(sandbox, services, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    stray = next(k for k in sandbox.key_ids("admin") if k != old_id)  # nobody was told
    assert services.secrets.load("prod").info.key_id == old_id
    # what the killed run left on disk: the run's tag and key ids, never a key
    journal = services.profiles.path.with_name("renewals-pending.json").read_text()
    marker = sandbox.key_record(stray)["description"].rsplit(" ", 1)[1].rstrip("]")
    assert marker in journal and old_id in journal
    assert sandbox.key_token(stray) not in journal
    assert services.secrets.load("prod").reveal() not in journal
    sandbox.release_held()
    sandbox.clear_faults()

    after = run_cli(*next_run)
    assert stray in after.stderr, after.output
    if next_run[0] == "keys":  # a listing names it and the command that removes it
        assert after.code == 0
        assert f"Remove it with: qlik-tui revoke prod {stray}" in after.stderr
        assert sandbox.has_key(stray)
        again = run_cli("keys", "prod", "--json")  # and keeps naming it until it is gone
        assert json.loads(again.stdout)["strays"][0]["key_id"] == stray
    else:  # a renewing run deletes it (nobody ever received it) and says so
        assert f"Deleted key {stray}" in after.stderr
        assert not sandbox.has_key(stray)
        assert "Stray" not in run_cli("keys", "prod").output


def test_an_interrupt_after_the_store_finishes_the_renewal_and_says_so(
    sandbox: FaultySandbox, services: Services
) -> None:
    old_id = _stored(sandbox, services)
    # the old key's delete is held: the new key is stored by then
    sandbox.set_fault(
        "hold_answer", count=1, path=f"{API}/api-keys/{old_id}", method="DELETE", delay=2.0
    )
    process = cli_process(services.profiles.path, "rotate", "prod")
    try:
        assert sandbox.held.wait(WAIT_S)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    new_id = services.secrets.load("prod").info.key_id
    assert new_id != old_id
    assert process.returncode == exits.OK, stderr
    assert f"Renewed 'prod': key {new_id} is stored" in stdout
    assert f"The old key {old_id} was deleted." in stdout
    assert "Interrupted after the new key was stored" in stderr
    assert "qlik-tui: interrupted" not in stderr
    assert sandbox.key_ids("admin") == [new_id]


def test_renew_within_longer_than_the_key_lifetime_renews_once_not_every_run(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    """Keys live 24 hours (the tenant's maximum): a 2-day window would renew every run."""
    old_id = _stored(sandbox, services)
    aged = key_id_of(sandbox.issue_key(expires_in=timedelta(hours=24)))
    assert aged is not None
    sandbox.backdate(aged, timedelta(hours=13))  # past half its life: 11 hours left
    store_profile(services, "aged", sandbox.origin, sandbox.key_token(aged))

    first = run_cli("check", "--renew-within", "2d")
    assert first.code == 0, first.output
    assert first.stderr.count("is not shorter than the life of a new key") == 1
    assert services.secrets.load("prod").info.key_id == old_id  # young: kept
    renewed = services.secrets.load("aged").info.key_id
    assert renewed != aged  # past half its life: renewed

    second = run_cli("check", "--renew-within", "2d")
    assert second.code == 0, second.output
    assert services.secrets.load("prod").info.key_id == old_id
    assert services.secrets.load("aged").info.key_id == renewed  # not again on the next run
    assert not [line for line in second.stdout.splitlines() if line.startswith("↻")]
