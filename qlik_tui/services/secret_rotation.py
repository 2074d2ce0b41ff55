"""Renew an OAuth client's secret like a key: nothing working is lost, nothing made is hidden.

Order (each step only after the one before succeeded), under the profile's renewal lock:
    1. LOAD     the profile, the stored (old) secret; mint a token with it and read the client
                (its secrets' hints): at most five secrets, so a full client stops here
    2. CREATE   POST /oauth-clients/{id}/client-secrets with that token
    3. VERIFY   mint with the NEW secret and read /users/me: the same bot user
    4. STORE    the all-or-nothing store puts the new secret in the old one's store
    5. DELETE   DELETE .../client-secrets/{old hint}, with a token of the new secret

The old secret's hint is known when the profile recorded it, or when the client had a single
secret; otherwise the old secret is kept and the candidates are named (a secret that is not
proven to be the old one is never deleted). Failure before the store deletes the new secret
again (with the old secret's token); a clean-up delete that fails leaves a named stray. A create
whose answer was lost is followed by a read of the client: secrets that appeared meanwhile are
named as strays (their values are unknown, so they are never deleted by guess). Before the
create, the renewal journal (``store/renewals.py``) notes the client's hints: a run killed
outright leaves that note, and the next renewal of the profile names every secret that
appeared since (other than the stored one) before it makes another.

Results are ``rotation.RotationResult``s whose ``old_key_id`` / ``new_key_id`` are the secrets'
hints and ``credential`` is ``CredentialKind.OAUTH_CLIENT``, so ``rotate`` renders both kinds alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import shlex
from dataclasses import dataclass, field

import httpx

from qlik_tui.core.client import QlikClient, make_http_client
from qlik_tui.core.errors import QlikError, StatusError
from qlik_tui.core.oauth import AccessToken, ClientSecret, CreatedClientSecret, SecretHint
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome, outcome_from_error
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.check import stored_key_failure
from qlik_tui.services.context import Services
from qlik_tui.services.oauth_clients import prove_client
from qlik_tui.services.results import KeyNotStored
from qlik_tui.services.rotation import (
    CancelToken,
    RotationResult,
    RotationStatus,
    RotationStep,
    StepCallback,
    StepEvent,
    StepState,
    key_store_of,
    rotate_profile,
    run_to_the_end,
    store_failure_outcome,
    take_renewal_lock,
)
from qlik_tui.services.storing import store_client
from qlik_tui.services.strays import StrayKey
from qlik_tui.services.token_cache import save_cached_token
from qlik_tui.store.key_stores import KeyStoreKind
from qlik_tui.store.lockfile import LockTimeout
from qlik_tui.store.profiles import CredentialKind, Profile, ProfilesFileError, now_iso
from qlik_tui.store.renewals import PendingRenewal, RenewalJournal
from qlik_tui.store.secrets import CLIENT_SECRET_SERVICE, KeyNotFound, StoreError

MAX_CLIENT_SECRETS = 5
JOURNAL_PREFIX = "oauth-secrets:"  # a client renewal's journal marker: the hints before it
CREDENTIAL = CredentialKind.OAUTH_CLIENT
FINISHED_FIRST = "Interrupted: the renewal was finished first (see above)."


def delete_secret_command(profile: str, origin: str, client_id: str, hint: str) -> str:
    """The request that deletes one secret, authorised by a token of this very profile."""
    url = f"{origin}/api/v1/oauth-clients/{client_id}/client-secrets/{hint}"
    token = f"$(qlik-tui token {shlex.quote(profile)})"
    return f'curl -X DELETE -H "Authorization: Bearer {token}" {shlex.quote(url)}'


async def rotate_client_secret(
    services: Services,
    name: str,
    *,
    keep_old: bool = False,
    on_step: StepCallback | None = None,
    http: httpx.AsyncClient | None = None,
) -> RotationResult:
    """Renew the secret of OAuth profile ``name`` (see the module). Never raises for a tenant,
    key store or profiles failure: the result says what happened and what is left."""
    run = _SecretRotation(services, name, keep_old, on_step)
    if http is not None:
        return await run.locked(http)
    async with make_http_client(services.client_settings) as own:
        return await run.locked(own)


@dataclass
class _SecretRotation:
    services: Services
    name: str
    keep_old: bool
    on_step: StepCallback | None
    profile: Profile | None = None
    tenant: Tenant | None = None
    old_hint: str | None = None
    strays: list[StrayKey] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def store(self) -> KeyStoreKind:
        return key_store_of(self.profile)

    def emit(self, step: RotationStep, state: StepState, note: str = "") -> None:
        if self.on_step is not None:
            self.on_step(StepEvent(step, state, note, self.store, CREDENTIAL))

    def result(self, status: RotationStatus, **fields: object) -> RotationResult:
        return RotationResult(
            self.name,
            status,
            self.old_hint,
            credential=CREDENTIAL,
            strays=tuple(self.strays),
            notes=tuple(self.notes),
            **fields,  # type: ignore[arg-type]
        )

    def failed(self, step: RotationStep, outcome: Outcome | None) -> RotationResult:
        self.emit(step, StepState.FAILED)
        return self.result(RotationStatus.FAILED, failed_step=step, outcome=outcome)

    def stray(self, hint: str, why: str) -> None:
        assert self.profile is not None
        command = delete_secret_command(
            self.name, self.profile.origin, self.profile.client_id or "", hint
        )
        self.strays.append(StrayKey(hint, why, command, what=CREDENTIAL.words))

    async def locked(self, http: httpx.AsyncClient) -> RotationResult:
        try:
            lock = take_renewal_lock(self.services, self.name)
        except LockTimeout:
            outcome = make_outcome(OutcomeKind.RENEWAL_IN_PROGRESS, profile=shlex.quote(self.name))
            return self.failed(RotationStep.LOAD, outcome)
        # A cancel (Ctrl-C, SIGTERM) lets the renewal run to its end, then reports it: its
        # steps are short, and stopping between them could only leave a secret behind.
        try:
            return await run_to_the_end(self.run(http), FINISHED_FIRST)
        finally:
            if lock is not None:
                lock.release()

    async def run(self, http: httpx.AsyncClient) -> RotationResult:
        settings = self.services.client_settings
        self.emit(RotationStep.LOAD, StepState.STARTED)
        loaded = await self.load()
        if isinstance(loaded, RotationResult):
            return loaded
        tenant, client_id, old_secret = loaded
        try:
            async with QlikClient(tenant, None, settings=settings, http=http) as minting:
                old_token = (await minting.mint_token(client_id, old_secret)).value
            old_client = QlikClient(tenant, old_token, settings=settings, http=http)
            before = (await old_client.oauth_client(client_id)).value.secrets
        except QlikError as exc:
            return self.failed(RotationStep.LOAD, outcome_from_error(exc, tenant=tenant))
        self.old_hint = self.identify_old(before)
        await asyncio.to_thread(self.name_what_a_killed_run_left, before)
        if len(before) >= MAX_CLIENT_SECRETS:
            outcome = make_outcome(
                OutcomeKind.OAUTH_SECRET_LIMIT_REACHED,
                tenant=tenant,
                hints=", ".join(s.hint for s in before),
                profile=shlex.quote(self.name),
            )
            return self.failed(RotationStep.LOAD, outcome)
        self.emit(RotationStep.LOAD, StepState.DONE, self.old_hint or "")

        # 2. create, with a token of the old secret (journalled first: see the module)
        self.emit(RotationStep.CREATE, StepState.STARTED)
        marker = await asyncio.to_thread(self.journal, before)
        try:
            created = (await old_client.create_client_secret(client_id)).value
        except QlikError as exc:
            if not isinstance(exc, StatusError):  # the tenant may have acted: look
                await self.after_lost_answer(old_client, client_id, before)
            await asyncio.to_thread(self.unjournal, marker)
            return self.failed(RotationStep.CREATE, outcome_from_error(exc, tenant=tenant))
        await asyncio.to_thread(self.unjournal, marker)  # from here on it is named by hint
        self.emit(RotationStep.CREATE, StepState.DONE, created.hint)

        # 3. verify: a token minted with the new secret, for the same bot user
        self.emit(RotationStep.VERIFY, StepState.STARTED, created.hint)
        proof = await prove_client(tenant, client_id, created.secret, settings=settings, http=http)
        same_user = proof.user is not None and (
            self.profile is None
            or not self.profile.user_id
            or self.profile.user_id == proof.user.id
        )
        if proof.token is None or not same_user:
            outcome = proof.outcome
            if proof.token is not None:
                outcome = make_outcome(
                    OutcomeKind.MALFORMED_RESPONSE,
                    tenant=tenant,
                    detail="the new secret's token acts as another user",
                )
            self.emit(RotationStep.VERIFY, StepState.FAILED, created.hint)
            await self.undo(old_client, client_id, created)
            return self.result(
                RotationStatus.FAILED, failed_step=RotationStep.VERIFY, outcome=outcome
            )
        self.emit(RotationStep.VERIFY, StepState.DONE, created.hint)

        # 4. store: the old secret must still be the stored one (another run may have won)
        changed = await self.stored_secret_changed(old_secret)
        if changed:
            await self.undo(old_client, client_id, created)
            outcome = make_outcome(OutcomeKind.STORED_KEY_CHANGED, profile=shlex.quote(self.name))
            return self.result(
                RotationStatus.FAILED, failed_step=RotationStep.STORE, outcome=outcome
            )
        self.emit(RotationStep.STORE, StepState.STARTED, created.hint)
        failure: KeyNotStored | None = None
        try:
            stored = await asyncio.to_thread(
                store_client,
                self.services,
                name=self.name,
                tenant=tenant,
                client_id=client_id,
                secret=created.secret,
                proof=proof,
                replace=True,
                secret_hint=created.hint,
            )
        except KeyNotStored as exc:
            failure = exc
        if failure is not None:
            self.emit(RotationStep.STORE, StepState.FAILED, created.hint)
            await self.undo(old_client, client_id, created)
            return self.result(
                RotationStatus.STORE_FAILED,
                failed_step=RotationStep.STORE,
                outcome=store_failure_outcome(failure, tenant),
                store_failure=failure,
            )
        self.emit(RotationStep.STORE, StepState.DONE, created.hint)
        new_token = proof.token
        await asyncio.to_thread(save_cached_token, self.services, stored.profile, new_token)

        # 5. delete the old secret, with a token of the new one (unless another profile holds
        # it: then it is kept, and that profile named)
        sharing = await asyncio.to_thread(self.profiles_sharing, stored.profile, old_secret)
        if sharing and not self.keep_old and self.old_hint is not None:
            self.emit(RotationStep.DELETE_OLD, StepState.SKIPPED)
            self.notes.append(
                f"The old secret {self.old_hint} was kept: profile(s) {', '.join(sharing)} "
                "hold it too. Renew or log in those profiles again, then delete it: "
                + delete_secret_command(self.name, stored.profile.origin, client_id, self.old_hint)
            )
            return self.result(
                RotationStatus.RENEWED, kept_old=True, new_key_id=created.hint,
                profile=stored.profile,
            )  # fmt: skip
        return await self.delete_old(
            tenant, client_id, new_token, created, stored.profile, before, http
        )

    async def load(self) -> RotationResult | tuple[Tenant, str, ClientSecret]:
        failure: Outcome | None = None
        try:
            self.profile = await asyncio.to_thread(self.services.profiles.get, self.name)
        except ProfilesFileError as exc:
            failure = make_outcome(OutcomeKind.KEYRING_UNAVAILABLE, detail=str(exc))
        profile = self.profile
        if failure is None and (profile is None or not profile.is_oauth_client):
            failure = make_outcome(
                OutcomeKind.KEY_NOT_STORED, detail="the profile holds no OAuth client"
            )
        if failure is not None or profile is None:
            return self.failed(RotationStep.LOAD, failure)
        self.services = self.services.for_profile(profile)
        try:
            self.tenant = parse_tenant(profile.origin)
        except TenantError as exc:
            return self.failed(
                RotationStep.LOAD, make_outcome(OutcomeKind.MALFORMED_RESPONSE, detail=str(exc))
            )
        unread: StoreError | None = None
        try:
            secret = await asyncio.to_thread(self.services.secrets.load_client_secret, profile.name)
        except StoreError as exc:
            unread = exc
        if unread is not None:
            return self.failed(
                RotationStep.LOAD,
                stored_key_failure(self.services, profile, unread, self.tenant),
            )
        return self.tenant, profile.client_id or "", secret

    def journal(self, before: tuple[SecretHint, ...]) -> str | None:
        """Note the client's hints before the create; the entry's marker (None: not written,
        then only a SIGKILL between create and store would go unnamed)."""
        marker = JOURNAL_PREFIX + ",".join(s.hint for s in before)
        entry = PendingRenewal(self.name, marker, self.old_hint, now_iso())
        try:
            RenewalJournal(self.services.profiles.path).add(entry)
        except (OSError, LockTimeout):
            return None
        return marker

    def unjournal(self, marker: str | None) -> None:
        if marker is None:
            return
        with contextlib.suppress(OSError, LockTimeout):
            RenewalJournal(self.services.profiles.path).remove(self.name, marker)

    def name_what_a_killed_run_left(self, now: tuple[SecretHint, ...]) -> None:
        """Secrets made by a renewal of this profile that was killed after its create: named
        as strays (never deleted: which of them is stored is known only by its hint)."""
        journal = RenewalJournal(self.services.profiles.path)
        try:
            pending = [e for e in journal.pending(self.name) if e.marker.startswith(JOURNAL_PREFIX)]
        except (OSError, LockTimeout):
            return
        stored = self.profile.secret_hint if self.profile else None
        for entry in pending:
            known = set(entry.marker[len(JOURNAL_PREFIX) :].split(","))
            for secret in now:
                if secret.hint not in known and secret.hint != stored:
                    self.stray(
                        secret.hint,
                        "an earlier renewal of this profile was stopped after asking for it, so "
                        "nobody holds it (or another admin made it meanwhile)",
                    )
            self.unjournal(entry.marker)

    def identify_old(self, hints: tuple[SecretHint, ...]) -> str | None:
        """The stored secret's hint, only when it is certain (see the module)."""
        known = {s.hint for s in hints}
        recorded = self.profile.secret_hint if self.profile else None
        if recorded and recorded in known:
            return recorded
        if len(hints) == 1:
            return hints[0].hint
        return None

    async def after_lost_answer(
        self, old_client: QlikClient, client_id: str, before: tuple[SecretHint, ...]
    ) -> None:
        """The create's answer was lost: name every secret that appeared (never deleted)."""
        seen = {s.hint for s in before}
        try:
            after = (await old_client.oauth_client(client_id)).value.secrets
        except QlikError:
            self.notes.append(
                "The create's answer was lost and the client could not be read again: a new "
                "secret may exist that nobody holds. Check the client's secrets under "
                "Administration > OAuth, or with the next `qlik-tui rotate`."
            )
            return
        for made in after:
            if made.hint not in seen:
                self.stray(
                    made.hint,
                    "the create's answer was lost, so nobody holds this secret (or another "
                    "admin made it just now)",
                )

    async def undo(
        self, old_client: QlikClient, client_id: str, created: CreatedClientSecret
    ) -> None:
        try:
            await old_client.delete_client_secret(client_id, created.hint)
        except QlikError:
            self.stray(created.hint, "it was made by this renewal, which did not complete")

    async def stored_secret_changed(self, old_secret: ClientSecret) -> bool:
        try:
            now = await asyncio.to_thread(
                self.services.secrets.read_text, self.name, CLIENT_SECRET_SERVICE
            )
        except StoreError:
            return False  # the store itself then refuses, and is reported as such
        return now is None or not hmac.compare_digest(now.encode(), old_secret.reveal().encode())

    def profiles_sharing(self, profile: Profile, old_secret: ClientSecret) -> list[str]:
        """Other profiles of the same client whose stored secret is the old one (or cannot be
        read: then it may be)."""
        try:
            others = self.services.profiles.all()
        except ProfilesFileError:
            return []
        sharing: list[str] = []
        for other in others:
            if other.name == profile.name or other.client_id != profile.client_id:
                continue
            if other.origin != profile.origin:
                continue
            try:
                held = self.services.secrets_for(other).load_client_secret(other.name)
            except KeyNotFound:
                continue  # it holds no secret at all
            except StoreError:
                sharing.append(shlex.quote(other.name))
                continue
            if held == old_secret:
                sharing.append(shlex.quote(other.name))
        return sharing

    async def delete_old(
        self,
        tenant: Tenant,
        client_id: str,
        new_token: AccessToken,
        created: CreatedClientSecret,
        profile: Profile,
        before: tuple[SecretHint, ...],
        http: httpx.AsyncClient,
    ) -> RotationResult:
        done = {"new_key_id": created.hint, "profile": profile}
        if self.keep_old:
            self.emit(RotationStep.DELETE_OLD, StepState.SKIPPED)
            return self.result(RotationStatus.RENEWED, kept_old=True, **done)
        if self.old_hint is None:
            self.emit(RotationStep.DELETE_OLD, StepState.SKIPPED)
            candidates = ", ".join(s.hint for s in before)
            self.notes.append(
                f"The old secret was kept: the client has several secrets ({candidates}) and "
                "which one was stored is not known, so none was deleted. Delete the old one "
                "once nothing uses it: "
                + delete_secret_command(self.name, profile.origin, client_id, "HINT")
            )
            return self.result(RotationStatus.RENEWED, kept_old=True, **done)
        self.emit(RotationStep.DELETE_OLD, StepState.STARTED, self.old_hint)
        new_client = QlikClient(
            tenant, new_token, settings=self.services.client_settings, http=http
        )
        try:
            await new_client.delete_client_secret(client_id, self.old_hint)
        except QlikError as exc:
            self.emit(RotationStep.DELETE_OLD, StepState.FAILED, self.old_hint)
            self.stray(self.old_hint, "the new secret is stored, but deleting the old one failed")
            with contextlib.suppress(Exception):
                await asyncio.to_thread(
                    self.services.profiles.update, self.name, last_checked_at=now_iso()
                )
            return self.result(
                RotationStatus.OLD_KEY_LEFT,
                outcome=outcome_from_error(exc, tenant=tenant),
                **done,
            )
        self.emit(RotationStep.DELETE_OLD, StepState.DONE, self.old_hint)
        return self.result(RotationStatus.RENEWED, **done)


async def renew_profile(
    services: Services,
    name: str,
    *,
    expiry: str | None = None,
    description: str | None = None,
    keep_old: bool = False,
    on_step: StepCallback | None = None,
    cancel: CancelToken | None = None,
) -> RotationResult:
    """Renew what profile ``name`` holds: its API key (``rotation.rotate_profile``) or its OAuth
    client's secret (``rotate_client_secret``; ``expiry`` and ``description`` do not apply)."""
    try:
        profile = await asyncio.to_thread(services.profiles.get, name)
    except ProfilesFileError:
        profile = None  # the key renewal explains the file
    if profile is not None and profile.is_oauth_client:
        return await rotate_client_secret(services, name, keep_old=keep_old, on_step=on_step)
    return await rotate_profile(
        services,
        name,
        expiry=expiry,
        description=description,
        keep_old=keep_old,
        on_step=on_step,
        cancel=cancel,
    )
