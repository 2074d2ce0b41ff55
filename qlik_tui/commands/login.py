"""``qlik-tui login``: read a key (stdin or hidden prompt, never argv), prove it, store it."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import (
    error,
    explain_outcome,
    insecure_backend_notice,
    open_login_store,
    warn,
)
from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import default_profile_name, known_tenant_id
from qlik_tui.services.rescue import RescueFileError, write_key_file
from qlik_tui.services.results import KeyNotStored, StoredKey
from qlik_tui.services.storing import store_key
from qlik_tui.services.verify import Detail, VerifyReport, verify_key
from qlik_tui.store.profiles import (
    InvalidProfile,
    Profile,
    ProfilesFileError,
    validate_profile_name,
)

INPUT_CLOSED = "the input was closed at the key prompt (Ctrl-D): nothing was stored."


def run(
    args: argparse.Namespace, services: Services, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    try:
        tenant = parse_tenant(args.tenant)
    except TenantError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    name = default_profile_name(tenant) if args.name is None else args.name
    try:
        validate_profile_name(name)
    except InvalidProfile as exc:
        error(stderr, f"--name: {exc}")
        return exits.USAGE
    if not tenant.is_qlik_cloud and not tenant.is_loopback:
        warn(stderr, f"{tenant.display_host} is not a Qlik Cloud hostname; using it as given")
    if args.oauth_client_id is not None or args.with_secret:
        from qlik_tui.commands import login_client  # only for OAuth clients

        return login_client.run(args, services, name, tenant, stdin, stdout, stderr)

    # The store is opened before the key is read: a store that cannot take it stops here,
    # before anything could be lost.
    previous: Profile | None = None
    with suppress(ProfilesFileError):  # a broken file is explained by the store attempt
        previous = services.profiles.get(name)
    opened = open_login_store(args, services, previous, stderr)
    if opened is None:
        return exits.STORAGE
    services = opened

    key_text = _read_key_text(args, stdin, stderr)
    if key_text is None:
        return exits.USAGE
    try:
        key = parse_key(key_text)
    except KeyFormatError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    del key_text
    for warning in key.info.warnings:
        warn(stderr, warning)

    report: VerifyReport | None = None
    if not args.no_verify:
        try:
            learnt = known_tenant_id(services.profiles, tenant)
        except ProfilesFileError as exc:
            error(stderr, str(exc))
            return exits.STORAGE
        report = asyncio.run(
            verify_key(
                tenant,
                key,
                settings=services.client_settings,
                detail=Detail.KEY_RECORD,
                known_tenant_id=learnt,
            )
        )
        if report.outcome.verdict is not Verdict.VALID:
            explain_outcome(report.outcome, stderr)
            print(
                "Nothing was stored; any key stored before for this profile is unchanged.",
                file=stderr,
            )
            return exits.for_verdicts([report.outcome.verdict])
        if report.tenant_matches is False:
            warn(stderr, "the key's tenant id differs from the user's tenant id")

    return _store(services, name, tenant, key, report, stdin, stdout, stderr)


def _read_key_text(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> str | None:
    if args.with_token:
        text = stdin.read()
        if len(text.split()) > 1 and sum(part.count(".") >= 2 for part in text.split()) > 1:
            error(stderr, "standard input holds more than one key: pass exactly one")
            return None
        return text
    if stdin.isatty():
        try:
            return getpass.getpass("Paste your API key (input hidden): ")
        except EOFError:  # Ctrl-D at the prompt: no key was given
            print(file=stderr)  # the prompt's line is still open
            error(stderr, INPUT_CLOSED)
            return None
    error(stderr, "no key given: pipe it on standard input with --with-token")
    return None


def _store(
    services: Services,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    while True:
        try:
            stored = store_key(
                services, name=name, tenant=tenant, key=key, report=report, replace=True
            )
            break
        except KeyNotStored as exc:
            failure = exc
        _explain_store_failure(failure, stderr)
        if not failure.nothing_stored:
            # Part of the attempt stayed behind and the summary said which part: the key is in
            # the keyring, so offering to write it to a file as well would only add a copy.
            return exits.STORAGE
        if not stdin.isatty():
            # The key came from a pipe, so its source still has it: nothing is lost.
            return exits.STORAGE
        choice = _ask_after_store_failure(stdin, stderr)
        if choice == "retry":
            continue
        if choice == "discard":
            print("Discarded: the key was not stored anywhere.", file=stderr)
            return exits.STORAGE
        if choice == "closed":
            print("Input closed: the key was not stored.", file=stderr)
            return exits.STORAGE
        if _rescue_to_file(key, stdin, stderr):
            return exits.STORAGE

    _report_stored(stored, report, tenant, services, stdout, stderr)
    return exits.OK


def _explain_store_failure(failure: KeyNotStored, stderr: TextIO) -> None:
    error(stderr, failure.problem)
    if failure.fix:
        print(f"  fix: {failure.fix}", file=stderr)
    print(failure.summary(), file=stderr)


def _report_stored(
    stored: StoredKey,
    report: VerifyReport | None,
    tenant: Tenant,
    services: Services,
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    profile = stored.profile
    user = report.user if report else None
    who = f"{user.name} <{user.email}>" if user and user.email else (user.name if user else None)
    if who:
        print(
            f"✓ The key works: it belongs to {who} (user id {user.id if user else '?'}).",
            file=stdout,
        )
    else:
        print("Stored without a live test (--no-verify).", file=stdout)
    print(
        f"Stored key {profile.key_id or '(no key id)'} for {tenant.display_host} as profile "
        f"'{profile.name}' in {stored.backend}.",
        file=stdout,
    )
    note = stored.replacement_note()
    if note:
        print(note, file=stdout)
    moved = stored.move_note()
    if moved:
        print(moved, file=stdout)
    left_behind = stored.old_copy_warning()
    if left_behind:
        warn(stderr, left_behind)
    insecure_backend_notice(services.secrets, stderr)


def _ask_after_store_failure(stdin: TextIO, stderr: TextIO) -> str:
    choices = {"r": "retry", "f": "file", "d": "discard"}
    while True:
        print(
            "The key is still only in memory. [r]etry, write it to a [f]ile, or [d]iscard it? ",
            end="",
            file=stderr,
            flush=True,
        )
        answer = stdin.readline()
        if not answer:  # Ctrl-D at the prompt: the user walked away from the choice
            return "closed"
        picked = choices.get(answer.strip().lower()[:1])
        if picked:
            return picked


def _rescue_to_file(key: ApiKey, stdin: TextIO, stderr: TextIO) -> bool:
    print("File to create (mode 0600, never overwritten): ", end="", file=stderr, flush=True)
    answer = stdin.readline().strip()
    if not answer:
        return False
    try:
        path = write_key_file(Path(answer), key)
    except RescueFileError as exc:
        error(stderr, str(exc))
        return False
    print(
        f"Wrote the key to {path}. Move it into a password manager and delete the file.",
        file=stderr,
    )
    return True
