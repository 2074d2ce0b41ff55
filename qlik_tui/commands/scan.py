"""``qlik-tui scan``: find Qlik credentials lying in plain text.

The scanner, the file walker and the stores are imported when ``scan`` runs.
"""

from __future__ import annotations

import argparse
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import Call, Subcommands, add_command

if TYPE_CHECKING:
    from qlik_tui.services.context import Services
    from qlik_tui.services.scan_files import Located, ScanReport
    from qlik_tui.services.scan_verify import LeakCheck

DESCRIPTION = """\
Find Qlik Cloud credentials lying in plain text: API keys (recognised by their decoded header
and claims, not by a pattern), OAuth client secrets beside a client id, and with --tokens
access tokens. Without PATH: qlik-cli's contexts file and the working tree under the current
directory (.env files included). Each finding names where it is and the key id (or at most the
first and last 4 characters of a secret): the secret itself is never printed. Links are not
followed, FIFOs and devices are skipped, binary files and files over 4 MiB are not read."""

EPILOG = exits.render(
    (
        (exits.OK, "nothing found"),
        (exits.REJECTED, "credentials found"),
        (
            exits.USAGE,
            "usage error (a path that does not exist, not a git repository, --fix without a "
            "terminal or --yes)",
        ),
        (exits.INTERNAL, "internal error (a bug in qlik-tui)"),
    ),
    "pre-commit hook (.git/hooks/pre-commit):  exec qlik-tui scan --staged",
)


