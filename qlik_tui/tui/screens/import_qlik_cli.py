"""Import qlik-cli's keys: every context of its contexts file, each key's proof, what was stored.

The same rules as ``qlik-tui import qlik-cli`` (the service decides, this screen renders):
proven before stored, an existing profile never replaced, the file never written, and a list of
the contexts that still hold their key in plain text with the qlik-cli command that removes each.

Two workers, each only posting messages: reading the file (a thread) and ONE async worker that
runs ``import_contexts``, whose callback posts a message per context settled. Names, servers
and reasons come from a file we did not write: every cell and line is a ``Text``, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Select, Static

from qlik_tui.tui.messages import ReportsWorkerEnds, WorkerCancelled, WorkerCrashed
from qlik_tui.tui.widgets import store_line
from qlik_tui.tui.widgets.store_form import StoreChoice

if TYPE_CHECKING:
    from qlik_tui.core.qlik_cli_contexts import ContextsFile, QlikCliContext
    from qlik_tui.services.context import Services
    from qlik_tui.services.qlik_cli_import import ImportResult
    from qlik_tui.tui.host import AppHost

TITLE = "Import keys from qlik-cli"
READ_GROUP = "import-read"
IMPORT_GROUP = "import-run"
INTRO = (
    "qlik-cli keeps each context's API key in plain text in this file. Each key is proven "
    "against its context's server, then stored in the store you choose below (the OS keyring, "
    "or qlik-tui's encrypted file) as a profile named after the context. An existing profile "
    "is never replaced, and the file is only read."
)
IMPORT_STORES = (StoreChoice.KEYRING, StoreChoice.ENCRYPTED_FILE)
NOT_UNLOCKED = "Nothing was imported: the encrypted file needs its passphrase."
WAITING = "not tested yet"
PROVING = "testing…"


class ContextsRead(Message):
    def __init__(self, contexts_file: ContextsFile) -> None:
        super().__init__()
        self.contexts_file = contexts_file


class ContextsUnreadable(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem  # names the path and line, never the file's text


class KeyringUnusable(Message):
    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


class ContextSettled(Message):
    def __init__(self, result: ImportResult) -> None:
        super().__init__()
        self.result = result


class ImportFinished(Message):
    def __init__(self, results: list[ImportResult]) -> None:
        super().__init__()
        self.results = results


class ImportQlikCliScreen(ReportsWorkerEnds, Screen[None]):
    DEFAULT_CSS = """
    ImportQlikCliScreen { layout: vertical; }
    #import-title { dock: top; height: 1; background: $panel; padding: 0 1; text-style: bold; }
    #import-body { height: 1fr; padding: 0 1; }
    #import-contexts { height: auto; max-height: 12; margin: 1 0 0 0; }
    #import-details { height: auto; margin: 1 0 0 0; }
    #import-actions { height: 3; padding: 0 1; }
    #import-actions Button { margin: 0 1 0 0; }
    #import-store { width: 22; margin: 0 1 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.contexts: list[QlikCliContext] = []
        self.results: dict[str, ImportResult] = {}
        self.running = False
        self.finished = False
        self.keyring_problem: str | None = None  # set when no OS keyring is usable here
        self._ready_lines: list[str] = []

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="import-title")
        with VerticalScroll(id="import-body"):
            yield Static(Text(INTRO), classes="paragraph")
            yield Static(Text(f"File: {_display_path(self.path)}"), classes="paragraph")
            yield DataTable(id="import-contexts", cursor_type="row", zebra_stripes=False)
            yield Static(Text("Reading the file…"), id="import-details")
        with Horizontal(id="import-actions"):
            yield Select(
                [(choice.label, choice) for choice in IMPORT_STORES],
                value=StoreChoice.KEYRING,
                allow_blank=False,
                compact=True,  # one line, like the buttons beside it
                id="import-store",
            )
            yield Button("Import", id="import", variant="primary", disabled=True)
            yield Button("Test only", id="prove", disabled=True)
            yield Button("Close", id="close")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#import-contexts", DataTable)
        table.add_columns("Context", "Server", "Result")
        self.run_worker(
            self._read,
            thread=True,
            group=READ_GROUP,
            description="Reading qlik-cli's contexts file",
        )

    def _read(self) -> None:
        from qlik_tui.core.qlik_cli_contexts import ContextsFileError
        from qlik_tui.services.qlik_cli_import import load_contexts

        try:
            contexts_file = load_contexts(self.path)
        except ContextsFileError as exc:
            self.post_message(ContextsUnreadable(str(exc)))
            return
        self.post_message(ContextsRead(contexts_file))
        probe = store_line.probe_store(self.qapp.lasting_services)
        if not probe.usable:
            self.post_message(KeyringUnusable(probe.why or f"{probe.headline}."))  # room here

    def on_keyring_unusable(self, message: KeyringUnusable) -> None:
        """No usable OS keyring here: the encrypted file is preselected, and the line says why
        (importing into it still asks for its passphrase first)."""
        self.keyring_problem = message.why
        self.query_one("#import-store", Select).value = StoreChoice.ENCRYPTED_FILE
        if not self.running and not self.finished:
            self._details([*self._ready_lines, f"No usable OS keyring here: {message.why}"])

    # -- reading -----------------------------------------------------------------------------

    def on_contexts_read(self, message: ContextsRead) -> None:
        self.contexts = list(message.contexts_file.contexts)
        importable = len(message.contexts_file.importable)
        self._fill_table()
        if importable:
            self._ready_lines = [
                f"{importable} of {len(self.contexts)} contexts hold an API key. Import tests "
                "each and stores those that work; Test only stores nothing."
            ]
        else:
            self._ready_lines = ["No context in this file holds a Qlik Cloud API key."]
        problem = [f"No usable OS keyring here: {self.keyring_problem}"]
        self._details(self._ready_lines + (problem if self.keyring_problem else []))
        for button_id in ("#import", "#prove"):
            self.query_one(button_id, Button).disabled = importable == 0
        if importable:
            self.query_one("#import", Button).focus()

    def on_contexts_unreadable(self, message: ContextsUnreadable) -> None:
        self._details([f"✗ The file cannot be used: {message.problem}"])

    def _fill_table(self) -> None:
        from qlik_tui.core.qlik_cli_contexts import ContextKind, shown

        table = self.query_one("#import-contexts", DataTable)
        table.clear()
        for context in self.contexts:
            result = self.results.get(context.name)
            if result is not None:
                status = _result_text(result)
            elif context.kind is ContextKind.API_KEY:
                status = Text(PROVING if self.running else WAITING)
            else:
                status = Text(f"skipped: {context.skip_reason}", style="dim")
            table.add_row(Text(shown(context.name)), Text(shown(context.server or "-")), status)

    # -- importing ---------------------------------------------------------------------------

    @on(Button.Pressed, "#import")
    def _import_pressed(self) -> None:
        self._start(dry_run=False)

    @on(Button.Pressed, "#prove")
    def _prove_pressed(self) -> None:
        self._start(dry_run=True)

    def _start(self, *, dry_run: bool) -> None:
        if self.running or not self.contexts:
            return
        services = self.qapp.lasting_services
        choice = self.query_one("#import-store", Select).value
        if dry_run or choice is not StoreChoice.ENCRYPTED_FILE:
            self._begin(services, dry_run=dry_run)
            return
        from qlik_tui.tui.screens.passphrase import unlock_for_writing

        unlock_for_writing(
            self,
            services,
            "to store the imported keys",
            lambda writing: self._begin(writing, dry_run=False),
            lambda: self._details(
                ["Nothing was imported: the encrypted file needs its passphrase."]
            ),
        )

    def _begin(self, services: Services, *, dry_run: bool) -> None:
        if self.running:
            return
        self.running = True
        self.results.clear()
        for button_id in ("#import", "#prove"):
            self.query_one(button_id, Button).disabled = True
        self._fill_table()
        self._details(["Testing each key against its server…"])
        self.run_worker(
            self._run_import(services, dry_run),
            group=IMPORT_GROUP,
            exclusive=True,
            description="Testing qlik-cli's keys" + ("" if dry_run else " and storing them"),
        )

    async def _run_import(self, services: Services, dry_run: bool) -> None:
        from qlik_tui.services.qlik_cli_import import import_contexts

        def settled(result: ImportResult) -> None:
            self.post_message(ContextSettled(result))

        results = await import_contexts(services, self.contexts, dry_run=dry_run, on_result=settled)
        self.post_message(ImportFinished(results))

    def on_context_settled(self, message: ContextSettled) -> None:
        self.results[message.result.name] = message.result
        self._fill_table()

    def on_import_finished(self, message: ImportFinished) -> None:
        self.running = False
        self.finished = True
        for result in message.results:
            self.results[result.name] = result
        self._fill_table()
        self._details(_summary_lines(message.results, _display_path(self.path)))
        self.query_one("#prove", Button).disabled = False
        self.query_one("#import", Button).disabled = False
        self.query_one("#close", Button).focus()

    def on_worker_crashed(self, message: WorkerCrashed) -> None:
        self.running = False
        self._details(
            [f"✗ Something went wrong ({message.error_type}) while: {message.description}. "
             "Nothing more was stored; close this screen and try again."]
        )  # fmt: skip

    def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        self.running = False
        self._details(["Stopped. Keys already stored stay stored; the rest were not."])

    # -- leaving -----------------------------------------------------------------------------

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.running:
            self.workers.cancel_group(self, IMPORT_GROUP)
            return
        self.dismiss(None)

    def _details(self, lines: list[str]) -> None:
        self.query_one("#import-details", Static).update(Text("\n".join(lines)))


