"""Plain-text rendering shared by the subcommands: outcomes, users, store warnings."""

from __future__ import annotations

import argparse
import sys
from contextlib import suppress
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.core.untrusted import echoed
from qlik_tui.store.encrypted_errors import PassphraseUnavailable
from qlik_tui.store.key_stores import KeyStoreKind, KeyStores, kind_of
from qlik_tui.store.profiles import Profile, ProfilesFileError
from qlik_tui.store.secrets import SecretStore, StoreError

if TYPE_CHECKING:
    from qlik_tui.core.outcomes import Outcome  # the table loads only when an outcome is shown
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.results import KeyNotStored
    from qlik_tui.services.store_probe import StoreProbe
    from qlik_tui.store.passphrase import PassphraseSource


def error(stderr: TextIO, message: str) -> None:
    print(f"qlik-tui: error: {message}", file=stderr)


def warn(stderr: TextIO, message: str) -> None:
    print(f"qlik-tui: warning: {message}", file=stderr)


def explain_outcome(outcome: Outcome, stream: TextIO, *, indent: str = "") -> None:
    """Title, cause and next step: the same three lines the TUI's result panel shows."""
    print(f"{indent}{outcome.spec.mark} {outcome.title}", file=stream)
    print(f"{indent}  cause: {outcome.cause}", file=stream)
    print(f"{indent}  next:  {outcome.next_step}", file=stream)


def explain_store_error(exc: StoreError | KeyNotStored, stream: TextIO) -> None:
    """What went wrong with a store and how to fix it."""
    error(stream, exc.problem)
    if exc.fix:
        print(f"  fix: {exc.fix}", file=stream)


def explain_store_failure(failure: KeyNotStored, stream: TextIO) -> None:
    """A store attempt that did not complete: the problem, its fix, and what is stored now."""
    explain_store_error(failure, stream)
    print(failure.summary(), file=stream)


def ask_hidden(prompt: str, stderr: TextIO, *, closed: str) -> str | None:
    """What was typed at a hidden prompt; None after saying ``closed`` when the input was
    closed there (Ctrl-D)."""
    import getpass

    try:
        return getpass.getpass(prompt)
    except EOFError:
        print(file=stderr)  # the prompt's line is still open
        error(stderr, closed)
        return None


def explain_store_probe(probe: StoreProbe, stream: TextIO) -> None:
    """Why no keyring is usable, the fix for this platform, and the encrypted file."""
    print(f"qlik-tui: {probe.headline}", file=stream)
    if probe.why:
        print(f"  why: {probe.why}", file=stream)
    if probe.fix:
        print(f"  fix: {probe.fix}", file=stream)
    print(f"  or:  {probe.alternative[:1].upper()}{probe.alternative[1:]}", file=stream)


def store_label(profile: Profile) -> str:
    """Where the profile's key is kept, for people: "encrypted file" or "OS keyring (name)"."""
    kind = kind_of(profile)
    if kind is None:
        return f"unknown store {echoed(profile.store or '')} (newer qlik-tui?)"
    if kind is KeyStoreKind.ENCRYPTED_FILE:
        return kind.label
    return f"{kind.label} ({profile.backend})" if profile.backend else kind.label


def terminal_passphrase_source(stores: KeyStores) -> PassphraseSource:
    """The encrypted file's passphrase: from ``QLIK_TUI_PASSPHRASE_FILE`` when set, else a
    hidden prompt on the terminal (twice for a new file). Never standard input: it may hold
    the key being stored."""
    from qlik_tui.store.passphrase import default_passphrase_source, passphrase_file_configured

    prompt = default_passphrase_source(lambda: not stores.encrypted_file_exists())

    def source() -> str:
        if not passphrase_file_configured() and not _has_terminal():
            raise PassphraseUnavailable(
                problem="The encrypted key file needs its passphrase, and there is no terminal "
                "to ask for it.",
                fix="Name a file holding the passphrase (mode 0600) in QLIK_TUI_PASSPHRASE_FILE, "
                "or run qlik-tui in a terminal.",
            )
        return prompt()

    return source


def unlock_from_terminal(stores: KeyStores, stream: TextIO) -> None:
    """Unlock the encrypted key file with ``terminal_passphrase_source``; a wrong passphrase
    typed at the prompt is asked again, three tries in all (a passphrase file is read once).
    Raises the last ``StoreError``."""
    from qlik_tui.services.unlocking import unlock_encrypted_file
    from qlik_tui.store.passphrase import PROMPT_TRIES, passphrase_file_configured

    def wrong(left: int) -> None:
        tries = "1 more try" if left == 1 else f"{left} more tries"
        print(f"That passphrase does not unlock the file; {tries}.", file=stream)

    tries = 1 if passphrase_file_configured() else PROMPT_TRIES
    unlock_encrypted_file(stores, terminal_passphrase_source(stores), tries=tries, on_wrong=wrong)


def unlock_encrypted_file(stores: KeyStores, stream: TextIO) -> bool:
    """Unlock the encrypted key file from the terminal; on failure explain why on ``stream``
    and return False (nothing on disk changed)."""
    try:
        unlock_from_terminal(stores, stream)
    except StoreError as exc:
        explain_store_error(exc, stream)
        return False
    return True


