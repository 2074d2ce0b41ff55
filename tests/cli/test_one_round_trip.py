"""A key proven in one round trip: its user read directly (``/users/{sub}``) beside its own
record, ``/users/me`` only where the direct read is refused; the redirect rules unchanged; and
many keys on one tenant paced by what the tenant answers, within the deadline."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox.exchange import HTTP2
from qlik_tui.sandbox.tenant import API
from qlik_tui.services.context import Services
from qlik_tui.services.verify import verify_key
from tests.fixtures.cli import RunCli, store_many
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.proving import protocols, until, verify
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.services import TEST_SETTINGS


async def test_the_user_and_the_key_record_are_asked_together(sandbox: FaultySandbox) -> None:
    key_text = sandbox.issue_key()
    key = parse_key(key_text)
    user_path = f"{API}/users/{sandbox.admin.id}"
    record_path = f"{API}/api-keys/{key.key_id}"
    sandbox.set_fault("hold_answer", path=record_path, delay=30)
    proving = asyncio.ensure_future(verify(sandbox, key_text))
    # The record's answer is held: the user is asked meanwhile, not after it.
    await until(
        lambda: (
            sandbox.held.is_set()
            and any(r.path == user_path and r.completed for r in sandbox.requests)
        ),
        "the user read answered while the key record's answer is held",
    )
    held = [r for r in sandbox.requests if r.path == record_path]
    assert len(held) == 1 and not held[0].completed
    sandbox.release_held()
    report = await proving

    assert report.outcome.kind is OutcomeKind.VALID
    assert report.user is not None and report.user.id == sandbox.admin.id
    assert report.key_record is not None and report.key_record.id == key.key_id
    # One round trip: no /users/me and no redirect, each request once, with the key's own id.
    assert sorted(r.path for r in sandbox.requests) == sorted([user_path, record_path])
    assert all(r.key_id == key.key_id and r.status == 200 for r in sandbox.requests)
    # ... as two streams of one HTTP/2 connection: one TLS handshake (tests/core/test_http2.py
    # has the same proof over HTTP/1.1: a connection per request).
    assert protocols(sandbox) == {HTTP2}
    assert sandbox.connections == 1


@pytest.mark.parametrize("status", [403, 404])
async def test_a_refused_direct_read_falls_back_to_users_me(
    sandbox: FaultySandbox, status: int
) -> None:
    user_path = f"{API}/users/{sandbox.admin.id}"
    sandbox.set_fault("status", status=status, count=1, path=user_path)
    report = await verify(sandbox, sandbox.issue_key())

    # The refusal is not a verdict on the key: /users/me and its redirect prove it.
    assert report.outcome.kind is OutcomeKind.VALID
    assert report.user is not None and report.user.id == sandbox.admin.id
    user_reads = [(r.path, r.status) for r in sandbox.requests if "/users/" in r.path]
    assert user_reads == [(user_path, status), (f"{API}/users/me", 301), (user_path, 200)]


async def test_a_key_without_a_sub_claim_is_proven_through_users_me(
    sandbox: FaultySandbox,
) -> None:
    key = parse_key(sandbox.issue_key())
    claimless = parse_key(key.reveal())
    object.__setattr__(claimless, "_info", key.info._replace(subject=None))
    report = await verify_key(parse_tenant(sandbox.origin), claimless, settings=TEST_SETTINGS)
    assert report.outcome.kind is OutcomeKind.VALID
    assert [r.path for r in sandbox.requests if "/users/" in r.path][:1] == [f"{API}/users/me"]


async def test_a_redirect_offsite_from_the_direct_read_is_still_refused(
    sandbox: FaultySandbox, offsite_recorder: OffsiteRecorder
) -> None:
    sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
    report = await verify(sandbox, sandbox.issue_key())
    assert report.outcome.kind is OutcomeKind.OFFSITE_REDIRECT
    assert offsite_recorder.connections == 0 and offsite_recorder.requests == []
    assert report.user is None


async def test_a_downgrade_redirect_from_the_direct_read_is_still_refused(
    sandbox: FaultySandbox,
) -> None:
    plain = sandbox.origin.replace("https://", "http://")
    location = f"{plain}{API}/users/{sandbox.admin.id}"
    sandbox.set_fault("offsite_redirect", target=plain, location=location)
    report = await verify(sandbox, sandbox.issue_key())
    assert report.outcome.kind is OutcomeKind.REDIRECT_DOWNGRADE
    assert report.user is None


def test_a_rotation_is_three_round_trips(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    store_many(services, sandbox.origin, [sandbox.issue_key()], prefix="prod")
    sandbox.clear_requests()
    result = run_cli("rotate", "prod001")
    assert result.code == 0, result.output
    assert [r.method for r in sandbox.requests] == ["POST", "GET", "DELETE"]


def test_a_429_storm_over_many_keys_ends_within_the_deadline(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    names = store_many(services, sandbox.origin, [sandbox.issue_key() for _ in range(200)])
    sandbox.clear_requests()
    sandbox.set_fault("rate_limit", retry_after=1)  # every request, for as long as it lasts
    deadline_s = 4.0
    started = time.monotonic()
    result = run_cli("check", "--json", "--deadline", f"{deadline_s:g}")
    elapsed = time.monotonic() - started

    assert result.code == 3, result.output
    entries = json.loads(result.stdout)
    assert sorted(entry["name"] for entry in entries) == names
    limited = {"rate_limited", "rate_limit_wait_refused", "timeout"}
    assert {entry["outcome"] for entry in entries} <= limited
    # Within the deadline, plus the start-up and write-back a loaded test machine needs.
    assert elapsed < deadline_s + 10
    # The storm slowed the asking down: the pace held requests back instead of every key
    # asking again as soon as its own retry-after passed.
    assert len(sandbox.requests) < 3 * 2 * len(names)


def test_many_keys_on_one_tenant_share_a_few_connections(
    run_cli: RunCli, sandbox: FaultySandbox, services: Services
) -> None:
    # 40 keys, 16 requests in flight at most: two and a half times as many keys as connections
    # may be open (each key a Secret Service write and read, so not more).
    services = dataclasses.replace(
        services, client_settings=TEST_SETTINGS._replace(max_in_flight=16)
    )
    names = store_many(services, sandbox.origin, [sandbox.issue_key() for _ in range(40)])
    sandbox.clear_requests()
    before = sandbox.connections
    result = run_cli("check", "--json", using=services)
    assert result.code == 0, result.output
    assert {entry["outcome"] for entry in json.loads(result.stdout)} == {"valid"}
    assert len(sandbox.requests) == 2 * len(names)  # one round trip each: user and record
    # Connections are kept for the next checks, never more than may be in flight at once.
    assert sandbox.connections - before <= services.client_settings.max_in_flight


@pytest.mark.parametrize(
    ("tenant_fixture", "protocol", "handshakes"),
    [("sandbox", "HTTP/2", 1), ("http1_sandbox", "HTTP/1.1", 2)],
    ids=["http2-tenant", "http1-only-tenant"],
)
def test_check_of_one_key_on_each_kind_of_tenant(
    run_cli: RunCli,
    services: Services,
    request: pytest.FixtureRequest,
    tenant_fixture: str,
    protocol: str,
    handshakes: int,
) -> None:
    tenant: FaultySandbox = request.getfixturevalue(tenant_fixture)
    names = store_many(services, tenant.origin, [tenant.issue_key()], prefix="prod")
    tenant.clear_requests()
    before = tenant.connections
    result = run_cli("check", "--json", *names)
    assert result.code == 0, result.output
    assert [entry["outcome"] for entry in json.loads(result.stdout)] == ["valid"]
    assert {r.protocol for r in tenant.requests} == {protocol}
    assert len(tenant.requests) == 2  # the user and the key record, at once
    # HTTP/2: both as streams of one connection; HTTP/1.1: a connection for each
    assert tenant.connections - before == handshakes
