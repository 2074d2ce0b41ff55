"""``qlik-tui login``: read a key (stdin or hidden prompt, never argv), prove it, store it."""

from __future__ import annotations

import argparse
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import KEY_STORE_CHOICES, Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.tenant import Tenant
    from qlik_tui.services.context import Services
    from qlik_tui.services.results import StoredKey
    from qlik_tui.services.verify import VerifyReport

KEY_NOT_AN_ARGUMENT = (
    "a key is never taken from the command line; pass it on standard input with --with-token, "
    "or at the hidden prompt"
)
INPUT_CLOSED = "the input was closed at the key prompt (Ctrl-D): nothing was stored."


def add_arguments(commands: Subcommands) -> None:
    login = add_command(
        commands,
        "login",
        "prove an API key against a tenant and store it in the OS keyring",
        "Read an API key from standard input (--with-token) or a hidden prompt, test it "
        "with GET /api/v1/users/me, then store it in the OS keyring. The key is never "
        "accepted as a command-line argument. A second login for a profile replaces its "
        "key only after the new key has been proven. Closing the input at the hidden "
        "prompt (Ctrl-D) stores nothing and exits 2.",
    )
    login.add_argument(
        "profile", nargs="?", metavar="NAME",
        help="the profile (as --name); a stored one keeps its tenant unless --tenant changes it",
    )  # fmt: skip
    login.add_argument(
        "--tenant",
        help="tenant address, e.g. acme.eu.qlikcloud.com (default: the stored profile's tenant)",
    )
    login.add_argument("--name", help="profile name (default: the tenant hostname)")
    login.add_argument("--with-token", action="store_true", help="read the key from standard input")
    login.add_argument("--no-verify", action="store_true", help="skip the live /users/me test")
    login.add_argument(
        "--oauth-client-id",
        metavar="ID",
        help="log in an OAuth machine-to-machine client instead of an API key: its client ID "
        "(the secret is read like a key: standard input with --with-secret, or a hidden "
        "prompt); proven by minting an access token and reading its bot user",
    )
    login.add_argument(
        "--with-secret", action="store_true", help="read the client secret from standard input"
    )
    login.add_argument(
        "--store",
        choices=KEY_STORE_CHOICES,
        help="where to keep the key: the OS keyring, or qlik-tui's passphrase-encrypted file "
        "(asked for with a hidden prompt, or read from the file QLIK_TUI_PASSPHRASE_FILE "
        "names). Default: where the profile's key is now, else the OS keyring",
    )
    login.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, call: Call) -> int:
    return login(args, call.services(), call.stdin, call.stdout, call.stderr)


