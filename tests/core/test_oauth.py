"""OAuth M2M clients over real TLS: the sandbox's token endpoint and client-secrets endpoints,
driven through ``QlikClient.mint_token`` and friends; each refusal lands on its outcome row in
either error shape, and the secret never appears in what the client keeps of a refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_tui.core.client import Bearer, QlikClient
from qlik_tui.core.errors import Forbidden, NotFound, QlikError, StatusError
from qlik_tui.core.kinds import OutcomeKind
from qlik_tui.core.oauth import (
    AccessToken,
    ClientIdRefused,
    ClientSecret,
    normalise_client_id,
    read_token_error,
    token_refusal,
)
from qlik_tui.core.outcomes import outcome_from_error
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox.server import Handler, Request
from tests.fixtures.faulty_sandbox import FaultySandbox

T = TypeVar("T")


def _with(
    sandbox: FaultySandbox, bearer: Bearer | None, call: Callable[[QlikClient], Awaitable[T]]
) -> T:
    async def go() -> T:
        async with QlikClient(parse_tenant(sandbox.origin), bearer) as client:
            return await call(client)

    return asyncio.run(go())


def _mint(
    sandbox: FaultySandbox, client_id: str, secret: str, scope: str = "user_default"
) -> AccessToken:
    return _with(
        sandbox, None, lambda c: c.mint_token(client_id, ClientSecret(secret), scope)
    ).value


def _refusal(
    sandbox: FaultySandbox, client_id: str, secret: str, scope: str = "user_default"
) -> QlikError:
    with pytest.raises(QlikError) as caught:
        _mint(sandbox, client_id, secret, scope)
    return caught.value


def test_mint_then_me_is_the_bot_user_with_the_lifetime_and_scope(sandbox: FaultySandbox) -> None:
    client_id, secret = sandbox.create_oauth_client(
        "nightly reload", token_lifetime=timedelta(minutes=15)
    )
    before = datetime.now(timezone.utc)
    token = _mint(sandbox, client_id, secret)
    assert token.scope == "user_default"
    assert token.expires_at is not None
    left = token.expires_at - before
    assert timedelta(minutes=14, seconds=58) < left <= timedelta(minutes=15, seconds=2)
    assert secret not in repr(token) and token.reveal() not in repr(token)
    me = _with(sandbox, token, lambda c: c.me()).value
    assert me.name == "nightly reload" and me.email is None
    assert me.is_tenant_admin
    token_posts = [r for r in sandbox.requests if r.path == "/oauth/token"]
    assert len(token_posts) == 1 and not token_posts[0].authorization
    assert token_posts[0].headers["content-type"] == "application/json"


def test_the_form_body_is_accepted_too(sandbox: FaultySandbox) -> None:
    client_id, secret = sandbox.create_oauth_client()
    form = {"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}
    answer = httpx.post(f"{sandbox.origin}/oauth/token", data=form)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 360 * 60
    assert body["scope"] == "user_default" and isinstance(body["access_token"], str)


def test_an_expired_access_token_is_refused(sandbox: FaultySandbox) -> None:
    client_id, secret = sandbox.create_oauth_client()
    token = _mint(sandbox, client_id, secret)
    sandbox.expire_access_tokens()
    with pytest.raises(StatusError) as caught:
        _with(sandbox, token, lambda c: c.me())
    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    ("change", "kind", "status", "shape"),
    [
        (None, OutcomeKind.OAUTH_SECRET_REJECTED, 401, "error"),
        ("deleted", OutcomeKind.OAUTH_CLIENT_UNAVAILABLE, 401, "error"),
        ("disabled", OutcomeKind.OAUTH_CLIENT_UNAVAILABLE, 401, "errors"),
        ("no_m2m", OutcomeKind.OAUTH_M2M_NOT_ENABLED, 400, "error"),
        ("consent", OutcomeKind.OAUTH_CONSENT_NOT_TRUSTED, 403, "errors"),
        ("scope", OutcomeKind.OAUTH_SCOPE_NOT_ALLOWED, 400, "error"),
    ],
)
def test_each_refusal_has_its_row_in_either_shape(
    sandbox: FaultySandbox, change: str | None, kind: OutcomeKind, status: int, shape: str
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    client = sandbox.oauth_client(client_id)
    given_secret, scope = secret, "user_default"
    if change is None:
        given_secret = secret[::-1]
    elif change == "deleted":
        client.deleted = True
    elif change == "disabled":
        client.disabled = True
    elif change == "no_m2m":
        client.m2m = False
    elif change == "consent":
        client.consent_method = "required"
    else:
        scope = "admin_classic"
    raw = httpx.post(
        f"{sandbox.origin}/oauth/token",
        json={"client_id": client_id, "client_secret": given_secret,
              "grant_type": "client_credentials", "scope": scope},
    )  # fmt: skip
    assert raw.status_code == status and shape in raw.json()
    failure = _refusal(sandbox, client_id, given_secret, scope)
    outcome = outcome_from_error(failure, tenant=parse_tenant(sandbox.origin))
    assert outcome.kind is kind and outcome.verdict.value == "rejected"
    shown = " ".join([outcome.title, outcome.cause, outcome.next_step, repr(failure)])
    assert given_secret not in shown and secret not in shown


class _EchoingSandbox(FaultySandbox):
    """A token endpoint that quotes the secret back in both error shapes."""

    def _token(self, handler: Handler, request: Request) -> None:
        asked = json.loads(handler.body)
        said = f"bad secret {asked['client_secret']}"
        body: dict[str, Any] = {
            "error": "invalid_client",
            "error_description": said,
            "errors": [{"code": "x", "title": said, "detail": said}],
        }
        self._send_json(handler, request, 401, body)


def test_a_secret_echoed_by_the_tenant_is_blanked(tls_ca: Any) -> None:
    with _EchoingSandbox(ssl_context=tls_ca.server_context) as echoing:
        secret = "S3NTINEL-client-secret-0123456789abcdef"
        failure = _refusal(echoing, "0123456789abcdef0123456789abcdef", secret)
    assert failure.kind is OutcomeKind.OAUTH_SECRET_REJECTED
    outcome = outcome_from_error(failure)
    everything = " ".join(
        [str(failure), repr(failure), outcome.cause, outcome.server_message or ""]
    )
    assert "S3NTINEL" not in everything and "<secret>" in everything


@given(st.binary(max_size=300), st.integers(min_value=400, max_value=599))
def test_any_refusal_body_maps_without_raising(body: bytes, status: int) -> None:
    failure = token_refusal(status, body, ClientSecret("sentinel-secret-value"))
    assert isinstance(failure, StatusError) and failure.status_code == status
    said = read_token_error(body, None)
    assert said is None or isinstance(said.codes, tuple)


def test_client_secrets_create_up_to_five_and_delete_by_hint(sandbox: FaultySandbox) -> None:
    client_id, secret = sandbox.create_oauth_client()
    token = _mint(sandbox, client_id, secret)
    record = _with(sandbox, token, lambda c: c.oauth_client(client_id)).value
    assert record.client_id == client_id and len(record.secrets) == 1
    assert record.consent_method == "trusted" and record.allowed_scopes == ("user_default",)
    made = [
        _with(sandbox, token, lambda c: c.create_client_secret(client_id)).value for _ in range(4)
    ]
    assert secret not in repr(made[0]) and made[0].secret.reveal() not in repr(made[0])
    assert _mint(sandbox, client_id, made[-1].secret.reveal()).reveal()
    with pytest.raises(StatusError) as too_many:
        _with(sandbox, token, lambda c: c.create_client_secret(client_id))
    assert too_many.value.status_code == 400
    _with(sandbox, token, lambda c: c.delete_client_secret(client_id, made[0].hint))
    assert made[0].hint not in sandbox.secret_hints(client_id)
    assert (
        _refusal(sandbox, client_id, made[0].secret.reveal()).kind
        is OutcomeKind.OAUTH_SECRET_REJECTED
    )
    with pytest.raises(NotFound):
        _with(sandbox, token, lambda c: c.delete_client_secret(client_id, "nohint00"))


def test_client_secrets_need_a_tenant_admin(sandbox: FaultySandbox) -> None:
    from qlik_tui.core.apikey import parse_key

    client_id, _ = sandbox.create_oauth_client()
    plain = parse_key(sandbox.issue_key(user="user"))
    with pytest.raises(Forbidden):
        _with(sandbox, plain, lambda c: c.create_client_secret(client_id))


def test_a_secret_like_client_id_is_refused_without_echo() -> None:
    secret = "9f" * 32
    with pytest.raises(ClientIdRefused) as caught:
        normalise_client_id(secret)
    assert secret not in str(caught.value)
    with pytest.raises(ClientIdRefused):
        normalise_client_id("eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2ln")
    assert (
        normalise_client_id("  0123456789abcdef0123456789ABCDEF\n")
        == "0123456789abcdef0123456789ABCDEF"
    )


def test_reprs_hide_the_secret_and_token() -> None:
    secret, token = ClientSecret("s" * 40), AccessToken("t" * 40)
    assert "s" * 10 not in repr(secret) and "s" * 10 not in f"{secret}"
    assert "t" * 10 not in repr(token) and "t" * 10 not in str(token)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
