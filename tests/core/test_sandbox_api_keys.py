"""The sandbox's API keys follow the spec: create with the limit and the maximum expiry, owner
delete removes while an admin's delete revokes, 403 for another user's key, cursor paging,
``tenants/me``. Driven through ``QlikClient`` over real TLS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import httpx
import pytest

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.client import QlikClient
from qlik_tui.core.errors import Forbidden, KeyRejected, NotFound, StatusError
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.sandbox.keys import parse_duration
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of

T = TypeVar("T")


def _with(sandbox: FaultySandbox, token: str, call: Callable[[QlikClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with QlikClient(parse_tenant(sandbox.origin), parse_key(token)) as client:
            return await call(client)

    return asyncio.run(go())


def _refusal(
    sandbox: FaultySandbox, token: str, call: Callable[[QlikClient], Awaitable[object]]
) -> StatusError:
    with pytest.raises(StatusError) as caught:
        _with(sandbox, token, call)
    return caught.value


def test_create_answers_201_with_a_working_token_and_the_maximum_expiry(
    sandbox: FaultySandbox,
) -> None:
    admin = sandbox.issue_key()
    created = _with(sandbox, admin, lambda c: c.create_api_key("made by a key")).value
    assert repr(created).endswith("key=<hidden>)")
    record = created.record
    assert record.description == "made by a key" and record.status == "active"
    assert record.sub == sandbox.admin.id and created.key.info.key_id == record.id
    assert record.expiry is not None
    left = record.expiry - datetime.now(timezone.utc)
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)
    me = _with(sandbox, created.key.reveal(), lambda c: c.me()).value
    assert me.id == sandbox.admin.id


def test_create_with_an_expiry_within_and_above_the_maximum(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    short = _with(sandbox, admin, lambda c: c.create_api_key("x", expiry="PT2H")).value
    assert short.record.expiry is not None
    assert short.record.expiry - datetime.now(timezone.utc) <= timedelta(hours=2)
    refused = _refusal(sandbox, admin, lambda c: c.create_api_key("x", expiry="P30D"))
    assert "maximum allowed expiry of PT24H" in (refused.server_message or "")
    sandbox.set_config(max_api_key_expiry="P90D")
    long = _with(sandbox, admin, lambda c: c.create_api_key("x", expiry="P30D")).value
    assert long.record.expiry is not None


def test_the_key_limit_counts_active_keys_and_is_settable(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    sandbox.issue_key("revoked")  # not active: does not count
    for _ in range(4):
        _with(sandbox, admin, lambda c: c.create_api_key("fill"))
    assert len(sandbox.key_ids("admin")) == 5
    refused = _refusal(sandbox, admin, lambda c: c.create_api_key("one too many"))
    assert refused.server_message and "Maximum number of API keys" in refused.server_message
    # a TenantAdmin raises the limit through the config endpoint, as on a real tenant
    tenant_id = sandbox.tenant_id

    async def raise_limit(client: QlikClient) -> int:
        http = client._require_http()
        response = await http.patch(
            f"{sandbox.origin}/api/v1/api-keys/configs/{tenant_id}",
            json=[{"op": "replace", "path": "/max_keys_per_user", "value": 6}],
            headers={"Authorization": f"Bearer {admin}"},
        )
        return response.status_code

    assert _with(sandbox, admin, raise_limit) == 204
    assert sandbox.config["max_keys_per_user"] == 6
    assert _with(sandbox, admin, lambda c: c.create_api_key("now fits")).status_code == 201


def test_create_without_the_permission_is_403(sandbox: FaultySandbox) -> None:
    user = sandbox.issue_key(user="user")
    sandbox.user.can_create_keys = False
    refused = _refusal(sandbox, user, lambda c: c.create_api_key("x"))
    assert isinstance(refused, Forbidden)
    assert "Requestor not allowed to create an API key" in (refused.server_message or "")


def test_owner_delete_removes_the_key(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    spare = sandbox.issue_key()
    spare_id = key_id_of(spare) or ""
    assert _with(sandbox, admin, lambda c: c.delete_api_key(spare_id)).status_code == 204
    with pytest.raises(NotFound):
        _with(sandbox, admin, lambda c: c.api_key(spare_id))
    with pytest.raises(KeyRejected):
        _with(sandbox, spare, lambda c: c.me())


def test_admin_delete_of_another_users_key_revokes_it(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    basil = sandbox.issue_key(user="user")
    basil_id = key_id_of(basil) or ""
    _with(sandbox, admin, lambda c: c.delete_api_key(basil_id))
    record = _with(sandbox, admin, lambda c: c.api_key(basil_id)).value
    assert record.status == "revoked"
    with pytest.raises(KeyRejected):
        _with(sandbox, basil, lambda c: c.me())


def test_another_users_key_is_403_not_404(sandbox: FaultySandbox) -> None:
    admin_id = key_id_of(sandbox.issue_key()) or ""
    basil = sandbox.issue_key(user="user")
    with pytest.raises(Forbidden):
        _with(sandbox, basil, lambda c: c.api_key(admin_id))
    with pytest.raises(Forbidden):
        _with(sandbox, basil, lambda c: c.delete_api_key(admin_id))
    with pytest.raises(NotFound):
        _with(sandbox, basil, lambda c: c.api_key("no-such-key"))
    assert sandbox.key_record(admin_id)["status"] == "active"


def test_cursor_paging_follows_next_and_prev(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    for _ in range(24):
        sandbox.issue_key()

    async def pages(client: QlikClient) -> tuple[list[list[str]], list[dict[str, object]]]:
        ids: list[list[str]] = []
        first, next_url = await client.api_key_page(sub=sandbox.admin.id, limit=10)
        ids.append([r.id for r in first.value])
        while next_url is not None:
            page, next_url = await client.api_key_page(next_url)
            ids.append([r.id for r in page.value])
        http = client._require_http()
        raw = []
        for limit in ("0", "500", "7"):
            response = await http.get(
                f"{sandbox.origin}/api/v1/api-keys",
                params={"limit": limit},
                headers={"Authorization": f"Bearer {admin}"},
            )
            raw.append(response.json())
        return ids, raw

    ids, raw = _with(sandbox, admin, pages)
    assert [len(p) for p in ids] == [10, 10, 5]
    flat = [i for p in ids for i in p]
    assert len(set(flat)) == 25 and flat == sorted(flat, key=lambda i: -ids_order(sandbox, i))
    assert [len(r["data"]) for r in raw] == [1, 25, 7]  # limit is clamped to 1..100
    second = httpx.URL(raw[2]["links"]["next"]["href"])
    assert second.params["startingAfter"] == raw[2]["data"][-1]["id"]
    assert "prev" not in raw[2]["links"]


def ids_order(sandbox: FaultySandbox, key_id: str) -> float:
    created = sandbox.key_record(key_id)["created"]
    return datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp()


def test_tenants_me_redirects_to_the_tenant_record(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()
    sandbox.clear_requests()
    tenant = _with(sandbox, admin, lambda c: c.tenant_me())
    assert tenant.value.id == sandbox.tenant_id and tenant.value.hostnames == ("127.0.0.1",)
    assert [(r.path, r.status) for r in sandbox.requests] == [
        ("/api/v1/tenants/me", 302),
        (f"/api/v1/tenants/{sandbox.tenant_id}", 200),
    ]


@pytest.mark.parametrize(
    ("text", "span"),
    [("PT24H", timedelta(hours=24)), ("P30D", timedelta(days=30)), ("P1W", timedelta(weeks=1)),
     ("P1DT2H", timedelta(days=1, hours=2)), ("PT90M", timedelta(minutes=90))],
)  # fmt: skip
def test_durations_the_sandbox_reads(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "P", "PT", "P1Y", "30d", "P1DT", None, 5])
def test_durations_the_sandbox_refuses(text: object) -> None:
    assert parse_duration(text) is None


def test_bad_create_bodies_are_400(sandbox: FaultySandbox) -> None:
    admin = sandbox.issue_key()

    async def post(client: QlikClient) -> list[int]:
        http = client._require_http()
        codes = []
        for body in (b"not json", json.dumps({"description": 5}).encode()):
            response = await http.post(
                f"{sandbox.origin}/api/v1/api-keys",
                content=body,
                headers={"Authorization": f"Bearer {admin}"},
            )
            codes.append(response.status_code)
        return codes

    assert _with(sandbox, admin, post) == [400, 400]
