"""The outcome table: complete, consistent, and safe to render from any exception."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

from qlik_tui.core import errors
from qlik_tui.core.apikey import KeyInfo, make_fake_key, parse_key
from qlik_tui.core.models import ApiErrorItem, ApiKeyRecord, ErrorEnvelope, parse_error_envelope
from qlik_tui.core.outcomes import (
    OUTCOMES,
    Outcome,
    OutcomeKind,
    Verdict,
    key_store_context,
    make_outcome,
    outcome_from_error,
    outcome_table_markdown,
)
from qlik_tui.core.phrases import join_heading
from qlik_tui.core.tenant import parse_tenant

TENANT = parse_tenant("https://acme.eu.qlikcloud.com/hub/home")
SENTINEL_KEY = make_fake_key(
    key_id="0b8f6a2e-3c1d-4e5f-9a7b-1c2d3e4f5a6b",
    tenant_id="keyTenant0000000000000000000001",
    sub="637390ec6541614d3a88d6c1",
    signature=(b"SENTINEL-SIGNATURE-" * 6)[:96],
)
KEY_INFO = parse_key(SENTINEL_KEY).info
REJECTED = {
    OutcomeKind.KEY_REJECTED,
    OutcomeKind.KEY_OTHER_TENANT,
    OutcomeKind.KEY_REVOKED,
    OutcomeKind.KEY_EXPIRED,
    OutcomeKind.FORBIDDEN,
    OutcomeKind.KEY_NOT_STORED,
    OutcomeKind.STORED_KEY_INVALID,
    OutcomeKind.KEY_LIMIT_REACHED,
    OutcomeKind.KEY_CREATE_FORBIDDEN,
    OutcomeKind.EXPIRY_TOO_LONG,
    OutcomeKind.OAUTH_SECRET_REJECTED,
    OutcomeKind.OAUTH_CLIENT_UNAVAILABLE,
    OutcomeKind.OAUTH_M2M_NOT_ENABLED,
    OutcomeKind.OAUTH_CONSENT_NOT_TRUSTED,
    OutcomeKind.OAUTH_SCOPE_NOT_ALLOWED,
    OutcomeKind.OAUTH_SECRET_LIMIT_REACHED,
    OutcomeKind.KEY_ID_UNKNOWN,
    OutcomeKind.KEY_RENEWED_ELSEWHERE,
    OutcomeKind.STORED_KEY_MISMATCH,
}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def envelope(status: int, title: str) -> ErrorEnvelope:
    return ErrorEnvelope(errors=(ApiErrorItem(code=f"HTTP-{status}", title=title, status=status),))


def test_every_kind_has_exactly_one_row() -> None:
    assert set(OUTCOMES) == set(OutcomeKind)
    for kind, spec in OUTCOMES.items():
        assert spec.kind is kind
        assert spec.title and spec.cause and spec.next_step
        assert len(spec.mark) == 1


def test_verdicts_follow_the_exit_code_rules() -> None:
    for kind, spec in OUTCOMES.items():
        if kind is OutcomeKind.VALID:
            assert spec.verdict is Verdict.VALID
        elif kind in REJECTED:
            assert spec.verdict is Verdict.REJECTED, kind
        else:
            assert spec.verdict is Verdict.INCONCLUSIVE, kind


@pytest.mark.parametrize("kind", list(OutcomeKind))
def test_texts_render_without_context(kind: OutcomeKind) -> None:
    outcome = Outcome(kind)
    for text in (outcome.title, outcome.cause, outcome.next_step):
        assert not PLACEHOLDER.search(text), text


@pytest.mark.parametrize("kind", list(OutcomeKind))
def test_texts_render_with_full_context(kind: OutcomeKind) -> None:
    outcome = make_outcome(kind, tenant=TENANT, key_info=KEY_INFO, http_status=500, detail="x")
    for text in (outcome.title, outcome.cause, outcome.next_step):
        assert not PLACEHOLDER.search(text), text


def test_401_explains_the_2026_permission_change() -> None:
    cause = OUTCOMES[OutcomeKind.KEY_REJECTED].cause
    for phrase in ("expired", "revoked", "Manage API keys", "Developer", "2026"):
        assert phrase in cause


def test_tls_advice_uses_ssl_cert_file_and_never_disabling_verification() -> None:
    outcome = outcome_from_error(
        errors.TLSFailure("x", reason="unable to get local issuer certificate"), tenant=TENANT
    )
    assert "unable to get local issuer certificate" in outcome.cause
    assert "proxy" in outcome.cause
    assert "SSL_CERT_FILE" in outcome.next_step
    assert "Never turn certificate verification off" in outcome.next_step


def test_not_found_points_at_the_region() -> None:
    outcome = outcome_from_error(errors.NotFound(404, envelope(404, "Not Found")), tenant=TENANT)
    assert outcome.kind is OutcomeKind.NOT_FOUND
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert "region part (here: eu)" in outcome.cause
    assert outcome.http_status == 404


def test_dns_failure_names_host_and_region() -> None:
    outcome = outcome_from_error(errors.DNSFailure("no"), tenant=TENANT)
    assert "acme.eu.qlikcloud.com" in outcome.cause
    assert "region" in outcome.next_step


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (errors.KeyRejected(401, None), OutcomeKind.KEY_REJECTED),
        (errors.Forbidden(403, None), OutcomeKind.FORBIDDEN),
        (errors.NotFound(404, None), OutcomeKind.NOT_FOUND),
        (errors.RateLimited(429, None, 13.0), OutcomeKind.RATE_LIMITED),
        (errors.ServerError(502, None), OutcomeKind.SERVER_ERROR),
        (errors.StatusError(418, None), OutcomeKind.UNEXPECTED_STATUS),
        (errors.MalformedResponse("bad"), OutcomeKind.MALFORMED_RESPONSE),
        (errors.ResponseTooLarge(limit=1024), OutcomeKind.RESPONSE_TOO_LARGE),
        (
            errors.OffsiteRedirect("https://evil.example/x", "evil.example"),
            OutcomeKind.OFFSITE_REDIRECT,
        ),
        (errors.RedirectLoop("loop", max_redirects=5), OutcomeKind.REDIRECT_LOOP),
        (errors.NetworkFailure("x"), OutcomeKind.NETWORK_ERROR),
        (errors.DNSFailure("x"), OutcomeKind.DNS_FAILURE),
        (errors.ConnectionRefused("x"), OutcomeKind.CONNECTION_REFUSED),
        (errors.TLSFailure("x"), OutcomeKind.TLS_FAILURE),
        (errors.RequestTimedOut("x", phase="read", seconds=15), OutcomeKind.TIMEOUT),
        (errors.ConnectionReset("x"), OutcomeKind.CONNECTION_RESET),
        (asyncio.CancelledError(), OutcomeKind.CANCELLED),
        (KeyboardInterrupt(), OutcomeKind.CANCELLED),
    ],
)
def test_each_error_maps_to_its_row(exc: BaseException, kind: OutcomeKind) -> None:
    outcome = outcome_from_error(exc, tenant=TENANT, key_info=KEY_INFO)
    assert outcome.kind is kind
    assert not PLACEHOLDER.search(outcome.cause + outcome.next_step + outcome.title)


def test_other_tenant_names_both_ids() -> None:
    outcome = outcome_from_error(
        errors.KeyRejected(401, envelope(401, "Authorization Required")),
        tenant=TENANT,
        key_info=KEY_INFO,
        expected_tenant_id="hostTenant00000000000000000002",
    )
    assert outcome.kind is OutcomeKind.KEY_OTHER_TENANT
    assert outcome.verdict is Verdict.REJECTED
    assert "keyTenant0000000000000000000001" in outcome.cause
    assert "hostTenant00000000000000000002" in outcome.cause
    assert outcome.server_message == "Authorization Required"


def test_401_with_matching_tenant_stays_key_rejected() -> None:
    outcome = outcome_from_error(
        errors.KeyRejected(401, None),
        key_info=KEY_INFO,
        expected_tenant_id=KEY_INFO.tenant_id,
    )
    assert outcome.kind is OutcomeKind.KEY_REJECTED


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        (ApiKeyRecord(id="k1", status="revoked"), OutcomeKind.KEY_REVOKED),
        (ApiKeyRecord(id="k1", status="expired"), OutcomeKind.KEY_EXPIRED),
        (
            ApiKeyRecord(
                id="k1", status="active", expiry=datetime.now(timezone.utc) - timedelta(minutes=1)
            ),
            OutcomeKind.KEY_EXPIRED,
        ),
        (ApiKeyRecord(id="k1", status="active"), OutcomeKind.KEY_REJECTED),
    ],
)
def test_401_refined_by_the_key_record(record: ApiKeyRecord, kind: OutcomeKind) -> None:
    outcome = outcome_from_error(errors.KeyRejected(401, None), key_record=record)
    assert outcome.kind is kind


def test_a_401_is_only_refined_for_401s() -> None:
    outcome = outcome_from_error(
        errors.ServerError(500, None),
        key_info=KEY_INFO,
        expected_tenant_id="other",
        key_record=ApiKeyRecord(id="k1", status="revoked"),
    )
    assert outcome.kind is OutcomeKind.SERVER_ERROR


def test_rate_limited_tells_retry_after_and_wait() -> None:
    exc = errors.RateLimited(429, None, 13.0)
    exc.rate_limit_waited_s = 2.0
    exc.latency_ms = 2100.0
    outcome = outcome_from_error(exc, tenant=TENANT)
    assert "13 s" in outcome.cause
    assert "2 s" in outcome.cause
    assert outcome.rate_limit_waited_s == 2.0
    assert outcome.latency_ms == 2100.0


def test_offsite_redirect_names_host_and_says_key_not_sent() -> None:
    outcome = outcome_from_error(
        errors.OffsiteRedirect(
            "https://login.hotel-wifi.example/portal", "login.hotel-wifi.example"
        ),
        tenant=TENANT,
    )
    assert "login.hotel-wifi.example" in outcome.cause
    assert "NOT sent" in outcome.cause
    assert "captive portal" in outcome.cause


def test_server_error_title_has_status() -> None:
    outcome = outcome_from_error(errors.ServerError(503, None), tenant=TENANT)
    assert outcome.title == "Server error (503)"


def test_unexpected_exception_is_safe_and_hides_the_key() -> None:
    exc = RuntimeError(f"boom with Authorization: Bearer {SENTINEL_KEY}")
    outcome = outcome_from_error(exc, tenant=TENANT, key_info=KEY_INFO)
    assert outcome.kind is OutcomeKind.UNEXPECTED_ERROR
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert "RuntimeError" in outcome.cause
    rendered = repr(outcome) + outcome.title + outcome.cause + outcome.next_step
    assert SENTINEL_KEY not in rendered
    assert SENTINEL_KEY.split(".")[2] not in rendered


def test_exceptions_from_other_layers_can_name_their_row() -> None:
    class KeyringLocked(Exception):
        kind = OutcomeKind.KEYRING_UNAVAILABLE
        problem = "The keyring is locked."

    outcome = outcome_from_error(KeyringLocked("x"))
    assert outcome.kind is OutcomeKind.KEYRING_UNAVAILABLE
    assert "The keyring is locked" in outcome.cause


def test_broken_tenant_object_still_gives_an_outcome() -> None:
    class Broken:
        region = None

        @property
        def display_host(self) -> str:
            raise RuntimeError("nope")

        @property
        def origin(self) -> str:
            raise RuntimeError("nope")

    outcome = outcome_from_error(errors.DNSFailure("x"), tenant=Broken())  # type: ignore[arg-type]
    assert outcome.kind is OutcomeKind.DNS_FAILURE
    assert "the tenant" in outcome.cause


def test_make_outcome_fills_context() -> None:
    outcome = make_outcome(
        OutcomeKind.KEY_NOT_STORED, tenant=TENANT, backend="SecretService Keyring"
    )
    assert "SecretService Keyring" in outcome.cause
    assert outcome.verdict is Verdict.REJECTED
    valid = make_outcome(OutcomeKind.VALID, tenant=TENANT, http_status=200, latency_ms=12.5)
    assert valid.verdict is Verdict.VALID
    assert valid.mark == "✓"
    assert "acme.eu.qlikcloud.com" in valid.cause


def test_key_info_fields_feed_the_context() -> None:
    info = KeyInfo(
        key_id="kid-1",
        tenant_id="t-1",
        subject="u",
        sub_type="user",
        alg="ES384",
        aud="qlik.api",
        iss="qlik.api/api-keys",
    )
    outcome = outcome_from_error(
        errors.KeyRejected(401, None),
        key_info=info,
        key_record=ApiKeyRecord(id="kid-1", status="revoked"),
    )
    assert "kid-1" in outcome.cause


def test_markdown_table_lists_every_kind() -> None:
    table = outcome_table_markdown()
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(OutcomeKind)
    for kind in OutcomeKind:
        assert f"`{kind.value}`" in table
    assert "Server error (5xx)" in table
    assert not PLACEHOLDER.search(table)


def test_latency_text() -> None:
    assert Outcome(OutcomeKind.VALID, latency_ms=182.6).latency_text == "183 ms"
    assert Outcome(OutcomeKind.VALID).latency_text is None


def test_rate_limit_title_and_detail_join_as_sentences() -> None:
    body = (
        b'{"errors":[{"code":"HTTP-429","title":"API rate limit reached.",'
        b'"detail":"You need to wait 13 seconds until limit is lifted."}]}'
    )
    envelope = parse_error_envelope(body)
    assert envelope is not None
    outcome = outcome_from_error(errors.RateLimited(429, envelope, 13.0))
    assert outcome.server_message == (
        "API rate limit reached. You need to wait 13 seconds until limit is lifted."
    )
    assert join_heading("Not found", "no such key") == "Not found: no such key"
    assert join_heading("Why?", "because") == "Why? because"
    assert join_heading("Note:", "x") == "Note: x"


def test_store_error_problem_and_fix_reach_the_keyring_outcome() -> None:
    outcome = make_outcome(
        OutcomeKind.KEYRING_UNAVAILABLE,
        detail="There is no D-Bus session bus",
        fix="Start one with dbus-run-session.",
    )
    assert "(There is no D-Bus session bus)" in outcome.cause
    assert outcome.next_step == "Start one with dbus-run-session."
    assert "Unlock the keyring" in make_outcome(OutcomeKind.KEYRING_UNAVAILABLE).next_step


def test_login_command_in_an_outcome_is_shell_quoted() -> None:
    from qlik_tui.services.check import login_command

    outcome = make_outcome(
        OutcomeKind.STORED_KEY_INVALID, login_command=login_command("it's mine; rm -rf ~")
    )
    assert "qlik-tui login --name 'it'\"'\"'s mine; rm -rf ~'" in outcome.next_step
    assert outcome.verdict is Verdict.REJECTED


def test_the_key_store_words_name_the_encrypted_file_or_the_keyring() -> None:
    in_file = make_outcome(OutcomeKind.KEY_NOT_STORED, **key_store_context(encrypted_file=True))
    assert in_file.title == "Key missing from the encrypted file"
    assert "qlik-tui's encrypted key file holds no key" in in_file.cause
    assert "keyring" not in f"{in_file.title} {in_file.cause} {in_file.next_step}".lower()
    unreadable = make_outcome(
        OutcomeKind.STORED_KEY_INVALID, **key_store_context(encrypted_file=True)
    )
    assert "keyring" not in f"{unreadable.title} {unreadable.cause}".lower()
    # without the words (as in the table): the keyring, as profiles without a store recorded
    plain = make_outcome(OutcomeKind.KEY_NOT_STORED)
    assert plain.title == "Key missing from the keyring"
    assert not PLACEHOLDER.search(plain.cause)
    words = key_store_context(encrypted_file=False, backend="SecretService Keyring")
    named = make_outcome(OutcomeKind.KEY_NOT_STORED, **words)
    assert (
        named.cause
        == make_outcome(OutcomeKind.KEY_NOT_STORED, backend="SecretService Keyring").cause
    )
    assert "the keyring (SecretService Keyring) holds no key" in named.cause


def test_a_key_renewed_elsewhere_names_the_profile_holding_its_successor() -> None:
    outcome = make_outcome(
        OutcomeKind.KEY_RENEWED_ELSEWHERE, key_id="k-old", holder='"work"', profile="stale"
    )
    assert outcome.verdict is Verdict.REJECTED
    assert 'renewed through profile "work"' in outcome.cause and "k-old" in outcome.cause
    assert 'Use profile "work"' in outcome.next_step and "forget stale" in outcome.next_step


def test_an_unknown_key_id_says_nothing_was_deleted_and_where_to_find_ids() -> None:
    outcome = make_outcome(OutcomeKind.KEY_ID_UNKNOWN, key_id="nope", profile="prod")
    assert "no key nope" in outcome.cause and "Nothing was deleted" in outcome.cause
    assert "qlik-tui keys prod" in outcome.next_step
    assert "region" not in outcome.cause  # not the wrong-host row of a 404


def test_a_file_that_is_not_regular_is_named_with_what_it_is_and_the_fix() -> None:
    outcome = make_outcome(
        OutcomeKind.NOT_A_REGULAR_FILE,
        path="/home/u/profiles.json",
        file_kind="a FIFO (named pipe)",
    )
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert "/home/u/profiles.json is a FIFO (named pipe), not a regular file" in outcome.cause
    assert "mv /home/u/profiles.json /home/u/profiles.json.moved" in outcome.next_step


def test_a_stored_key_other_than_the_profiles_is_named_as_an_older_copy() -> None:
    outcome = make_outcome(
        OutcomeKind.STORED_KEY_MISMATCH,
        key_id="new-id",
        found_key_id="old-id",
        **key_store_context(encrypted_file=True),
    )
    assert outcome.verdict is Verdict.REJECTED
    assert "recorded the key new-id" in outcome.cause
    assert "holds a different key (old-id)" in outcome.cause
    assert "older copy" in outcome.cause


def test_an_http_address_to_a_tls_port_names_the_https_address() -> None:
    from qlik_tui.core.tenant import parse_tenant

    outcome = make_outcome(OutcomeKind.SPEAKS_HTTPS, tenant=parse_tenant("http://127.0.0.1:8443"))
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert outcome.title == "This address speaks HTTPS"
    assert "--tenant https://127.0.0.1:8443" in outcome.next_step