def open_store_for_writing(
    services: Services,
    kind: KeyStoreKind,
    stream: TextIO,
    *,
    keyring_unusable: str,
    file_locked: str,
    with_file: str | None = None,
) -> Services | None:
    """``services`` writing new keys to ``kind``, ready to use; None after explaining on
    ``stream`` why not, followed by the caller's sentence saying what was left undone
    (``keyring_unusable`` / ``file_locked``); ``with_file`` is the command to run instead with
    the encrypted file (default: login's). The OS keyring is probed (never replaced by the
    encrypted file: that is only used when chosen); the encrypted file is unlocked here (a
    hidden prompt or QLIK_TUI_PASSPHRASE_FILE), not in the keyring worker."""
    if kind is KeyStoreKind.KEYRING:
        from qlik_tui.services.store_probe import LOGIN_WITH_FILE, probe_key_store

        probe = probe_key_store(services.stores, command=with_file or LOGIN_WITH_FILE)
        if not probe.usable:
            explain_store_probe(probe, stream)
            print(keyring_unusable, file=stream)
            return None
        return services.storing_in(kind)
    if not unlock_encrypted_file(services.stores, stream):
        print(file_locked, file=stream)
        return None
    return services.storing_in(kind)


def key_store_for(services: Services, profile: Profile) -> SecretStore:
    """The store holding ``profile``'s key, ready to read: the encrypted file is unlocked here
    (prompt or QLIK_TUI_PASSPHRASE_FILE), never in the keyring worker. Raises ``StoreError``."""
    stores = services.stores
    # No file: reading finds nothing and needs no passphrase (never ask for a new one here).
    needs_key = stores.encrypted_file_exists() and not stores.encrypted_unlocked
    if kind_of(profile) is KeyStoreKind.ENCRYPTED_FILE and needs_key:
        unlock_from_terminal(stores, sys.stderr)
    return services.secrets_for(profile)


def _has_terminal() -> bool:
    """Whether getpass can ask without echo: the controlling terminal, or standard input when
    it is a terminal (it then holds no piped key). Otherwise getpass would read a pipe."""
    if sys.stdin is not None and sys.stdin.isatty():
        return True
    if sys.platform == "win32":
        return False
    try:
        with open("/dev/tty", "rb"):  # what getpass reads; without it, it would read stdin
            return True
    except OSError:
        return False


def insecure_backend_notice(secrets: SecretStore, stream: TextIO) -> None:
    """Every status output says so when the user chose an insecure keyring backend."""
    try:
        notice = secrets.insecure_notice
    except StoreError:
        return  # no usable backend at all: the command reports that where it matters
    if notice:
        warn(stream, notice)


def profile_json(profile: Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "kind": profile.credential.value,
        "client_id": profile.client_id,
        "tenant": profile.origin,
        "user_name": profile.user_name,
        "user_email": profile.user_email,
        "user_id": profile.user_id,
        "key_id": profile.key_id,
        "key_tenant_id": profile.key_tenant_id,
        "backend": profile.backend,
        # None recorded: written before the choice, so in the OS keyring.
        "store": profile.store or KeyStoreKind.KEYRING.value,
        "last_outcome": profile.last_outcome,
        "last_checked_at": profile.last_checked_at,
        "created_at": profile.created_at,
        "expiry": profile.expiry,
        "key_status": profile.key_status,
    }


def open_login_store(
    args: argparse.Namespace, services: Services, name: str, stderr: TextIO
) -> Services | None:
    """``services`` writing to the chosen store for profile ``name``, ready to use; None after
    explaining why not. Opened before the secret is read: a store that cannot take it stops
    the login before anything could be lost.

    The store: ``--store``, else where the profile's key is now, else the OS keyring (the
    encrypted file is only ever used when chosen)."""
    previous: Profile | None = None
    with suppress(ProfilesFileError):  # a broken file is explained by the store attempt
        previous = services.profiles.get(name)
    if args.store is not None:
        kind = KeyStoreKind(args.store)
    else:
        kind = (kind_of(previous) if previous else None) or KeyStoreKind.KEYRING
    return open_store_for_writing(
        services,
        kind,
        stderr,
        keyring_unusable="The key was not stored: nothing was read or changed.",
        file_locked="Nothing was read or stored; the encrypted key file is unchanged.",
    )


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """An outcome's id, verdict and three sentences, as every ``--json`` names them."""
    return {
        "outcome": outcome.kind.value,
        "verdict": outcome.verdict.value,
        "title": outcome.title,
        "cause": outcome.cause,
        "next_step": outcome.next_step,
    }


def print_json(payload: dict[str, object], stdout: TextIO) -> None:
    import json  # only a --json run needs it

    json.dump(payload, stdout, indent=2)
    print(file=stdout)


def refuse_unproven_login(
    outcome: Outcome,
    *,
    name: str,
    tenant: Tenant,
    what: str,
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """A login whose proof did not pass (``what``: "key", "secret"): the outcome, that nothing
    changed, with ``--json`` the record; the verdict's exit code."""
    if as_json:
        record = {"name": name, "tenant": tenant.origin, "stored": False, **outcome_json(outcome)}
        print_json(record, stdout)
    explain_outcome(outcome, stderr)
    print(
        f"Nothing was stored; any {what} stored before for this profile is unchanged.",
        file=stderr,
    )
    return exits.for_verdicts([outcome.verdict])


def print_stored_json(profile: Profile, *, verified: bool, stdout: TextIO) -> None:
    """A login's ``--json`` record: the profile as stored."""
    print_json({**profile_json(profile), "stored": True, "verified": verified}, stdout)
