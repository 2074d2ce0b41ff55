"""QlikClient against the sandbox tenant over real TLS on loopback: one test per outcome."""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from qlik_tui.core import errors
from qlik_tui.core.apikey import make_fake_key, parse_key
from qlik_tui.core.client import (
    USER_AGENT,
    ClientSettings,
    Deadline,
    QlikClient,
    make_http_client,
    parse_retry_after,
)
from qlik_tui.core.models import User
from qlik_tui.core.outcomes import OutcomeKind, Verdict, outcome_from_error
from qlik_tui.core.responses import ApiResult
from qlik_tui.core.tenant import Tenant, parse_tenant
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.hostile import (
    HOSTILE_REDIRECT_HOST,
    HOSTILE_REDIRECT_HOST_RAW,
    HostileSandbox,
)
from tests.fixtures.ports import refused_port
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.tls import TlsCa

MB = 1024 * 1024


async def me(
    tenant: Tenant,
    key: str,
    settings: ClientSettings | None = None,
    http: httpx.AsyncClient | None = None,
) -> ApiResult[User]:
    async with QlikClient(tenant, parse_key(key), settings=settings, http=http) as client:
        return await client.me()


async def me_fails(
    tenant: Tenant, key: str, settings: ClientSettings | None = None
) -> errors.QlikError:
    with pytest.raises(errors.QlikError) as caught:
        await me(tenant, key, settings)
    exc = caught.value
    assert_key_free(exc, key)
    return exc


def assert_key_free(exc: BaseException, key: str) -> None:
    """Nothing reachable from the exception shows the key: no cause, no context, no text."""
    assert exc.__cause__ is None
    assert exc.__context__ is None
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text += repr(exc) + str(exc) + repr(vars(exc))
    assert key not in text
    assert key.split(".")[2] not in text  # not even the signature


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Synchronise with the sandbox's thread (no timing is asserted)."""
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"sandbox never got there: {what}")
        time.sleep(0.02)


# --- valid -------------------------------------------------------------------------------


