"""The tenant's API keys as the user manages them: list (paged), read, revoke, and why a new key
was refused.

CONTRACT:
    await list_keys(tenant, key, *, all_users=False, settings=None, http=None) -> KeyListing
        raises NotTenantAdmin (all_users without TenantAdmin) or QlikError
    await revoke_keys(tenant, key, key_ids, *, settings=None, http=None, on_shown=None,
                      approve=None, profile_name="NAME")
        -> list[Revocation]          (never raises for a QlikError: each Revocation says)
    await creation_refusal(client, exc, *, tenant, key_info, expiry, profile_name) -> Outcome
    remove_command(profile_name, key_id) -> str      the command that removes a stray key
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from qlik_tui.core.apikey import ApiKey, KeyInfo
from qlik_tui.core.client import ClientSettings, QlikClient
from qlik_tui.core.errors import Forbidden, NotFound, QlikError, StatusError
from qlik_tui.core.models import ApiKeyRecord, KeyStatus, User
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome, outcome_from_error
from qlik_tui.core.tenant import Tenant

MAX_LISTED_PAGES = 50  # 5,000 keys: far beyond any tenant's per-user limit


class NotTenantAdmin(Exception):
    """Listing every user's keys needs the TenantAdmin role."""

    def __init__(self, user: User) -> None:
        super().__init__(
            f"{user.email or user.name} is not a TenantAdmin: only a TenantAdmin can list other "
            "users' keys. Leave out --all-users to list your own."
        )
        self.user = user


@dataclass(frozen=True)
class KeyListing:
    """The keys a listing found, newest first, and the user whose key asked."""

    user: User
    keys: tuple[ApiKeyRecord, ...]
    all_users: bool
    complete: bool  # False: more pages than MAX_LISTED_PAGES
    pages: int


@dataclass(frozen=True)
class Revocation:
    """One key asked to be revoked: what it was, and what happened."""

    key_id: str
    record: ApiKeyRecord | None  # None: the tenant would not say (unknown, or not yours)
    removed: bool
    outcome: Outcome | None = None  # why it was not removed
    declined: bool = False  # shown, and the user said no: not deleted


def remove_command(profile_name: str, key_id: str) -> str:
    return f"qlik-tui revoke {shlex.quote(profile_name)} {shlex.quote(key_id)}"


async def list_keys(
    tenant: Tenant,
    key: ApiKey,
    *,
    all_users: bool = False,
    status: str | None = KeyStatus.ACTIVE.value,
    settings: ClientSettings | None = None,
    http: httpx.AsyncClient | None = None,
) -> KeyListing:
    """The caller's keys (or, for a TenantAdmin with ``all_users``, everyone's), following
    the opaque ``links.next`` cursors page by page."""
    async with QlikClient(tenant, key, settings=settings, http=http) as client:
        user = (await client.me()).value
        if all_users and not user.is_tenant_admin:
            raise NotTenantAdmin(user)
        records: list[ApiKeyRecord] = []
        page, next_url = await client.api_key_page(
            sub=None if all_users else user.id, status=status
        )
        records.extend(page.value)
        pages = 1
        while next_url is not None and pages < MAX_LISTED_PAGES:
            page, next_url = await client.api_key_page(next_url)
            records.extend(page.value)
            pages += 1
    return KeyListing(
        user=user,
        keys=tuple(records),
        all_users=all_users,
        complete=next_url is None,
        pages=pages,
    )


async def revoke_keys(
    tenant: Tenant,
    key: ApiKey,
    key_ids: list[str],
    *,
    settings: ClientSettings | None = None,
    http: httpx.AsyncClient | None = None,
    on_shown: Callable[[str, ApiKeyRecord | None], None] | None = None,
    approve: Callable[[list[ApiKeyRecord]], bool] | None = None,
    profile_name: str = "NAME",
) -> list[Revocation]:
    """Read each key's record (to show what it is), then -- once ``approve`` (given the keys
    that can be read) says yes -- delete them. An unknown key is not deleted; a key whose
    record is refused is not deleted either (it is not the caller's)."""
    results: dict[str, Revocation] = {}
    info = key.info
    async with QlikClient(tenant, key, settings=settings, http=http) as client:
        shown: list[ApiKeyRecord] = []
        for key_id in key_ids:
            try:
                record = (await client.api_key(key_id)).value
            except QlikError as exc:
                if on_shown:
                    on_shown(key_id, None)
                refusal = _refusal(exc, tenant, info, key_id, profile_name)
                results[key_id] = Revocation(key_id, None, False, refusal)
                continue
            if on_shown:
                on_shown(key_id, record)
            shown.append(record)
        if shown and approve is not None and not approve(shown):
            results.update({r.id: Revocation(r.id, r, False, declined=True) for r in shown})
            shown = []
        for record in shown:
            results[record.id] = await _delete(client, record, tenant, info, profile_name)
    return [results[key_id] for key_id in key_ids if key_id in results]


