"""``check --renew-within``: the check's output, then one line per renewal."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import insecure_backend_notice
from qlik_tui.commands.signals import sigterm_cancels_this_task, was_cancelled
from qlik_tui.commands.stray_lines import print_left_behind
from qlik_tui.core.expiry import describe_expiry
from qlik_tui.core.outcomes import Verdict
from qlik_tui.services.check_results import CheckResult
from qlik_tui.services.context import Services
from qlik_tui.services.renewal import (
    DEFAULT_SECRET_MAX_AGE,
    due_for_renewal,
    parse_span,
    renew_all,
    tenant_lifetimes,
    window_beyond_lifetime,
)
from qlik_tui.services.rotation import RotationResult, RotationStatus
from qlik_tui.services.strays import look_for_left_behind, pending_profiles
from qlik_tui.store.profiles import CredentialKind


def renew_and_report(
    services: Services,
    results: list[CheckResult],
    within: timedelta,
    now: datetime,
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
    *,
    print_lines: Callable[[list[CheckResult], datetime, timedelta, TextIO], None],
    result_json: Callable[[CheckResult, datetime, timedelta], dict[str, object]],
) -> int:
    """``print_lines`` and ``result_json`` are the check's own renderers."""
    from qlik_tui.commands.rotate import exit_code
    from qlik_tui.commands.rotate import result_json as renewal_json

    warn_below = (
        services.expiry_warning if args.warn_hours is None else timedelta(hours=args.warn_hours)
    )
    if not args.json:
        shown = [r for r in results if not (args.quiet and r.outcome.verdict is Verdict.VALID)]
        print_lines(shown, now, warn_below, stdout)
    lifetimes = asyncio.run(tenant_lifetimes(services, results, within))
    max_age = DEFAULT_SECRET_MAX_AGE
    if getattr(args, "secret_max_age", None) is not None:
        max_age = parse_span(args.secret_max_age)  # checked by the check command first
    due = due_for_renewal(results, within, now, lifetimes, max_age)
    too_long = window_beyond_lifetime(results, within, lifetimes)
    if too_long:
        print(too_long, file=stderr)

    def line(renewal: RotationResult) -> None:
        if not args.json:
            print(renewal_line(renewal, now), file=stdout if renewal.renewed else stderr)
            for note in renewal.notes:
                print(f"    {note}", file=stderr)
            for stray in renewal.strays:
                print(
                    f"    stray key {stray.key_id}: {stray.why}; remove it with: {stray.command}",
                    file=stderr,
                )

    renewals, signalled = asyncio.run(_renew_to_the_end(services, due, line))
    checked = {r.profile.name for r in results} - {r.profile.name for r in due}
    for name in sorted(checked & pending_profiles(services)):
        # keys that unfinished renewals of the profiles not renewed now left
        found = asyncio.run(look_for_left_behind(services, name, delete=True))
        print_left_behind(found, stderr, indent="    ")
    if args.json:
        by_name = {r.name: r for r in renewals}
        entries = []
        for result in results:
            entry = result_json(result, now, warn_below)
            renewal = by_name.get(result.profile.name)
            entry["renewal"] = renewal_json(renewal) if renewal else None
            entries.append(entry)
        json.dump(entries, stdout, indent=2)
        print(file=stdout)
    insecure_backend_notice(services.secrets, stderr)
    if signalled is not None:
        return signalled
    code = exits.for_verdicts(r.outcome.verdict for r in results)
    failed = [exit_code(r) for r in renewals if exit_code(r) != exits.OK]
    if code == exits.OK and failed:
        code = min(failed)  # 1 refused, 3 inconclusive, 4 not stored, 5 old key left
    return code


async def _renew_to_the_end(
    services: Services, due: list[CheckResult], line: Callable[[RotationResult], None]
) -> tuple[list[RotationResult], int | None]:
    """The renewals; Ctrl-C or SIGTERM still report what each began renewal did, then exit
    130 or 143."""
    with sigterm_cancels_this_task() as received:
        renewals = await renew_all(services, due, on_result=line)
        cancelled = was_cancelled()
    if received:
        return renewals, exits.TERMINATED
    return renewals, exits.INTERRUPTED if cancelled else None


def renewal_line(renewal: RotationResult, now: datetime) -> str:
    name = renewal.name
    if renewal.renewed and renewal.credential is CredentialKind.OAUTH_CLIENT:
        old = (
            f"old secret {renewal.old_key_id} kept"
            if renewal.kept_old
            else f"old secret {renewal.old_key_id} deleted"
            if renewal.status is not RotationStatus.OLD_KEY_LEFT
            else f"old secret {renewal.old_key_id} NOT deleted"
        )
        return f"↻ renewed {name}: client secret {renewal.new_key_id}; {old}"
    if renewal.renewed:
        expiry = describe_expiry(renewal.new_expiry, now=now).text
        old = (
            f"old key {renewal.old_key_id} kept"
            if renewal.kept_old
            else f"old key {renewal.old_key_id} deleted"
            if renewal.status is not RotationStatus.OLD_KEY_LEFT
            else f"old key {renewal.old_key_id} NOT deleted"
        )
        also = ", ".join(renewal.updated_profiles[1:])
        shared = f" (also in {also}, which held the same key)" if also else ""
        return f"↻ renewed {name}{shared}: key {renewal.new_key_id}, {expiry}; {old}"
    why = renewal.outcome.title if renewal.outcome else renewal.status.value
    if renewal.store_failure is not None:
        why = f"not stored: {renewal.store_failure.problem}"
    return f"✗ not renewed {name}: {why}; it still holds key {renewal.old_key_id}"