async def test_valid_key_follows_the_same_origin_redirect_with_the_key(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    key = sandbox.issue_key("valid", user="admin")
    result = await me(sandbox_tenant, key)

    assert result.status_code == 200
    assert result.value.name == "Ada Sandbox"
    assert result.value.tenant_id == sandbox.tenant_id
    assert result.value.is_tenant_admin
    assert result.url == f"{sandbox.origin}/api/v1/users/{sandbox.admin.id}"
    assert result.latency_ms > 0
    assert result.rate_limit_waited_s == 0
    first, second = sandbox.requests
    assert (first.path, first.status) == ("/api/v1/users/me", 301)
    assert (second.path, second.status) == (f"/api/v1/users/{sandbox.admin.id}", 200)
    key_id = parse_key(key).info.key_id
    assert first.authorization and second.authorization
    assert first.key_id == second.key_id == key_id
    assert sandbox.connections == 1  # the redirect reused the kept-alive TLS connection


async def test_requests_carry_accept_and_user_agent(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    await me(sandbox_tenant, sandbox.issue_key())
    headers = sandbox.requests[0].headers
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == USER_AGENT
    assert re.fullmatch(r"qlik-tui/\d+\.\d+\.\d+\S* \([a-z0-9]+\)", USER_AGENT)


async def test_plain_user_is_not_tenant_admin(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    result = await me(sandbox_tenant, sandbox.issue_key(user="user"))
    assert result.value.id == sandbox.user.id
    assert not result.value.is_tenant_admin


async def test_relative_same_origin_location_is_followed(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault(
        "offsite_redirect", count=1, target="", location=f"/api/v1/users/{sandbox.admin.id}"
    )
    result = await me(sandbox_tenant, sandbox.issue_key())
    assert result.value.id == sandbox.admin.id
    assert [r.authorization for r in sandbox.requests] == [True, True]


# --- the key is rejected -----------------------------------------------------------------


async def test_unknown_key_gets_401_with_string_status_envelope(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    key = make_fake_key(
        key_id="9e0c8a4e-1111-4222-8333-444455556666", tenant_id=sandbox.tenant_id, sub="nobody"
    )
    exc = await me_fails(sandbox_tenant, key)

    assert isinstance(exc, errors.KeyRejected)
    assert exc.status_code == 401
    assert exc.envelope is not None
    assert exc.envelope.errors[0].status == 401  # sent as the string "401"
    assert exc.envelope.errors[0].title == "Authorization Required"
    assert exc.envelope.trace_id
    outcome = outcome_from_error(exc, tenant=sandbox_tenant, key_info=parse_key(key).info)
    assert outcome.kind is OutcomeKind.KEY_REJECTED
    assert outcome.verdict is Verdict.REJECTED
    assert outcome.server_message == "Authorization Required"
    assert outcome.latency_ms is not None and outcome.latency_ms > 0


async def test_missing_key_is_rejected_too(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    async with make_http_client() as http:
        response = await http.get(f"{sandbox.origin}/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == "401"
    assert sandbox.requests[0].authorization is False


async def test_key_of_another_tenant(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    key = sandbox.issue_key("other-tenant")
    info = parse_key(key).info
    exc = await me_fails(sandbox_tenant, key)

    assert isinstance(exc, errors.KeyRejected)
    outcome = outcome_from_error(
        exc, tenant=sandbox_tenant, key_info=info, expected_tenant_id=sandbox.tenant_id
    )
    assert outcome.kind is OutcomeKind.KEY_OTHER_TENANT
    assert info.tenant_id is not None and info.tenant_id != sandbox.tenant_id
    assert info.tenant_id in outcome.cause
    assert sandbox.tenant_id in outcome.cause


@pytest.mark.parametrize(
    ("kind", "status", "outcome_kind"),
    [
        ("revoked", "revoked", OutcomeKind.KEY_REVOKED),
        ("expired", "expired", OutcomeKind.KEY_EXPIRED),
    ],
)
async def test_revoked_and_expired_keys_are_told_apart_by_the_key_record(
    sandbox: FaultySandbox,
    sandbox_tenant: Tenant,
    kind: str,
    status: str,
    outcome_kind: OutcomeKind,
) -> None:
    bad_key = sandbox.issue_key(kind)
    exc = await me_fails(sandbox_tenant, bad_key)
    assert isinstance(exc, errors.KeyRejected)

    # The server does not say why; an admin key can look the bad key up.
    key_id = parse_key(bad_key).info.key_id
    assert key_id is not None
    async with QlikClient(sandbox_tenant, parse_key(sandbox.issue_key())) as admin:
        record = (await admin.api_key(key_id)).value
    assert record.status == status
    outcome = outcome_from_error(
        exc, tenant=sandbox_tenant, key_info=parse_key(bad_key).info, key_record=record
    )
    assert outcome.kind is outcome_kind
    assert outcome.verdict is Verdict.REJECTED
    assert key_id in outcome.cause


async def test_key_expiring_while_in_use_starts_failing(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    key = sandbox.issue_key(expires_in=timedelta(seconds=-1))
    exc = await me_fails(sandbox_tenant, key)
    assert isinstance(exc, errors.KeyRejected)


# --- 403 / 404 / other statuses ------------------------------------------------------------


async def test_forbidden_on_users_me(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("forbidden_me")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.Forbidden)
    assert exc.envelope is not None and exc.envelope.errors[0].status == 403  # an integer
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.FORBIDDEN
    assert outcome.verdict is Verdict.REJECTED


async def test_config_is_forbidden_for_plain_users(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    async with QlikClient(sandbox_tenant, parse_key(sandbox.issue_key(user="user"))) as client:
        with pytest.raises(errors.Forbidden):
            await client.api_key_config(sandbox.tenant_id)


async def test_host_that_is_not_a_tenant_gives_404(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("not_found")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.NotFound)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.NOT_FOUND
    assert outcome.verdict is Verdict.INCONCLUSIVE


async def test_unknown_key_id_gives_404(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    async with QlikClient(sandbox_tenant, parse_key(sandbox.issue_key())) as client:
        with pytest.raises(errors.NotFound) as caught:
            await client.api_key("no-such-key")
    assert caught.value.status_code == 404


async def test_unexpected_status(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("status", status=418)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert type(exc) is errors.StatusError
    assert exc.status_code == 418
    assert outcome_from_error(exc).kind is OutcomeKind.UNEXPECTED_STATUS


async def test_server_error_with_envelope(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("status_500")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ServerError)
    assert exc.status_code == 500
    assert exc.envelope is not None
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.SERVER_ERROR
    assert outcome.title == "Server error (500)"
    assert outcome.verdict is Verdict.INCONCLUSIVE


async def test_gateway_html_502(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("html_502")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ServerError)
    assert exc.status_code == 502
    assert exc.envelope is None
    assert outcome_from_error(exc).kind is OutcomeKind.SERVER_ERROR


# --- malformed and oversized answers -------------------------------------------------------


async def test_truncated_json(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("malformed_json")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert type(exc) is errors.MalformedResponse
    assert exc.status_code == 200
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.MALFORMED_RESPONSE
    assert "not JSON" in outcome.cause


@pytest.mark.parametrize("body", ["[]", '{"id": 7}', '"user"', "{}"])
async def test_json_of_the_wrong_shape(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, body: str
) -> None:
    sandbox.set_fault("wrong_shape", body=body)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert type(exc) is errors.MalformedResponse
    assert exc.status_code == 200


@pytest.mark.parametrize("declare_length", [True, False])
async def test_50_mb_answer_is_refused_without_reading_it(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, declare_length: bool
) -> None:
    sandbox.set_fault("oversized", mb=50, declare_length=declare_length)
    settings = ClientSettings(max_body_bytes=MB)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key(), settings)

    assert isinstance(exc, errors.ResponseTooLarge)
    assert exc.limit == MB
    if declare_length:
        assert exc.declared == 50 * MB
        assert exc.received == 0  # refused on Content-Length alone
    else:
        assert MB < exc.received < 2 * MB  # stopped right after the limit
    record = sandbox.requests[-1]
    wait_until(lambda: record.completed, "the oversized answer ended")
    assert record.body_bytes_sent < 25 * MB  # the sender was cut off, far from 50 MB
    assert outcome_from_error(exc).kind is OutcomeKind.RESPONSE_TOO_LARGE


# --- redirects -----------------------------------------------------------------------------


async def test_offsite_redirect_is_not_followed_and_the_key_goes_nowhere(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, offsite_recorder: OffsiteRecorder
) -> None:
    sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())

    assert isinstance(exc, errors.OffsiteRedirect)
    assert exc.target_host == f"{offsite_recorder.host}:{offsite_recorder.port}"
    assert offsite_recorder.connections == 0
    assert offsite_recorder.requests == []
    assert [r.path for r in sandbox.requests] == ["/api/v1/users/me"]
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.OFFSITE_REDIRECT
    assert exc.target_host in outcome.cause
    assert "NOT sent" in outcome.cause


async def test_redirect_to_plain_http_on_the_same_host_is_offsite(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    location = f"http://{sandbox.host}:{sandbox.port}/api/v1/users/{sandbox.admin.id}"
    sandbox.set_fault("offsite_redirect", target="", location=location)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.OffsiteRedirect)
    assert len(sandbox.requests) == 1


async def test_redirect_from_https_to_http_on_the_same_host_is_a_downgrade(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    location = f"http://{sandbox.host}:{sandbox.port}/api/v1/users/{sandbox.admin.id}"
    sandbox.set_fault("offsite_redirect", target="", location=location)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.DowngradeRedirect)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.REDIRECT_DOWNGRADE
    assert outcome.title == "Redirect to unencrypted HTTP"
    assert "downgrade" in outcome.cause and "another host" not in outcome.title
    assert f"http://{sandbox.host}:{sandbox.port}" in outcome.cause


@pytest.mark.parametrize("sent_as", ["punycode", "utf-8"])
async def test_redirect_to_a_lookalike_host_shows_its_punycode(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, sent_as: str
) -> None:
    lookalike = "qlikcl\u043eud.com"  # a Cyrillic "o"
    punycode = "acme.eu." + lookalike.encode("idna").decode("ascii")
    host = punycode if sent_as == "punycode" else f"acme.eu.{lookalike}"
    location = f"https://{host}/api/v1/users/x".encode().decode("latin-1")  # the bytes sent
    sandbox.set_fault("offsite_redirect", target="", location=location)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.LookalikeRedirect)
    assert exc.target_host == punycode
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.LOOKALIKE_REDIRECT
    assert punycode in outcome.cause and lookalike not in outcome.cause
    assert "differs from the tenant's host" in outcome.cause
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize("host", [HOSTILE_REDIRECT_HOST_RAW, HOSTILE_REDIRECT_HOST])
async def test_redirect_to_a_hostile_host_is_an_offsite_redirect_shown_escaped(
    hostile_sandbox: HostileSandbox, host: str
) -> None:
    hostile_sandbox.redirect_host = host
    tenant = parse_tenant(hostile_sandbox.origin)
    exc = await me_fails(tenant, hostile_sandbox.issue_key())
    assert isinstance(exc, errors.OffsiteRedirect)
    outcome = outcome_from_error(exc, tenant=tenant)
    assert outcome.kind is OutcomeKind.OFFSITE_REDIRECT
    text = outcome.title + outcome.cause + outcome.next_step
    if host == HOSTILE_REDIRECT_HOST_RAW:
        assert "evil\\x9b31m\\u202e\\u2066" in text
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2066" for c in text)


async def test_redirect_back_to_the_same_url(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("redirect_loop")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.RedirectLoop)
    assert len(sandbox.requests) == 1  # a redirect to an address already visited: no repeat
    assert outcome_from_error(exc).kind is OutcomeKind.REDIRECT_LOOP


async def test_endless_redirect_chain_stops_at_max_redirects(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("redirect_loop", growing=True)
    settings = ClientSettings(max_redirects=3)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key(), settings)
    assert isinstance(exc, errors.RedirectLoop)
    assert exc.max_redirects == 3
    assert len(sandbox.requests) == 4  # the first request and three redirects
    assert all(r.authorization for r in sandbox.requests)


# --- rate limits ---------------------------------------------------------------------------


async def test_429_then_success_reports_the_wait(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("rate_limit", count=1, retry_after=1)
    result = await me(sandbox_tenant, sandbox.issue_key())
    assert result.value.id == sandbox.admin.id
    assert result.rate_limit_waited_s >= 1
    assert [r.status for r in sandbox.requests] == [429, 301, 200]


async def test_429_beyond_the_longest_wait_is_not_waited_for(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("rate_limit", retry_after=60)
    settings = ClientSettings(max_retry_wait=30)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key(), settings)
    assert isinstance(exc, errors.RateLimited)
    assert exc.retry_after == 60
    assert exc.rate_limit_waited_s == 0
    assert len(sandbox.requests) == 1
    assert exc.envelope is not None and exc.envelope.summary is not None
    assert "wait 60 seconds" in exc.envelope.summary
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.RATE_LIMITED
    assert "60 s" in outcome.cause


async def test_429_wait_past_the_deadline_is_refused_and_reported(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("rate_limit", retry_after=30)
    key = parse_key(sandbox.issue_key())
    deadline = Deadline.after(10)
    async with QlikClient(sandbox_tenant, key, deadline=deadline) as client:
        with pytest.raises(errors.RateLimitWaitRefused) as caught:
            await client.me()
    exc = caught.value
    assert exc.rate_limit_waited_s == 0 and exc.retry_after == 30
    assert len(sandbox.requests) == 1
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.RATE_LIMIT_WAIT_REFUSED
    assert "asked to wait 30 s; the check did not wait that long" in outcome.cause
    assert "must finish within 10 s" in outcome.cause
    assert "--deadline" in outcome.next_step


async def test_429_retries_are_bounded(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("rate_limit", retry_after=0)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key(), ClientSettings(max_retries=2))
    assert isinstance(exc, errors.RateLimited)
    assert len(sandbox.requests) == 3  # the request and two retries


async def test_429_without_retry_after_uses_the_default_backoff(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.set_fault("rate_limit_no_retry_after", count=1)
    settings = ClientSettings(default_retry_wait=0.25)
    result = await me(sandbox_tenant, sandbox.issue_key(), settings)
    assert result.rate_limit_waited_s == 0.25
    assert result.value.id == sandbox.admin.id


def test_retry_after_forms() -> None:
    now = datetime(2026, 5, 1, 10, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("13") == 13
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Fri, 01 May 2026 10:00:20 GMT", now=now) == 20
    assert parse_retry_after("Fri, 01 May 2026 09:00:00 GMT", now=now) == 0
    for junk in (None, "", "-3", "soon", "nan", "inf"):
        assert parse_retry_after(junk, now=now) is None


# --- transport failures --------------------------------------------------------------------


async def test_dns_failure_stays_on_this_machine(tls_ca: TlsCa) -> None:
    # A 64-character label cannot be put in a DNS query: the resolver fails before sending
    # anything (checked with strace), unlike a `.invalid` name, which is still sent to the
    # configured name server.
    host = "a" * 64 + ".eu.qlikcloud.invalid"
    tenant = Tenant("https", host, None, "eu", "Europe", True, False, False)
    key = make_fake_key(key_id="k-dns", tenant_id="t", sub="s")
    exc = await me_fails(tenant, key)
    assert isinstance(exc, errors.DNSFailure)
    outcome = outcome_from_error(exc, tenant=tenant)
    assert outcome.kind is OutcomeKind.DNS_FAILURE
    assert "region part (here: eu)" in outcome.cause


async def test_connection_refused(tls_ca: TlsCa) -> None:
    tenant = parse_tenant(f"https://127.0.0.1:{refused_port()}")
    exc = await me_fails(tenant, make_fake_key(key_id="k", tenant_id="t", sub="s"))
    assert isinstance(exc, errors.ConnectionRefused)
    assert outcome_from_error(exc).kind is OutcomeKind.CONNECTION_REFUSED


async def test_certificate_from_an_untrusted_ca(tls_ca: TlsCa) -> None:
    stranger = trustme.CA()  # e.g. a corporate proxy's CA, not in SSL_CERT_FILE
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    stranger.issue_cert("127.0.0.1").configure_cert(context)
    with FaultySandbox(ssl_context=context) as untrusted:
        tenant = parse_tenant(untrusted.origin)
        exc = await me_fails(tenant, untrusted.issue_key())
        assert untrusted.requests == []  # no request got through the failed handshake
    assert isinstance(exc, errors.TLSFailure)
    assert exc.reason == "unable to get local issuer certificate"
    outcome = outcome_from_error(exc, tenant=tenant)
    assert outcome.kind is OutcomeKind.TLS_FAILURE
    assert "unable to get local issuer certificate" in outcome.cause
    assert "SSL_CERT_FILE" in outcome.next_step


async def test_certificate_for_another_host(tls_ca: TlsCa) -> None:
    with FaultySandbox(ssl_context=tls_ca.server_context_for("tenant.example")) as mismatched:
        exc = await me_fails(parse_tenant(mismatched.origin), mismatched.issue_key())
        assert mismatched.requests == []
    assert isinstance(exc, errors.TLSFailure)
    assert exc.reason is not None and "mismatch" in exc.reason


async def test_ssl_cert_file_is_what_makes_the_sandbox_trusted(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.TLSFailure)


async def test_unreadable_ssl_cert_file_is_that_settings_problem(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "corp-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.CaCertificatesUnreadable)
    assert str(missing) in str(exc)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.CA_CERTIFICATES_UNREADABLE
    assert "SSL_CERT_FILE" in outcome.title
    assert str(missing) in outcome.cause and "No such file" in outcome.cause
    assert "Point SSL_CERT_FILE at a readable PEM file" in outcome.next_step
    assert sandbox.requests == []


async def test_plain_http_port_reached_with_https_does_not_speak_https(tls_ca: TlsCa) -> None:
    with OffsiteRecorder("127.0.0.1") as plain_http:  # answers plain HTTP, no TLS
        tenant = parse_tenant(f"https://127.0.0.1:{plain_http.port}")
        exc = await me_fails(tenant, make_fake_key(key_id="k", tenant_id="t", sub="s"))
    assert isinstance(exc, errors.NotHttps)
    outcome = outcome_from_error(exc, tenant=tenant)
    assert outcome.kind is OutcomeKind.NOT_HTTPS
    assert outcome.title == "Port does not speak HTTPS"
    assert "not HTTPS" in outcome.cause and "certificate" not in outcome.cause
    assert "port 443" in outcome.next_step


def no_proxy_bypass(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("socks5://127.0.0.1:1080", "socksio"),
        ("http://127.0.0.1:99999", "out of range"),
        (":::", "not an address"),
        ("ftp://127.0.0.1:21", "not a proxy scheme"),
        ("http://[bad", "no usable host"),
    ],
)
async def test_unusable_proxy_setting_is_named_with_its_fix(
    sandbox: FaultySandbox,
    sandbox_tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    reason: str,
) -> None:
    no_proxy_bypass(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", value)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ProxySettingInvalid)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.PROXY_SETTING_INVALID
    assert outcome.title == "Proxy setting unusable (HTTPS_PROXY)"
    assert reason in outcome.cause
    assert "Set HTTPS_PROXY to the proxy's address" in outcome.next_step
    assert sandbox.requests == []


async def test_refusing_proxy_is_a_proxy_failure(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_proxy_bypass(monkeypatch)
    port = refused_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:secret@127.0.0.1:{port}")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ProxyFailure)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.PROXY_FAILED
    assert outcome.title == "Proxy failed"
    assert f"The proxy http://127.0.0.1:{port} (from HTTPS_PROXY)" in outcome.cause
    assert "refused" in outcome.cause
    assert "secret" not in outcome.cause + outcome.next_step + str(exc)
    assert "Check HTTPS_PROXY" in outcome.next_step


async def test_proxy_name_that_does_not_resolve_blames_the_proxy_not_the_tenant(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_proxy_bypass(monkeypatch)
    # like HTTPS_PROXY=notaurl, but a 64-character label fails before any DNS query leaves
    monkeypatch.setenv("HTTPS_PROXY", "n" * 64)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ProxyFailure)
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.PROXY_FAILED
    assert "(from HTTPS_PROXY)" in outcome.cause and "host name was not found" in outcome.cause
    assert "Hostname not found" not in outcome.title


async def test_read_timeout(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("slow", delay=3)
    exc = await me_fails(sandbox_tenant, sandbox.issue_key(), ClientSettings(read_timeout=0.2))
    assert isinstance(exc, errors.RequestTimedOut)
    assert exc.phase == "read"
    outcome = outcome_from_error(exc, tenant=sandbox_tenant)
    assert outcome.kind is OutcomeKind.TIMEOUT
    assert "read timeout after 0.2 s" in outcome.cause


async def test_connection_reset_mid_answer(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    sandbox.set_fault("reset")
    exc = await me_fails(sandbox_tenant, sandbox.issue_key())
    assert isinstance(exc, errors.ConnectionReset)
    assert outcome_from_error(exc).kind is OutcomeKind.CONNECTION_RESET


async def test_proxy_variables_are_honoured(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OffsiteRecorder("127.0.0.1") as proxy:  # plain HTTP, refuses to tunnel
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.origin)
        exc = await me_fails(sandbox_tenant, sandbox.issue_key())
        connects = proxy.requests
    assert isinstance(exc, errors.NetworkFailure)
    assert [(r.method, r.path) for r in connects] == [("CONNECT", f"{sandbox.host}:{sandbox.port}")]
    assert not connects[0].authorization  # the key only ever travels inside the tunnel
    assert sandbox.requests == []


# --- API key endpoints ---------------------------------------------------------------------


async def test_own_key_record(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    key = parse_key(sandbox.issue_key(user="user"))
    assert key.info.key_id is not None
    async with QlikClient(sandbox_tenant, key) as client:
        record = (await client.api_key(key.info.key_id)).value
    assert record.id == key.info.key_id
    assert record.status == "active"
    assert record.tenant_id == sandbox.tenant_id
    assert record.sub == sandbox.user.id
    assert record.expiry is not None and record.expiry > datetime.now(timezone.utc)


async def test_list_follows_next_pages(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    admin_key = sandbox.issue_key()
    for _ in range(6):
        sandbox.issue_key()
    sandbox.issue_key("revoked")
    sandbox.issue_key(user="user")
    async with QlikClient(sandbox_tenant, parse_key(admin_key)) as client:
        result = await client.list_api_keys(sub=sandbox.admin.id, limit=3)
    assert len(result.value) == 7
    assert {r.status for r in result.value} == {"active"}
    assert {r.sub for r in result.value} == {sandbox.admin.id}
    assert result.complete
    pages = [r for r in sandbox.requests if r.path == "/api/v1/api-keys"]
    assert len(pages) == 3
    assert all(r.authorization for r in pages)


async def test_429_retry_keeps_the_query(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    admin_key = sandbox.issue_key()
    sandbox.issue_key(user="user")
    sandbox.set_fault("rate_limit", count=1, retry_after=0)
    async with QlikClient(sandbox_tenant, parse_key(admin_key)) as client:
        result = await client.list_api_keys(sub=sandbox.admin.id)
    assert [r.sub for r in result.value] == [sandbox.admin.id]
    first, retry = sandbox.requests
    assert first.status == 429
    assert retry.query == first.query
    assert f"sub={sandbox.admin.id}" in retry.query


async def test_list_paging_is_bounded(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    admin_key = sandbox.issue_key()
    for _ in range(6):
        sandbox.issue_key()
    async with QlikClient(
        sandbox_tenant, parse_key(admin_key), settings=ClientSettings(max_pages=2)
    ) as client:
        result = await client.list_api_keys(limit=2)
    assert len(result.value) == 4
    assert not result.complete


async def test_key_config_for_admins(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    async with QlikClient(sandbox_tenant, parse_key(sandbox.issue_key())) as client:
        config = (await client.api_key_config(sandbox.tenant_id)).value
    assert config.max_api_key_expiry == "PT24H"
    assert config.max_keys_per_user == 5


# --- sharing, secrets, layering ------------------------------------------------------------


async def test_one_shared_http_client_serves_many_keys(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    keys = [sandbox.issue_key(), sandbox.issue_key(user="user")]
    async with make_http_client(ClientSettings()) as http:
        assert "authorization" not in http.headers
        users = [(await me(sandbox_tenant, key, http=http)).value.id for key in keys]
        assert not http.is_closed  # QlikClient leaves a shared client open
    assert users == [sandbox.admin.id, sandbox.user.id]
    key_ids = [parse_key(k).info.key_id for k in keys]
    assert [r.key_id for r in sandbox.requests] == [key_ids[0]] * 2 + [key_ids[1]] * 2


def test_client_repr_hides_the_key(sandbox_tenant: Tenant, sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key()
    text = repr(QlikClient(sandbox_tenant, parse_key(key)))
    assert key not in text
    assert key.split(".")[2] not in text


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("status_500", {}),
        ("malformed_json", {}),
        ("reset", {}),
        ("oversized", {"mb": 5}),
        ("redirect_loop", {}),
        ("rate_limit", {"retry_after": 99}),
    ],
)
async def test_no_failure_carries_the_key(
    sandbox: FaultySandbox, sandbox_tenant: Tenant, fault: str, params: dict[str, Any]
) -> None:
    sandbox.set_fault(fault, **params)
    key = sandbox.issue_key()
    exc = await me_fails(sandbox_tenant, key)  # me_fails checks text, cause and context
    outcome = outcome_from_error(exc, tenant=sandbox_tenant, key_info=parse_key(key).info)
    assert key not in repr(outcome) + outcome.cause + outcome.next_step


def test_core_client_imports_neither_textual_nor_keyring() -> None:
    code = (
        "import sys, qlik_tui.core.client, qlik_tui.core.outcomes, qlik_tui.core.models;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'keyring')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
