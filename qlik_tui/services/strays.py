"""Keys a renewal may have left on the tenant without anyone being told: find them, delete them
when nobody can hold them, name them otherwise.

Every renewal tags the description of the key it creates with a marker of its own run
(``tagged``). When the create's answer is lost (timeout, reset, an interrupt while the POST is in
flight) the tenant may have made the key anyway: ``sweep_marked`` lists the user's active keys
with the stored key and deletes those carrying the marker -- nobody ever received their secret,
so nobody can hold them. A run killed outright leaves its ``PendingRenewal`` in the journal; the
next ``rotate``, ``check --renew-within`` or ``keys`` run of that profile calls
``left_behind`` and reports (and, where it may, deletes) what that run left.

CONTRACT:
    new_marker() -> str;  tagged(description, marker) -> str;  carries(description, marker)
    await sweep_marked(client, profile=, subject=, marker=, keep=, why=, delete=True) -> Sweep
    await left_behind(services, client, profile=, subject=, stored_key_id=, delete=) -> LeftBehind
    await look_for_left_behind(services, name, delete=, http=None) -> LeftBehind
        (the same for a run that is not renewing: reads the profile's key, and stays out of the
        way of a renewal of the profile that is running now)
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from qlik_tui.core.client import QlikClient, make_http_client
from qlik_tui.core.errors import NotFound, QlikError
from qlik_tui.core.models import ApiKeyRecord
from qlik_tui.core.tenant import TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.key_admin import remove_command
from qlik_tui.store.lockfile import LockTimeout
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.store.renewals import PendingRenewal, RenewalJournal, renewal_lock
from qlik_tui.store.secrets import StoreError

_TAG = "qlik-tui run"


@dataclass(frozen=True)
class StrayKey:
    """A key left active on the tenant that nothing stores: how to remove it."""

    key_id: str  # for a client secret: its hint
    why: str
    command: str  # the command that removes it
    what: str = "key"  # or "client secret"


def new_marker() -> str:
    """A tag unique to one renewal run (not secret: it only finds the run's own key)."""
    return secrets.token_hex(6)


def tagged(description: str, marker: str) -> str:
    return f"{description} [{_TAG} {marker}]"


def carries(description: str | None, marker: str) -> bool:
    return description is not None and f"[{_TAG} {marker}]" in description


@dataclass(frozen=True)
class Sweep:
    looked: bool  # the tenant listed the keys (False: nothing is known)
    deleted: tuple[str, ...] = ()  # key ids found and deleted
    strays: tuple[StrayKey, ...] = ()  # found and left active (named, with the command)
    problem: str = ""  # why the tenant could not be asked, when it could not

    @property
    def resolved(self) -> bool:
        """Every key the run made is known to be gone."""
        return self.looked and not self.strays


async def active_keys(client: QlikClient, subject: str | None) -> list[ApiKeyRecord]:
    return (await client.list_api_keys(sub=subject)).value


async def sweep_marked(
    client: QlikClient,
    *,
    profile: str,
    subject: str | None,
    marker: str,
    keep: Iterable[str | None] = (),
    why: str,
    delete: bool = True,
    listed: list[ApiKeyRecord] | None = None,
) -> Sweep:
    """Delete (``delete``) or name the active keys whose description carries ``marker``,
    except those in ``keep`` (a stored key). ``why`` says where they came from."""
    try:
        records = listed if listed is not None else await active_keys(client, subject)
    except QlikError as exc:
        return Sweep(looked=False, problem=exc.message or exc.kind.value)
    kept = {k for k in keep if k}
    found = [r.id for r in records if carries(r.description, marker) and r.id not in kept]
    deleted: list[str] = []
    strays: list[StrayKey] = []
    for key_id in found:
        if not delete:
            strays.append(StrayKey(key_id, why, remove_command(profile, key_id)))
            continue
        try:
            await client.delete_api_key(key_id)
        except NotFound:
            pass  # gone already
        except QlikError as exc:
            reason = f"{why}; deleting it failed ({exc.message or exc.kind.value})"
            strays.append(StrayKey(key_id, reason, remove_command(profile, key_id)))
            continue
        deleted.append(key_id)
    return Sweep(True, tuple(deleted), tuple(strays))


@dataclass(frozen=True)
class LeftBehind:
    """What earlier, unfinished renewals of one profile left on the tenant."""

    deleted: tuple[str, ...] = ()
    strays: tuple[StrayKey, ...] = ()
    notes: tuple[str, ...] = ()


async def left_behind(
    services: Services,
    client: QlikClient,
    *,
    profile: str,
    subject: str | None,
    stored_key_id: str | None,
    delete: bool,
) -> LeftBehind:
    """Look for the keys of every journalled renewal of ``profile`` that did not finish, with
    the stored key's ``client``. Resolved entries leave the journal; the rest stay, so the next
    run looks again (a SIGKILL never makes a stray silent)."""
    journal = RenewalJournal(services.profiles.path)
    try:
        pending = await asyncio.to_thread(journal.pending, profile)
    except OSError:
        return LeftBehind()
    if not pending:
        return LeftBehind()
    try:
        listed = await active_keys(client, subject)
    except QlikError as exc:
        note = (
            f"An earlier renewal of {quoted_name(profile)} did not finish and the tenant could "
            f"not be asked whether it left a key ({exc.message or exc.kind.value}); the next "
            "run looks again."
        )
        return LeftBehind(notes=(note,))
    held = await _held_key_ids(services)
    found = LeftBehind()
    for entry in pending:
        left = await _one_left_behind(client, entry, listed, stored_key_id, held, delete)
        found = _merge(found, left)
        if not _names_entry(found, listed, entry, stored_key_id):
            await asyncio.to_thread(journal.remove, entry.profile, entry.marker)
    return found


async def _one_left_behind(
    client: QlikClient,
    entry: PendingRenewal,
    listed: list[ApiKeyRecord],
    stored_key_id: str | None,
    held: set[str],
    delete: bool,
) -> LeftBehind:
    why = (
        f"made by a renewal of {quoted_name(entry.profile)} started {entry.started} that was "
        "stopped before it stored the key; no store holds it"
    )
    sweep = await sweep_marked(
        client,
        profile=entry.profile,
        subject=None,
        marker=entry.marker,
        keep=(stored_key_id, *held),
        why=why,
        delete=delete,
        listed=listed,
    )
    strays = list(sweep.strays)
    old = entry.old_key_id
    if old and old != stored_key_id and old not in held and any(r.id == old for r in listed):
        # The run stored its new key but was stopped before deleting the old one. The old key
        # may be in use elsewhere: named, not deleted.
        strays.append(
            StrayKey(
                old,
                f"the renewal of {quoted_name(entry.profile)} started {entry.started} stored "
                "its successor but was stopped before deleting it; no profile holds it",
                remove_command(entry.profile, old),
            )
        )
    notes = tuple(
        f"Deleted key {key_id}: {why} (nobody ever received it)." for key_id in sweep.deleted
    )
    return LeftBehind(sweep.deleted, tuple(strays), notes)


def _names_entry(
    found: LeftBehind, listed: list[ApiKeyRecord], entry: PendingRenewal, stored: str | None
) -> bool:
    """Whether a key of ``entry`` is still active and named (keep the entry: report it again)."""
    named = {s.key_id for s in found.strays}
    return any(
        r.id in named and (carries(r.description, entry.marker) or r.id == entry.old_key_id)
        for r in listed
        if r.id != stored
    )


async def _held_key_ids(services: Services) -> set[str]:
    try:
        profiles = await asyncio.to_thread(services.profiles.all)
    except ProfilesFileError:
        return set()
    return {p.key_id for p in profiles if p.key_id}


def _merge(a: LeftBehind, b: LeftBehind) -> LeftBehind:
    return LeftBehind(a.deleted + b.deleted, a.strays + b.strays, a.notes + b.notes)


def pending_profiles(services: Services) -> set[str]:
    """The profiles with a journalled renewal that did not finish."""
    try:
        return {e.profile for e in RenewalJournal(services.profiles.path).pending()}
    except OSError:
        return set()


async def look_for_left_behind(
    services: Services, name: str, *, delete: bool, http: httpx.AsyncClient | None = None
) -> LeftBehind:
    """``left_behind`` for profile ``name`` outside a renewal. Nothing is looked at while a
    renewal of the profile runs (its own key is not a stray), nor when the profile or its key
    cannot be read (the command's own check says why)."""
    if name not in await asyncio.to_thread(pending_profiles, services):
        return LeftBehind()
    try:
        lock = renewal_lock(services.profiles.path, name)
        lock.acquire()
    except (LockTimeout, OSError):
        return LeftBehind()
    try:
        profile = await asyncio.to_thread(services.profiles.get, name)
        if profile is None:
            return LeftBehind()
        key = await asyncio.to_thread(services.for_profile(profile).secrets.load, name)
        tenant = parse_tenant(profile.origin)
    except (ProfilesFileError, StoreError, TenantError):
        lock.release()
        return LeftBehind()
    try:
        async with make_http_client(services.client_settings) as own:
            client = QlikClient(tenant, key, settings=services.client_settings, http=http or own)
            return await left_behind(
                services,
                client,
                profile=name,
                subject=key.info.subject,
                stored_key_id=key.info.key_id,
                delete=delete,
            )
    finally:
        lock.release()
