"""HTTP/2 and HTTP/1.1 tenants: the client speaks HTTP/2 where the tenant offers it (one
connection for everything in flight), HTTP/1.1 where it does not, with the same answers,
diagnoses and redirect rules on both. The protocol is read from the sandbox's request log."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from qlik_tui.core import errors
from qlik_tui.core.apikey import parse_key
from qlik_tui.core.client import ClientSettings, QlikClient, make_http_client
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.core.transport import http2_available
from qlik_tui.sandbox.exchange import HTTP1, HTTP2
from qlik_tui.sandbox.tenant import API
from qlik_tui.services.verify import verify_key
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.proving import protocols, until, verify
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.services import TEST_SETTINGS

MB = 1024 * 1024


@pytest.fixture(params=[HTTP2, HTTP1])
def tenant(request: pytest.FixtureRequest) -> FaultySandbox:
    """A tenant offering HTTP/2 (and HTTP/1.1), then one offering HTTP/1.1 only."""
    fixture = "sandbox" if request.param == HTTP2 else "http1_sandbox"
    running: FaultySandbox = request.getfixturevalue(fixture)
    return running


def test_the_client_can_speak_http2() -> None:
    # h2 is a runtime dependency: without it every check of many keys pays a handshake each
    assert http2_available()


async def test_a_check_over_each_kind_of_tenant_is_correct(
    tenant: FaultySandbox, request: pytest.FixtureRequest
) -> None:
    key_text = tenant.issue_key()
    report = await verify(tenant, key_text)

    assert report.outcome.kind is OutcomeKind.VALID
    assert report.user is not None and report.user.id == tenant.admin.id
    assert report.key_record is not None and report.key_record.id == parse_key(key_text).key_id
    wanted = request.node.callspec.params["tenant"]
    assert protocols(tenant) == {wanted}
    assert len(tenant.requests) == 2 and all(r.status == 200 for r in tenant.requests)


async def test_each_kind_of_tenant_rejects_a_revoked_key(tenant: FaultySandbox) -> None:
    report = await verify(tenant, tenant.issue_key("revoked"))
    assert report.outcome.kind is OutcomeKind.KEY_REJECTED
    assert report.outcome.http_status == 401 and report.outcome.server_message
    assert len(protocols(tenant)) == 1


async def test_over_http1_the_same_proof_takes_a_connection_per_request(
    http1_sandbox: FaultySandbox,
) -> None:
    report = await verify(http1_sandbox, http1_sandbox.issue_key())
    assert report.outcome.kind is OutcomeKind.VALID
    assert protocols(http1_sandbox) == {HTTP1}
    assert http1_sandbox.connections == 2  # the two requests were in flight together


async def test_many_checks_over_http2_share_one_connection(sandbox: FaultySandbox) -> None:
    keys = [sandbox.issue_key() for _ in range(30)]
    tenant = parse_tenant(sandbox.origin)
    async with make_http_client(TEST_SETTINGS) as http:
        reports = await asyncio.gather(
            *(verify_key(tenant, parse_key(k), settings=TEST_SETTINGS, http=http) for k in keys)
        )
    assert {r.outcome.kind for r in reports} == {OutcomeKind.VALID}
    assert protocols(sandbox) == {HTTP2}
    assert sandbox.connections == 1
    assert sandbox.max_in_flight > 1  # they were in flight together, not one after another


async def test_past_100_streams_in_flight_the_requests_spread_over_more_connections(
    tenant: FaultySandbox,
) -> None:
    # 120 keys' 240 requests, every answer held until all are in flight: over HTTP/2 a
    # connection carries at most 100 streams, so three connections take them at once; over
    # HTTP/1.1 never more than max_in_flight (connections) at once.
    keys = [tenant.issue_key() for _ in range(120)]
    tenant.set_fault("hold_answer", delay=30)
    settings = TEST_SETTINGS
    parsed = parse_tenant(tenant.origin)
    async with make_http_client(settings) as http:
        checks = asyncio.gather(
            *(verify_key(parsed, parse_key(k), settings=settings, http=http) for k in keys)
        )
        limit = 240 if tenant.http2 else settings.max_in_flight
        await until(lambda: tenant.in_flight >= limit, f"{limit} requests in flight")
        in_flight_together = tenant.in_flight
        tenant.release_held()
        reports = await checks
    assert {r.outcome.kind for r in reports} == {OutcomeKind.VALID}
    if tenant.http2:
        assert protocols(tenant) == {HTTP2}
        assert in_flight_together == 240
        assert tenant.connections == 3
    else:
        assert protocols(tenant) == {HTTP1}
        assert in_flight_together == settings.max_in_flight == tenant.max_in_flight
        assert tenant.connections == settings.max_in_flight


async def test_an_offsite_redirect_is_refused_over_http2(
    sandbox: FaultySandbox, offsite_recorder: OffsiteRecorder
) -> None:
    sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
    report = await verify(sandbox, sandbox.issue_key())
    assert report.outcome.kind is OutcomeKind.OFFSITE_REDIRECT
    assert protocols(sandbox) == {HTTP2}
    assert offsite_recorder.connections == 0 and offsite_recorder.requests == []


async def test_a_downgrade_redirect_is_refused_over_http2(sandbox: FaultySandbox) -> None:
    plain = sandbox.origin.replace("https://", "http://")
    location = f"{plain}{API}/users/{sandbox.admin.id}"
    sandbox.set_fault("offsite_redirect", target=plain, location=location)
    report = await verify(sandbox, sandbox.issue_key())
    assert report.outcome.kind is OutcomeKind.REDIRECT_DOWNGRADE
    assert protocols(sandbox) == {HTTP2}
    assert report.user is None


async def test_users_me_redirect_is_followed_on_the_same_connection(
    tenant: FaultySandbox,
) -> None:
    async with QlikClient(parse_tenant(tenant.origin), parse_key(tenant.issue_key())) as client:
        result = await client.me()
    assert result.value.id == tenant.admin.id
    assert [(r.path, r.status) for r in tenant.requests] == [
        (f"{API}/users/me", 301),
        (f"{API}/users/{tenant.admin.id}", 200),
    ]
    assert tenant.connections == 1


# -- the sandbox's faults, the same on both kinds of tenant -------------------------------------

Call = Callable[[QlikClient], Awaitable[Any]]


async def fails(sandbox: FaultySandbox, call: Call, settings: ClientSettings) -> Exception:
    key = parse_key(sandbox.issue_key())
    async with QlikClient(parse_tenant(sandbox.origin), key, settings=settings) as client:
        with pytest.raises(errors.QlikError) as caught:
            await call(client)
    return caught.value


async def test_a_reset_mid_answer_is_a_reset_connection(tenant: FaultySandbox) -> None:
    tenant.set_fault("reset")
    failure = await fails(tenant, lambda c: c.me(), TEST_SETTINGS)
    assert isinstance(failure, errors.ConnectionReset)


@pytest.mark.parametrize("declare_length", [True, False])
async def test_an_oversized_answer_is_refused_without_reading_it(
    tenant: FaultySandbox, declare_length: bool
) -> None:
    tenant.set_fault("oversized", mb=50, declare_length=declare_length)
    failure = await fails(tenant, lambda c: c.me(), TEST_SETTINGS)
    assert isinstance(failure, errors.ResponseTooLarge)
    sent = tenant.requests[0].body_bytes_sent
    assert sent < 50 * MB  # the sandbox stopped sending when the client stopped reading
    assert failure.received <= TEST_SETTINGS.max_body_bytes + 64 * 1024


async def test_a_429_is_waited_for_and_retried(tenant: FaultySandbox) -> None:
    tenant.set_fault("rate_limit", count=1, retry_after=0)
    async with QlikClient(parse_tenant(tenant.origin), parse_key(tenant.issue_key())) as client:
        result = await client.me()
    assert result.value.id == tenant.admin.id
    assert [r.status for r in tenant.requests] == [429, 301, 200]


async def test_a_slow_answer_times_out(tenant: FaultySandbox) -> None:
    tenant.set_fault("slow", delay=5.0)
    settings = ClientSettings(read_timeout=0.3)
    failure = await fails(tenant, lambda c: c.me(), settings)
    assert isinstance(failure, errors.RequestTimedOut) and failure.phase == "read"


async def test_a_lost_answer_of_a_create_is_a_reset_after_the_tenant_acted(
    tenant: FaultySandbox,
) -> None:
    tenant.set_fault("lost_answer", method="POST")
    failure = await fails(tenant, lambda c: c.create_api_key("lost"), TEST_SETTINGS)
    assert isinstance(failure, errors.ConnectionReset)
    assert len(tenant.key_ids("admin")) == 2  # the key issued here and the one it created


async def test_a_gateway_html_page_is_a_server_error(tenant: FaultySandbox) -> None:
    tenant.set_fault("html_502")
    failure = await fails(tenant, lambda c: c.me(), TEST_SETTINGS)
    assert isinstance(failure, errors.ServerError) and failure.status_code == 502


async def test_a_post_body_arrives_whole(tenant: FaultySandbox) -> None:
    description = "x" * 70_000  # more than one HTTP/2 frame and the default window
    async with QlikClient(parse_tenant(tenant.origin), parse_key(tenant.issue_key())) as client:
        created = await client.create_api_key(description)
    assert tenant.key_record(created.value.record.id)["description"] == description


async def test_a_request_cancelled_anywhere_leaves_the_connection_usable(
    sandbox: FaultySandbox,
) -> None:
    # Over HTTP/2 one connection carries every request: a cancel (Ctrl-C, SIGTERM) landing
    # inside one of httpcore's writes would break it for the requests that follow (the
    # renewal's clean-up after an interrupted create is one of them).
    key = parse_key(sandbox.issue_key())
    async with make_http_client(TEST_SETTINGS) as http:
        client = QlikClient(parse_tenant(sandbox.origin), key, settings=TEST_SETTINGS, http=http)
        await client.me()
        for steps in range(16):  # every point of the create's exchange where a cancel may land
            sandbox.set_fault("slow", count=1, path=f"{API}/api-keys", method="POST", delay=0.5)
            creating = asyncio.ensure_future(client.create_api_key(f"cancelled {steps}"))
            for _ in range(steps):
                await asyncio.sleep(0)
            creating.cancel()
            with pytest.raises(asyncio.CancelledError):
                await creating
            listed = await client.list_api_keys()
            assert key.key_id in {record.id for record in listed.value}, steps
    assert protocols(sandbox) == {HTTP2}
    assert sandbox.connections == 1


def test_without_h2_the_client_speaks_http1_to_the_same_tenant(sandbox: FaultySandbox) -> None:
    # A machine where h2 cannot be imported (an old environment, a vendored copy without it).
    program = (
        "import asyncio, sys\n"
        "sys.modules['h2'] = None  # import h2 -> ImportError\n"
        "from qlik_tui.core.apikey import parse_key\n"
        "from qlik_tui.core.client import QlikClient\n"
        "from qlik_tui.core.tenant import parse_tenant\n"
        "async def main():\n"
        "    key = parse_key(sys.stdin.read().strip())\n"
        "    async with QlikClient(parse_tenant(sys.argv[1]), key) as client:\n"
        "        print((await client.me()).value.id)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, sandbox.origin],
        input=sandbox.issue_key(),  # the key on stdin, never in argv
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sandbox.admin.id
    assert protocols(sandbox) == {HTTP1}
