"""One renewal of a profile at a time: a second ``rotate`` (or ``check --renew-within``) beside a
running one stops before making a key, and a renewal whose stored key changed meanwhile does not
store over it and deletes what it made. Over the TLS sandbox and the real Secret Service; the
first renewal runs in its own process, held while the tenant creates its key."""

from __future__ import annotations

import asyncio
import json
import shlex
from datetime import timedelta

import pytest

from qlik_tui.commands import exits
from qlik_tui.services.context import Services
from qlik_tui.services.rotation import (
    RotationStatus,
    RotationStep,
    StepEvent,
    StepState,
    rotate_profile,
)
from tests.fixtures.cli import RunCli, cli_process, store_profile
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of

API = "/api/v1"
WAIT_S = 30.0  # a deadline, not a measurement
_HOURS_2 = timedelta(hours=2)  # due for --renew-within 12h


def _stored(sandbox: FaultySandbox, services: Services, name: str = "prod") -> str:
    token = sandbox.issue_key(description="the stored key", expires_in=_HOURS_2)
    store_profile(services, name, sandbox.origin, token)
    key_id = key_id_of(token)
    assert key_id is not None
    return key_id


@pytest.mark.parametrize(
    "second",
    [["rotate", "prod", "--json"], ["check", "--renew-within", "12h", "--json"]],
    ids=["rotate", "check-renew-within"],
)
def test_two_renewals_of_one_profile_end_with_one_renewal_and_no_unaccounted_key(
    second: list[str], run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    old_id = _stored(sandbox, services)
    sandbox.set_fault("hold_answer", count=1, path=f"{API}/api-keys", method="POST", delay=WAIT_S)
    first = cli_process(services.profiles.path, "rotate", "prod", "--json")
    try:
        assert sandbox.held.wait(WAIT_S), "the first renewal's create never arrived"
        beside = run_cli(*second)
        sandbox.release_held()
        out, err = first.communicate(timeout=WAIT_S)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()

    assert first.returncode == exits.OK, err
    renewed = json.loads(out)
    assert renewed["status"] == "renewed"
    answer = json.loads(beside.stdout)
    stopped = answer if second[0] == "rotate" else answer[0]["renewal"]
    assert stopped["renewed"] is False and stopped["outcome"] == "renewal_in_progress"
    assert stopped["title"] == "Another renewal of this key is running"
    assert beside.code == exits.INCONCLUSIVE
    assert stopped["old_key_id"] == old_id  # what the profile still holds, named
    # one renewal: one create, the stored key is its key, and it is the only active key
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == f"{API}/api-keys"]
    assert len(posts) == 1
    new_id = renewed["new_key_id"]
    assert services.secrets.load("prod").info.key_id == new_id != old_id
    assert sandbox.key_ids("admin") == [new_id]


def test_a_renewal_whose_stored_key_changed_meanwhile_stores_nothing_and_deletes_its_key(
    sandbox: FaultySandbox, services: Services
) -> None:
    """The compare before the store: here a login stores another key for the profile while
    the renewal proves its new key (as a renewal that got past the lock would)."""
    old_id = _stored(sandbox, services)
    other = sandbox.issue_key(description="stored meanwhile")

    def meanwhile(event: StepEvent) -> None:
        if event.step is RotationStep.VERIFY and event.state is StepState.DONE:
            store_profile(services, "prod", sandbox.origin, other)

    result = asyncio.run(rotate_profile(services, "prod", on_step=meanwhile))
    assert result.status is RotationStatus.FAILED and result.failed_step is RotationStep.STORE
    assert result.outcome is not None
    assert result.outcome.title == "The stored key changed during the renewal"
    assert shlex.quote("prod") in result.outcome.next_step
    assert result.new_key_id is not None and not sandbox.has_key(result.new_key_id)
    assert result.strays == ()
    assert services.secrets.load("prod").info.key_id == key_id_of(other)
    assert sorted(sandbox.key_ids("admin")) == sorted([old_id, key_id_of(other)])
