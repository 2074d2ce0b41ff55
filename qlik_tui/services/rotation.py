"""Renew a stored key: the tenant creates its successor, and nothing is ever lost on the way.

Order (each step only after the one before succeeded):
    1. CREATE   POST /api-keys with the stored (old) key
    2. VERIFY   GET /users/me with the new key: the same user and tenant as the old key
    3. STORE    the all-or-nothing store puts the new key and the profile in the store that
                holds the old key (the OS keyring, or qlik-tui's encrypted file)
    4. DELETE   DELETE /api-keys/{old id} with the NEW key (skipped with ``keep_old``)
    5. UPDATE   the profile's metadata: checked now, valid, the new expiry, the tenant id

Failure before the store: the new key is deleted again with the old one; the stored key is
untouched. A failed store leaves the old key stored (the store puts it back) and deletes the new
key. Any clean-up delete that fails leaves a *stray* key, named in the result with the command
that removes it. A failed delete of the old key after a good store is ``OLD_KEY_LEFT``.

For front ends:
    events = []
    cancel = CancelToken()                       # cancel.cancel() -> False once storing began
    result = await rotate_profile(services, "prod", on_step=events.append, cancel=cancel)
``on_step`` receives a ``StepEvent`` as each step starts and ends (called on the event loop's
thread). Cancelling -- the token, or cancelling the task -- is honoured until the store starts:
the new key is then deleted with the old one and the result is ``CANCELLED`` (a cancelled task
re-raises ``CancelledError`` after that clean-up). From the store on, the rotation completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
from qlik_tui.services.storing import store_key
from qlik_tui.store.key_stores import KeyStoreKind, key_store_words, kind_of
from qlik_tui.store.names import quoted_name
from qlik_tui.store.profiles import Profile, ProfilesFileError, now_iso
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
    RotationStep.VERIFY: "Prove the new key (/users/me: same user and tenant)",
    RotationStep.STORE: "Store the new key (keyring and profile, all or nothing)",
    RotationStep.DELETE_OLD: "Delete the old key (with the new key)",
    RotationStep.UPDATE: "Update the profile",
}


_STORE_TITLES = {
    KeyStoreKind.KEYRING: STEP_TITLES[RotationStep.STORE],
    KeyStoreKind.ENCRYPTED_FILE: "Store the new key (encrypted file and profile, all or nothing)",
}


def step_title(step: RotationStep, store: KeyStoreKind = KeyStoreKind.KEYRING) -> str:
    """The title of ``step`` when renewing a key kept in ``store``."""
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

    @property
    def title(self) -> str:
        return step_title(self.step, self.store)


class RotationStatus(str, Enum):
    RENEWED = "renewed"  # new key stored, old key deleted (or kept, with keep_old)
    OLD_KEY_LEFT = "old-key-left"  # new key stored; deleting the old key failed (stray)
    FAILED = "failed"  # the stored key is unchanged (see failed_step and outcome)
    STORE_FAILED = "store-failed"  # the store refused: the old key is still stored
    CANCELLED = "cancelled"  # cancelled before the store; the stored key is unchanged


@dataclass(frozen=True)
class StrayKey:
    """A key left active on the tenant that nothing stores: how to remove it."""

    key_id: str
    why: str
    command: str  # the command that removes it


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


StepCallback = Callable[[StepEvent], None]


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

    @property
    def store(self) -> KeyStoreKind:
        """The store of the profile's key (the OS keyring until the profile is read)."""
        kind = kind_of(self.profile) if self.profile is not None else None
        return kind or KeyStoreKind.KEYRING

    def emit(self, step: RotationStep, state: StepState, note: str = "") -> None:
        if self.on_step is not None:
            self.on_step(StepEvent(step, state, note, self.store))

    def result(self, status: RotationStatus, **fields: object) -> RotationResult:
        old_id = self.profile.key_id if self.profile else None
        if self.old_key is not None:
            old_id = self.old_key.info.key_id or old_id
        return RotationResult(self.name, status, old_id, **fields)  # type: ignore[arg-type]

    async def run(self, http: httpx.AsyncClient) -> RotationResult:
        loaded = await self.load()
        if isinstance(loaded, RotationResult):
            return loaded
        tenant, old_key = loaded
        old_client = QlikClient(tenant, old_key, settings=self.services.client_settings, http=http)

        # 1. create, with the stored key
        if self.cancel is not None and self.cancel.requested:
            return self.result(RotationStatus.CANCELLED)
        self.emit(RotationStep.CREATE, StepState.STARTED)
        description = self.description or default_description(self.name)
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
            strays = await self.unanswered_creates(old_client, exc, description)
            return self.result(
                RotationStatus.FAILED,
                failed_step=RotationStep.CREATE,
                outcome=outcome,
                strays=strays,
            )
        self.created = created
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
                me = await new_client.me()
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
        except asyncio.CancelledError:
            await asyncio.shield(self.undo(old_client, RotationStatus.CANCELLED, None, None))
            raise

        # 3. store (from here on the rotation completes: a cancelled task waits for it)
        return await asyncio.shield(self.finish(old_client, new_client, me.value))

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

    async def unanswered_creates(
        self, old_client: QlikClient, exc: QlikError, description: str
    ) -> tuple[StrayKey, ...]:
        """After a create whose answer was lost (network, 5xx, garbled), the tenant may have
        made the key anyway: active keys with this rotation's description are named as strays
        (not deleted: an older key may carry the same description)."""
        if isinstance(exc, StatusError) and exc.status_code < 500:
            return ()  # the tenant refused: nothing was created
        try:
            active = (
                await old_client.list_api_keys(
                    sub=self.old_key.info.subject if self.old_key else None
                )
            ).value
        except QlikError:
            return ()
        old_id = self.old_key.info.key_id if self.old_key else None
        why = (
            "the answer to the create was lost; the tenant may have made this key (it has this "
            "renewal's description)"
        )
        return tuple(
            StrayKey(r.id, why, remove_command(self.name, r.id))
            for r in active
            if r.description == description and r.id != old_id
        )

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
        )


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
