"""``qlik-tui check``: re-validate stored keys concurrently; one line each, or ``--json``."""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.colour import Painter, add_color_option
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from qlik_tui.core.expiry import ExpiryView
    from qlik_tui.services.check_results import CheckResult
    from qlik_tui.services.context import Services
    from qlik_tui.store.profiles import Profile


DEFAULT_DEADLINE_S = 30.0  # the whole run, all profiles together


def add_arguments(commands: Subcommands) -> None:
    check = add_command(
        commands,
        "check",
        "re-validate stored keys (all, or the named profiles)",
        "Re-validate stored keys concurrently: GET /api/v1/users/me, then the key's own "
        "record for its status and expiry.",
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="profiles (default: all)")
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON array")
    output.add_argument("--quiet", action="store_true", help="print only failures")
    check.add_argument(
        "--warn-hours",
        type=float,
        help="warn when less than this many hours are left, or a fifth of the key's lifetime "
        "(default: 6, as the dashboard)",
    )
    check.add_argument(
        "--deadline",
        type=deadline_seconds,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help=(
            f"finish within this many seconds in total (default: {DEFAULT_DEADLINE_S:g}); a "
            "tenant asking to wait longer (429 retry-after) is reported, not waited for"
        ),
    )
    add_color_option(check)
    check.add_argument(
        "--renew-within", metavar="DURATION",
        help="then renew (as `rotate`) each valid key expiring within DURATION, e.g. 12h, 2d, "
        "PT12H; one line per renewal. Exit 0 only when every check and renewal succeeded",
    )  # fmt: skip
    check.add_argument(
        "--secret-max-age", metavar="DURATION",
        help="with --renew-within: renew an OAuth client's secret once it is this old "
        "(a secret has no expiry), e.g. 30d (default: 90d)",
    )  # fmt: skip


