"""``qlik-tui rotate NAME``: renew a stored key; each step printed as it happens, or ``--json``.

The new key is never printed: only key ids, which are public.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.colour import Painter, add_color_option
from qlik_tui.commands.parsers import DEFAULT_PROFILE_HELP, Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.services.rotation import (
        RotationResult,
        StepEvent,
    )
    from qlik_tui.store.profiles import Profile


ROTATE_DESCRIPTION = """\
Renew the key of profile NAME before it expires. In this order: create a new key with the
stored one (POST /api/v1/api-keys) -> prove it (its user: same user and tenant) -> store it
where the old key is (the OS keyring or the encrypted file) and in the profile, all or nothing
-> delete the old key using the new one -> update the profile. Nothing is lost at any step: a
failure before the store deletes the new key again and leaves the stored key as it was; a
failed store keeps the old key stored and deletes the new one. A key a failed clean-up leaves
active is named, with the command that removes it. The new key is never printed. A key that
other profiles hold too (same key id, same tenant, either store) is renewed for all of them,
all or nothing, and the output names every profile it updated."""
EPILOG = exits.render(
    (
        (
            exits.OK,
            "renewed: the new key is proven and stored, the old key deleted (or kept: --keep-old)",
        ),
        (
            exits.REJECTED,
            "refused: the stored key was rejected, or the tenant refused a new key (key limit, "
            "permission missing (403), expiry above the maximum); the stored key is unchanged",
        ),
        (exits.USAGE, "usage error or unknown profile"),
        (
            exits.INCONCLUSIVE,
            "inconclusive: network, TLS, server error, rate limit, or the key store could not be "
            "read; the stored key is unchanged",
        ),
        (
            exits.STORAGE,
            "the new key could not be stored (in this profile, or in another that holds the same "
            "key): every profile still holds the old key, the new one was deleted",
        ),
        (
            exits.OLD_KEY_LEFT,
            "renewed, but the old key could not be deleted: it stays active until it expires; "
            "the output names its id and the command that removes it",
        ),
        (exits.INTERNAL, "internal error (a bug in qlik-tui)"),
        (
            exits.INTERRUPTED,
            "interrupted (SIGINT) before the store: the stored key is unchanged; a key the tenant "
            "made meanwhile was deleted again (or is named with the command that removes it). "
            "Interrupted after the store began, the renewal finishes and exits as above",
        ),
        (exits.TERMINATED, "terminated (SIGTERM) before the store: as 130"),
    ),
    "A key left active by a failed clean-up is always named with the command that removes it.",
)


def add_arguments(commands: Subcommands) -> None:
    rotate = add_command(
        commands,
        "rotate",
        "renew a stored key (create, prove, store, delete the old)",
        ROTATE_DESCRIPTION,
        EPILOG,
    )
    rotate.add_argument("name", nargs="?", metavar="NAME", help=DEFAULT_PROFILE_HELP)
    rotate.add_argument(
        "--expiry", metavar="DURATION",
        help="ISO 8601 duration of the new key, e.g. P30D or PT24H (default: the tenant's maximum)",
    )  # fmt: skip
    rotate.add_argument("--description", metavar="TEXT", help="the new key's description")
    rotate.add_argument(
        "--keep-old", action="store_true", help="keep the old key (it lives until it expires)"
    )  # fmt: skip
    rotate.add_argument("--json", action="store_true", help="machine-readable output")
    add_color_option(rotate)


def run(args: argparse.Namespace, call: Call) -> int:
    from qlik_tui.commands.default_profile import fill_in_name

    services = call.services()
    refused = fill_in_name(args, services.profiles, call.stderr)
    if refused is not None:
        return refused
    return rotate(args, services, call.stdout, call.stderr)


def rotate(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    import asyncio
    import json

    from qlik_tui.commands.output import (
        error,
        explain_store_error,
        insecure_backend_notice,
        key_store_for,
    )
    from qlik_tui.services.rotation import RotationStatus, StepState
    from qlik_tui.store.names import quoted_name
    from qlik_tui.store.profiles import ProfilesFileError
    from qlik_tui.store.secrets import StoreError

    paint = Painter.for_stream(args, stdout)
    marks = {StepState.DONE: "✓", StepState.FAILED: "✗", StepState.SKIPPED: "-"}

    def show(event: StepEvent) -> None:
        if args.json or event.state is StepState.STARTED:
            return
        note = f"  {event.note}" if event.note else ""
        print(f"  {paint.mark(marks[event.state])} {event.title}{note}", file=stdout)

    try:
        profile = services.profiles.get(args.name)
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if profile is None:
        error(
            stderr,
            f"no profile named {quoted_name(args.name)}: `qlik-tui list` shows the stored ones",
        )
        return exits.USAGE
    try:
        # The encrypted key file is unlocked here (hidden prompt or QLIK_TUI_PASSPHRASE_FILE),
        # not mid-way: the new key is stored where the old one is.
        store = key_store_for(services, profile)
        for holder in _other_holders(services, profile):  # the new key goes to them too
            key_store_for(services, holder)
    except StoreError as exc:
        explain_store_error(exc, stderr)
        return exits.INCONCLUSIVE
    if profile.is_oauth_client and (args.expiry or args.description):
        error(
            stderr,
            "--expiry and --description apply to API keys; an OAuth client's secret has "
            "neither (its access tokens' lifetime is set on the client)",
        )
        return exits.USAGE
    if not args.json:
        what = "client secret" if profile.is_oauth_client else "key"
        print(f"Renewing the {what} of profile {quoted_name(args.name)}:", file=stdout)
    result, terminated = asyncio.run(_rotate_to_the_end(services, args, show))
    if args.json:
        json.dump(result_json(result), stdout, indent=2)
        print(file=stdout)
    else:
        print_result(result, stdout, stderr)
    insecure_backend_notice(store, stderr)
    if terminated and result.status is RotationStatus.CANCELLED:
        return exits.TERMINATED
    return exit_code(result)


async def _rotate_to_the_end(
    services: Services, args: argparse.Namespace, show: Callable[[StepEvent], None]
) -> tuple[RotationResult, bool]:
    """The rotation; Ctrl-C or SIGTERM end it through its clean-up, and its result is still
    reported (what was made, stored, deleted and left)."""
    from qlik_tui.commands.signals import sigterm_cancels_this_task
    from qlik_tui.services.rotation import RotationCancelled
    from qlik_tui.services.secret_rotation import renew_profile

    with sigterm_cancels_this_task() as received:
        try:
            result = await renew_profile(
                services,
                args.name,
                expiry=args.expiry,
                description=args.description,
                keep_old=args.keep_old,
                on_step=show,
            )
        except RotationCancelled as stopped:
            result = stopped.result
    return result, bool(received)


def _other_holders(services: Services, profile: Profile) -> tuple[Profile, ...]:
    from qlik_tui.services.shared_keys import holders
    from qlik_tui.store.profiles import ProfilesFileError

    try:
        everyone = services.profiles.all()
    except ProfilesFileError:
        return ()  # the rotation reads the file again and says what is wrong with it
    return holders(everyone, origin=profile.origin, key_id=profile.key_id, besides=profile.name)


def exit_code(result: RotationResult) -> int:
    from qlik_tui.core.outcomes import Verdict
    from qlik_tui.services.rotation import RotationStatus

    status = result.status
    if status is RotationStatus.RENEWED:
        return exits.OK
    if status is RotationStatus.OLD_KEY_LEFT:
        return exits.OLD_KEY_LEFT
    if status is RotationStatus.STORE_FAILED:
        return exits.STORAGE
    if status is RotationStatus.CANCELLED:
        return exits.INTERRUPTED
    verdict = result.outcome.verdict if result.outcome else Verdict.INCONCLUSIVE
    return exits.REJECTED if verdict is Verdict.REJECTED else exits.INCONCLUSIVE


def print_result(result: RotationResult, stdout: TextIO, stderr: TextIO) -> None:
    from datetime import datetime, timezone

    from qlik_tui.commands.output import explain_outcome
    from qlik_tui.commands.stray_lines import print_strays
    from qlik_tui.core.expiry import expiry_sentence
    from qlik_tui.core.untrusted import neutralise
    from qlik_tui.services.rotation import RotationStatus
    from qlik_tui.store.names import quoted_name
    from qlik_tui.store.profiles import CredentialKind

    name = repr(result.name)
    now = datetime.now(timezone.utc)
    key = result.credential is CredentialKind.API_KEY
    what = result.credential.words
    if result.renewed:
        if key:
            expiry = expiry_sentence(result.new_expiry, now=now)
            print(f"Renewed {name}: key {result.new_key_id} is stored; {expiry}.", file=stdout)
        else:
            print(f"Renewed {name}: {what} {result.new_key_id} is stored.", file=stdout)
        if result.kept_old and result.old_key_id:
            print(f"The old {what} {result.old_key_id} was kept (--keep-old).", file=stdout)
        elif result.status is RotationStatus.RENEWED and result.old_key_id:
            print(f"The old {what} {result.old_key_id} was deleted.", file=stdout)
        also = result.updated_profiles[1:]
        if also:
            every = ", ".join(quoted_name(n) for n in result.updated_profiles)
            print(
                f"Also renewed in profile {', '.join(quoted_name(n) for n in also)}, which held "
                f"the same key: updated {every}.",
                file=stdout,
            )
    else:
        held = result.old_key_id or ("(none)" if key else "(hint unknown)")
        print(f"Not renewed: {name} still holds {what} {held}.", file=stderr)
        if result.store_failure is not None:
            print(f"  {result.store_failure.summary()}", file=stderr)
            print(f"  problem: {result.store_failure.problem}", file=stderr)
            print(f"  fix: {result.store_failure.fix}", file=stderr)
    if result.outcome is not None and result.store_failure is None:
        stream = stdout if result.renewed else stderr
        explain_outcome(result.outcome, stream, indent="  ")
        if result.outcome.server_message:
            print(f"  tenant said: {neutralise(result.outcome.server_message or '')}", file=stream)
    print_strays(result.strays, stderr)
    for note in result.notes:
        print(note, file=stderr)


def result_json(result: RotationResult) -> dict[str, object]:
    from qlik_tui.commands.stray_lines import strays_json

    outcome = result.outcome
    return {
        "name": result.name,
        "status": result.status.value,
        "renewed": result.renewed,
        "old_key_id": result.old_key_id,
        "new_key_id": result.new_key_id,
        "stored_key_id": result.stored_key_id,
        "credential": result.credential.words,
        "new_expiry": result.new_expiry.isoformat() if result.new_expiry else None,
        "kept_old": result.kept_old,
        "updated_profiles": list(result.updated_profiles),
        "failed_step": result.failed_step.value if result.failed_step else None,
        "outcome": outcome.kind.value if outcome else None,
        "title": outcome.title if outcome else None,
        "cause": outcome.cause if outcome else None,
        "next_step": outcome.next_step if outcome else None,
        "server_message": outcome.server_message if outcome else None,
        "store_problem": result.store_failure.problem if result.store_failure else None,
        "strays": strays_json(result.strays),
        "notes": list(result.notes),
        "deleted_strays": list(result.deleted_strays),
        "interrupted": result.interrupted,
        "exit_code": exit_code(result),
    }