async def _delete(
    client: QlikClient, record: ApiKeyRecord, tenant: Tenant, info: KeyInfo, profile_name: str
) -> Revocation:
    try:
        await client.delete_api_key(record.id)
    except NotFound:
        return Revocation(record.id, record, True)  # gone meanwhile
    except QlikError as exc:
        refusal = _refusal(exc, tenant, info, record.id, profile_name)
        return Revocation(record.id, record, False, refusal)
    return Revocation(record.id, record, True)


def _refusal(
    exc: QlikError, tenant: Tenant, info: KeyInfo, key_id: str, profile_name: str
) -> Outcome:
    if not isinstance(exc, NotFound):
        return outcome_from_error(exc, tenant=tenant, key_info=info)
    return make_outcome(
        OutcomeKind.KEY_ID_UNKNOWN,
        tenant=tenant,
        http_status=exc.status_code,
        server_message=exc.server_message,
        key_id=key_id,
        profile=shlex.quote(profile_name),
    )


# -- why a new key was refused ---------------------------------------------------------------

_LIMIT_WORDS = ("maximum number", "too many", "limit", "max_keys", "quota")
_EXPIRY_WORDS = ("expiry", "expiration", "expire")
_PERMISSION_WORDS = ("not allowed", "permission", "forbidden", "not authorized")


def refusal_kind(exc: QlikError) -> OutcomeKind | None:
    """Which creation row the tenant's own words name (title and detail, not the status code:
    the codes for these refusals are undocumented). None: none of them."""
    if not isinstance(exc, StatusError) or exc.status_code in (401, 429) or exc.status_code >= 500:
        return None
    words = (exc.server_message or "").lower()
    if any(w in words for w in _EXPIRY_WORDS):
        return OutcomeKind.EXPIRY_TOO_LONG
    if any(w in words for w in _LIMIT_WORDS):
        return OutcomeKind.KEY_LIMIT_REACHED
    if isinstance(exc, Forbidden) or any(w in words for w in _PERMISSION_WORDS):
        return OutcomeKind.KEY_CREATE_FORBIDDEN
    return None


async def creation_refusal(
    client: QlikClient,
    exc: QlikError,
    *,
    tenant: Tenant,
    key_info: KeyInfo,
    expiry: str | None,
    profile_name: str,
) -> Outcome:
    """The outcome for a failed ``create_api_key``; for the key limit it lists the user's active
    keys (one more request, with the same key) so the user can pick one to revoke."""
    kind = refusal_kind(exc)
    if kind is None:
        return outcome_from_error(exc, tenant=tenant, key_info=key_info)
    assert isinstance(exc, StatusError)
    context = {
        "detail": (exc.server_message or f"HTTP {exc.status_code}").rstrip("."),
        "profile": shlex.quote(profile_name),
        "expiry": expiry or "the tenant's maximum",
    }
    if kind is OutcomeKind.KEY_LIMIT_REACHED:
        try:
            active = (
                await client.list_api_keys(sub=key_info.subject, status=KeyStatus.ACTIVE.value)
            ).value
        except QlikError:
            active = []
        if active:
            context["active_keys"] = f"{len(active)}: " + "; ".join(_key_line(r) for r in active)
        if key_info.tenant_id:  # the tenant's limit, when the caller may read the config
            try:
                limit = (await client.api_key_config(key_info.tenant_id)).value.max_keys_per_user
            except QlikError:
                limit = None
            if limit is not None:
                context["max_keys"] = str(limit)
    outcome = make_outcome(
        kind,
        tenant=tenant,
        key_info=key_info,
        http_status=exc.status_code,
        server_message=exc.server_message,
        latency_ms=exc.latency_ms,
    )
    return replace(outcome, context={**outcome.context, **context})


def _plain(text: str, limit: int = 60) -> str:
    """Tenant text for an outcome sentence: control characters escaped, length bounded."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _key_line(record: ApiKeyRecord) -> str:
    described = f" ({_plain(record.description)})" if record.description else ""
    expiry = f", expires {record.expiry.isoformat(timespec='minutes')}" if record.expiry else ""
    return f"{record.id}{described}{expiry}"
