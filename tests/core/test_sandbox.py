"""The sandbox tenant itself: keys, wire formats, faults, records, hostile mode, loopback only."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import ssl
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from qlik_tui.commands.demo import DEMO_SEED
from qlik_tui.core.apikey import parse_key
from qlik_tui.core.client import QlikClient, make_http_client
from qlik_tui.core.tenant import Tenant, parse_tenant
from qlik_tui.sandbox import KEY_KINDS, SandboxTenant
from tests.fixtures.faulty_sandbox import FAULTS, FaultySandbox
from tests.fixtures.hostile import (
    ATTACKS,
    HOSTILE_DETAIL,
    HOSTILE_EMAIL,
    HOSTILE_EXPIRY,
    HOSTILE_GROUP,
    HOSTILE_KEY_DESCRIPTION,
    HOSTILE_KEY_ID,
    HOSTILE_KEY_STATUS,
    HOSTILE_NAME,
    HOSTILE_REDIRECT_HOST,
    HOSTILE_REDIRECT_HOST_RAW,
    HOSTILE_ROLE,
    HOSTILE_SUB,
    HOSTILE_TENANT_ID,
    HOSTILE_TITLE,
    HostileSandbox,
    hostile_fake_key,
)
from tests.fixtures.recording import key_id_of


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_issued_keys_are_jwt_shaped_and_parse(sandbox: FaultySandbox) -> None:
    for kind in KEY_KINDS:
        key = sandbox.issue_key(kind)
        info = parse_key(key).info
        assert info.alg == "ES384"
        assert info.aud == "qlik.api"
        assert info.key_id is not None
        assert key_id_of(key) == info.key_id
        if kind == "other-tenant":
            assert info.tenant_id != sandbox.tenant_id
        else:
            assert info.tenant_id == sandbox.tenant_id
            assert info.subject == sandbox.admin.id


def test_unknown_key_kind_is_refused(sandbox: FaultySandbox) -> None:
    with pytest.raises(ValueError, match="unknown key kind"):
        sandbox.issue_key("sort-of-valid")


def test_seed_makes_everything_deterministic() -> None:
    first, second = FaultySandbox(seed=7), FaultySandbox(seed=7)
    assert first.tenant_id == second.tenant_id
    assert (first.admin.id, first.user.id) == (second.admin.id, second.user.id)
    assert first.issue_key() == second.issue_key()
    assert FaultySandbox(seed=8).tenant_id != first.tenant_id
    assert FaultySandbox().issue_key() != FaultySandbox().issue_key()


def test_demo_keys_are_stable(sandbox: FaultySandbox) -> None:
    keys = sandbox.demo_keys()
    assert set(keys) == {"valid", "user", "revoked", "expired", "other-tenant"}
    assert sandbox.demo_keys() == keys


@pytest.mark.parametrize("host", ["10.1.2.3", "192.0.2.2", "0.0.0.0", "example.com", "::"])
def test_only_loopback_addresses(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultySandbox(host=host)


def test_unknown_fault_is_refused(sandbox: FaultySandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.set_fault("gremlins")
    with pytest.raises(ValueError, match="target"):
        sandbox.set_fault("offsite_redirect")
    assert "reset" in FAULTS


async def test_wire_formats(sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key()
    async with make_http_client() as http:
        me = await http.get(f"{sandbox.origin}/api/v1/users/me", headers=bearer(key))
        user = await http.get(me.headers["location"], headers=bearer(key))
        missing = await http.get(f"{sandbox.origin}/api/v1/users/me")
        unknown = await http.get(f"{sandbox.origin}/api/v1/nothing-here", headers=bearer(key))
    assert me.status_code == 301
    assert me.headers["location"] == f"{sandbox.origin}/api/v1/users/{sandbox.admin.id}"
    record = user.json()
    assert record["tenantId"] == sandbox.tenant_id
    assert "sandboxFutureField" in record  # unknown fields, to prove tolerance
    assert {r["name"] for r in record["assignedRoles"]} >= {"TenantAdmin"}
    assert missing.json()["errors"][0] == {
        "code": "HTTP-401",
        "title": "Authorization Required",
        "status": "401",
    }
    assert missing.json()["traceId"]
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["status"] == 404


async def test_paging_links_are_absolute(sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key()
    sandbox.issue_key()
    async with make_http_client() as http:
        page = (
            await http.get(
                f"{sandbox.origin}/api/v1/api-keys", params={"limit": "1"}, headers=bearer(key)
            )
        ).json()
    assert len(page["data"]) == 1
    assert page["links"]["next"]["href"].startswith(f"{sandbox.origin}/api/v1/api-keys?")


async def test_plain_user_cannot_list_other_users_keys(sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key(user="user")
    async with make_http_client() as http:
        answer = await http.get(
            f"{sandbox.origin}/api/v1/api-keys",
            params={"sub": sandbox.admin.id},
            headers=bearer(key),
        )
    assert answer.status_code == 403


async def test_delete_revokes(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    key = sandbox.issue_key()
    key_id = parse_key(key).info.key_id
    async with make_http_client() as http:
        gone = await http.delete(f"{sandbox.origin}/api/v1/api-keys/{key_id}", headers=bearer(key))
        after = await http.get(f"{sandbox.origin}/api/v1/users/me", headers=bearer(key))
    assert gone.status_code == 204
    assert after.status_code == 401


async def test_fault_count_is_consumed(sandbox: FaultySandbox) -> None:
    key = sandbox.issue_key()
    sandbox.set_fault("status_500", count=2)
    async with make_http_client() as http:
        statuses = [
            (await http.get(f"{sandbox.origin}/api/v1/users/me", headers=bearer(key))).status_code
            for _ in range(3)
        ]
    assert statuses == [500, 500, 301]
    assert [r.fault for r in sandbox.requests] == ["status_500", "status_500", None]


async def test_clear_faults(sandbox: FaultySandbox) -> None:
    sandbox.set_fault("not_found")
    sandbox.clear_faults()
    async with make_http_client() as http:
        answer = await http.get(
            f"{sandbox.origin}/api/v1/users/me", headers=bearer(sandbox.issue_key())
        )
    assert answer.status_code == 301


async def test_rate_limit_body_and_http_date(sandbox: FaultySandbox) -> None:
    sandbox.set_fault("rate_limit", count=1, retry_after=13, http_date=True)
    async with make_http_client() as http:
        answer = await http.get(f"{sandbox.origin}/api/v1/users/me")
    assert answer.status_code == 429
    assert answer.headers["retry-after"].endswith("GMT")
    assert answer.json()["errors"][0]["detail"] == (
        "You need to wait 13 seconds until limit is lifted."
    )


async def test_records_never_hold_the_key(sandbox: FaultySandbox, sandbox_tenant: Tenant) -> None:
    key = sandbox.issue_key()
    async with QlikClient(sandbox_tenant, parse_key(key)) as client:
        await client.me()
    dumped = repr(sandbox.requests) + json.dumps([r.headers for r in sandbox.requests])
    assert key not in dumped
    assert key.split(".")[2] not in dumped
    assert sandbox.requests[0].headers["authorization"] == "<redacted>"
    assert sandbox.requests[0].key_id == parse_key(key).info.key_id


async def test_max_in_flight_counts_concurrent_requests(
    sandbox: FaultySandbox, sandbox_tenant: Tenant
) -> None:
    sandbox.delay = 0.3
    key = parse_key(sandbox.issue_key())

    async def one() -> None:
        async with QlikClient(sandbox_tenant, key) as client:
            await client.api_key_config(sandbox.tenant_id)

    await asyncio.gather(*(one() for _ in range(4)))
    assert 2 <= sandbox.max_in_flight <= 4
    # The server thread counts a request done just after the client has its answer.
    for _ in range(100):
        if sandbox.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert sandbox.in_flight == 0


async def test_plain_http_for_the_demo() -> None:
    with FaultySandbox(seed=1) as demo:
        assert demo.origin.startswith("http://127.0.0.1:")
        tenant = parse_tenant(demo.origin)
        async with QlikClient(tenant, parse_key(demo.demo_keys()["valid"])) as client:
            result = await client.me()
    assert result.value.name == "Ada Sandbox"


async def test_the_packaged_tenant_alone_answers_the_demo() -> None:
    with SandboxTenant(seed=DEMO_SEED) as demo:  # no test machinery: as `qlik-tui demo` runs it
        key = parse_key(demo.issue_key("valid", user="user"))
        async with QlikClient(parse_tenant(demo.origin), key) as client:
            result = await client.me()
    assert type(demo) is SandboxTenant
    assert result.value.name == "Basil Plain"


async def test_ipv6_loopback() -> None:
    try:
        server = FaultySandbox(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with server:
        assert server.origin.startswith("http://[::1]:")
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{server.origin}/api/v1/users/me")
    assert answer.status_code == 401


def test_stop_is_idempotent_and_origin_needs_a_running_server() -> None:
    sandbox = FaultySandbox()
    with pytest.raises(RuntimeError):
        _ = sandbox.origin
    sandbox.start()
    sandbox.stop()
    sandbox.stop()
    assert repr(sandbox).endswith("tenant_id=" + repr(sandbox.tenant_id) + ")")


def test_expired_key_record(sandbox: FaultySandbox) -> None:
    key_id = parse_key(sandbox.issue_key("expired", expires_in=timedelta(days=2))).info.key_id
    record = sandbox.key_record(key_id or "")
    assert record["status"] == "expired"
    expiry = datetime.fromisoformat(record["expiry"].replace("Z", "+00:00"))
    created = datetime.fromisoformat(record["created"].replace("Z", "+00:00"))
    assert expiry - created == timedelta(days=2)
    assert expiry < datetime.now(timezone.utc)


def test_revoke_key(sandbox: FaultySandbox) -> None:
    key_id = parse_key(sandbox.issue_key()).info.key_id or ""
    assert sandbox.key_record(key_id)["status"] == "active"
    sandbox.revoke_key(key_id)
    assert sandbox.key_record(key_id)["status"] == "revoked"


# -- the hostile tenant ---------------------------------------------------------------------------


def claims_of(key: str) -> dict[str, object]:
    """The key's payload as sent, decoded here (not by the product's parser)."""
    payload = key.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return decoded


async def test_hostile_sandbox_serves_attack_strings_in_every_field(
    hostile_sandbox: HostileSandbox,
) -> None:
    sandbox = hostile_sandbox
    key = sandbox.issue_key()
    key_id = claims_of(key)["jti"]
    origin = sandbox.origin
    async with make_http_client() as http:
        me = await http.get(f"{origin}/api/v1/users/me", headers=bearer(key))
        user = (await http.get(me.headers["location"], headers=bearer(key))).json()
        record = (await http.get(f"{origin}/api/v1/api-keys/{key_id}", headers=bearer(key))).json()
        listed = (await http.get(f"{origin}/api/v1/api-keys", headers=bearer(key))).json()
        config_url = f"{origin}/api/v1/api-keys/configs/{sandbox.tenant_id}"
        config = (await http.get(config_url, headers=bearer(key))).json()
        unauthorized = await http.get(f"{origin}/api/v1/users/me")
        not_found = await http.get(f"{origin}/api/v1/nothing-here", headers=bearer(key))
    assert (user["name"], user["email"]) == (HOSTILE_NAME, HOSTILE_EMAIL)
    assert HOSTILE_ROLE in [role["name"] for role in user["assignedRoles"]]
    assert [group["name"] for group in user["assignedGroups"]] == [HOSTILE_GROUP]
    for key_record in (record, listed["data"][0]):
        assert key_record["status"] == HOSTILE_KEY_STATUS
        assert key_record["description"] == HOSTILE_KEY_DESCRIPTION
    assert config["max_api_key_expiry"] == HOSTILE_EXPIRY
    assert unauthorized.status_code == 401
    for answer in (unauthorized, not_found):
        error = answer.json()["errors"][0]
        assert (error["title"], error["detail"]) == (HOSTILE_TITLE, HOSTILE_DETAIL)
    for attack in ATTACKS:
        assert attack in HOSTILE_NAME
    assert unauthorized.json()["errors"][0]["status"] == "401"  # the envelope keeps its shape


@pytest.mark.parametrize("host", [HOSTILE_REDIRECT_HOST_RAW, HOSTILE_REDIRECT_HOST])
def test_hostile_sandbox_redirects_to_a_hostile_host(
    hostile_sandbox: HostileSandbox, host: str
) -> None:
    hostile_sandbox.redirect_host = host
    key = hostile_sandbox.issue_key()
    # http.client, not httpx: httpx refuses to build the next request from such a Location.
    connection = http.client.HTTPSConnection(
        "127.0.0.1", hostile_sandbox.port, context=ssl.create_default_context(), timeout=10
    )
    try:
        connection.request("GET", "/api/v1/users/me", headers=bearer(key))
        answer = connection.getresponse()
        location = (answer.getheader("Location") or "").encode("latin-1")  # the bytes sent
    finally:
        connection.close()
    assert answer.status == 301
    assert location.startswith(f"https://{host}/api/v1/users/".encode())


async def test_hostile_sandbox_accepts_a_key_with_hostile_claims(
    hostile_sandbox: HostileSandbox,
) -> None:
    hostile_sandbox.hostile_claims = True
    key = hostile_sandbox.issue_key()
    async with make_http_client() as http:
        me = await http.get(f"{hostile_sandbox.origin}/api/v1/users/me", headers=bearer(key))
    assert me.status_code == 301
    for claims in (claims_of(key), claims_of(hostile_fake_key())):
        assert (claims["jti"], claims["sub"], claims["tenantId"]) == (
            HOSTILE_KEY_ID,
            HOSTILE_SUB,
            HOSTILE_TENANT_ID,
        )
