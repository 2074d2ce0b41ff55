"""Move qlik-cli's plain-text API keys into qlik-tui's key store: prove each, then store it in
``services.secrets`` (the OS keyring, or the encrypted file the caller chose and unlocked).

Shared by ``qlik-tui import qlik-cli`` and the wizard's import screen; both only render the
``ImportResult`` list this returns.

Rules:
- Contexts with ``Authorization: Bearer <key>`` on a Qlik Cloud server are imported, and OAuth
  contexts with ``oauth-client-id`` and ``oauth-client-secret`` (proven by minting an access
  token and reading the client's bot user; the secret stored like a key); every other context
  gets a SKIPPED result saying why.
- A key is stored only after ``/users/me`` accepted it; a rejected or inconclusive key is
  reported with its outcome and not stored.
- An existing profile of the same name is never replaced: when it already holds the same key the
  result is ALREADY_STORED, otherwise NAME_TAKEN (nothing stored; the fix says what to do).
- The contexts file is only ever read: qlik-cli's copy stays until the user removes it.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from qlik_tui.core.apikey import ApiKey
from qlik_tui.core.outcomes import Outcome, Verdict
from qlik_tui.core.qlik_cli_contexts import (
    ContextKind,
    ContextsFile,
    ContextsFileError,
    QlikCliContext,
    read_contexts_file,
    shown,
)
from qlik_tui.core.tenant import Tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import known_tenant_id
from qlik_tui.services.oauth_clients import prove_client
from qlik_tui.services.results import KeyNotStored, StoredKey, StoreStep
from qlik_tui.services.storing import store_client, store_key
from qlik_tui.services.token_cache import save_cached_token
from qlik_tui.services.verify import Detail, VerifyReport, verify_key
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import (
    InvalidProfile,
    Profile,
    ProfilesFileError,
    validate_profile_name,
)
from qlik_tui.store.secrets import StoreError


class ImportStatus(str, Enum):
    IMPORTED = "imported"  # proven and stored
    PROVEN = "proven"  # --dry-run: proven, nothing stored
    ALREADY_STORED = "already_stored"  # proven; the profile of that name holds this very key
    NAME_TAKEN = "name_taken"  # proven; a profile of that name holds another key: not stored
    REJECTED = "rejected"  # the tenant refused the key: not stored
    INCONCLUSIVE = "inconclusive"  # could not tell (network, TLS, 5xx...): not stored
    STORE_FAILED = "store_failed"  # proven, but the key store or profiles file refused it
    SKIPPED = "skipped"  # not an API-key context (OAuth, no key, not Cloud, broken)


SUCCESS_STATUSES = frozenset(
    {ImportStatus.IMPORTED, ImportStatus.PROVEN, ImportStatus.ALREADY_STORED}
)


@dataclass(frozen=True)
class ImportResult:
    context: QlikCliContext
    status: ImportStatus
    outcome: Outcome | None = None  # the live test's outcome, when the key was tested
    report: VerifyReport | None = None
    profile: Profile | None = None  # what was stored (IMPORTED)
    problem: str | None = None  # why it was skipped or not stored
    fix: str | None = None  # what the user can do about it
    shared_with: tuple[str, ...] = ()  # other profiles that hold the same key (IMPORTED)

    @property
    def name(self) -> str:
        return self.context.name

    @property
    def holds_plaintext_key(self) -> bool:
        """The context still carries a key in qlik-cli's file (we never change that file)."""
        return self.context.kind in (
            ContextKind.API_KEY,
            ContextKind.BAD_KEY,
            ContextKind.OAUTH_CLIENT,
        )


ResultCallback = Callable[[ImportResult], None]


def load_contexts(path: Path) -> ContextsFile:
    """Read the contexts file (never written). Raises ``ContextsFileError``."""
    return read_contexts_file(path)


def count_importable(path: Path) -> int:
    """How many API-key contexts the file holds; 0 when it cannot be used."""
    try:
        return len(load_contexts(path).importable)
    except ContextsFileError:
        return 0


async def import_contexts(
    services: Services,
    contexts: Sequence[QlikCliContext],
    *,
    dry_run: bool = False,
    on_result: ResultCallback | None = None,
) -> list[ImportResult]:
    """Prove every API-key context (concurrently), then store the proven keys one by one.

    Results come back in the order of ``contexts``. Never raises for anything a context, the
    tenant or the keyring can do wrong: that is in each result.
    """
    limit = asyncio.Semaphore(max(1, services.check_concurrency))

    async def one(context: QlikCliContext) -> ImportResult:
        if context.kind is ContextKind.OAUTH_CLIENT:
            async with limit:
                result = await _import_client(services, context, dry_run)
        elif context.kind is not ContextKind.API_KEY or context.key is None or not context.tenant:
            result = ImportResult(context, ImportStatus.SKIPPED, problem=context.skip_reason)
        else:
            async with limit:
                report = await _prove(services, context.tenant, context.key)
            result = await _settle(services, context, context.tenant, context.key, report, dry_run)
        if on_result:
            on_result(result)
        return result

    # Proofs run concurrently; stores are serialised by the keyring layer anyway.
    return list(await asyncio.gather(*(one(c) for c in contexts)))


