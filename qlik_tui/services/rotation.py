"""Renew a stored key: the tenant creates its successor, and nothing is ever lost on the way.

Order (each step only after the one before succeeded):
    1. CREATE   POST /api-keys with the stored (old) key
    2. VERIFY   the new key's user (one round trip: /users/{sub}, else /users/me): the same user
                and tenant as the old key
    3. STORE    the all-or-nothing store puts the new key and the profile in the store that
                holds the old key (the OS keyring, or qlik-tui's encrypted file)
    4. DELETE   DELETE /api-keys/{old id} with the NEW key (skipped with ``keep_old``)
    5. UPDATE   the profile's metadata: checked now, valid, the new expiry, the tenant id

Failure before the store: the new key is deleted again with the old one; the stored key is
untouched. A failed store leaves the old key stored (the store puts it back) and deletes the new
key. Any clean-up delete that fails leaves a *stray* key, named in the result with the command
that removes it. A failed delete of the old key after a good store is ``OLD_KEY_LEFT``.

The whole renewal holds the profile's renewal lock (a second one stops: RENEWAL_IN_PROGRESS), and
the stored key is compared with the one the run started from just before the store
(STORED_KEY_CHANGED: the new key is deleted). The new key's description carries the run's tag
(services/strays.py): a create whose answer is lost, or that is interrupted in flight, is
followed by a look for the tagged key, which is deleted and reported; a journal entry written
before the create lets the next run find what a killed one left.

For front ends:
    events = []
    cancel = CancelToken()                       # cancel.cancel() -> False once storing began
    result = await rotate_profile(services, "prod", on_step=events.append, cancel=cancel)
``on_step`` receives a ``StepEvent`` as each step starts and ends (called on the event loop's
thread). Cancelling -- the token, or cancelling the task -- is honoured until the store starts:
the new key is then deleted with the old one and the result is ``CANCELLED`` (a cancelled task
raises ``RotationCancelled``, a ``CancelledError`` whose ``result`` says what was done, after
that clean-up). From the store on, the rotation completes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

import httpx

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.client import QlikClient, make_http_client
from qlik_tui.core.errors import NotFound, QlikError, StatusError
from qlik_tui.core.models import KeyStatus, User
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome, outcome_from_error
from qlik_tui.core.responses import CreatedKey
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.check import stored_key_failure
from qlik_tui.services.check_results import VerifyReport
from qlik_tui.services.context import Services
from qlik_tui.services.key_admin import creation_refusal, remove_command
from qlik_tui.services.profile_key import load_profile_key
from qlik_tui.services.results import KeyNotStored, StoreStep
from qlik_tui.services.shared_keys import holders
from qlik_tui.services.storing import store_key
from qlik_tui.services.strays import (
    LeftBehind,
    StrayKey,
    Sweep,
    left_behind,
    new_marker,
    sweep_marked,
    tagged,
)
from qlik_tui.services.successor_store import store_for_holders
from qlik_tui.store.key_stores import KeyStoreKind, key_store_words, kind_of
from qlik_tui.store.lockfile import LockFile, LockTimeout
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import CredentialKind, Profile, ProfilesFileError, now_iso
from qlik_tui.store.renewals import PendingRenewal, RenewalJournal, renewal_lock
from qlik_tui.store.secrets import StoreError


class RotationStep(str, Enum):
    LOAD = "load"  # read the profile and its key (local)
    CREATE = "create"
    VERIFY = "verify"
    STORE = "store"
    DELETE_OLD = "delete-old"
    UPDATE = "update"


# The store step names the store of the profile's key (see ``step_title``); this one is the
# OS keyring's, the store of profiles that record none.
STEP_TITLES = {
    RotationStep.LOAD: "Read the stored key",
    RotationStep.CREATE: "Create the new key (with the stored key)",
    RotationStep.VERIFY: "Prove the new key (its user: same user and tenant)",
    RotationStep.STORE: "Store the new key (keyring and profile, all or nothing)",
    RotationStep.DELETE_OLD: "Delete the old key (with the new key)",
    RotationStep.UPDATE: "Update the profile",
}


_STORE_TITLES = {
    KeyStoreKind.KEYRING: STEP_TITLES[RotationStep.STORE],
    KeyStoreKind.ENCRYPTED_FILE: "Store the new key (encrypted file and profile, all or nothing)",
}


# Renewing an OAuth client's secret (services/secret_rotation.py): the same steps.
CLIENT_STEP_TITLES = {
    RotationStep.LOAD: "Read the stored secret (a token minted with it reads the client)",
    RotationStep.CREATE: "Create a new client secret (with that token)",
    RotationStep.VERIFY: "Prove the new secret (mint with it, /users/me: same bot user)",
    RotationStep.STORE: "Store the new secret (key store and profile, all or nothing)",
    RotationStep.DELETE_OLD: "Delete the old secret (with a token of the new one)",
    RotationStep.UPDATE: "Update the profile",
}


def step_title(
    step: RotationStep,
    store: KeyStoreKind = KeyStoreKind.KEYRING,
    credential: CredentialKind = CredentialKind.API_KEY,
) -> str:
    """The title of ``step`` when renewing a key (or a client secret) kept in ``store``."""
    if credential is CredentialKind.OAUTH_CLIENT:
        return CLIENT_STEP_TITLES[step]
    return _STORE_TITLES[store] if step is RotationStep.STORE else STEP_TITLES[step]


class StepState(str, Enum):
    STARTED = "started"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepEvent:
    step: RotationStep
    state: StepState
    note: str = ""  # e.g. the new key's id; never the key
    store: KeyStoreKind = KeyStoreKind.KEYRING  # where the profile's key is kept
    credential: CredentialKind = CredentialKind.API_KEY  # or OAUTH_CLIENT: a client secret

    @property
    def title(self) -> str:
        return step_title(self.step, self.store, self.credential)


class RotationStatus(str, Enum):
    RENEWED = "renewed"  # new key stored, old key deleted (or kept, with keep_old)
    OLD_KEY_LEFT = "old-key-left"  # new key stored; deleting the old key failed (stray)
    FAILED = "failed"  # the stored key is unchanged (see failed_step and outcome)
    STORE_FAILED = "store-failed"  # the store refused: the old key is still stored
    CANCELLED = "cancelled"  # cancelled before the store; the stored key is unchanged


@dataclass(frozen=True)
class RotationResult:
    name: str
    status: RotationStatus
    old_key_id: str | None
    new_key_id: str | None = None
    new_expiry: datetime | None = None
    failed_step: RotationStep | None = None
    outcome: Outcome | None = None  # why it failed (the outcome table's row)
    store_failure: KeyNotStored | None = None
    strays: tuple[StrayKey, ...] = ()
    profile: Profile | None = None  # as stored after a renewal
    kept_old: bool = False
    notes: tuple[str, ...] = ()  # further true sentences (e.g. metadata not updated)
    # keys found active that nobody could hold (a lost create answer, an earlier run that was
    # stopped) and deleted by this run
    deleted_strays: tuple[str, ...] = ()
    interrupted: bool = False  # a signal or a cancelled task stopped the run (see notes)
    # what was renewed: an API key (ids are key ids) or an OAuth client's secret (ids are the
    # secrets' hints); sentences name it by ``credential.words``
    credential: CredentialKind = CredentialKind.API_KEY
    # Every profile that holds the new key now: this one, then the others that held the old
    # key (one key, several profiles: all of them are renewed, or none).
    updated_profiles: tuple[str, ...] = ()

    @property
    def renewed(self) -> bool:
        return self.status in (RotationStatus.RENEWED, RotationStatus.OLD_KEY_LEFT)

    @property
    def stored_key_id(self) -> str | None:
        """The id of the key the profile holds now."""
        return self.new_key_id if self.renewed else self.old_key_id


class CancelToken:
    """Asks a rotation to stop; honoured until the store begins."""

    def __init__(self) -> None:
        self._requested = False
        self._storing = False

    @property
    def requested(self) -> bool:
        return self._requested

    def cancel(self) -> bool:
        """True when the rotation will stop (and clean up); False once storing has begun."""
        if self._storing:
            return False
        self._requested = True
        return True

    def _begin_store(self) -> bool:
        if self._requested:
            return False
        self._storing = True
        return True


class RotationCancelled(asyncio.CancelledError):
    """A cancelled rotation after its clean-up: ``result`` says what was made, stored, deleted
    and left. A ``CancelledError``, so a cancelled task still ends cancelled."""

    def __init__(self, result: RotationResult) -> None:
        super().__init__()
        self.result = result


StepCallback = Callable[[StepEvent], None]


# -- shared by the key's renewal here and the client secret's (services/secret_rotation.py) --


def key_store_of(profile: Profile | None) -> KeyStoreKind:
    """The store of the profile's secret (the OS keyring until the profile is read)."""
    kind = kind_of(profile) if profile is not None else None
    return kind or KeyStoreKind.KEYRING


