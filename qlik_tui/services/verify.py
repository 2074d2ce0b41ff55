"""The live test of a key in one round trip: its user (``GET /users/{sub}``, else
``/users/me``) and, at the same time, the key's own record; plus what else the API will tell.

``verify_key`` never raises for anything in the outcome table: the result is in
``report.outcome``. Cancellation (``asyncio.CancelledError``) still propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

import httpx

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.client import ClientSettings, Deadline, QlikClient
from qlik_tui.core.errors import QlikError
from qlik_tui.core.hidden import AccessToken
from qlik_tui.core.models import ApiKeyConfig, ApiKeyRecord, KeyStatus, User
from qlik_tui.core.outcomes import Outcome, OutcomeKind, outcome_from_error
from qlik_tui.core.responses import ApiResult
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.check_results import Detail as Detail
from qlik_tui.services.check_results import VerifyReport as VerifyReport


async def verify_key(
    tenant: Tenant,
    key: ApiKey,
    *,
    settings: ClientSettings | None = None,
    http: httpx.AsyncClient | None = None,
    detail: Detail = Detail.FULL,
    known_tenant_id: str | None = None,
    remembered_record: ApiKeyRecord | None = None,
    deadline: Deadline | None = None,
) -> VerifyReport:
    """Prove ``key`` against ``tenant``.

    ``known_tenant_id`` is the tenant's id when we learnt it earlier (a validated profile on the
    same origin): a 401 for a key minted in another tenant is then explained as such.
    ``remembered_record`` is what an earlier check learnt of this key (status, expiry): a 401
    after the remembered expiry is then explained as an expired key.
    ``deadline``: no retry-after wait may run past it (the wait is refused and reported).
    """
    settings = settings or ClientSettings()
    info = key.info
    try:
        async with QlikClient(
            tenant, key, settings=settings, http=http, deadline=deadline
        ) as client:
            record_read = None
            if detail >= Detail.KEY_RECORD and info.key_id:
                # Beside the user, not after it: one round trip for both.
                record_read = asyncio.ensure_future(_unless_refused(client.api_key(info.key_id)))
            try:
                me = await client.caller(info.subject)
            except BaseException:
                if record_read is not None:
                    record_read.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await record_read
                raise
            record = await record_read if record_read is not None else None
            user = me.value
            config, active = None, None
            if detail >= Detail.FULL and user.is_tenant_admin:
                config, active = await _admin_details(client, user)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure becomes an outcome; the table explains it
        return VerifyReport(
            outcome=outcome_from_error(
                exc,
                tenant=tenant,
                key_info=info,
                expected_tenant_id=known_tenant_id,
                key_record=remembered_record,
            )
        )
    key_record = record.value if record else None
    outcome = Outcome(
        # Its user answered 200, so the key works now even if its record says otherwise.
        kind=OutcomeKind.VALID,
        http_status=me.status_code,
        latency_ms=me.latency_ms,
        rate_limit_waited_s=me.rate_limit_waited_s,
        context={"host": tenant.display_host, "tenant": user.tenant_id},
    )
    tenant_matches = (info.tenant_id == user.tenant_id) if info.tenant_id else None
    return VerifyReport(
        outcome=outcome,
        user=user,
        key_record=key_record,
        config=config,
        active_key_count=active,
        tenant_matches=tenant_matches,
    )


async def _unless_refused(
    call: Awaitable[ApiResult[ApiKeyRecord]],
) -> ApiResult[ApiKeyRecord] | None:
    """The key record is a bonus: 403/404/anything else means "unknown", never a failure."""
    try:
        return await call
    except QlikError:
        return None


async def _admin_details(client: QlikClient, user: User) -> tuple[ApiKeyConfig | None, int | None]:
    config: ApiKeyConfig | None = None
    active: int | None = None
    with contextlib.suppress(QlikError):
        config = (await client.api_key_config(user.tenant_id)).value
    with contextlib.suppress(QlikError):
        active = len((await client.list_api_keys(sub=user.id, status=KeyStatus.ACTIVE.value)).value)
    return config, active


async def verify_bearer(
    tenant: Tenant,
    bearer: ApiKey | AccessToken,
    *,
    settings: ClientSettings | None = None,
    detail: Detail = Detail.NONE,
) -> Outcome:
    """``verify_key`` for an API key; for an access token, ``GET /users/me`` with it."""
    if isinstance(bearer, ApiKey):
        return (await verify_key(tenant, bearer, settings=settings, detail=detail)).outcome
    try:
        async with QlikClient(tenant, bearer, settings=settings) as client:
            me = await client.me()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return outcome_from_error(exc, tenant=tenant)
    return Outcome(kind=OutcomeKind.VALID, http_status=me.status_code, latency_ms=me.latency_ms)