async def _import_client(
    services: Services, context: QlikCliContext, dry_run: bool
) -> ImportResult:
    """An OAuth context: mint and prove, then store the secret (never over another profile)."""
    tenant, client_id, secret = context.tenant, context.client_id, context.client_secret
    assert tenant is not None and client_id is not None and secret is not None
    proof = await prove_client(tenant, client_id, secret, settings=services.client_settings)
    report = VerifyReport(proof.outcome, proof.user)
    unstored = _not_to_store(context, report, dry_run)
    if unstored is not None:
        return unstored

    def holds_it(existing: Profile) -> bool:
        if not existing.is_oauth_client or existing.client_id != client_id:
            return False
        return services.secrets_for(existing).load_client_secret(existing.name) == secret

    def store() -> StoredKey:
        stored = store_client(
            services,
            name=context.name,
            tenant=tenant,
            client_id=client_id,
            secret=secret,
            proof=proof,
            replace=False,
        )
        if proof.token is not None:
            save_cached_token(services, stored.profile, proof.token)
        return stored

    return await asyncio.to_thread(
        _store_new_profile, services, context, report, _CLIENT_WORDS, holds_it, store
    )


async def _prove(services: Services, tenant: Tenant, key: ApiKey) -> VerifyReport:
    try:
        learnt = await asyncio.to_thread(known_tenant_id, services.profiles, tenant)
    except ProfilesFileError:
        learnt = None  # only refines a 401's explanation
    return await verify_key(
        tenant,
        key,
        settings=services.client_settings,
        detail=Detail.KEY_RECORD,
        known_tenant_id=learnt,
    )


async def _settle(
    services: Services,
    context: QlikCliContext,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport,
    dry_run: bool,
) -> ImportResult:
    unstored = _not_to_store(context, report, dry_run)
    if unstored is not None:
        return unstored

    def holds_it(existing: Profile) -> bool:
        return services.secrets_for(existing).load(existing.name) == key

    def store() -> StoredKey:
        return store_imported_key(
            services, name=context.name, tenant=tenant, key=key, report=report
        )

    return await asyncio.to_thread(
        _store_new_profile, services, context, report, _KEY_WORDS, holds_it, store
    )


def _not_to_store(
    context: QlikCliContext, report: VerifyReport, dry_run: bool
) -> ImportResult | None:
    """The result of a context whose proof failed or that a dry run only proves; None when
    it is to be stored."""
    outcome = report.outcome
    if outcome.verdict is Verdict.REJECTED:
        return ImportResult(context, ImportStatus.REJECTED, outcome, report)
    if outcome.verdict is Verdict.INCONCLUSIVE:
        return ImportResult(context, ImportStatus.INCONCLUSIVE, outcome, report)
    if dry_run:
        return ImportResult(context, ImportStatus.PROVEN, outcome, report)
    return None


@dataclass(frozen=True)
class _Words:
    """How the results name what a context holds, and the login that stores it by hand."""

    thing: str  # "key", "client"
    other: str  # what another profile of that name holds: "key", "credential"
    login: str  # the ``qlik-tui login`` arguments that store it


_KEY_WORDS = _Words("key", "key", "--with-token")
_CLIENT_WORDS = _Words("client", "credential", "--oauth-client-id ID --with-secret")


