"""``qlik-tui import qlik-cli``: prove qlik-cli's plain-text keys and move them into the OS
keyring, or into qlik-tui's encrypted file with ``--store encrypted-file``.

The store is opened before any key is proven, as ``login`` does: without ``--store`` the OS
keyring, and when it is not usable the command explains why and stops (never a silent fall
back to the encrypted file). ``--dry-run`` stores nothing, so it opens no store.

Renders what ``services.qlik_cli_import`` decided: one line per context (mark, name, server,
result), the cause and next step under every failure, then which contexts still hold their key
in plain text and the qlik-cli command that removes each. The contexts file is never written.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.parsers import KEY_STORE_CHOICES, Call, Subcommands, add_command
from qlik_tui.core.kinds import KeyStoreKind

if TYPE_CHECKING:
    from qlik_tui.core.qlik_cli_contexts import (
        ContextsFile,
        QlikCliContext,
    )
    from qlik_tui.services.context import Services
    from qlik_tui.services.qlik_cli_import import ImportResult


SOURCES = ["qlik-cli"]
EPILOG = """where the file is looked for:
  --file PATH, else $QLIK_CLI_USER_HOME_DIR (the file itself, or a folder holding contexts.yml
  or .qlik/contexts.yml), else ~/.qlik/contexts.yml. It is only read, never written.

