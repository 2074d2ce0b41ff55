"""``qlik-tui login``: read a key (stdin or hidden prompt, never argv), prove it, store it."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from pathlib import Path
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import (
    error,
    explain_outcome,
    explain_store_error,
    insecure_backend_notice,
    warn,
)
from qlik_tui.core.apikey import ApiKey, KeyFormatError, parse_key
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import default_profile_name, known_tenant_id, store_login
from qlik_tui.services.rescue import RescueFileError, write_key_file
from qlik_tui.services.verify import Detail, VerifyReport, verify_key
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.store.secrets import StoreError


def run(
    args: argparse.Namespace, services: Services, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    try:
        tenant = parse_tenant(args.tenant)
    except TenantError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    if not tenant.is_qlik_cloud and not tenant.is_loopback:
        warn(stderr, f"{tenant.display_host} is not a Qlik Cloud hostname; using it as given")

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

    name = args.name or default_profile_name(tenant)
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
        return getpass.getpass("Paste your API key (input hidden): ")
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
            profile = store_login(services, name=name, tenant=tenant, key=key, report=report)
            break
        except StoreError as exc:
            explain_store_error(exc, stderr)
        except ProfilesFileError as exc:
            error(stderr, str(exc))
        if not stdin.isatty():
            # The key came from a pipe, so its source still has it: nothing is lost.
            print("The key was not stored.", file=stderr)
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
        f"'{profile.name}' in {services.secrets.backend_name}.",
        file=stdout,
    )
    insecure_backend_notice(services.secrets, stderr)
    return exits.OK


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