def _store_new_profile(
    services: Services,
    context: QlikCliContext,
    report: VerifyReport,
    words: _Words,
    holds_it: Callable[[Profile], bool],
    store: Callable[[], StoredKey],
) -> ImportResult:
    """Store a proven context as a new profile (``store``, all or nothing), never over an
    existing one: a profile of that name is ALREADY_STORED when it ``holds_it`` on the same
    tenant, else NAME_TAKEN. Blocking (keyring and file I/O)."""
    name, outcome = context.name, report.outcome

    def not_stored(problem: str, fix: str | None) -> ImportResult:
        return ImportResult(
            context, ImportStatus.STORE_FAILED, outcome, report, problem=problem, fix=fix
        )

    try:
        validate_profile_name(name)
    except InvalidProfile as exc:
        return not_stored(
            f"The context's name cannot name a profile: {exc}",
            f"Store the {words.thing} under another name with `qlik-tui login --name NAME "
            f"{words.login}`.",
        )
    try:
        existing = services.profiles.get(name)
        if existing is not None:
            return _existing_profile(context, existing, report, words, holds_it)
        stored = store()
    except KeyNotStored as exc:
        if exc.step is StoreStep.NAME_TAKEN and exc.existing is not None:  # taken meanwhile
            return _existing_profile(context, exc.existing, report, words, holds_it)
        return not_stored(exc.problem, exc.fix or None)
    except StoreError as exc:
        return not_stored(exc.problem, exc.fix or None)
    except ProfilesFileError as exc:
        return not_stored(str(exc), None)
    return ImportResult(
        context,
        ImportStatus.IMPORTED,
        outcome,
        report,
        profile=stored.profile,
        shared_with=stored.shared_with,
    )


def _existing_profile(
    context: QlikCliContext,
    existing: Profile,
    report: VerifyReport,
    words: _Words,
    holds_it: Callable[[Profile], bool],
) -> ImportResult:
    """A profile of that name exists: never replaced; one that holds this very credential for
    the same tenant is no news."""
    try:
        same = holds_it(existing)
    except StoreError:  # nothing stored for it, or its store cannot say: treat as different
        same = False
    if same and existing.origin == (context.tenant.origin if context.tenant else None):
        return ImportResult(
            context, ImportStatus.ALREADY_STORED, report.outcome, report, profile=existing
        )
    name = shown(existing.name)
    return ImportResult(
        context,
        ImportStatus.NAME_TAKEN,
        report.outcome,
        report,
        problem=f"A profile named '{name}' already exists with another {words.other}; it was "
        "left as it is.",
        fix=(
            f"To replace it, run `qlik-tui forget '{name}'` and import again; to keep both, store "
            f"this {words.thing} under another name with `qlik-tui login --name NAME "
            f"{words.login}`."
        ),
    )


def store_imported_key(
    services: Services, *, name: str, tenant: Tenant, key: ApiKey, report: VerifyReport
) -> StoredKey:
    """The one place an imported key is stored: all or nothing, never over an existing profile.
    Raises ``KeyNotStored``. Blocking (keyring and file I/O)."""
    return store_key(services, name=name, tenant=tenant, key=key, report=report, replace=False)


# -- wording shared by the CLI and the wizard -----------------------------------------------------


def result_mark(result: ImportResult) -> str:
    """✓ imported or proven, ✗ / ? the proof's own mark, ! proven but not stored, - skipped."""
    if result.status in SUCCESS_STATUSES:
        return "✓"
    if result.status in (ImportStatus.NAME_TAKEN, ImportStatus.STORE_FAILED):
        return "!"
    if result.outcome is not None:
        return result.outcome.spec.mark
    return "-"


def describe_result(result: ImportResult) -> str:
    """One line: the proof's title and what happened to the key (untrusted parts escaped)."""
    status, outcome = result.status, result.outcome
    title = outcome.title if outcome else ""
    if status is ImportStatus.IMPORTED and result.profile is not None:
        also = ", ".join(f"'{shown(n)}'" for n in result.shared_with)
        shared = f" (the same key is also stored in profile {also})" if also else ""
        return f"{title}; stored as profile '{shown(result.profile.name)}'{shared}"
    if status is ImportStatus.PROVEN:
        return f"{title}; not stored (dry run)"
    if status is ImportStatus.ALREADY_STORED:
        return f"{title}; already stored as profile '{shown(result.name)}'"
    if status is ImportStatus.NAME_TAKEN:
        return f"{title}; not stored: the profile name is taken"
    if status is ImportStatus.SKIPPED:
        return f"skipped: {result.problem}"
    return f"{title}; not stored"


def plaintext_note(result: ImportResult) -> str:
    """Why the plain-text copy in qlik-cli's file can go (or what it still is)."""
    status = result.status
    if status in (ImportStatus.IMPORTED, ImportStatus.ALREADY_STORED):
        if result.profile is not None and kind_of(result.profile) is KeyStoreKind.ENCRYPTED_FILE:
            return "now in the encrypted file too"
        return "now in the keyring too"
    if status is ImportStatus.PROVEN:
        return "works (not imported: dry run)"
    if status is ImportStatus.REJECTED:
        return "rejected, useless to keep"
    if status is ImportStatus.SKIPPED:
        return "not a usable key"
    return "not imported"


def remove_command(context_name: str) -> str:
    """The qlik-cli command that deletes a context (and the key it holds)."""
    return f"qlik context rm {shlex.quote(context_name)}"
