"""``qlik-tui check``: re-validate stored keys concurrently; one line each, or ``--json``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
from datetime import datetime, timedelta, timezone
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.deadline import DEFAULT_DEADLINE_S
from qlik_tui.commands.output import (
    error,
    explain_store_probe,
    insecure_backend_notice,
    profile_json,
    unlock_encrypted_file,
)
from qlik_tui.core.expiry import ExpiryState, ExpiryView, describe_expiry, renewal_hint
from qlik_tui.core.models import user_label
from qlik_tui.core.outcomes import OutcomeKind, Verdict
from qlik_tui.core.timestamps import parse_iso_datetime
from qlik_tui.services.check import check_profiles
from qlik_tui.services.check_results import CheckResult
from qlik_tui.services.context import Services
from qlik_tui.store.key_stores import KeyStoreKind, kind_of
from qlik_tui.store.profiles import Profile, ProfilesFileError, quoted_name


def run(args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO) -> int:
    # What this command imported since the CLI froze its start-up objects is as long-lived:
    # freeze it too, so no full collection of it lands on the first request.
    gc.freeze()
    warn_problem = warn_hours_problem(args.warn_hours)
    if warn_problem:
        error(stderr, warn_problem)
        return exits.USAGE
    try:
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
    chosen = [by_name[n] for n in dict.fromkeys(args.names)] if args.names else stored
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

    _unlock_encrypted_file(services, chosen, stderr)
    deadline_s = getattr(args, "deadline", DEFAULT_DEADLINE_S)
    results = asyncio.run(check_profiles(services, chosen, deadline_s=deadline_s))
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
        print_lines(shown, now, warn_below, stdout)
    _explain_unusable_keyring(services, results, stderr)
    insecure_backend_notice(services.secrets, stderr)
    return exits.for_verdicts(r.outcome.verdict for r in results)


def _unlock_encrypted_file(services: Services, chosen: list[Profile], stderr: TextIO) -> None:
    """Ask for the encrypted file's passphrase before the checks start (not in the keyring
    worker). When it fails, the explanation is printed and those profiles are checked anyway:
    each reads "Encrypted key file unavailable" (inconclusive, exit 3), the others are
    unaffected. ``--renew-within`` renews with the same unlocked file."""
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
    if hours is None or (math.isfinite(hours) and hours >= 0):
        return None
    return f"--warn-hours takes a number of hours of 0 or more, not {hours:g}"


def expiry_of(result: CheckResult, now: datetime, warn_below: timedelta) -> ExpiryView:
    issued = parse_iso_datetime(result.profile.key_created)
    return describe_expiry(result.expiry, now=now, issued=issued, warn_below=warn_below)


def print_lines(
    results: list[CheckResult], now: datetime, warn_below: timedelta, stdout: TextIO
) -> None:
    """One aligned line per profile; failures get their cause and next step underneath."""
    rows = []
    for result in results:
        profile, outcome = result.profile, result.outcome
        status = outcome.title
        if profile.is_oauth_client:
            status += f"  [OAuth client {profile.client_id or '?'}]"
        elif outcome.verdict is Verdict.VALID:
            expiry = expiry_of(result, now, warn_below)
            if expiry.state is ExpiryState.SOON:
                status += f"  ⚠ {expiry.text}: {renewal_hint(profile.name)}"
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
        print("  ".join([*cells, row[5]]), file=stdout)
        if result.outcome.verdict is not Verdict.VALID:
            print(f"    cause: {result.outcome.cause}", file=stdout)
            print(f"    next:  {result.outcome.next_step}", file=stdout)


def result_json(result: CheckResult, now: datetime, warn_below: timedelta) -> dict[str, object]:
    profile, outcome = result.profile, result.outcome
    expiry = expiry_of(result, now, warn_below)
    return {
        **profile_json(profile),
        "outcome": outcome.kind.value,
        "verdict": outcome.verdict.value,
        "title": outcome.title,
        "cause": outcome.cause,
        "next_step": outcome.next_step,
        "http_status": outcome.http_status,
        "latency_ms": None if outcome.latency_ms is None else round(outcome.latency_ms, 1),
        "rate_limit_waited_s": outcome.rate_limit_waited_s,
        "expiry_state": expiry.state.value,
        "expiry_text": expiry.text,
    }
