"""Store a key and its profile as one all-or-nothing operation, for the CLI and the TUI alike.

Either the key is in its store and its profile in the profiles file, or both are exactly as
they were before: the previous secret is put back, an entry this attempt created is removed.

How: the profiles file is locked and loaded, the new content is staged next to it (so a broken
file, a folder that refuses files or a path under a regular file fail before the store is
touched), the store's entry is read for a possible restore, the key is saved, and only then is
the staged file renamed into place. Any failure after the save puts the entry back.

Moving a key between stores: when the replaced profile recorded the other store (the OS
keyring vs qlik-tui's encrypted file), its key is removed from that store once the new key and
profile are committed, still under the profiles lock (so no other store of the same name can
slip in between). That removal never undoes the store: a failure is reported on ``StoredKey``
(``old_copy`` FAILED, with the problem and fix) and the new key stays stored. A profile
recording a store this qlik-tui does not know is not touched there (``moved_from`` is None).

Discarding a half-stored key (``remove_half_stored_key``): after a failed store left a new
entry behind, the user may choose to discard it. The entry is removed only while no profile
lists that name (checked under the profiles lock: a name stored properly meanwhile is kept).
Never raises a ``StoreError``: ``HalfStoredKeyRemoval`` says what happened.

Blocking (key store and file I/O): the TUI calls these from a worker thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.oauth import ClientSecret
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.context import Services
from qlik_tui.services.results import (
    HalfStoredKeyRemoval,
    HalfStoredKeyStatus,
    KeyNotStored,
    KeyringState,
    Removal,
    StoredKey,
    StoreStep,
)
from qlik_tui.services.shared_keys import holders
from qlik_tui.services.verify import VerifyReport
from qlik_tui.store.errors import StoreError
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import (
    CredentialKind,
    InvalidProfile,
    Profile,
    ProfilesEdit,
    ProfilesFileError,
    now_iso,
    validate_profile_name,
)
from qlik_tui.store.secrets import (
    ACCESS_TOKEN_SERVICE,
    CLIENT_SECRET_SERVICE,
    Revealable,
    SecretSnapshot,
)

if TYPE_CHECKING:
    from qlik_tui.services.oauth_clients import ClientProof

_NAME_FIX = "Use a short profile name such as 'work'."


def store_key(
    services: Services,
    *,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
    replace: bool,
) -> StoredKey:
    """Store ``key`` under profile ``name``; all or nothing. With ``replace=False`` an existing
    profile of that name stops the attempt (``StoreStep.NAME_TAKEN``, its profile attached).
    Raises ``KeyNotStored`` (built outside any ``except`` block: it carries no traceback of
    the failure that caused it)."""
    backend, store = _name_and_store(services, name)
    profile = profile_from_report(name, tenant, key, report, backend, store=store)
    return _store_profile(services, profile, key, None, backend, store, replace)


def _name_and_store(services: Services, name: str) -> tuple[str, KeyStoreKind]:
    """The checks before any write: ``name`` is a valid profile name, and the key store answers
    (its backend's name and kind). Raises ``KeyNotStored`` built outside any ``except`` block
    (it carries no traceback of the failure that caused it)."""
    failure: KeyNotStored | None = None
    try:
        validate_profile_name(name)
    except InvalidProfile as exc:
        failure = KeyNotStored(StoreStep.NAME, str(exc), _NAME_FIX, name=name)
    if failure is not None:
        raise failure
    backend = ""
    store = KeyStoreKind.KEYRING
    try:
        backend = services.secrets.backend_name
        if services.secrets.is_encrypted_file:
            store = KeyStoreKind.ENCRYPTED_FILE
    except StoreError as exc:
        failure = KeyNotStored(StoreStep.KEYRING, exc.problem, exc.fix, name=name)
    if failure is not None:
        raise failure
    return backend, store


def store_client(
    services: Services,
    *,
    name: str,
    tenant: Tenant,
    client_id: str,
    secret: ClientSecret,
    proof: ClientProof | None,
    replace: bool,
    secret_hint: str | None = None,
) -> StoredKey:
    """Store an OAuth client's ``secret`` under profile ``name`` (the client id and what the
    proof learnt in the profile); all or nothing, as ``store_key``. The profile's cached
    access token, if any, is dropped afterwards (it may be another client's)."""
    backend, store = _name_and_store(services, name)
    profile = profile_from_proof(name, tenant, client_id, proof, backend, store=store)
    if secret_hint is not None:  # a renewal knows its new secret's hint
        profile = dataclasses.replace(profile, secret_hint=secret_hint, secret_created=now_iso())
    stored = _store_profile(
        services, profile, secret, CLIENT_SECRET_SERVICE, backend, store, replace
    )
    with contextlib.suppress(StoreError):  # a stale token is re-minted when found unusable
        services.secrets.delete(name, service=ACCESS_TOKEN_SERVICE)
    return stored


def profile_from_proof(
    name: str,
    tenant: Tenant,
    client_id: str,
    proof: ClientProof | None,
    backend: str,
    *,
    store: KeyStoreKind = KeyStoreKind.KEYRING,
) -> Profile:
    user = proof.user if proof else None
    record = proof.client if proof else None
    now = now_iso()
    # The stored secret's hint is known only when the client has a single secret.
    hint = record.secrets[0] if record is not None and len(record.secrets) == 1 else None
    return Profile(
        name=name,
        origin=tenant.origin,
        kind=CredentialKind.OAUTH_CLIENT.value,
        client_id=client_id,
        user_id=user.id if user else None,
        user_name=user.name if user else None,
        user_email=user.email if user else None,
        roles=tuple(role.name for role in user.roles) if user else (),
        created_at=now,
        last_checked_at=now if proof else None,
        last_outcome=proof.outcome.kind.value if proof else None,
        backend=backend,
        store=store.value,
        tenant_id=user.tenant_id if user else None,
        secret_hint=hint.hint if hint else None,
        secret_created=(hint.created_at if hint and hint.created_at else now),
        token_scope=proof.token.scope if proof and proof.token else None,
    )


def _store_profile(
    services: Services,
    profile: Profile,
    secret: Revealable,
    service: str | None,
    backend: str,
    store: KeyStoreKind,
    replace: bool,
) -> StoredKey:
    name = profile.name
    failure: KeyNotStored | None = None
    attempt = _Attempt(services, name, secret, backend, store, service)
    stored: StoredKey | None = None
    try:
        with services.profiles.editing() as edit:
            stored = attempt.run(edit, profile, replace)
    except ProfilesFileError as exc:  # on entry: the folder, the lock or the file's content
        failure = attempt.profiles_failure(exc)
    except InvalidProfile as exc:  # a field that must not be written (checked before writing)
        failure = KeyNotStored(StoreStep.NAME, str(exc), _NAME_FIX, name=name, backend=backend)
    if failure is not None:
        failure.store = store
        raise failure
    if attempt.failure is not None:
        attempt.failure.store = store
        raise attempt.failure
    assert stored is not None
    return stored


class _Attempt:
    """One store attempt inside the profiles lock. Failures after entry are kept in
    ``failure`` (not raised) so that leaving the lock cannot be confused with them."""

    def __init__(
        self,
        services: Services,
        name: str,
        key: Revealable,
        backend: str,
        store: KeyStoreKind,
        service: str | None = None,
    ) -> None:
        self.services = services
        self.name = name
        self.key = key
        self.backend = backend
        self.store = store
        self.service = service  # None: the API key entry; else an OAuth client's secret
        self.failure: KeyNotStored | None = None

    def __repr__(self) -> str:
        return f"_Attempt(name={self.name!r}, backend={self.backend!r})"

    @property
    def entry(self) -> dict[str, str]:
        """The store call's entry: the profile's API key (no argument), or ``service=``."""
        return {} if self.service is None else {"service": self.service}

    def run(self, edit: ProfilesEdit, profile: Profile, replace: bool) -> StoredKey | None:
        existing = edit.get(self.name)
        if existing is not None and not replace:
            self.failure = KeyNotStored(
                StoreStep.NAME_TAKEN,
                f"A profile with this name already holds key {existing.key_id or '(no key id)'}.",
                "Replace it, or keep both by choosing another name.",
                name=self.name,
                backend=self.backend,
                existing=existing,
            )
            return None
        edit.put(profile)
        try:
            edit.stage()
        except ProfilesFileError as exc:
            self.failure = self.profiles_failure(exc)
            return None

        secrets = self.services.secrets
        snapshot: SecretSnapshot | None = None
        try:
            snapshot = secrets.snapshot(self.name, **self.entry)
        except StoreError as exc:
            self.failure = self._keyring_failure(exc)
        if snapshot is None:
            return None

        try:
            secrets.save(self.name, self.key, **self.entry)
        except StoreError as exc:
            self.failure = self._keyring_failure(exc)
        if self.failure is not None:
            self._put_back(snapshot)
            return None

        commit_error: ProfilesFileError | None = None
        try:
            edit.commit()
        except ProfilesFileError as exc:
            commit_error = exc
        if commit_error is not None:
            self.failure = KeyNotStored(
                StoreStep.PROFILES_WRITE,
                f"The profile could not be saved to {commit_error.path}: {commit_error.problem}",
                commit_error.fix or "Fix the profiles file, then try again.",
                name=self.name,
                backend=self.backend,
            )
            self._put_back(snapshot)
            return None

        try:
            where = secrets.describe()
        except StoreError:
            where = self.backend
        shared = holders(
            edit.all(), origin=profile.origin, key_id=profile.key_id, besides=self.name
        )
        stored = StoredKey(
            profile=profile,
            backend=self.backend,
            where=where,
            replaced=existing,
            replaced_unlisted_entry=existing is None and snapshot.existed,
            shared_with=tuple(p.name for p in shared),
        )
        if existing is not None and existing.credential is not profile.credential:
            self._remove_other_kind(existing)
        return self._remove_old_copy(stored, existing)

    def _remove_other_kind(self, existing: Profile) -> None:
        """The profile held the other kind of credential (an API key, or an OAuth client's
        secret and token): its entries are removed, as a replaced key's would be overwritten.
        Best effort after the commit: the new credential stays stored either way."""
        old_store = self.services.stores.for_kind(kind_of(existing) or KeyStoreKind.KEYRING)
        services: tuple[str | None, ...] = (
            (CLIENT_SECRET_SERVICE, ACCESS_TOKEN_SERVICE) if existing.is_oauth_client else (None,)
        )
        for service in services:
            with contextlib.suppress(StoreError):
                old_store.delete(existing.name, service=service)

    def _remove_old_copy(self, stored: StoredKey, existing: Profile | None) -> StoredKey:
        """The key moved stores: remove the replaced key from the store it was in (see the
        module). Runs after the commit; a failure is reported, never undoes the store."""
        moved_from = kind_of(existing) if existing is not None else None
        if existing is None or moved_from is None or moved_from is self.store:
            return stored
        problem: StoreError | None = None
        removed = False
        try:
            removed = self.services.stores.for_kind(moved_from).delete(existing.name, **self.entry)
        except StoreError as exc:
            problem = exc
        if problem is not None:
            return dataclasses.replace(
                stored,
                moved_from=moved_from,
                old_copy=Removal.FAILED,
                old_copy_problem=problem.problem,
                old_copy_fix=problem.fix or None,
            )
        old_copy = Removal.REMOVED if removed else Removal.ABSENT
        return dataclasses.replace(stored, moved_from=moved_from, old_copy=old_copy)

    def _put_back(self, snapshot: SecretSnapshot) -> None:
        """Make the keyring entry what it was before; record how that went on ``failure``."""
        failure = self.failure
        assert failure is not None
        failure.previous_existed = snapshot.existed
        try:
            self.services.secrets.restore(snapshot)
        except StoreError as exc:
            failure.keyring = KeyringState.NOT_RESTORED
            failure.restore_problem = exc.problem
            return
        failure.keyring = KeyringState.PUT_BACK

    def _keyring_failure(self, exc: StoreError) -> KeyNotStored:
        return KeyNotStored(
            StoreStep.KEYRING, exc.problem, exc.fix, name=self.name, backend=self.backend
        )

    def profiles_failure(self, exc: ProfilesFileError) -> KeyNotStored:
        backup = f" A copy of it was saved as {exc.backup}." if exc.backup else ""
        return KeyNotStored(
            StoreStep.PROFILES_FILE,
            f"The profiles file {exc.path} {exc.problem}{backup}",
            exc.fix or "Fix the profiles file, then try again.",
            name=self.name,
            backend=self.backend,
        )


def profile_from_report(
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
    backend: str,
    *,
    store: KeyStoreKind = KeyStoreKind.KEYRING,
) -> Profile:
    info = key.info
    user = report.user if report else None
    record = report.key_record if report else None
    now = now_iso()
    return Profile(
        name=name,
        origin=tenant.origin,
        key_id=info.key_id,
        key_tenant_id=info.tenant_id,
        user_id=user.id if user else info.subject,
        user_name=user.name if user else None,
        user_email=user.email if user else None,
        roles=tuple(role.name for role in user.roles) if user else (),
        created_at=now,
        last_checked_at=now if report else None,
        last_outcome=report.outcome.kind.value if report else None,
        expiry=record.expiry.isoformat() if record and record.expiry else None,
        key_created=record.created.isoformat() if record and record.created else None,
        key_status=record.status if record else None,
        backend=backend,
        store=store.value,
        tenant_id=user.tenant_id if user else None,
    )


def free_profile_name(services: Services, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… : the first name no profile has (for "keep both")."""
    taken = {profile.name for profile in services.profiles.all()}
    if base not in taken:
        return base
    index = 2
    while f"{base}-{index}" in taken:
        index += 1
    return f"{base}-{index}"


def remove_half_stored_key(
    services: Services, name: str, *, service: str | None = None
) -> HalfStoredKeyRemoval:
    """Remove the entry a failed store left behind under ``name`` in ``services.secrets`` (the
    API key's, or ``service``'s: an OAuth client's secret), after the user chose to discard it;
    kept when a profile lists that name now (see the module). Never raises a ``StoreError``."""
    where = _store_name(services)
    result: HalfStoredKeyRemoval | None = None
    try:
        with services.profiles.editing() as edit:
            if edit.get(name) is not None:
                result = HalfStoredKeyRemoval(name, HalfStoredKeyStatus.LISTED, where)
            else:
                result = _delete_half_stored(services, name, where, service)
    except ProfilesFileError as exc:  # the listing cannot be read: nothing is removed
        backup = f" A copy of it was saved as {exc.backup}." if exc.backup else ""
        result = HalfStoredKeyRemoval(
            name,
            HalfStoredKeyStatus.FAILED,
            where,
            problem=f"The profiles file {exc.path} {exc.problem}{backup}",
            fix=exc.fix or "Fix the profiles file, then discard the key again.",
        )
    assert result is not None
    return result


def _delete_half_stored(
    services: Services, name: str, where: str, service: str | None
) -> HalfStoredKeyRemoval:
    problem: StoreError | None = None
    removed = False
    try:
        removed = services.secrets.delete(name, service=service)
    except StoreError as exc:
        problem = exc
    if problem is not None:
        return HalfStoredKeyRemoval(
            name, HalfStoredKeyStatus.FAILED, where, problem=problem.problem, fix=problem.fix
        )
    status = HalfStoredKeyStatus.REMOVED if removed else HalfStoredKeyStatus.ABSENT
    return HalfStoredKeyRemoval(name, status, where)


def _store_name(services: Services) -> str:
    try:
        return services.secrets.backend_name
    except StoreError:
        return ""