def take_renewal_lock(services: Services, name: str) -> LockFile | None:
    """Profile ``name``'s renewal lock (one non-blocking try, so it runs on the loop; raises
    ``LockTimeout`` when another renewal holds it); None when the folder cannot hold one: the
    compare-before-store still guards the store."""
    try:
        lock = renewal_lock(services.profiles.path, name)
        lock.acquire()
    except LockTimeout:
        raise
    except OSError:
        return None
    return lock


def interrupted(result: RotationResult, note: str) -> RotationResult:
    """``result`` of a run a signal or a cancel stopped, ``note`` saying when."""
    return dataclasses.replace(result, interrupted=True, notes=(*result.notes, note))


async def run_to_the_end(steps: Awaitable[RotationResult], note: str) -> RotationResult:
    """The result of ``steps``, which a cancel does not stop: every cancel waits for them to
    end, then raises ``RotationCancelled`` with their result, ``interrupted`` with ``note``."""
    running = asyncio.ensure_future(steps)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        while not running.done():  # every further cancel waits too
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(running)
        raise RotationCancelled(interrupted(running.result(), note)) from None


_BEFORE_STORE = "Interrupted before the new key was stored: the stored key is unchanged."
_AFTER_STORE = (
    "Interrupted after the new key was stored: the renewal was finished first (see above for "
    "the old key)."
)