def add_arguments(commands: Subcommands) -> None:
    scan = add_command(
        commands, "scan", "find Qlik keys and secrets lying in plain text", DESCRIPTION, EPILOG
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to scan")
    scan.add_argument(
        "--history", action="store_true", help="also the shell histories (bash, zsh, fish)"
    )
    scan.add_argument(
        "--git", action="store_true", help="also every blob of the current repository's history"
    )
    scan.add_argument(
        "--staged",
        action="store_true",
        help="only what the next commit would add (for a pre-commit hook)",
    )
    scan.add_argument("--json", action="store_true", help="machine-readable output")
    scan.add_argument("--tokens", action="store_true", help="also report OAuth access tokens")
    scan.add_argument(
        "--verify",
        action="store_true",
        help="ask whether each API key found is active, revoked or expired: only of the tenant "
        "of a stored profile with the key's tenant id, at that profile's address (never a host "
        "named in the file); other keys are not checked",
    )
    scan.add_argument(
        "--fix",
        action="store_true",
        help="then put each finding away, asking before each action: revoke a leaked key "
        "(with itself, or a stored key of the same user), or store it in qlik-tui; then remove "
        "its plain-text lines from .env files and qlik-cli's contexts file. Git history is "
        "never rewritten",
    )
    scan.add_argument(
        "--yes",
        action="store_true",
        help="with --fix, for scripts: revoke every leaked key qlik-tui can reach and remove the "
        "plain-text copies, without asking (keys a profile stores are never revoked)",
    )


def run(args: argparse.Namespace, call: Call) -> int:
    return scan(args, call.given, call.stdin, call.stdout, call.stderr)


def scan(
    args: argparse.Namespace,
    services: Services | None,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """``services`` None: the profiles file is read alone (for matching key ids); the key
    stores are built only for --verify and --fix."""
    from qlik_tui.services import scan_files  # the scanner: only when scan runs

    if args.fix and not args.yes and not (_is_terminal(stdin) and _is_terminal(stdout)):
        print(
            "qlik-tui scan: error: --fix asks before each action and needs a terminal; "
            "add --yes to revoke every leaked key qlik-tui can reach and remove plain-text "
            "copies of stored keys without asking",
            file=stderr,
        )
        return exits.USAGE
    missing = [path for path in args.paths if not os.path.lexists(path)]
    if missing:
        from qlik_tui.core.untrusted import echoed

        print(
            f"qlik-tui scan: error: no such file or folder: {echoed(missing[0], 'path')}",
            file=stderr,
        )
        return exits.USAGE
    report, here = scan_files.ScanReport(), Path.cwd()
    try:
        if args.staged:
            report.extend(scan_files.scan_staged(here, tokens=args.tokens))
        if args.paths or not args.staged:
            report.extend(scan_files.scan_places(_places(args), tokens=args.tokens, base=here))
        if args.git:
            report.extend(scan_files.scan_git_history(here, tokens=args.tokens))
    except scan_files.GitUnavailable as exc:
        print(f"qlik-tui scan: error: {exc}", file=stderr)
        return exits.USAGE
    if services is None and (args.verify or args.fix):
        from qlik_tui.services.context import Services

        services = Services.default()
    stored = _stored_key_ids(services)
    checks = _verify(report, services) if args.verify and services is not None else {}
    if args.json:
        _print_json(report, stored, checks, stdout)
    else:
        _print_text(report, stored, checks, stdout, stderr)
    if args.fix and report.findings and services is not None:
        from qlik_tui.commands.scan_fixing import Fixer

        Fixer(services, stored, stdin, stderr, assume_yes=args.yes).fix(report)
    return exits.REJECTED if report.findings else exits.OK


def _places(args: argparse.Namespace) -> list[Path]:
    if args.paths:
        places = [Path(path) for path in args.paths]
    else:
        from qlik_tui.core.qlik_cli_location import existing_contexts_file

        contexts = existing_contexts_file()
        places = [*([contexts] if contexts else []), Path.cwd()]
    if args.history:
        from qlik_tui.services.scan_files import history_files

        places.extend(history_files(Path.home(), os.environ))
    return places


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False


def _verify(report: ScanReport, services: Services) -> dict[str, LeakCheck]:
    from qlik_tui.services.scan_verify import load_stored_key, verify_findings
    from qlik_tui.store.profiles import ProfilesFileError

    try:
        profiles = services.profiles.all()
    except ProfilesFileError:
        profiles = []
    findings = [located.finding for located in report.findings]
    return verify_findings(
        findings, profiles, services.client_settings, partial(load_stored_key, services)
    )


def _check_text(check: LeakCheck | None) -> str:
    from qlik_tui.services.scan_verify import LeakStatus
    from qlik_tui.store.names import quoted_name

    if check is None:
        return ""
    if check.status is LeakStatus.NOT_CHECKED:
        return "; not checked: no profile for its tenant"
    asked = f"asked of profile {quoted_name(check.profile or '')}'s tenant"
    if check.status is LeakStatus.REJECTED:
        return f"; rejected by its tenant (revoked or expired), {asked}"
    if check.status is LeakStatus.UNKNOWN:
        return f"; status unknown ({check.reason}), {asked}"
    until = f" until {check.expiry}" if check.expiry and check.status is LeakStatus.ACTIVE else ""
    return f"; {check.status.value.upper()}{until}, {asked}"


def _stored_key_ids(services: Services | None) -> dict[str, list[str]]:
    """Key id -> the profiles holding it, from the profiles file (no key store is read)."""
    from qlik_tui.store.profiles import ProfilesFileError, ProfileStore

    try:
        profiles = (services.profiles if services else ProfileStore()).all()
    except ProfilesFileError:
        return {}
    stored: dict[str, list[str]] = {}
    for profile in profiles:
        if profile.key_id:
            stored.setdefault(profile.key_id, []).append(profile.name)
    return stored


def _describe(located: Located, stored: dict[str, list[str]], checks: dict[str, LeakCheck]) -> str:
    from qlik_tui.core.scan import FindingKind
    from qlik_tui.store.names import quoted_name

    finding = located.finding
    if finding.kind is FindingKind.API_KEY:
        text = f"Qlik API key {finding.key_id} (tenant {finding.tenant_id}, user {finding.subject})"
        names = stored.get(finding.key_id or "", [])
        if names:
            text += f": a plain-text copy of the key stored as profile {quoted_name(names[0])}"
        return text + _check_text(checks.get(finding.key_id or ""))
    if finding.kind is FindingKind.CLIENT_SECRET:
        client = finding.client_id or "(an id that looks like a key, not shown)"
        return f"OAuth client secret {finding.fingerprint} of client {client}"
    tenant = f" (tenant {finding.tenant_id})" if finding.tenant_id else ""
    expiry = f", expires {finding.expiry}" if finding.expiry else ""
    return f"access token {finding.fingerprint}{tenant}{expiry}"


def _print_text(
    report: ScanReport,
    stored: dict[str, list[str]],
    checks: dict[str, LeakCheck],
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    from qlik_tui.services.scan_files import PlaceKind

    for located in report.findings:
        print(f"{located.where}: {_describe(located, stored, checks)}", file=stdout)
    count = len(report.findings)
    summary = f"{count} credential{'' if count == 1 else 's'} found in {report.scanned} "
    summary += f"file{'' if report.scanned == 1 else 's'} scanned"
    if report.skipped:
        summary += f" ({len(report.skipped)} skipped: binary, too large, or not regular files)"
    print(summary, file=stderr)
    if any(located.place.kind is PlaceKind.STAGED for located in report.findings):
        print(
            "The next commit would carry these credentials: take them out of the files, "
            "`git add` them again, and keep keys in qlik-tui (`qlik-tui login`) instead.",
            file=stderr,
        )
    if any(located.place.kind is PlaceKind.GIT for located in report.findings):
        print(
            "A key in git history stays readable in every clone: revoke it on its tenant "
            "(`qlik-tui revoke PROFILE KEY_ID`, or in the hub). qlik-tui never rewrites history; "
            "git filter-repo can, after every clone is accounted for.",
            file=stderr,
        )


def _print_json(
    report: ScanReport,
    stored: dict[str, list[str]],
    checks: dict[str, LeakCheck],
    stdout: TextIO,
) -> None:
    import json

    rows = []
    for located in report.findings:
        finding = located.finding
        rows.append(
            {
                "where": located.place.label,
                "line": finding.line,
                "source": located.place.kind.value,
                "kind": finding.kind.value,
                "fingerprint": finding.fingerprint,
                "key_id": finding.key_id,
                "tenant_id": finding.tenant_id,
                "user_id": finding.subject,
                "client_id": finding.client_id,
                "expiry": finding.expiry,
                "stored_as": stored.get(finding.key_id or "", []),
            }
        )
        check = checks.get(finding.key_id or "")
        rows[-1]["verified"] = (
            None
            if check is None
            else {
                "status": check.status.value,
                "profile": check.profile,
                "expiry": check.expiry,
                "reason": check.reason,
            }
        )
    skipped = [{"where": label, "why": reason.name.lower()} for label, reason in report.skipped]
    document = {"findings": rows, "scanned": report.scanned, "skipped": skipped}
    json.dump(document, stdout, indent=2, ensure_ascii=False)
    stdout.write("\n")