""" + exits.render(
    (
        (
            exits.OK,
            "every API-key context was imported (or proven, with --dry-run), or was already stored",
        ),
        (exits.REJECTED, "at least one key was rejected (it was not stored)"),
        (
            exits.USAGE,
            "usage error, unknown --context, or a missing, unreadable or malformed contexts file",
        ),
        (
            exits.INCONCLUSIVE,
            "at least one key could not be tested (network, TLS, server error), none rejected",
        ),
        (
            exits.STORAGE,
            "at least one proven key was not stored: the profile name is taken, or the key store "
            "or profiles file refused it; or no usable key store (nothing was imported)",
        ),
        (exits.INTERNAL, "internal error (a bug in qlik-tui)"),
    )
)


def add_arguments(commands: Subcommands) -> None:
    bring = add_command(
        commands,
        "import",
        "prove qlik-cli's plain-text keys and move them into the keyring (or --store)",
        "Read qlik-cli's contexts file, prove every API key in it against its server and "
        "store each proven key as a profile named after its context. The file is never "
        "written: the summary says how to remove qlik-cli's plain-text copies.",
        EPILOG,
    )
    bring.add_argument("source", nargs="?", choices=SOURCES, help="where the keys are (qlik-cli)")
    bring.add_argument("--file", metavar="PATH", help="the contexts file (default: see below)")
    which = bring.add_mutually_exclusive_group()
    which.add_argument(
        "--context", nargs="+", metavar="NAME", help="only these contexts (default: all)"
    )
    which.add_argument("--all", action="store_true", help="every context (the default)")
    bring.add_argument("--dry-run", action="store_true", help="prove every key, store nothing")
    bring.add_argument(
        "--store",
        choices=KEY_STORE_CHOICES,
        help="where to keep the imported keys: the OS keyring, or qlik-tui's passphrase-encrypted "
        "file (asked for with a hidden prompt, or read from the file QLIK_TUI_PASSPHRASE_FILE "
        "names). Default: the OS keyring; when it is not usable, nothing is imported and the "
        "reason is explained",
    )
    bring.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, call: Call) -> int:
    if args.source is None:
        print(
            f"qlik-tui import: error: name where the keys are: {', '.join(SOURCES)} "
            "(e.g. `qlik-tui import qlik-cli`)",
            file=call.stderr,
        )
        return exits.USAGE
    return import_keys(args, call.services(), call.stdout, call.stderr)


def import_keys(
    args: argparse.Namespace, services: Services, stdout: TextIO, stderr: TextIO
) -> int:
    import asyncio
    import json

    from qlik_tui.commands.output import error, insecure_backend_notice, open_store_for_writing
    from qlik_tui.core.qlik_cli_contexts import ContextsFileError
    from qlik_tui.core.qlik_cli_location import ContextsFileNotFound, locate_contexts_file
    from qlik_tui.services.qlik_cli_import import ImportStatus, import_contexts, load_contexts

    try:
        path = Path(args.file).expanduser() if args.file else locate_contexts_file()
        contexts_file = load_contexts(path)
    except (ContextsFileError, ContextsFileNotFound) as exc:
        error(stderr, f"cannot use qlik-cli's contexts file: {exc}")
        return exits.USAGE
    chosen = _choose(contexts_file, args.context, stderr)
    if chosen is None:
        return exits.USAGE
    if not args.dry_run:
        opened = open_store_for_writing(
            services,
            KeyStoreKind(args.store or KeyStoreKind.KEYRING.value),
            stderr,
            keyring_unusable="Nothing was imported: no key was tested or stored.",
            file_locked="Nothing was imported; the encrypted key file is unchanged.",
            with_file="qlik-tui import qlik-cli --store encrypted-file",
        )
        if opened is None:
            return exits.STORAGE
        services = opened
    results = asyncio.run(import_contexts(services, chosen, dry_run=args.dry_run))
    if args.json:
        json.dump(
            {
                "file": str(contexts_file.path),
                "dry_run": args.dry_run,
                "contexts": [result_json(r) for r in results],
            },
            stdout,
            indent=2,
        )
        print(file=stdout)
    else:
        print_report(contexts_file.path, results, stdout=stdout)
    if not args.dry_run and any(r.status is ImportStatus.IMPORTED for r in results):
        insecure_backend_notice(services.secrets, stderr)
    return exit_code(results)


def _choose(
    contexts_file: ContextsFile, names: Sequence[str] | None, stderr: TextIO
) -> list[QlikCliContext] | None:
    from qlik_tui.commands.output import error
    from qlik_tui.core.qlik_cli_contexts import shown
    from qlik_tui.core.untrusted import echoed

    contexts = list(contexts_file.contexts)
    if not names:
        return contexts
    by_name = {c.name: c for c in contexts}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(shown(c.name) for c in contexts) or "none"
        error(
            stderr,
            f"no context named {', '.join(echoed(n, what='context name') for n in unknown)} in "
            f"{contexts_file.path} (contexts there: {known})",
        )
        return None
    return [by_name[n] for n in dict.fromkeys(names)]


def exit_code(results: Sequence[ImportResult]) -> int:
    from qlik_tui.services.qlik_cli_import import ImportStatus

    statuses = {r.status for r in results}
    if ImportStatus.REJECTED in statuses:
        return exits.REJECTED
    if ImportStatus.INCONCLUSIVE in statuses:
        return exits.INCONCLUSIVE
    if statuses & {ImportStatus.NAME_TAKEN, ImportStatus.STORE_FAILED}:
        return exits.STORAGE
    return exits.OK


def print_report(path: Path, results: Sequence[ImportResult], *, stdout: TextIO) -> None:
    from qlik_tui.core.qlik_cli_contexts import shown
    from qlik_tui.services.qlik_cli_import import ImportStatus, describe_result, result_mark

    print(f"qlik-cli contexts in {path}:", file=stdout)
    if not results:
        print("  (none)", file=stdout)
    rows = [
        (
            result_mark(r),
            shown(r.name),
            shown(r.context.server or "-"),
        )
        for r in results
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    for result, row in zip(results, rows, strict=True):
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(f"  {cells}  {describe_result(result)}", file=stdout)
        outcome = result.outcome
        if result.status in (ImportStatus.REJECTED, ImportStatus.INCONCLUSIVE) and outcome:
            print(f"      cause: {outcome.cause}", file=stdout)
            print(f"      next:  {outcome.next_step}", file=stdout)
        elif result.status in (ImportStatus.NAME_TAKEN, ImportStatus.STORE_FAILED):
            print(f"      why:   {result.problem}", file=stdout)
            if result.fix:
                print(f"      fix:   {result.fix}", file=stdout)
    _print_plaintext_summary(path, results, stdout=stdout)


def _print_plaintext_summary(path: Path, results: Sequence[ImportResult], stdout: TextIO) -> None:
    from qlik_tui.core.qlik_cli_contexts import shown
    from qlik_tui.services.qlik_cli_import import plaintext_note, remove_command

    left = [r for r in results if r.holds_plaintext_key]
    if not left:
        return
    print(file=stdout)
    print(
        f"Still in plain text in {path} (qlik-tui never changes that file); once your tools "
        "use qlik-tui, remove qlik-cli's copy:",
        file=stdout,
    )
    width = max(len(shown(r.name)) for r in left)
    for result in left:
        command = shown(remove_command(result.name))
        print(
            f"  {shown(result.name).ljust(width)}  {plaintext_note(result)}: `{command}`",
            file=stdout,
        )


def result_json(result: ImportResult) -> dict[str, object]:
    from qlik_tui.services.qlik_cli_import import remove_command

    outcome = result.outcome
    user = result.report.user if result.report else None
    return {
        "context": result.name,
        "server": result.context.server,
        "context_kind": result.context.kind.value,
        "status": result.status.value,
        "profile": result.profile.name if result.profile else None,
        "store": (result.profile.store or KeyStoreKind.KEYRING.value) if result.profile else None,
        "shared_with": list(result.shared_with),
        "outcome": outcome.kind.value if outcome else None,
        "verdict": outcome.verdict.value if outcome else None,
        "title": outcome.title if outcome else None,
        "cause": outcome.cause if outcome else None,
        "next_step": outcome.next_step if outcome else None,
        "user_name": user.name if user else None,
        "user_email": user.email if user else None,
        "problem": result.problem,
        "fix": result.fix,
        "key_still_in_plain_text": result.holds_plaintext_key,
        "remove_with": (remove_command(result.name) if result.holds_plaintext_key else None),
    }
