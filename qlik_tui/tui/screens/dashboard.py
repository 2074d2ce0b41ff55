"""The dashboard: every stored key, its last check and expiry; re-check, inspect, forget, add.

Three kinds of worker, each only posting messages: reading the profiles file (a thread: its lock
can make a read wait), re-checking (ONE thread with its own event loop running
``check_profiles``, whose callbacks post a message per profile started and finished: the TLS
handshakes and answers of hundreds of checks never hold the UI's loop) and forgetting (a thread:
keyring calls block). Each result re-renders its own row only.
Their failures and cancellations arrive as ``WorkerCrashed`` / ``WorkerCancelled``, handled here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, DataTable, Footer, Static
from textual.worker import Worker, get_current_worker

from qlik_tui.services.forgetting import forget_profile
from qlik_tui.services.shared_keys import holders
from qlik_tui.store.key_stores import in_encrypted_file
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.tui.host import AppHost
from qlik_tui.tui.messages import ReportsWorkerEnds, WorkerCancelled, WorkerCrashed
from qlik_tui.tui.screens.base import WizardStep
from qlik_tui.tui.screens.dashboard_text import (
    EMPTY_TEXT,
    FORGET_DETAIL,
    KEY_AT_RISK,
    KEYS_TITLE,
    KEYS_WORDS,
    MOVING_WORDS,
    RENEW_DETAIL,
    UNREADABLE_AFTER,
    UNREADABLE_HEADING,
    forget_question,
    plural,
    renew_confirm_question,
    summary_text,
)
from qlik_tui.tui.screens.modals import ConfirmModal, GoAheadModal
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.profile_table import (
    ProfileRow,
    ProfileTable,
    RowActivity,
    RowNote,
)

if TYPE_CHECKING:
    from qlik_tui.services.check import CheckResult
    from qlik_tui.services.context import Services
    from qlik_tui.services.rotation import RotationResult
    from qlik_tui.store.profiles import Profile
    from qlik_tui.tui.screens.profile_details import DetailsChoice

TITLE = "Stored keys"
LOAD_GROUP = "dashboard-load"
RECHECK_GROUP = "dashboard-recheck"
FORGET_GROUP = "dashboard-forget"
CLOCK_TICK_S = 30.0  # "5 min ago" moves on by itself
CANCEL_POLL_S = 0.1  # how soon the re-check's own loop notices that its worker was cancelled


class DashboardMode(Enum):
    """What the screen shows."""

    LOADING = "loading"  # the summary line says so; no pane yet
    TABLE = "table"
    EMPTY = "empty"
    BROKEN = "broken"  # the profiles file cannot be read


# The pane of the content switcher that each mode shows.
PANES: dict[DashboardMode, str | None] = {
    DashboardMode.LOADING: None,
    DashboardMode.TABLE: "profiles-box",
    DashboardMode.EMPTY: "dashboard-empty",
    DashboardMode.BROKEN: "dashboard-broken",
}


class DashboardScreen(ReportsWorkerEnds, Screen[None]):
    # Its workers' messages (none carries a key; their reprs are Textual's, which show no
    # fields), nested here as Textual nests a widget's own.

    @dataclass(repr=False, eq=False)
    class ProfilesLoaded(Message):
        """The profiles file was read (in a thread: its lock can make the read wait)."""

        profiles: list[Profile]

    @dataclass(repr=False, eq=False)
    class ProfilesUnreadable(Message):
        """The profiles file is broken or cannot be read: what ``ProfilesFileError`` said."""

        path: Path
        problem: str
        backup: Path | None
        fix: str

    @dataclass(repr=False, eq=False)
    class RecheckStarted(Message):
        """The re-check of one profile began (its request is about to go out)."""

        name: str

    @dataclass(repr=False, eq=False)
    class RecheckResult(Message):
        """One profile was re-checked; ``result.profile`` is its metadata as saved afterwards."""

        result: CheckResult

    @dataclass(repr=False, eq=False)
    class RecheckFinished(Message):
        count: int

    @dataclass(repr=False, eq=False)
    class ProfileForgotten(Message):
        name: str
        key_removed: bool  # False: the keyring held no key for it
        metadata_removed: bool

    @dataclass(repr=False, eq=False)
    class ForgetFailed(Message):
        """The keyring or the profiles file refused; ``problem`` and ``fix`` are user-facing."""

        name: str
        problem: str
        fix: str
        key_removed: bool = field(default=False, kw_only=True)  # the key is gone, the metadata not

    BINDINGS: ClassVar[list[BindingType]] = [
        # Short words: with the app's own bindings, the footer has 80 columns for all of them.
        Binding("r", "recheck_selected", "Check"),
        Binding("a", "recheck_all", "All", tooltip="Check all keys"),
        Binding("d,delete", "forget", "Forget"),
        Binding("n", "new_setup", "Add"),  # a new key: the setup
        Binding("R", "renew", "Renew"),
        Binding("k", "keys", "Keys"),
        Binding("escape,c", "cancel_recheck", "Cancel"),
        Binding("escape", "back", "Back"),
        # Not in the footer (it is full at 80 columns): the list it opens names every key.
        Binding("question_mark,f1", "toggle_help", "Help", show=False),
    ]

    # Opening the dashboard re-checks every key: what the file remembers shows, marked stale,
    # until each new result arrives.
    RECHECK_ON_OPEN: ClassVar[bool] = True

    # Every assignment re-applies the mode: it also moves the focus and refreshes the summary.
    mode: reactive[DashboardMode] = reactive(DashboardMode.LOADING, always_update=True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ProfileRow] = {}
        self._pending: set[str] = set()  # names whose re-check has not finished
        self._recheck_total = 0
        self._forgetting: str | None = None
        self._loaded = False  # the profiles were read once (a Reload does not re-check)
        # Read again on r and when the terminal regains focus: another terminal may have
        # stored or forgotten a profile. Then ``then`` runs (r: the re-check).
        self._after_reread: Callable[[], object] | None = None
        self._summary_due = False  # one summary update per refresh, however many rows changed
        self._recheck_on_open = False  # the re-check on opening starts after the first paint

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    @property
    def services(self) -> Services:
        return self.qapp.services

    @property
    def rechecking(self) -> bool:
        return bool(self._pending) or self._recheck_on_open

    @property
    def busy(self) -> bool:
        return self.rechecking or self._forgetting is not None

    @property
    def table(self) -> ProfileTable:
        return self.query_one("#profiles-table", ProfileTable)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="dashboard-header"):
            yield Static(TITLE, id="dashboard-title")
            if self.qapp.is_demo:
                yield Static("DEMO · sandbox tenant", id="demo-badge")
        yield Static("Reading the stored profiles…", id="dashboard-summary")
        with ContentSwitcher(id="dashboard-panes"):
            with Vertical(id="profiles-box"):
                yield ProfileTable(
                    now=self.qapp.now, warn_below=self.services.expiry_warning, id="profiles-table"
                )
            with Vertical(id="dashboard-empty"):
                yield Static(EMPTY_TEXT, classes="paragraph")
                with Horizontal(classes="actions"):
                    yield Button("Set up a key", id="setup", variant="primary")
            yield Vertical(id="dashboard-broken")
        yield Static(id="dashboard-status")
        # At 80 columns the dashboard's keys and the app's fill the footer: the palette's
        # entry would cut "Theme" off (ctrl+p still opens it).
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._set_status("")
        self.mode = DashboardMode.LOADING
        self.set_interval(CLOCK_TICK_S, self._clock_tick)
        self.watch(self.app, "app_focus", self._app_focus_changed, init=False)
        self.load()

    def _app_focus_changed(self, focused: bool) -> None:
        if focused and self.is_current:
            self.reread()

    def watch_mode(self, mode: DashboardMode) -> None:
        self.query_one("#dashboard-panes", ContentSwitcher).current = PANES[mode]
        if mode is DashboardMode.TABLE:
            self.table.focus()
        elif mode is DashboardMode.EMPTY:
            self.query_one("#setup", Button).focus()
        self._update_summary()
        self.refresh_bindings()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#dashboard-status", Static)
        status.update(Content(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    def _update_summary(self) -> None:
        summary = self.query_one("#dashboard-summary", Static)
        if self.mode is not DashboardMode.TABLE:
            loading = self.mode is DashboardMode.LOADING
            summary.update("Reading the stored profiles…" if loading else "")
            summary.display = loading
            return
        summary.display = True
        summary.update(Content(self.summary_text()))

    def summary_text(self) -> str:
        return summary_text(list(self.rows.values()), self.qapp.now())

    def _clock_tick(self) -> None:
        if self.mode is DashboardMode.TABLE:
            self.table.refresh_cells()
            self._update_summary()

    # -- loading -----------------------------------------------------------------------------

    @work(
        thread=True,
        group=LOAD_GROUP,
        exclusive=True,
        exit_on_error=False,
        description="Reading the stored profiles",
    )
    def load(self) -> None:
        self.post_message(_load_profiles(self.services))

    def reread(self, then: Callable[[], object] | None = None) -> None:
        """Read the profiles file again (in a thread), keeping the rows a worker is busy with;
        then ``then``. Only once the table is shown: a first read or a broken file is not
        merged into."""
        if self.mode not in (DashboardMode.TABLE, DashboardMode.EMPTY) or self.busy:
            if then is not None:
                then()
            return
        self._after_reread = then
        self.load()

    def on_dashboard_screen_profiles_loaded(self, message: DashboardScreen.ProfilesLoaded) -> None:
        if self._loaded:
            self._merge(message.profiles)
            then, self._after_reread = self._after_reread, None
            if then is not None:
                then()
            return
        self._loaded = True
        self.rows = {profile.name: ProfileRow.from_profile(profile) for profile in message.profiles}
        self.table.show_rows(self.rows.values())
        self.mode = DashboardMode.TABLE if self.rows else DashboardMode.EMPTY
        self.qapp.profiles_read(bool(self.rows))
        if self.RECHECK_ON_OPEN and self.rows:
            # After the table's first paint: it shows at once however many rows it has, and
            # counts as re-checking from now on (its keys wait, Esc cancels).
            self._recheck_on_open = True
            self.call_after_refresh(self._recheck_after_paint)

    def _recheck_after_paint(self) -> None:
        if self._recheck_on_open:  # not cancelled meanwhile
            self._recheck_on_open = False
            self.recheck(list(self.rows))

    def _merge(self, profiles: list[Profile]) -> None:
        """The file as read again: new profiles added, gone ones dropped, changed ones shown as
        the file has them; a row a worker is busy with stays as it is."""
        fresh = {profile.name: profile for profile in profiles}
        busy = self._pending | ({self._forgetting} if self._forgetting else set())
        rows = {}
        for name, profile in fresh.items():
            row = self.rows.get(name)
            if name in busy and row is not None:
                rows[name] = row
            elif row is None or row.profile != profile:
                rows[name] = ProfileRow.from_profile(profile)
            else:
                rows[name] = row
        rows.update({name: self.rows[name] for name in busy if name in self.rows})
        if list(rows) == list(self.rows) and all(rows[n] is self.rows[n] for n in rows):
            return
        self.rows = dict(sorted(rows.items(), key=lambda item: (item[0].casefold(), item[0])))
        self.table.show_rows(self.rows.values())
        self.mode = DashboardMode.TABLE if self.rows else DashboardMode.EMPTY
        self.qapp.profiles_read(bool(self.rows))

    async def on_dashboard_screen_profiles_unreadable(
        self, message: DashboardScreen.ProfilesUnreadable
    ) -> None:
        self._after_reread = None  # nothing to check in a file that cannot be read
        self.qapp.profiles_read(True)  # something is there: this screen explains what is wrong
        backup = str(message.backup) if message.backup else "none could be made"
        await self._show_broken(
            [
                ("File", str(message.path)),
                ("Problem", message.problem),
                ("Backup copy", backup),
                ("What to do", message.fix),
            ]
        )

    async def _show_broken(self, fields: list[tuple[str, str | None]]) -> None:
        self.rows = {}
        self.table.show_rows([])
        box = self.query_one("#dashboard-broken", Vertical)
        await box.remove_children()
        await box.mount_all(
            [
                Static(UNREADABLE_HEADING, classes="outcome-heading -error"),
                Fields(fields),
                Static(UNREADABLE_AFTER, classes="paragraph"),
                # No "Set up a key" here: storing a new key would fail on this file at the end.
                Horizontal(Button("Reload", id="reload", variant="primary"), classes="actions"),
            ]
        )
        self.mode = DashboardMode.BROKEN
        self.query_one("#reload", Button).focus()

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        self._set_status("")
        self.mode = DashboardMode.LOADING
        self.load()

    # -- re-checking -------------------------------------------------------------------------

    def action_recheck_selected(self) -> None:
        # The file first: a profile stored from another terminal appears, then r checks the
        # selected row.
        def check_selected() -> None:
            name = self.table.selected_name
            if name is not None:
                self.recheck([name])

        self.reread(check_selected)

    def action_toggle_help(self) -> None:
        from qlik_tui.tui.screens.keys_help import KeysHelpModal, help_rows

        rows = help_rows(self.app, [*self.BINDINGS, *self.app.BINDINGS], KEYS_WORDS)
        self.app.push_screen(KeysHelpModal(KEYS_TITLE, [*MOVING_WORDS, *rows]))

    def action_recheck_all(self) -> None:
        self.recheck(list(self.rows))

    def recheck(self, names: list[str]) -> None:
        if self.mode is not DashboardMode.TABLE or not names or self._refuse_while_busy():
            return
        profiles = [self.rows[name].profile for name in names]
        count = sum(1 for profile in profiles if in_encrypted_file(profile))
        purpose = f"to check the {plural(count, 'key')} kept there"
        self._with_encrypted_file(profiles, purpose, lambda: self._start_recheck(names))

    def _with_encrypted_file(
        self, profiles: list[Profile], purpose: str, then: Callable[[], object]
    ) -> None:
        from qlik_tui.tui.screens.passphrase import unlock_for_profiles

        unlock_for_profiles(self, self.services.stores, profiles, purpose, then)

    def _start_recheck(self, names: list[str]) -> None:
        names = [name for name in names if name in self.rows]
        if self.mode is not DashboardMode.TABLE or not names or self._refuse_while_busy():
            return
        profiles = [self.rows[name].profile for name in names]
        for name in names:
            self._put_row(replace(self.rows[name], activity=RowActivity.QUEUED, note=None))
        self._pending = set(names)
        self._recheck_total = len(names)
        self._show_recheck_progress()
        worker = self.run_recheck(self.services, profiles)
        worker.description = f"Re-checking {plural(len(profiles), 'stored key')}"
        self.refresh_bindings()

    @work(
        thread=True,
        group=RECHECK_GROUP,
        exclusive=True,
        exit_on_error=False,
        description="Re-checking",
    )
    def run_recheck(self, services: Services, profiles: list[Profile]) -> None:
        self._recheck(services, profiles, get_current_worker())

    def _recheck(self, services: Services, profiles: list[Profile], worker: Worker[None]) -> None:
        """The re-check on its own event loop (in the worker's thread)."""

        def post(message: Message) -> None:
            if not worker.is_cancelled:  # a cancelled re-check's late results are not shown
                self.post_message(message)

        async def recheck() -> None:
            from qlik_tui.services.check import check_profiles  # httpx: imported off the UI

            checking = asyncio.ensure_future(
                check_profiles(
                    services,
                    profiles,
                    on_start=lambda profile: post(DashboardScreen.RecheckStarted(profile.name)),
                    on_result=lambda result: post(DashboardScreen.RecheckResult(result)),
                )
            )
            while not checking.done():
                if worker.is_cancelled:
                    checking.cancel()
                await asyncio.wait({checking}, timeout=CANCEL_POLL_S)
            if not checking.cancelled():
                post(DashboardScreen.RecheckFinished(len(checking.result())))

        asyncio.run(recheck())

    def on_dashboard_screen_recheck_started(self, message: DashboardScreen.RecheckStarted) -> None:
        row = self.rows.get(message.name)
        if row is not None and message.name in self._pending:
            self._put_row(replace(row, activity=RowActivity.CHECKING))

    def on_dashboard_screen_recheck_result(self, message: DashboardScreen.RecheckResult) -> None:
        result = message.result
        name = result.profile.name
        if name not in self._pending:
            return
        self._pending.discard(name)
        self._put_row(ProfileRow(result.profile, result.outcome))
        if self.rechecking:
            self._show_recheck_progress()
        else:
            self._recheck_over()

    def on_dashboard_screen_recheck_finished(
        self, message: DashboardScreen.RecheckFinished
    ) -> None:
        if self.rechecking:  # every result arrived before this: normally nothing is left
            self._recheck_over()

    def _show_recheck_progress(self) -> None:
        done = self._recheck_total - len(self._pending)
        self._set_status(
            f"Re-checking {plural(self._recheck_total, 'key')}: {done} done · Esc or c cancels"
        )

    def _recheck_over(self, note: RowNote | None = None) -> None:
        """The re-check ended: rows that did not finish get back their state, with ``note``."""
        unfinished = [name for name in self.rows if name in self._pending]
        for name in unfinished:
            self._put_row(replace(self.rows[name], activity=None, note=note or RowNote.CANCELLED))
        finished = self._recheck_total - len(unfinished)
        self._pending = set()
        self.table.refresh_cells()  # once: columns widened for "checking…" fit again
        if note is RowNote.CHECK_FAILED:
            pass  # the crash handler says what happened
        elif unfinished:
            self._set_status(
                f"Re-check cancelled: {finished} of {plural(self._recheck_total, 'key')} "
                "finished; the others keep their previous state."
            )
        else:
            self._set_status("")
        self._update_summary()
        self.refresh_bindings()

    def action_cancel_recheck(self) -> None:
        if self._recheck_on_open and not self._pending:
            self._recheck_on_open = False  # cancelled before it started: nothing to undo
            self._set_status("")
            self.refresh_bindings()
            return
        if self.rechecking:
            self._set_status("Cancelling the re-check…")
            self.workers.cancel_group(self, RECHECK_GROUP)

    # -- details -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#profiles-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        name = event.row_key.value
        if isinstance(name, str) and name in self.rows:
            self.show_details(name)

    def show_details(self, name: str) -> None:
        # Deferred: the details modal is imported when first opened.
        from qlik_tui.tui.screens.profile_details import DetailsChoice, ProfileDetailsModal

        def chosen(choice: DetailsChoice | None) -> None:
            if choice is DetailsChoice.RECHECK:
                self.recheck([name])
            elif choice is DetailsChoice.FORGET:
                self.action_forget(name)
            elif choice is DetailsChoice.REPLACE and name in self.rows:
                self.replace_key(name)

        modal = ProfileDetailsModal(
            self.rows[name],
            now=self.qapp.now(),
            warn_below=self.services.expiry_warning,
            demo=self.qapp.is_demo,
        )
        self.app.push_screen(modal, chosen)

    def replace_key(self, name: str) -> None:
        if self._refuse_while_busy():
            return
        if not self.qapp.start_replacing(self.rows[name].profile):
            self.notify(KEY_AT_RISK, severity="warning", markup=False)

    # -- forgetting --------------------------------------------------------------------------

    def action_forget(self, name: str | None = None) -> None:
        name = name or self.table.selected_name
        if name is None or name not in self.rows or self._refuse_while_busy():
            return
        profile = self.rows[name].profile

        def decided(forget: bool | None) -> None:
            if forget:
                purpose = f"to remove the key of profile {name} from it"
                self._with_encrypted_file([profile], purpose, lambda: self._forget(name))

        self.app.push_screen(
            ConfirmModal(
                forget_question(name, profile.backend),
                confirm_label="Forget",
                cancel_label="Keep",
                danger=True,
                detail=FORGET_DETAIL,
            ),
            decided,
        )

    def _forget(self, name: str) -> None:
        if name not in self.rows or self.busy:
            return
        self._forgetting = name
        self._put_row(replace(self.rows[name], activity=RowActivity.FORGETTING, note=None))
        self._set_status(f"Forgetting profile {name}…")
        worker = self.forget_worker(name)
        worker.description = f"Forgetting profile {name!r}"
        self.refresh_bindings()

    @work(
        thread=True,
        group=FORGET_GROUP,
        exclusive=True,
        exit_on_error=False,
        description="Forgetting a profile",
    )
    def forget_worker(self, name: str) -> None:
        self.post_message(_forget_profile(self.services, name))

    def on_dashboard_screen_profile_forgotten(
        self, message: DashboardScreen.ProfileForgotten
    ) -> None:
        name = message.name
        row = self.rows.pop(name, None)
        self._forgetting = None
        self.table.drop_row(name)
        where = (row.profile.backend if row else None) or "the OS keyring"
        key = f"its key was removed from {where}" if message.key_removed else f"{where} held no key"
        self._set_status("")
        self.notify(
            f"Forgot profile {name}: {key}, and its metadata.", title="Forgotten", markup=False
        )
        self.mode = DashboardMode.TABLE if self.rows else DashboardMode.EMPTY
        self.qapp.profiles_read(bool(self.rows))

    def on_dashboard_screen_forget_failed(self, message: DashboardScreen.ForgetFailed) -> None:
        self._forgetting = None
        row = self.rows.get(message.name)
        if row is not None:
            self._put_row(replace(row, activity=None))
        kept = "the key is gone, its metadata stayed" if message.key_removed else "nothing changed"
        self._set_status(
            f"✗ Could not forget {message.name} ({kept}): {message.problem} {message.fix}".strip(),
            error=True,
        )
        self.notify(message.problem, title="Forgetting failed", severity="error", markup=False)
        self.refresh_bindings()

    # -- renewing and the tenant's keys (their screens are imported when first opened) -------

    def action_renew(self) -> None:
        from qlik_tui.tui.screens.renew import RenewModal

        name = self.table.selected_name
        if name is None or name not in self.rows or self._refuse_while_busy():
            return

        def renewed(result: RotationResult | None) -> None:
            if result is None or result.profile is None:
                return
            if result.updated_profiles[1:]:
                self.load()  # other profiles hold the new key too: read every row again
            elif name in self.rows:
                self._put_row(ProfileRow.from_profile(result.profile))
            state = self.qapp.state
            if state.profile is not None and state.profile.name == name:
                state.profile = result.profile  # the Done step under this screen shows it

        profile = self.rows[name].profile
        others = [row.profile for row in self.rows.values() if row.profile.name != name]
        holding = list(holders(others, origin=profile.origin, key_id=profile.key_id))
        purpose = f"to renew the key of profile {name}"

        def decided(renew: bool | None) -> None:
            if renew:
                self._with_encrypted_file(
                    [profile, *holding],
                    purpose,
                    lambda: self.app.push_screen(RenewModal(name, store=profile.store), renewed),
                )

        self.app.push_screen(
            GoAheadModal(
                renew_confirm_question(profile, [p.name for p in holding]),
                confirm_label="Renew",
                cancel_label="Keep",
                detail=RENEW_DETAIL,
            ),
            decided,
        )

    def action_keys(self) -> None:
        from qlik_tui.tui.screens.api_keys import ApiKeysScreen

        name = self.table.selected_name
        if name is None or name not in self.rows or self._refuse_while_busy():
            return
        purpose = f"to read the tenant's keys with the key of profile {name}"
        self._with_encrypted_file(
            [self.rows[name].profile], purpose, lambda: self.app.push_screen(ApiKeysScreen(name))
        )

    # -- the rest ----------------------------------------------------------------------------

    def action_new_setup(self) -> None:
        self.qapp.start_setup()

    @on(Button.Pressed, "#setup")
    def _setup(self) -> None:
        self.action_new_setup()

    def action_back(self) -> None:
        if self._can_go_back():
            self.app.pop_screen()

    def _can_go_back(self) -> bool:
        stack = self.app.screen_stack
        return len(stack) > 1 and stack[-1] is self and isinstance(stack[-2], WizardStep)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_recheck":
            return self.rechecking
        if action == "back":
            return not self.rechecking and self._can_go_back()
        if action == "new_setup":
            # Fix the profiles file first: storing would fail.
            return self.mode is not DashboardMode.BROKEN
        if action == "recheck_selected" and self.mode is DashboardMode.EMPTY:
            return True  # reads the file again: a profile stored elsewhere appears
        if action in ("recheck_selected", "recheck_all", "forget", "renew", "keys"):
            if self.mode is not DashboardMode.TABLE:
                return False
            return None if self.busy else True  # shown, but greyed out while busy
        return True

    def _refuse_while_busy(self) -> bool:
        if self.rechecking:
            self.notify("A re-check is running: wait for it, or cancel it with Esc.")
        elif self._forgetting is not None:
            still = f"Still forgetting profile {self._forgetting}: a moment, please."
            self.notify(still, markup=False)
        return self.busy

    def _put_row(self, row: ProfileRow) -> None:
        self.rows[row.name] = row
        self.table.put_row(row)
        if not self._summary_due:
            self._summary_due = True
            self.call_after_refresh(self._summary_now)

    def _summary_now(self) -> None:
        self._summary_due = False
        self._update_summary()

    # -- workers: the one place their failures are handled -----------------------------------

    def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group == RECHECK_GROUP and self.rechecking:
            self._recheck_over(RowNote.CANCELLED)

    async def on_worker_crashed(self, message: WorkerCrashed) -> None:
        problem = f"{message.description} failed with an unexpected {message.error_type}."
        if message.group == RECHECK_GROUP and self.rechecking:
            self._recheck_over(RowNote.CHECK_FAILED)
            self._set_status(
                f"✗ {problem} The keys not yet checked keep their previous state; retry with "
                "a or r.",
                error=True,
            )
        elif message.group == FORGET_GROUP and self._forgetting is not None:
            self.on_dashboard_screen_forget_failed(
                DashboardScreen.ForgetFailed(
                    self._forgetting, problem, "Retry; if it happens again, report it."
                )
            )
        elif message.group == LOAD_GROUP:
            await self._show_broken(
                [
                    ("File", str(self.services.profiles.path)),
                    ("Problem", problem),
                    ("What to do", "Check that the file and its folder are yours and readable."),
                ]
            )


# -- worker bodies: blocking calls, run in threads; the answer is the message to post ------------


def _load_profiles(services: Services) -> Message:
    try:
        profiles = services.profiles.all()
    except ProfilesFileError as exc:
        return DashboardScreen.ProfilesUnreadable(exc.path, exc.problem, exc.backup, exc.fix)
    return DashboardScreen.ProfilesLoaded(profiles)


def _forget_profile(services: Services, name: str) -> Message:
    """The forget service's result as the message the dashboard renders (runs in a thread)."""
    result = forget_profile(services, name)
    if result.complete:
        return DashboardScreen.ProfileForgotten(name, result.key_removed, result.profile_removed)
    problem = f"{result.summary()} {result.problem or ''}".strip()
    return DashboardScreen.ForgetFailed(
        name, problem, result.fix or "", key_removed=result.key_removed
    )