def deadline_seconds(text: str) -> float:
    """``--deadline``: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        from qlik_tui.core.untrusted import echoed

        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, not {echoed(text)}"
        )
    return value


def run(args: argparse.Namespace, call: Call) -> int:
    return check(args, call.services(), call.stdout, call.stderr)


def check(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    import asyncio
    import json
    from datetime import datetime, timedelta, timezone

    from qlik_tui.commands.output import error, insecure_backend_notice
    from qlik_tui.core.outcomes import Verdict
    from qlik_tui.core.settings import Deadline
    from qlik_tui.services.check import check_profiles, with_store_command
    from qlik_tui.store.profiles import ProfilesFileError, quoted_name

    # --deadline bounds the whole command: reading the profiles and the key files counts too.
    deadline = Deadline.after(getattr(args, "deadline", DEFAULT_DEADLINE_S))
    warn_problem = warn_hours_problem(args.warn_hours)
    if warn_problem:
        error(stderr, warn_problem)
        return exits.USAGE
    names = list(dict.fromkeys(args.names))
    try:
        if len(names) == 1:  # check NAME makes one profile, not each of the file's (~3%)
            found = services.profiles.get(names[0])
            stored = [found] if found is not None else services.profiles.all()
        else:
            stored = services.profiles.all()
    except ProfilesFileError as exc:
        error(stderr, str(exc))
        return exits.STORAGE
    if not stored:
        if args.json:  # still a JSON array, as `list --json` prints: scripts parse stdout
            print("[]", file=stdout)
        error(stderr, "no profiles stored: run `qlik-tui` or `qlik-tui login` first")
        return exits.USAGE
    by_name = {p.name: p for p in stored}
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        error(stderr, f"no profile named {', '.join(quoted_name(n) for n in unknown)}")
        return exits.USAGE
    chosen = [by_name[n] for n in names] if names else stored
    renew_within = None
    if getattr(args, "renew_within", None) is not None:
        from qlik_tui.services.renewal import parse_span

        try:
            renew_within = parse_span(args.renew_within)
        except ValueError as exc:
            error(stderr, f"--renew-within: {exc}")
            return exits.USAGE
        try:
            if getattr(args, "secret_max_age", None) is not None:
                parse_span(args.secret_max_age)
        except ValueError as exc:
            error(stderr, f"--secret-max-age: {exc}")
            return exits.USAGE

    unlock_for_check(services, chosen, stderr)
    _freeze_what_checking_loads()
    checked = asyncio.run(check_profiles(services, chosen, deadline=deadline))
    results = [with_store_command(result) for result in checked]
    now = datetime.now(timezone.utc)
    if renew_within is not None:
        from qlik_tui.commands.renew_lines import renew_and_report

        return renew_and_report(
            services,
            results,
            renew_within,
            now,
            args,
            stdout,
            stderr,
            print_lines=print_lines,
            result_json=result_json,
        )
    warn_below = (
        services.expiry_warning if args.warn_hours is None else timedelta(hours=args.warn_hours)
    )
    if args.json:
        json.dump([result_json(r, now, warn_below) for r in results], stdout, indent=2)
        print(file=stdout)
    else:
        shown = [r for r in results if not (args.quiet and r.outcome.verdict is Verdict.VALID)]
        print_lines(shown, now, warn_below, stdout, paint=Painter.for_stream(args, stdout))
    _explain_unusable_keyring(services, results, stderr)
    insecure_backend_notice(services.secrets, stderr)
    return exits.for_verdicts(r.outcome.verdict for r in results)


def _freeze_what_checking_loads() -> None:
    """Freeze what this command imported since the CLI froze its start-up objects, with what
    its first key read and first client load in any case (keyring, httpcore): as long-lived
    as the rest, so no full collection lands on the first request or scans them again (in
    check-one, ~25 M instructions fewer than freezing before these two load)."""
    import httpcore  # noqa: F401

    import qlik_tui.store.backends  # noqa: F401

    gc.freeze()


def unlock_for_check(services: Services, chosen: list[Profile], stderr: TextIO) -> None:
    """Ask for the encrypted file's passphrase before the checks start (not in the keyring
    worker). When it fails, the explanation is printed and those profiles are checked anyway:
    each reads "Encrypted key file unavailable" (inconclusive, exit 3), the others are
    unaffected. ``--renew-within`` renews with the same unlocked file."""
    from qlik_tui.commands.output import unlock_encrypted_file
    from qlik_tui.store.key_stores import KeyStoreKind, kind_of

    stores = services.stores
    if not any(kind_of(p) is KeyStoreKind.ENCRYPTED_FILE for p in chosen):
        return
    if not stores.encrypted_file_exists():
        return  # each reads "key missing"; no passphrase is needed (or a new one asked for)
    unlock_encrypted_file(stores, stderr)


def _explain_unusable_keyring(
    services: Services, results: list[CheckResult], stderr: TextIO
) -> None:
    """When the OS keyring could not be read: why, the fix for this platform, the alternative."""
    from qlik_tui.commands.output import explain_store_probe
    from qlik_tui.core.outcomes import OutcomeKind
    from qlik_tui.store.key_stores import KeyStoreKind, kind_of

    if not any(
        r.outcome.kind is OutcomeKind.KEYRING_UNAVAILABLE
        and kind_of(r.profile) is KeyStoreKind.KEYRING
        for r in results
    ):
        return
    from qlik_tui.services.store_probe import probe_key_store

    probe = probe_key_store(services.stores)
    if not probe.usable:
        explain_store_probe(probe, stderr)


def warn_hours_problem(hours: float | None) -> str | None:
    """Why ``--warn-hours`` cannot be used, or None (not given, or a finite span of 0 or more)."""
    import math

    if hours is None or (math.isfinite(hours) and hours >= 0):
        return None
    return f"--warn-hours takes a number of hours of 0 or more, not {hours:g}"


def expiry_of(result: CheckResult, now: datetime, warn_below: timedelta) -> ExpiryView:
    from qlik_tui.core.expiry import describe_expiry
    from qlik_tui.core.timestamps import parse_iso_datetime

    issued = parse_iso_datetime(result.profile.key_created)
    return describe_expiry(result.expiry, now=now, issued=issued, warn_below=warn_below)


def print_lines(
    results: list[CheckResult],
    now: datetime,
    warn_below: timedelta,
    stdout: TextIO,
    *,
    indent: str = "",
    paint: Painter | None = None,
) -> None:
    """One aligned line per profile; failures get their cause and next step underneath. The
    marks are coloured when ``paint`` says so."""
    from qlik_tui.core.expiry import ExpiryState, renewal_hint
    from qlik_tui.core.models import user_label
    from qlik_tui.core.outcomes import Verdict
    from qlik_tui.store.key_stores import KeyStoreKind, kind_of

    paint = paint or Painter(on=False)
    rows = []
    for result in results:
        profile, outcome = result.profile, result.outcome
        status = outcome.title
        if profile.is_oauth_client:
            status += f"  [OAuth client {profile.client_id or '?'}]"
        elif outcome.verdict is Verdict.VALID:
            expiry = expiry_of(result, now, warn_below)
            if expiry.state is ExpiryState.SOON:
                status += f"  {paint.mark('⚠')} {expiry.text}: {renewal_hint(profile.name)}"
            else:
                status += f"  {expiry.text}"
        if kind_of(profile) is KeyStoreKind.ENCRYPTED_FILE:
            status += "  [key in encrypted file]"
        rows.append(
            [
                outcome.spec.mark,
                profile.name,
                profile.origin,
                user_label(profile.user_email, profile.user_name, profile.user_id) or "-",
                outcome.latency_text or "-",
                status,
            ]
        )
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(5)]
    for result, row in zip(results, rows, strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        cells[0] = paint.leading_mark(cells[0])  # after padding: escapes take no columns
        print(indent + "  ".join([*cells, row[5]]), file=stdout)
        if result.outcome.verdict is not Verdict.VALID:
            print(f"{indent}    cause: {result.outcome.cause}", file=stdout)
            print(f"{indent}    next:  {result.outcome.next_step}", file=stdout)


def result_json(result: CheckResult, now: datetime, warn_below: timedelta) -> dict[str, object]:
    from qlik_tui.commands.output import outcome_json, profile_json

    profile, outcome = result.profile, result.outcome
    expiry = expiry_of(result, now, warn_below)
    return {
        **profile_json(profile),
        **outcome_json(outcome),
        "http_status": outcome.http_status,
        "latency_ms": None if outcome.latency_ms is None else round(outcome.latency_ms, 1),
        "rate_limit_waited_s": outcome.rate_limit_waited_s,
        "expiry_state": expiry.state.value,
        "expiry_text": expiry.text,
    }
