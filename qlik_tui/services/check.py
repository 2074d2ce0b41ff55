"""Re-validate stored profiles, many at once: one HTTP client per tenant origin, bounded.

Each result is an outcome from the core's table plus latency, user and expiry, and is written
back to the profile metadata (last checked, outcome, expiry).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack

import httpx

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.client import make_http_client
from qlik_tui.core.errors import QlikError
from qlik_tui.core.hidden import ClientSecret
from qlik_tui.core.models import ApiKeyRecord
from qlik_tui.core.outcomes import (
    Outcome,
    OutcomeKind,
    Verdict,
    make_outcome,
    outcome_from_error,
)
from qlik_tui.core.settings import Deadline
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.services.check_results import CheckResult as CheckResult
from qlik_tui.services.check_results import Detail, VerifyReport
from qlik_tui.services.context import Services
from qlik_tui.services.dead_keys import same_owner, sharpen
from qlik_tui.services.login import learnt_tenant_ids
from qlik_tui.services.profile_key import StoredKeyMismatch as StoredKeyMismatch
from qlik_tui.services.profile_key import (
    key_store_words,
    load_profile_key,
    load_profile_secrets,
    mismatch_outcome,
)
from qlik_tui.services.profile_key import login_command as login_command
from qlik_tui.services.shared_keys import successor_holder
from qlik_tui.services.token_cache import save_cached_token
from qlik_tui.services.verify import verify_key
from qlik_tui.store.encrypted_errors import NotARegularStoreFile
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import Profile, ProfilesFileError, now_iso, quoted_name
from qlik_tui.store.secrets import KeyNotFound, StoredKeyUnreadable, StoreError

ResultCallback = Callable[[CheckResult], None]
StartCallback = Callable[[Profile], None]


class OutcomeWriter:
    """Writes check results back to the profiles file, many to a write: a result waits for the
    write that carries it; results that arrive while one write runs go together in the next.
    Rewriting the whole file for each of 200 results would take longer than checking them."""

    def __init__(self, services: Services) -> None:
        self._profiles = services.profiles
        self._pending: dict[str, tuple[dict[str, object], list[asyncio.Future[Profile | None]]]]
        self._pending = {}
        self._writing: asyncio.Task[None] | None = None

    async def update(self, name: str, changes: dict[str, object]) -> Profile | None:
        """The profile as written (None: it was removed meanwhile); raises
        ``ProfilesFileError`` when the file cannot be written."""
        answer: asyncio.Future[Profile | None] = asyncio.get_running_loop().create_future()
        fields, waiting = self._pending.setdefault(name, ({}, []))
        fields.update(changes)
        waiting.append(answer)
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(self._write_all())
        return await answer

    async def _write_all(self) -> None:
        batch: dict[str, tuple[dict[str, object], list[asyncio.Future[Profile | None]]]] = {}
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                changes = {name: fields for name, (fields, _) in batch.items()}
                try:
                    written = await asyncio.to_thread(self._profiles.update_many, changes)
                except Exception as exc:  # each waiting result handles it (or raises it)
                    for _, waiting in batch.values():
                        for answer in waiting:
                            if not answer.done():
                                answer.set_exception(exc)
                    continue
                for name, (_, waiting) in batch.items():
                    for answer in waiting:
                        if not answer.done():
                            answer.set_result(written.get(name))
        finally:  # cancelled (the loop is closing): nobody waits for ever
            for _, waiting in [*batch.values(), *self._pending.values()]:
                for answer in waiting:
                    answer.cancel()
            self._pending = {}
            self._writing = None


async def check_profiles(
    services: Services,
    profiles: Sequence[Profile],
    *,
    on_start: StartCallback | None = None,
    on_result: ResultCallback | None = None,
    deadline_s: float | None = None,
    deadline: Deadline | None = None,
) -> list[CheckResult]:
    """Check every profile; results come back in the order of ``profiles``.

    With ``deadline_s`` the whole run ends within that many seconds: a retry-after wait that
    would pass it is refused (and reported), a profile still unanswered then is reported as
    timed out. ``deadline`` instead: one that started earlier (``check --deadline`` counts
    from the start of the command).
    """
    if deadline is None and deadline_s is not None:
        deadline = Deadline.after(deadline_s)
    limit = asyncio.Semaphore(max(1, services.check_concurrency))
    writer = OutcomeWriter(services)
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient | QlikError] = {}
        tenant_ids = learnt_tenant_ids(profiles)
        for profile in profiles:
            if profile.origin not in clients:
                try:
                    http = make_http_client(services.client_settings)
                except QlikError as exc:  # a setting (CA file, proxy) makes every request fail
                    clients[profile.origin] = exc
                else:
                    clients[profile.origin] = await stack.enter_async_context(http)

        # A rejected key waits for the other keys of its user on its tenant: a working one
        # reads its record (revoked? expired?). Only rejected keys wait, so none waits forever.
        checked = {p.name: asyncio.get_running_loop().create_future() for p in profiles}
        reachable = {o: c for o, c in clients.items() if not isinstance(c, QlikError)}
        stored = await _read_stored_secrets(services, profiles, deadline)

        async def one(profile: Profile) -> CheckResult:
            async with limit:
                if on_start:
                    on_start(profile)
                client = clients[profile.origin]
                if isinstance(client, QlikError):
                    result = await _failed_before_asking(services, profile, client, writer)
                else:
                    result = await _within(
                        deadline,
                        services,
                        profile,
                        check_one(
                            services,
                            profile,
                            http=client,
                            known_tenant_id=tenant_ids.get(profile.origin),
                            deadline=deadline,
                            stored=stored.get(profile.name),
                            writer=writer,
                        ),
                        writer,
                    )
            if not checked[profile.name].done():
                checked[profile.name].set_result(result)
            if result.outcome.kind is OutcomeKind.KEY_REJECTED:
                siblings = [
                    p for p in profiles if p.name != profile.name and same_owner(p, profile)
                ]
                if siblings:
                    witnesses = [await checked[p.name] for p in siblings]
                    result = await sharpen(services, result, witnesses, reachable)
            if on_result:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(p) for p in profiles)))


async def _read_stored_secrets(
    services: Services, profiles: Sequence[Profile], deadline: Deadline | None
) -> dict[str, ApiKey | ClientSecret | StoreError]:
    """The profiles' keys and client secrets, read together per store: one keyring call for
    them all instead of one each (about 40 ms apiece over the Secret Service). Past the
    deadline, nothing: each check then reads its own and times out as it would have."""
    if len(profiles) < 2:
        return {}
    reading = asyncio.to_thread(load_profile_secrets, services, profiles)
    if deadline is None:
        return await reading
    try:
        return await asyncio.wait_for(reading, timeout=deadline.remaining())
    except asyncio.TimeoutError:
        return {}


async def _within(
    deadline: Deadline | None,
    services: Services,
    profile: Profile,
    checking: Coroutine[object, object, CheckResult],
    writer: OutcomeWriter,
) -> CheckResult:
    if deadline is None:
        return await checking
    try:
        return await asyncio.wait_for(checking, timeout=deadline.remaining())
    except asyncio.TimeoutError:
        pass
    outcome = make_outcome(
        OutcomeKind.TIMEOUT,
        tenant=_tenant_or_none(profile),
        phase="overall",
        timeout=f"{deadline.seconds:g} s",
    )
    return await _record(services, profile, outcome, None, writer)


async def _failed_before_asking(
    services: Services, profile: Profile, failure: QlikError, writer: OutcomeWriter
) -> CheckResult:
    outcome = outcome_from_error(failure, tenant=_tenant_or_none(profile))
    return await _record(services, profile, outcome, None, writer)


def _tenant_or_none(profile: Profile) -> Tenant | None:
    try:
        return parse_tenant(profile.origin)
    except TenantError:
        return None


async def check_one(
    services: Services,
    profile: Profile,
    *,
    http: httpx.AsyncClient | None = None,
    known_tenant_id: str | None = None,
    deadline: Deadline | None = None,
    stored: ApiKey | ClientSecret | StoreError | None = None,
    writer: OutcomeWriter | None = None,
) -> CheckResult:
    """``stored``: the profile's key (or client secret) or the failure to read it, when it
    was read already (with other profiles'); else it is read here. ``writer``: shared by the
    checks of one run, so that their results are written back together."""
    writer = writer or OutcomeWriter(services)
    try:
        tenant = parse_tenant(profile.origin)
    except TenantError as exc:
        outcome = make_outcome(OutcomeKind.MALFORMED_RESPONSE, detail=str(exc))
        return CheckResult(profile, outcome)
    if profile.is_oauth_client:
        secret = stored if isinstance(stored, (ClientSecret, StoreError)) else None
        return await _check_client(services, profile, tenant, http, secret, writer)
    failure: StoreError | None = None
    if isinstance(stored, ApiKey):
        key = stored
    elif isinstance(stored, StoreError):
        failure = stored
    else:
        try:
            key = await asyncio.to_thread(load_profile_key, services, profile)
        except StoreError as exc:
            failure = exc
    if failure is not None:
        # Any failure: a key deleted under the keyring's read can also read as "unavailable".
        if await _forgotten_meanwhile(services, profile):
            return CheckResult(profile, make_outcome(OutcomeKind.PROFILE_FORGOTTEN, tenant=tenant))
        outcome = stored_key_failure(services, profile, failure, tenant)
        return await _record(services, profile, outcome, None, writer)
    report = await verify_key(
        tenant,
        key,
        settings=services.client_settings,
        http=http,
        detail=Detail.KEY_RECORD,
        known_tenant_id=known_tenant_id,
        remembered_record=remembered_record(profile),
        deadline=deadline,
    )
    outcome = await _renewed_elsewhere(services, profile, report.outcome, tenant)
    return await _record(services, profile, outcome, report, writer)


async def _renewed_elsewhere(
    services: Services, profile: Profile, outcome: Outcome, tenant: Tenant
) -> Outcome:
    """A rejected key that a rotation of another profile renewed: name that profile (it holds
    the successor) instead of the generic causes of a 401."""
    if outcome.kind not in (OutcomeKind.KEY_REJECTED, OutcomeKind.KEY_REVOKED):
        return outcome
    try:
        everyone = await asyncio.to_thread(services.profiles.all)
    except ProfilesFileError:
        return outcome
    holder = successor_holder(everyone, profile)
    if holder is None:
        return outcome
    import shlex  # only for this rare line

    return make_outcome(
        OutcomeKind.KEY_RENEWED_ELSEWHERE,
        tenant=tenant,
        http_status=outcome.http_status,
        latency_ms=outcome.latency_ms,
        key_id=profile.key_id or "",
        holder=quoted_name(holder.name),
        profile=shlex.quote(profile.name),
    )


async def _check_client(
    services: Services,
    profile: Profile,
    tenant: Tenant,
    http: httpx.AsyncClient | None,
    stored: ClientSecret | StoreError | None,
    writer: OutcomeWriter,
) -> CheckResult:
    """An OAuth profile: mint with the stored secret (``stored``: read already), then read the
    bot user (the token minted is cached for ``token`` and ``exec``)."""
    store = services.secrets_for(profile)
    failure: StoreError | None = None
    if isinstance(stored, ClientSecret):
        secret = stored
    elif isinstance(stored, StoreError):
        failure = stored
    else:
        try:
            secret = await asyncio.to_thread(store.load_client_secret, profile.name)
        except StoreError as exc:
            failure = exc
    if failure is not None:
        outcome = stored_key_failure(services, profile, failure, tenant)
        return await _record(services, profile, outcome, None, writer)
    # Imported here: checking API keys' profiles needs no token parsers or OAuth records.
    from qlik_tui.services.oauth_clients import prove_client

    proof = await prove_client(
        tenant, profile.client_id or "", secret, settings=services.client_settings, http=http
    )
    if proof.token is not None:
        await asyncio.to_thread(save_cached_token, services, profile, proof.token)
    report = VerifyReport(proof.outcome, proof.user)
    return await _record(services, profile, proof.outcome, report, writer)


def stored_key_failure(
    services: Services, profile: Profile, failure: StoreError, tenant: Tenant | None
) -> Outcome:
    """The outcome of ``profile``'s key that could not be read from its own store: missing,
    not a key, or the store unusable (the OS keyring, or the encrypted file: locked, wrong
    passphrase, damaged), each naming that store."""
    if isinstance(failure, StoredKeyMismatch):
        return mismatch_outcome(services, profile, failure.found_key_id, tenant)
    if isinstance(failure, NotARegularStoreFile):
        return make_outcome(
            OutcomeKind.NOT_A_REGULAR_FILE, path=str(failure.path), file_kind=failure.kind
        )
    if isinstance(failure, KeyNotFound):
        return make_outcome(
            OutcomeKind.KEY_NOT_STORED, tenant=tenant, **key_store_words(services, profile)
        )
    if isinstance(failure, StoredKeyUnreadable):
        return make_outcome(
            OutcomeKind.STORED_KEY_INVALID,
            tenant=tenant,
            login_command=login_command(profile.name),
            **key_store_words(services, profile),
        )
    unavailable = (
        OutcomeKind.KEY_FILE_UNAVAILABLE
        if kind_of(profile) is KeyStoreKind.ENCRYPTED_FILE
        else OutcomeKind.KEYRING_UNAVAILABLE
    )
    return make_outcome(
        unavailable, tenant=tenant, detail=failure.problem.rstrip("."), fix=failure.fix
    )


def with_store_command(result: CheckResult) -> CheckResult:
    """``result`` whose rejected key's next step ends naming the exact command that stores a
    new key for the profile (the command line's words; the dashboard offers its own button)."""
    outcome = with_store_sentence(result.outcome, result.profile.name)
    return result if outcome is result.outcome else result._replace(outcome=outcome)


def with_store_sentence(outcome: Outcome, profile_name: str) -> Outcome:
    """A rejected stored key's ``outcome`` naming the command that stores a new key."""
    if outcome.verdict is not Verdict.REJECTED or "login_command" in outcome.context:
        return outcome
    sentence = (
        f" Then store it with `{login_command(profile_name)}` (it asks for the key without "
        "echo; --with-token reads it from standard input)."
    )
    return outcome.with_context(store_new=sentence)


def remembered_record(profile: Profile) -> ApiKeyRecord | None:
    """What the last check learnt of the key: lets a 401 past the expiry read "expired"."""
    if not profile.key_id or not (profile.key_status or profile.expiry):
        return None
    return ApiKeyRecord(
        id=profile.key_id, status=profile.key_status, expiry=parse_iso_datetime(profile.expiry)
    )


async def _forgotten_meanwhile(services: Services, profile: Profile) -> bool:
    """The profile is gone from the profiles file: a ``forget`` ran while this check read its
    key (which the forget removed first), so the key is not missing, the profile is gone."""
    try:
        return await asyncio.to_thread(services.profiles.get, profile.name) is None
    except ProfilesFileError:
        return False


# Outcomes that say a key store could not be used (a wrong passphrase, a locked keyring, a FIFO
# at the file): the key was not checked, so the profile keeps its last real verdict.
_NOT_A_CHECK_OF_THE_KEY = frozenset(
    {
        OutcomeKind.KEY_FILE_UNAVAILABLE,
        OutcomeKind.KEYRING_UNAVAILABLE,
        OutcomeKind.NOT_A_REGULAR_FILE,
    }
)


async def _record(
    services: Services,
    profile: Profile,
    outcome: Outcome,
    report: VerifyReport | None,
    writer: OutcomeWriter,
) -> CheckResult:
    if outcome.kind in _NOT_A_CHECK_OF_THE_KEY:
        return CheckResult(profile, outcome)
    changes: dict[str, object] = {
        "last_checked_at": now_iso(),
        "last_outcome": outcome.kind.value,
    }
    user = report.user if report else None
    if user:
        changes.update(user_id=user.id, user_name=user.name, user_email=user.email)
        changes["roles"] = tuple(role.name for role in user.roles)
        changes["tenant_id"] = user.tenant_id  # learnt once, kept from then on
    record = report.key_record if report else None
    if record:
        changes["key_status"] = record.status
        changes["expiry"] = record.expiry.isoformat() if record.expiry else None
        changes["key_created"] = record.created.isoformat() if record.created else None
    try:
        updated = await writer.update(profile.name, changes)
    except ProfilesFileError:
        updated = None
    # None: removed meanwhile, or not saved; the check result stands either way
    return CheckResult(updated or profile, outcome, user)