def default_description(name: str, now: datetime | None = None) -> str:
    moment = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return f"qlik-tui {name} (renewed {moment})"


async def rotate_profile(
    services: Services,
    name: str,
    *,
    expiry: str | None = None,
    description: str | None = None,
    keep_old: bool = False,
    on_step: StepCallback | None = None,
    cancel: CancelToken | None = None,
    http: httpx.AsyncClient | None = None,
) -> RotationResult:
    """Renew the key of profile ``name`` (see the module's docstring). Never raises for a
    tenant, key store or profiles failure: the result says what happened and what is left.
    The new key goes to the store the old one is in (the profile's ``store``)."""
    rotation = _Rotation(services, name, expiry, description, keep_old, on_step, cancel)
    if http is not None:
        return await rotation.run(http)
    async with make_http_client(services.client_settings) as own:
        return await rotation.run(own)


@dataclass
class _Rotation:
    services: Services
    name: str
    expiry: str | None
    description: str | None
    keep_old: bool
    on_step: StepCallback | None
    cancel: CancelToken | None
    profile: Profile | None = None
    tenant: Tenant | None = None
    old_key: ApiKey | None = field(default=None, repr=False)
    created: CreatedKey | None = field(default=None, repr=False)
    http: httpx.AsyncClient | None = field(default=None, repr=False)
    # this run's tag in the new key's description, and whether every key it made is known
    marker: str = field(default_factory=new_marker)
    journalled: bool = False
    accounted: bool = False
    # keys found and deleted, keys left (named), and sentences, from the sweeps of this run
    found_deleted: list[str] = field(default_factory=list)
    found_strays: list[StrayKey] = field(default_factory=list)
    found_notes: list[str] = field(default_factory=list)

    @property
    def store(self) -> KeyStoreKind:
        return key_store_of(self.profile)

    def emit(self, step: RotationStep, state: StepState, note: str = "") -> None:
        if self.on_step is not None:
            self.on_step(StepEvent(step, state, note, self.store))

    def result(self, status: RotationStatus, **fields: object) -> RotationResult:
        old_id = self.profile.key_id if self.profile else None
        if self.old_key is not None:
            old_id = self.old_key.info.key_id or old_id
        made = RotationResult(self.name, status, old_id, **fields)  # type: ignore[arg-type]
        return dataclasses.replace(
            made,
            strays=(*self.found_strays, *made.strays),
            notes=(*self.found_notes, *made.notes),
            deleted_strays=tuple(self.found_deleted),
        )

    async def run(self, http: httpx.AsyncClient) -> RotationResult:
        """The renewal under the profile's lock: a second renewal of the profile stops."""
        self.http = http
        try:
            lock = take_renewal_lock(self.services, self.name)
        except LockTimeout:
            return await self.in_progress()
        try:
            return await self.run_locked(http)
        except RotationCancelled:
            raise
        except asyncio.CancelledError:  # outside the steps that clean up after themselves
            raise RotationCancelled(self.stopped_between_steps()) from None
        finally:
            await asyncio.shield(self.close_journal())
            if lock is not None:
                lock.release()

    def stopped_between_steps(self) -> RotationResult:
        """Cancelled before the create was sent, or while looking for what a lost one made."""
        if self.journalled and not self.accounted:
            note = (
                "Interrupted while looking for a key the lost create may have made; the next "
                f"`qlik-tui rotate {shlex.quote(self.name)}`, `check --renew-within` or "
                f"`keys {shlex.quote(self.name)}` looks again."
            )
        else:
            note = "Interrupted before a new key was asked for: nothing changed."
        return self.result(RotationStatus.CANCELLED, interrupted=True, notes=(note,))

    async def in_progress(self) -> RotationResult:
        """Another renewal of the profile runs: this one makes nothing."""
        with contextlib.suppress(ProfilesFileError):  # to name the key the profile holds
            self.profile = await asyncio.to_thread(self.services.profiles.get, self.name)
        outcome = make_outcome(OutcomeKind.RENEWAL_IN_PROGRESS, profile=shlex.quote(self.name))
        return self.result(RotationStatus.FAILED, failed_step=RotationStep.LOAD, outcome=outcome)

    async def run_locked(self, http: httpx.AsyncClient) -> RotationResult:
        loaded = await self.load()
        if isinstance(loaded, RotationResult):
            return loaded
        tenant, old_key = loaded
        old_client = QlikClient(tenant, old_key, settings=self.services.client_settings, http=http)
        await self.sweep_left_behind(old_client)

        # 1. create, with the stored key
        if self.cancel is not None and self.cancel.requested:
            return self.result(RotationStatus.CANCELLED)
        self.emit(RotationStep.CREATE, StepState.STARTED)
        description = tagged(self.description or default_description(self.name), self.marker)
        await self.open_journal()
        try:
            created = (await old_client.create_api_key(description, self.expiry)).value
        except QlikError as exc:
            self.emit(RotationStep.CREATE, StepState.FAILED)
            outcome = await creation_refusal(
                old_client,
                exc,
                tenant=tenant,
                key_info=old_key.info,
                expiry=self.expiry,
                profile_name=self.name,
            )
            await self.after_lost_answer(old_client, exc)
            return self.result(
                RotationStatus.FAILED, failed_step=RotationStep.CREATE, outcome=outcome
            )
        except asyncio.CancelledError:
            stopped = await asyncio.shield(self.interrupted_create(old_client))
            raise RotationCancelled(stopped) from None
        self.created = created
        self.accounted = True  # from here on every path names or deletes the key by its id
        new_id = created.record.id
        self.emit(RotationStep.CREATE, StepState.DONE, new_id)

        # 2. verify: the new key works for the same user on the same tenant
        try:
            if self.cancel is not None and self.cancel.requested:
                return await self.undo(old_client, RotationStatus.CANCELLED, None, None)
            self.emit(RotationStep.VERIFY, StepState.STARTED, new_id)
            new_client = QlikClient(
                tenant, created.key, settings=self.services.client_settings, http=http
            )
            try:
                me = await new_client.caller(created.key.info.subject)
            except Exception as exc:  # whatever went wrong, the new key is deleted again
                self.emit(RotationStep.VERIFY, StepState.FAILED, new_id)
                outcome = outcome_from_error(exc, tenant=tenant, key_info=created.key.info)
                return await self.undo(
                    old_client, RotationStatus.FAILED, RotationStep.VERIFY, outcome
                )
            mismatch = self.mismatch(me.value, old_key)
            if mismatch is not None:
                self.emit(RotationStep.VERIFY, StepState.FAILED, new_id)
                kind = (
                    OutcomeKind.KEY_OTHER_TENANT
                    if "tenant" in mismatch
                    else OutcomeKind.MALFORMED_RESPONSE
                )
                outcome = make_outcome(
                    kind,
                    tenant=tenant,
                    key_info=created.key.info,
                    expected_tenant_id=me.value.tenant_id,
                    detail=mismatch,
                )
                return await self.undo(
                    old_client, RotationStatus.FAILED, RotationStep.VERIFY, outcome
                )
            self.emit(RotationStep.VERIFY, StepState.DONE, new_id)
            if self.cancel is not None and not self.cancel._begin_store():
                return await self.undo(old_client, RotationStatus.CANCELLED, None, None)
            changed = await self.stored_key_changed()
            if changed is not None:
                return changed
        except asyncio.CancelledError:
            undone = await asyncio.shield(
                self.undo(old_client, RotationStatus.CANCELLED, None, None)
            )
            raise RotationCancelled(interrupted(undone, _BEFORE_STORE)) from None

        # 3. store (from here on the rotation completes: a cancelled task waits for it)
        return await run_to_the_end(self.finish(old_client, new_client, me.value), _AFTER_STORE)

    async def load(self) -> RotationResult | tuple[Tenant, ApiKey]:
        self.emit(RotationStep.LOAD, StepState.STARTED)
        failure: Outcome | None = None
        try:
            self.profile = await asyncio.to_thread(self.services.profiles.get, self.name)
        except ProfilesFileError as exc:
            failure = make_outcome(OutcomeKind.KEYRING_UNAVAILABLE, detail=str(exc))
        if failure is None and self.profile is None:
            failure = make_outcome(
                OutcomeKind.KEY_NOT_STORED,
                detail=f"there is no profile named {quoted_name(self.name)}",
            )
        if failure is None and self.profile is not None:
            self.services = self.services.for_profile(self.profile)  # its own key store
            try:
                self.tenant = parse_tenant(self.profile.origin)
            except TenantError as exc:
                failure = make_outcome(OutcomeKind.MALFORMED_RESPONSE, detail=str(exc))
        if failure is None and self.tenant is not None and self.profile is not None:
            unread: StoreError | None = None
            try:
                self.old_key = await asyncio.to_thread(
                    load_profile_key, self.services, self.profile, self.services.secrets
                )
            except StoreError as exc:
                unread = exc
            if unread is not None:  # named as check names it: the profile's own store
                failure = stored_key_failure(self.services, self.profile, unread, self.tenant)
        if failure is not None or self.tenant is None or self.old_key is None:
            self.emit(RotationStep.LOAD, StepState.FAILED)
            return self.result(
                RotationStatus.FAILED, failed_step=RotationStep.LOAD, outcome=failure
            )
        self.emit(RotationStep.LOAD, StepState.DONE, self.old_key.info.key_id or "")
        return self.tenant, self.old_key

    # -- the journal, the lock's companion: what a killed run leaves for the next one ---------

    async def open_journal(self) -> None:
        """Note this run's marker before the create is sent (a SIGKILL then leaves it)."""
        old_id = self.old_key.info.key_id if self.old_key else None
        entry = PendingRenewal(self.name, self.marker, old_id, now_iso())
        try:
            await asyncio.to_thread(RenewalJournal(self.services.profiles.path).add, entry)
        except (OSError, LockTimeout):
            return  # this run still sweeps its own lost answer; only a SIGKILL would be silent
        self.journalled = True

    async def close_journal(self) -> None:
        if not (self.journalled and self.accounted):
            return  # unaccounted: the entry stays, and the next run looks for the key again
        journal = RenewalJournal(self.services.profiles.path)
        with contextlib.suppress(OSError, LockTimeout):
            await asyncio.to_thread(journal.remove, self.name, self.marker)

    async def sweep_left_behind(self, old_client: QlikClient) -> None:
        """Report (and delete, where nobody can hold them) keys earlier runs left."""
        assert self.old_key is not None
        found: LeftBehind = await left_behind(
            self.services,
            old_client,
            profile=self.name,
            subject=self.old_key.info.subject,
            stored_key_id=self.old_key.info.key_id,
            delete=True,
        )
        self.found_deleted.extend(found.deleted)
        self.found_strays.extend(found.strays)
        self.found_notes.extend(found.notes)

    # -- a create whose answer never came ---------------------------------------------------

    async def sweep_own(self, old_client: QlikClient, why: str) -> Sweep:
        """Delete the key this run's create may have made (found by the run's marker)."""
        sweep = await sweep_marked(
            old_client,
            profile=self.name,
            subject=self.old_key.info.subject if self.old_key else None,
            marker=self.marker,
            keep=(self.old_key.info.key_id if self.old_key else None,),
            why=why,
        )
        self.found_deleted.extend(sweep.deleted)
        self.found_strays.extend(sweep.strays)
        self.accounted = bool(sweep.deleted) and sweep.resolved
        return sweep

    async def after_lost_answer(self, old_client: QlikClient, exc: QlikError) -> None:
        """After a create that failed without the tenant's refusal (network, timeout, 5xx,
        garbled), the tenant may have made the key anyway: delete it, and say so."""
        if isinstance(exc, StatusError) and exc.status_code < 500:
            self.accounted = True  # the tenant refused: nothing was created
            return
        lost = f"the answer to the create was lost ({exc.message or exc.kind.value})"
        sweep = await self.sweep_own(old_client, f"{lost} but the tenant made this key")
        self.found_notes.append(self.lost_answer_sentence(lost, sweep))

    async def interrupted_create(self, old_client: QlikClient) -> RotationResult:
        lost = "the run was interrupted while the tenant was creating the new key"
        sweep = await self.sweep_own(old_client, f"{lost}, and the tenant made it")
        self.found_notes.append(self.lost_answer_sentence(lost, sweep))
        self.emit(RotationStep.CREATE, StepState.FAILED)
        return self.result(
            RotationStatus.CANCELLED, failed_step=RotationStep.CREATE, interrupted=True
        )

    def lost_answer_sentence(self, lost: str, sweep: Sweep) -> str:
        again = (
            f"the next `qlik-tui rotate {shlex.quote(self.name)}`, `check --renew-within` or "
            f"`keys {shlex.quote(self.name)}` looks again for a key whose description carries "
            f"[qlik-tui run {self.marker}]"
        )
        lost = lost[0].upper() + lost[1:]
        if not sweep.looked:
            return (
                f"{lost}, and the tenant could not be asked whether it made the key "
                f"({sweep.problem}); {again}."
            )
        if sweep.deleted:
            made = ", ".join(sweep.deleted)
            return (
                f"{lost}, but the tenant had made key {made}: it was deleted again (nobody "
                "had received it)."
            )
        if sweep.strays:
            return f"{lost}, and the key the tenant made could not be deleted (named below)."
        return f"{lost}; the tenant lists no key made by this run so far: {again}."

    # -- compare before store -------------------------------------------------------------

    async def stored_key_changed(self) -> RotationResult | None:
        """The stored key is still the one this run started from, or the run stops here and
        deletes its new key: storing it would overwrite another run's (or a login's) key."""
        assert self.old_key is not None and self.created is not None
        try:
            current = await asyncio.to_thread(self.services.secrets.load, self.name)
        except StoreError:
            return None  # the store step meets the same trouble and reports it
        if current.info.key_id == self.old_key.info.key_id:
            return None
        self.emit(RotationStep.STORE, StepState.FAILED, self.created.record.id)
        outcome = make_outcome(OutcomeKind.STORED_KEY_CHANGED, profile=shlex.quote(self.name))
        assert self.tenant is not None
        settings = self.services.client_settings
        # The key stored now deletes it (the other run may have deleted the old one already).
        holder = QlikClient(self.tenant, current, settings=settings, http=self.http)
        return await self.undo(holder, RotationStatus.FAILED, RotationStep.STORE, outcome)

    def mismatch(self, user: User, old_key: ApiKey) -> str | None:
        """Why the new key's user is not the old key's, or None when it is the same."""
        info = old_key.info
        expected_user = info.subject or (self.profile.user_id if self.profile else None)
        if expected_user and user.id != expected_user:
            return "new key answered for another user"
        if info.tenant_id and user.tenant_id != info.tenant_id:
            return "new key answered for another tenant"
        return None

    async def undo(
        self,
        old_client: QlikClient,
        status: RotationStatus,
        step: RotationStep | None,
        outcome: Outcome | None,
        store_failure: KeyNotStored | None = None,
    ) -> RotationResult:
        """Delete the new key with the old one; a failed delete is reported as a stray."""
        assert self.created is not None
        new_id = self.created.record.id
        strays: tuple[StrayKey, ...] = ()
        try:
            await old_client.delete_api_key(new_id)
        except NotFound:
            pass  # already gone
        except QlikError as exc:
            why = f"the new key could not be deleted again ({exc.message or exc.kind.value})"
            strays = (StrayKey(new_id, why, remove_command(self.name, new_id)),)
        return self.result(
            status,
            new_key_id=new_id,
            failed_step=step,
            outcome=outcome,
            store_failure=store_failure,
            strays=strays,
        )

    async def finish(
        self, old_client: QlikClient, new_client: QlikClient, user: User
    ) -> RotationResult:
        assert self.created is not None and self.tenant is not None and self.old_key is not None
        created, tenant = self.created, self.tenant
        new_id = created.record.id
        record = created.record
        report = VerifyReport(
            outcome=make_outcome(OutcomeKind.VALID, tenant=tenant),
            user=user,
            key_record=record,
            tenant_matches=True,
        )
        self.emit(RotationStep.STORE, StepState.STARTED, new_id)
        failure: KeyNotStored | None = None
        try:
            stored = await asyncio.to_thread(
                store_key,
                self.services,
                name=self.name,
                tenant=tenant,
                key=created.key,
                report=report,
                replace=True,
            )
        except KeyNotStored as exc:
            failure = exc
        except Exception as exc:  # not the store's contract: what it left is unknown
            self.emit(RotationStep.STORE, StepState.FAILED, new_id)
            where = key_store_words(self.profile)["store_where"] if self.profile else "the store"
            why = (
                f"storing failed unexpectedly ({type(exc).__name__}); {where} may hold either "
                "key, so neither was deleted"
            )
            return self.result(
                RotationStatus.STORE_FAILED,
                new_key_id=new_id,
                failed_step=RotationStep.STORE,
                outcome=outcome_from_error(exc, tenant=tenant),
                strays=(StrayKey(new_id, why, remove_command(self.name, new_id)),),
            )
        if failure is not None:
            self.emit(RotationStep.STORE, StepState.FAILED, new_id)
            outcome = store_failure_outcome(failure, tenant)
            if not failure.nothing_stored:
                # The store holds the new key and could not be put back: deleting it would
                # lose the only stored working key. Both keys stay active; say so.
                kept_id = self.old_key.info.key_id or "(unknown id)"
                why = "the store could not put the old key back, so both keys are kept"
                return self.result(
                    RotationStatus.STORE_FAILED,
                    new_key_id=new_id,
                    failed_step=RotationStep.STORE,
                    outcome=outcome,
                    store_failure=failure,
                    strays=(StrayKey(kept_id, why, remove_command(self.name, kept_id)),),
                )
            return await self.undo(
                old_client, RotationStatus.STORE_FAILED, RotationStep.STORE, outcome, failure
            )
        others = await self.store_for_other_holders(old_client, report)
        if isinstance(others, RotationResult):
            return others
        self.emit(RotationStep.STORE, StepState.DONE, new_id)

        strays: tuple[StrayKey, ...] = ()
        status = RotationStatus.RENEWED
        old_id = self.old_key.info.key_id
        delete_outcome: Outcome | None = None
        if self.keep_old or not old_id:
            self.emit(RotationStep.DELETE_OLD, StepState.SKIPPED, old_id or "")
        else:
            self.emit(RotationStep.DELETE_OLD, StepState.STARTED, old_id)
            try:
                await new_client.delete_api_key(old_id)
            except NotFound:
                pass  # already gone
            except QlikError as exc:
                self.emit(RotationStep.DELETE_OLD, StepState.FAILED, old_id)
                delete_outcome = outcome_from_error(exc, tenant=tenant)
                why = f"the old key could not be deleted ({exc.message or exc.kind.value})"
                strays = (StrayKey(old_id, why, remove_command(self.name, old_id)),)
                status = RotationStatus.OLD_KEY_LEFT
            if status is RotationStatus.RENEWED:
                self.emit(RotationStep.DELETE_OLD, StepState.DONE, old_id)

        self.emit(RotationStep.UPDATE, StepState.STARTED)
        notes: tuple[str, ...] = ()
        profile = stored.profile
        wanted: dict[str, object] = {
            "last_outcome": OutcomeKind.VALID.value,
            "key_status": record.status or KeyStatus.ACTIVE.value,
            "expiry": record.expiry.isoformat() if record.expiry else None,
            "tenant_id": user.tenant_id,
            "created_at": self.profile.created_at if self.profile else None,
            "renewed_from": old_id,
        }
        changes = {k: v for k, v in wanted.items() if v and getattr(profile, k) != v}
        try:
            if changes:  # the store wrote most of it already; write only what differs
                profile = await asyncio.to_thread(
                    self.services.profiles.update,
                    self.name,
                    last_checked_at=now_iso(),
                    **changes,
                )
            self.emit(RotationStep.UPDATE, StepState.DONE)
        except (ProfilesFileError, LookupError) as exc:
            self.emit(RotationStep.UPDATE, StepState.FAILED)
            notes = (f"The profile's check details were not updated ({exc}); `check` will.",)
        return self.result(
            status,
            new_key_id=new_id,
            new_expiry=record.expiry,
            outcome=delete_outcome,
            failed_step=RotationStep.DELETE_OLD if delete_outcome else None,
            strays=strays,
            profile=profile,
            kept_old=self.keep_old,
            notes=notes,
            updated_profiles=(self.name, *others),
        )

    def other_holders(self) -> tuple[Profile, ...]:
        """The other profiles that hold the key being renewed (same key id, same tenant)."""
        assert self.profile is not None and self.old_key is not None
        key_id = self.old_key.info.key_id or self.profile.key_id
        try:
            everyone = self.services.profiles.all()
        except ProfilesFileError:  # the store just read it: a new failure is the store's
            return ()
        return holders(everyone, origin=self.profile.origin, key_id=key_id, besides=self.name)

    async def store_for_other_holders(
        self, old_client: QlikClient, report: VerifyReport
    ) -> RotationResult | tuple[str, ...]:
        """The new key for every other holder of the old one; on a failure this profile and
        the holders done get the old key back, the new key is deleted, and the result says so.
        """
        assert self.created is not None and self.old_key is not None and self.tenant
        others = await asyncio.to_thread(self.other_holders)
        if not others:
            return ()
        done = await asyncio.to_thread(
            store_for_holders,
            self.services,
            others,
            tenant=self.tenant,
            key=self.created.key,
            report=report,
            old_key=self.old_key,
            put_back_too=(self.profile,) if self.profile else (),
        )
        if done.failure is None:
            return done.names
        new_id = self.created.record.id
        self.emit(RotationStep.STORE, StepState.FAILED, new_id)
        outcome = store_failure_outcome(done.failure, self.tenant)
        why = (
            f"profile {quoted_name(done.failed_holder or '')} holds the same key and could not "
            f"take the new one ({done.failure.problem.rstrip('.')})"
        )
        if done.put_back_problem is not None:  # some hold the new key: neither is deleted
            return self.result(
                RotationStatus.STORE_FAILED,
                new_key_id=new_id,
                failed_step=RotationStep.STORE,
                outcome=outcome,
                store_failure=done.failure,
                notes=(f"Not renewed: {why}; {done.put_back_problem}. Both keys stay active.",),
            )
        undone = await self.undo(
            old_client, RotationStatus.STORE_FAILED, RotationStep.STORE, outcome, done.failure
        )
        note = f"Not renewed: {why}. Every profile keeps the old key."
        return dataclasses.replace(undone, notes=(note,))


def store_failure_outcome(failure: KeyNotStored, tenant: Tenant) -> Outcome | None:
    """The outcome table's row for a store attempt the key store refused (the OS keyring or
    the encrypted file, whichever was written); None when the profiles file refused: no row
    describes that, and ``failure`` itself says what happened and what to do."""
    if failure.step is not StoreStep.KEYRING:
        return None
    unavailable = (
        OutcomeKind.KEY_FILE_UNAVAILABLE
        if failure.store is KeyStoreKind.ENCRYPTED_FILE
        else OutcomeKind.KEYRING_UNAVAILABLE
    )
    return make_outcome(
        unavailable, tenant=tenant, detail=failure.problem.rstrip("."), fix=failure.fix
    )
