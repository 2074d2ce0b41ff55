"""Every answer the sandbox gives conforms to Qlik's published types (``spec.py``).

The sandbox is driven over real TLS, through ``QlikClient`` where qlik-tui asks and raw requests
for the rest; ``FaultySandbox`` records each JSON answer it sends (secrets redacted). Each answer
must validate against its type and declare no member the type lacks, except the few listed in
``DELIBERATE_EXTRAS``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.client import QlikClient
from qlik_tui.core.errors import QlikError
from qlik_tui.core.oauth import ClientSecret
from qlik_tui.core.tenant import Tenant
from qlik_tui.core.transport import make_http_client
from tests.contracts.spec import ANSWER_SCHEMAS, problems, schemas_for, undeclared
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import REDACTED, RecordedAnswer

# members the sandbox sends that the published types do not declare, each on purpose
DELIBERATE_EXTRAS = {
    # stands for the fields a newer API adds: clients must tolerate them
    ("users#User", "sandboxFutureField"),
    # users.d.ts and tenants.d.ts declare traceId on Errors and every Qlik envelope carries one;
    # the other services' types leave it out
    ("api-keys#Errors", "traceId"),
    ("oauth-tokens#Errors", "traceId"),
    ("oauth-clients#ErrorResponse", "traceId"),
}
SAMPLES = Path(__file__).parent / "samples"


def conformance(answer: RecordedAnswer) -> list[str]:
    """Why ``answer`` does not conform ([] when it does): no type for it, no type it fits, or
    members its type lacks."""
    names = schemas_for(answer.method, answer.path, answer.status)
    where = f"{answer.method} {answer.path} -> {answer.status}"
    if not names:
        return [f"{where}: no published type is recorded for this answer"]
    failures: list[str] = []
    for name in names:
        found = problems(name, answer.body)
        extras = [m for m in undeclared(name, answer.body) if (name, m) not in DELIBERATE_EXTRAS]
        if not found and not extras:
            return []
        failures += found + [f"{name}: undeclared member {m!r}" for m in extras]
    return [f"{where}: {failure}" for failure in failures]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def drive_every_endpoint(sandbox: FaultySandbox, tenant: Tenant) -> None:
    """Each endpoint the sandbox serves, its successes and each error it can give."""
    admin_key, user_key = sandbox.issue_key(), sandbox.issue_key(user="user")
    admin_key_id = parse_key(admin_key).key_id
    assert admin_key_id is not None
    for _ in range(3):  # enough of the admin's keys for a page with next and prev links
        sandbox.issue_key()
    async with QlikClient(tenant, parse_key(admin_key)) as admin:
        await admin.me()
        await admin.tenant_me()
        await admin.api_key(admin_key_id)
        await admin.api_key_config(sandbox.tenant_id)
        await admin.list_api_keys(limit=100)
        first, next_url = await admin.api_key_page(limit=2)
        assert first.value and next_url is not None
        _, after = await admin.api_key_page(next_url)
        assert after is not None  # a page with both links
        await admin.api_key_page(after)
        created = await admin.create_api_key("contract", "PT1H")
        await admin.delete_api_key(created.value.record.id)
        refusals = [
            admin.create_api_key("too long", "P400D"),  # above max_api_key_expiry: 400
            admin.create_api_key("not a duration", "soon"),  # 400
            admin.api_key("0" * 24),  # an unknown key: 404
        ]
        for refusal in refusals:
            with pytest.raises(QlikError):
                await refusal
    async with QlikClient(tenant, parse_key(user_key)) as user:
        for refused in (
            user.api_key(admin_key_id),  # another user's key: 403
            user.api_key_config(sandbox.tenant_id),  # not an admin: 403
            user.list_api_keys(sub=sandbox.admin.id),  # 403
        ):
            with pytest.raises(QlikError):
                await refused
        for _ in range(sandbox.config["max_keys_per_user"]):  # the fifth and sixth: 400
            try:
                await user.create_api_key("many")
            except QlikError:
                break
    origin, api = sandbox.origin, f"{sandbox.origin}/api/v1"
    async with make_http_client() as http:
        for method, url, key in (
            ("GET", f"{api}/users/me", None),  # no key: 401
            ("GET", f"{api}/users/me", "not-a-key"),  # 401
            ("GET", f"{api}/users/{sandbox.user.id}", admin_key),  # another user, as an admin
            ("GET", f"{api}/users/{sandbox.admin.id}", user_key),  # 403
            ("GET", f"{api}/users/{'0' * 24}", admin_key),  # 404
            ("GET", f"{api}/tenants/{'x' * 32}", admin_key),  # another tenant: 404
            ("PUT", f"{api}/api-keys", admin_key),  # 405
            ("GET", f"{api}/nothing-here", admin_key),  # 404
            ("GET", f"{origin}/", admin_key),  # 404
            ("PATCH", f"{api}/api-keys/configs/{sandbox.tenant_id}", user_key),  # 403
            ("PATCH", f"{api}/api-keys/configs/{sandbox.tenant_id}", admin_key),  # 400
            ("GET", f"{api}/api-keys/configs/{'x' * 32}", admin_key),  # 404
        ):
            headers = bearer(key) if key else {}
            await http.request(method, url, headers=headers, content=b"[{}]")
        for fault in ("status_500", "rate_limit", "rate_limit_no_retry_after", "forbidden_me"):
            sandbox.set_fault(fault, count=1)
            await http.get(f"{api}/users/me", headers=bearer(admin_key))
    await drive_oauth_endpoints(sandbox, tenant, admin_key, user_key)


async def drive_oauth_endpoints(
    sandbox: FaultySandbox, tenant: Tenant, admin_key: str, user_key: str
) -> None:
    """``POST /oauth/token`` (JSON and form bodies) with each refusal, and the oauth-clients
    endpoints qlik-tui calls (a client, a new secret, a deleted one) with theirs."""
    client_id, secret = sandbox.create_oauth_client()
    async with QlikClient(tenant, None) as minting:
        await minting.mint_token(client_id, ClientSecret(secret))
        disabled = sandbox.create_oauth_client("disabled")
        sandbox.oauth_client(disabled[0]).disabled = True
        for refused_id, given in (
            (client_id, "f" * 64),  # a wrong secret: 401, RFC 6749's shape
            ("0" * 32, secret),  # an unknown client: 401
            disabled,  # 401, Qlik's envelope
            sandbox.create_oauth_client("no m2m", m2m=False),  # 400
            sandbox.create_oauth_client("consent", consent_method="required"),  # 403
        ):
            with pytest.raises(QlikError):
                await minting.mint_token(refused_id, ClientSecret(given))
        with pytest.raises(QlikError):
            await minting.mint_token(client_id, ClientSecret(secret), scope="admin_classic")  # 400
    async with QlikClient(tenant, parse_key(admin_key)) as admin:
        await admin.oauth_client(client_id)
        made = await admin.create_client_secret(client_id)
        await admin.delete_client_secret(client_id, made.value.hint)  # 204: no body
        for _ in range(5):  # the client holds at most five secrets: then 400
            try:
                await admin.create_client_secret(client_id)
            except QlikError:
                break
        for refusal in (
            admin.oauth_client("0" * 32),  # 404
            admin.delete_client_secret(client_id, "no-such-hint"),  # 404
        ):
            with pytest.raises(QlikError):
                await refusal
    async with QlikClient(tenant, parse_key(user_key)) as user:
        with pytest.raises(QlikError):
            await user.oauth_client(client_id)  # not a TenantAdmin: 403
    origin, clients = sandbox.origin, f"{sandbox.origin}/api/v1/oauth-clients/{client_id}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with make_http_client() as http:
        grant = f"client_id={client_id}&client_secret={secret}&grant_type=client_credentials"
        await http.post(f"{origin}/oauth/token", content=grant.encode(), headers=form)  # 200
        await http.post(f"{origin}/oauth/token", content=b"[]")  # not a token request: 400
        wrong_grant = f"client_id={client_id}&client_secret={secret}&grant_type=password"
        await http.post(f"{origin}/oauth/token", content=wrong_grant.encode(), headers=form)
        await http.get(f"{origin}/oauth/token")  # 405
        for method, url in (("PUT", clients), ("GET", f"{clients}/nothing-here")):  # 405, 404
            await http.request(method, url, headers=bearer(admin_key))
        await http.get(clients)  # no key: 401


async def test_every_sandbox_answer_conforms_to_qlik_published_types(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    await drive_every_endpoint(sandbox, sandbox_tenant)
    answers = sandbox.answers
    failures = [failure for answer in answers for failure in conformance(answer)]
    assert failures == [], "\n".join(failures)
    seen = {(a.method, a.status) for a in answers}
    assert {("GET", 200), ("POST", 201), ("GET", 401), ("GET", 403), ("GET", 404)} <= seen
    assert {("POST", 400), ("PUT", 405), ("PATCH", 400), ("PATCH", 403)} <= seen
    assert {("GET", 429), ("GET", 500), ("POST", 200), ("POST", 401), ("POST", 403)} <= seen
    fitted = {schemas_for(a.method, a.path, a.status)[0] for a in answers}
    every_api_type = {names[0] for *_, names in ANSWER_SCHEMAS}
    assert every_api_type <= fitted  # each API type was met at least once
    token_errors = [a.body for a in answers if a.path == "/oauth/token" and a.status >= 400]
    assert any("error" in b for b in token_errors if isinstance(b, dict))  # RFC 6749's shape
    assert any("errors" in b for b in token_errors if isinstance(b, dict))  # Qlik's envelope


async def test_the_oauth_clients_errors_carry_no_status_member(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    """oauth-clients.d.ts declares no ``errors[].status`` (the other services do)."""
    await drive_every_endpoint(sandbox, sandbox_tenant)
    refusals = [
        a.body
        for a in sandbox.answers
        if a.path.startswith("/api/v1/oauth-clients/") and a.status in (400, 403, 404)
    ]
    assert len(refusals) >= 4
    for body in refusals:
        assert isinstance(body, dict)
        assert all("status" not in item for item in body["errors"]), body


async def test_a_created_keys_answer_is_recorded_without_the_key(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    async with QlikClient(sandbox_tenant, parse_key(sandbox.issue_key())) as client:
        created = await client.create_api_key("recorded", "PT1H")
    (answer,) = [a for a in sandbox.answers if a.status == 201]
    assert isinstance(answer.body, dict) and answer.body["token"] == REDACTED
    assert created.value.key.reveal() not in json.dumps(answer.body)
    assert conformance(answer) == []


def test_a_member_no_type_declares_is_reported() -> None:
    invented = RecordedAnswer(
        "GET", "/api/v1/api-keys/k1", 200, {**sample("api-key"), "expires": "tomorrow"}
    )
    assert conformance(invented) == [
        "GET /api/v1/api-keys/k1 -> 200: api-keys#ApiKey: undeclared member 'expires'"
    ]


def test_a_status_of_the_wrong_type_is_reported() -> None:
    envelope = {"errors": [{"code": "APIKEYS-400", "title": "Bad Request", "status": "400"}]}
    answer = RecordedAnswer("POST", "/api/v1/api-keys", 400, envelope)
    (failure,) = conformance(answer)
    assert "api-keys#Errors at /errors/0/status" in failure and "'number'" in failure


def test_an_answer_without_a_recorded_type_is_reported() -> None:
    answer = RecordedAnswer("GET", "/api/v1/spaces", 200, {"data": []})
    assert conformance(answer) == [
        "GET /api/v1/spaces -> 200: no published type is recorded for this answer"
    ]


def sample(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))
    return loaded


# -- OAuth: what a published type requires ----------------------------------------------------


def test_an_oauth_client_without_its_required_members_is_reported() -> None:
    client = {k: v for k, v in sample("oauth-client").items() if k != "appType"}
    answer = RecordedAnswer("GET", "/api/v1/oauth-clients/c1", 200, client)
    failures = conformance(answer)
    assert failures and all("'appType' is a required property" in f for f in failures)


def test_an_access_token_answer_needs_its_token() -> None:
    token = {"token_type": "bearer", "expires_in": 21600}
    answer = RecordedAnswer("POST", "/oauth/token", 200, token)
    assert conformance(answer) == [
        "POST /oauth/token -> 200: oauth-token-endpoint#TokenAnswer at /: "
        "'access_token' is a required property"
    ]