def login(
    args: argparse.Namespace, services: Services, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    import asyncio

    from qlik_tui.commands.output import (
        error,
        open_login_store,
        print_stored_json,
        refuse_unproven_login,
        warn,
    )
    from qlik_tui.core.apikey import KeyFormatError, parse_key
    from qlik_tui.core.outcomes import Verdict
    from qlik_tui.core.tenant import TenantError, parse_tenant
    from qlik_tui.services.login import default_profile_name, known_tenant_id
    from qlik_tui.services.verify import Detail, verify_key
    from qlik_tui.store.profiles import (
        InvalidProfile,
        ProfilesFileError,
        looks_like_key,
        validate_profile_name,
    )

    if args.profile is not None and looks_like_key(args.profile):
        error(stderr, f"NAME looks like an API key and is not shown: {KEY_NOT_AN_ARGUMENT}")
        return exits.USAGE
    if args.profile is not None and args.name is not None and args.profile != args.name:
        error(stderr, "name the profile once: as NAME or with --name")
        return exits.USAGE
    given = args.name if args.name is not None else args.profile
    address = args.tenant if args.tenant is not None else _stored_tenant(given, services, stderr)
    if isinstance(address, int):
        return address
    try:
        tenant = parse_tenant(address)
    except TenantError as exc:
        error(stderr, str(exc))
        return exits.USAGE
    name = default_profile_name(tenant) if given is None else given
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

    opened = open_login_store(args, services, name, stderr)
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
            return refuse_unproven_login(
                report.outcome,
                name=name,
                tenant=tenant,
                what="key",
                as_json=args.json,
                stdout=stdout,
                stderr=stderr,
            )
        if report.tenant_matches is False:
            warn(stderr, "the key's tenant id differs from the user's tenant id")

    stored = _store(services, name, tenant, key, report, stdin, stderr)
    if isinstance(stored, int):
        return stored
    if args.json:  # the same sentences on stderr; the record on stdout
        _report_stored(stored, report, tenant, services, stderr, stderr)
        print_stored_json(stored.profile, verified=report is not None, stdout=stdout)
    else:
        _report_stored(stored, report, tenant, services, stdout, stderr)
    return exits.OK


def _stored_tenant(name: str | None, services: Services, stderr: TextIO) -> str | int:
    """The tenant of the stored profile ``name`` (``login NAME`` again), or the exit code after
    saying that --tenant is needed."""
    from qlik_tui.commands.output import error
    from qlik_tui.store.profiles import ProfilesFileError, quoted_name

    if name is None:
        error(stderr, "--tenant is needed for a new profile (or name a stored one: login NAME)")
        return exits.USAGE
    try:
        stored = services.profiles.get(name)
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if stored is None:
        error(stderr, f"no profile named {quoted_name(name)} yet: give its --tenant to create it")
        return exits.USAGE
    return stored.origin


def _read_key_text(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> str | None:
    from qlik_tui.commands.output import ask_hidden, error

    if args.with_token:
        text = stdin.read()
        if len(text.split()) > 1 and sum(part.count(".") >= 2 for part in text.split()) > 1:
            error(stderr, "standard input holds more than one key: pass exactly one")
            return None
        return text
    if stdin.isatty():
        return ask_hidden("Paste your API key (input hidden): ", stderr, closed=INPUT_CLOSED)
    error(stderr, "no key given: pipe it on standard input with --with-token")
    return None


def _store(
    services: Services,
    name: str,
    tenant: Tenant,
    key: ApiKey,
    report: VerifyReport | None,
    stdin: TextIO,
    stderr: TextIO,
) -> StoredKey | int:
    """The stored key, or the exit code after explaining (and offering what to do with the
    key when it came from a terminal)."""
    from qlik_tui.commands.output import explain_store_failure
    from qlik_tui.services.results import KeyNotStored
    from qlik_tui.services.storing import store_key

    while True:
        try:
            stored = store_key(
                services, name=name, tenant=tenant, key=key, report=report, replace=True
            )
            break
        except KeyNotStored as exc:
            failure = exc
        explain_store_failure(failure, stderr)
        if not failure.nothing_stored:
            # Part of the attempt stayed behind and the summary said which part: the key is in
            # the keyring, so offering to write it to a file as well would only add a copy.
            return exits.STORAGE
        if not stdin.isatty():
            # The key came from a pipe, so its source still has it: nothing is lost.
            return exits.STORAGE
        choice = _ask_after_store_failure(stdin, stderr)
        if choice is AfterStoreFailure.RETRY:
            continue
        if choice is AfterStoreFailure.DISCARD:
            print("Discarded: the key was not stored anywhere.", file=stderr)
            return exits.STORAGE
        if choice is AfterStoreFailure.CLOSED:
            print("Input closed: the key was not stored.", file=stderr)
            return exits.STORAGE
        if _rescue_to_file(key, stdin, stderr):
            return exits.STORAGE
    return stored


def _report_stored(
    stored: StoredKey,
    report: VerifyReport | None,
    tenant: Tenant,
    services: Services,
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    from qlik_tui.commands.output import insecure_backend_notice, warn

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
    for note in (stored.replacement_note(), stored.shared_note()):
        if note:
            print(note, file=stdout)
    moved = stored.move_note()
    if moved:
        print(moved, file=stdout)
    left_behind = stored.old_copy_warning()
    if left_behind:
        warn(stderr, left_behind)
    insecure_backend_notice(services.secrets, stderr)


class AfterStoreFailure(Enum):
    """What the user chose to do with a key the store refused."""

    RETRY = "r"
    FILE = "f"
    DISCARD = "d"
    CLOSED = ""  # the input ended at the prompt


def _ask_after_store_failure(stdin: TextIO, stderr: TextIO) -> AfterStoreFailure:
    choices = {each.value: each for each in AfterStoreFailure if each.value}
    while True:
        print(
            "The key is still only in memory. [r]etry, write it to a [f]ile, or [d]iscard it? ",
            end="",
            file=stderr,
            flush=True,
        )
        answer = stdin.readline()
        if not answer:  # Ctrl-D at the prompt: the user walked away from the choice
            return AfterStoreFailure.CLOSED
        picked = choices.get(answer.strip().lower()[:1])
        if picked:
            return picked


def _rescue_to_file(key: ApiKey, stdin: TextIO, stderr: TextIO) -> bool:
    from qlik_tui.commands.output import error
    from qlik_tui.services.rescue import RescueFileError, write_key_file

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