def _result_text(result: ImportResult) -> Text:
    from qlik_tui.services.qlik_cli_import import ImportStatus, describe_result, result_mark

    style = "dim" if result.status is ImportStatus.SKIPPED else ""
    return Text(f"{result_mark(result)} {describe_result(result)}", style=style)


def _display_path(path: Path) -> str:
    """``~/.qlik/contexts.yml`` rather than the full home directory."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except (ValueError, RuntimeError):  # not under home, or no home at all
        return str(path)


def _summary_lines(results: list[ImportResult], path: str) -> list[str]:
    """Every failure with its cause and next step, then the plain-text copies left behind."""
    from qlik_tui.core.qlik_cli_contexts import shown
    from qlik_tui.services.qlik_cli_import import (
        SUCCESS_STATUSES,
        ImportStatus,
        plaintext_note,
        remove_command,
    )

    tested = [r for r in results if r.status is not ImportStatus.SKIPPED]
    done = sum(r.status in SUCCESS_STATUSES for r in tested)
    lines = [f"{done} of {len(tested)} keys tested work and are in the keyring or were proven."]
    for result in tested:
        name = shown(result.name)
        if result.status in (ImportStatus.REJECTED, ImportStatus.INCONCLUSIVE) and result.outcome:
            lines += [
                "",
                f"{name}: {result.outcome.title}",
                f"  cause: {result.outcome.cause}",
                f"  next:  {result.outcome.next_step}",
            ]
        elif result.problem:
            lines += ["", f"{name}: {result.problem}"]
            if result.fix:
                lines.append(f"  fix: {result.fix}")
    left = [r for r in results if r.holds_plaintext_key]
    if left:
        lines += ["", f"Still in plain text in {path} (never changed here). Remove with:"]
        lines += [f"  {shown(remove_command(r.name))}   ({plaintext_note(r)})" for r in left]
    return lines
