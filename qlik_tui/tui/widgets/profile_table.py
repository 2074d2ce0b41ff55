"""The dashboard's table of stored profiles: one row per profile, its columns fitted to the width.

Cells are rich ``Text``, never markup (names and hosts come from a file and from tenants). Marks
and words carry the meaning; colour only repeats it, taken from the theme so light themes and
NO_COLOR stay readable. The table never scrolls sideways: when the width is short, what matters
least goes first (key id, user, kind, last check; then the tenant is shortened, then dropped, …;
``FIT_STEPS``) and the name stays whole unless nothing else is left. Every column is in the details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from qlik_tui.core.expiry import ExpiryState, ExpiryView, describe_expiry
from qlik_tui.core.models import user_label
from qlik_tui.core.outcomes import OUTCOMES, Outcome, OutcomeKind, Verdict, make_outcome
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.core.timestamps import NEVER, parse_iso_datetime, time_ago
from qlik_tui.store.key_stores import key_store_words
from qlik_tui.store.profiles import MAX_NAME_CHARS, Profile


class RowActivity(Enum):
    """What a worker is doing with a row right now (the value is the State cell's word)."""

    QUEUED = "queued"
    CHECKING = "checking"
    FORGETTING = "forgetting"


class RowNote(Enum):
    """Why the last re-check of a row did not finish (the row keeps its previous state)."""

    CANCELLED = "cancelled"
    CHECK_FAILED = "check failed"


NOT_CHECKED = "not checked"
ago = time_ago  # the words of the "Checked" column
CANCELLED_MARK = OUTCOMES[OutcomeKind.CANCELLED].mark
SOON_MARK = "⚠"
KEY_ID_CHARS = 8


@dataclass(frozen=True)
class ProfileRow:
    """A profile as the dashboard shows it."""

    profile: Profile
    outcome: Outcome | None = None  # the last check's outcome (None: never checked)
    activity: RowActivity | None = None  # while a worker is at it
    note: RowNote | None = None  # the last re-check did not finish

    @property
    def name(self) -> str:
        return self.profile.name

    @classmethod
    def from_profile(cls, profile: Profile) -> ProfileRow:
        return cls(profile, stored_outcome(profile))


def profile_tenant(profile: Profile) -> Tenant | None:
    try:
        return parse_tenant(profile.origin)
    except TenantError:
        return None


def stored_outcome(profile: Profile) -> Outcome | None:
    """The outcome the profile file remembers, rebuilt from its kind with what the profile knows
    (host, key id, backend) so the table's cause and next step read as they did."""
    if not profile.last_outcome:
        return None
    try:
        kind = OutcomeKind(profile.last_outcome)
    except ValueError:  # written by a newer qlik-tui
        return None
    return make_outcome(
        kind,
        tenant=profile_tenant(profile),
        key_id=profile.key_id or "",
        key_tenant=profile.key_tenant_id or "",
        **key_store_words(profile),
    )


# -- words for cells ---------------------------------------------------------------------------


def short_key_id(key_id: str | None) -> str:
    if not key_id:
        return "—"
    return key_id if len(key_id) <= KEY_ID_CHARS + 1 else key_id[:KEY_ID_CHARS] + "…"


def host_of(profile: Profile) -> str:
    tenant = profile_tenant(profile)
    return tenant.display_host if tenant is not None else profile.origin


def user_of(profile: Profile) -> str:
    return user_label(profile.user_email, profile.user_name, profile.user_id) or "—"


def outcome_text(row: ProfileRow) -> str:
    if row.outcome is not None:
        return f"{row.outcome.mark} {row.outcome.title}"
    if row.profile.last_outcome:
        return f"? {row.profile.last_outcome}"  # a kind this version does not know
    return NOT_CHECKED


def state_text(row: ProfileRow) -> str:
    if row.activity in (RowActivity.QUEUED, RowActivity.CHECKING) and row.outcome is not None:
        # The last result stays in view, dimmed, until the new one replaces it.
        return f"{row.activity.value}… · was {outcome_text(row)}"
    if row.activity is not None:
        return f"{row.activity.value}…"
    if row.note is not None:  # the note first: a long title may be cut, the note must not be
        return f"{CANCELLED_MARK} {row.note.value} · {outcome_text(row)}"
    return outcome_text(row)


def expiry_view(profile: Profile, now: datetime, warn_below: timedelta) -> ExpiryView:
    return describe_expiry(
        parse_iso_datetime(profile.expiry),
        now=now,
        issued=parse_iso_datetime(profile.key_created),
        warn_below=warn_below,
    )


# -- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    minimum: int  # it is shortened no further (it is dropped instead)
    maximum: int


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", 8, MAX_NAME_CHARS),
    ColumnSpec("tenant", "Tenant", 12, 32),
    ColumnSpec("state", "State", 16, 40),
    ColumnSpec("expiry", "Expiry", 12, 24),
    ColumnSpec("checked", "Checked", 8, 12),
    ColumnSpec("user", "User", 8, 32),
    ColumnSpec("key_id", "Key id", 6, KEY_ID_CHARS + 1),
    ColumnSpec("kind", "Kind", 4, 12),  # api-key | oauth-client (its id is in the key id column)
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
_SPECS = {column.key: column for column in COLUMNS}


class Fit(Enum):
    DROP = "drop"  # the column goes (its words stay in the details)
    SHORTEN = "shorten"  # cut with "…", down to its minimum


# What gives way when the width is short, what matters least first: each step is taken only when
# the steps before it did not make the table fit. The name is shortened last of all.
FIT_STEPS: tuple[tuple[Fit, str], ...] = (
    (Fit.DROP, "key_id"),
    (Fit.DROP, "user"),
    (Fit.DROP, "kind"),  # api-key or oauth-client: the details say it too
    (Fit.DROP, "checked"),
    (Fit.SHORTEN, "tenant"),
    (Fit.DROP, "tenant"),
    (Fit.SHORTEN, "state"),
    (Fit.SHORTEN, "expiry"),
    (Fit.DROP, "expiry"),
    (Fit.SHORTEN, "name"),
)
CELL_PADDING = 1


def column_widths(wanted: Mapping[str, int], available: int) -> dict[str, int]:
    """The columns shown, in order, and their widths: each as wide as its widest cell (within its
    maximum) when all fit ``available`` cells; else ``FIT_STEPS`` are taken one by one until
    they fit (a shortened column gives only the cells still missing)."""
    full = {
        column.key: max(len(column.label), min(column.maximum, wanted.get(column.key, 0)))
        for column in COLUMNS
    }
    dropped: set[str] = set()
    shortened: list[str] = []
    for step in (None, *FIT_STEPS):
        if step is not None:
            fit, key = step
            if fit is Fit.DROP:
                dropped.add(key)
            else:
                shortened.append(key)
        widths = {key: width for key, width in full.items() if key not in dropped}
        excess = sum(width + 2 * CELL_PADDING for width in widths.values()) - available
        for key in shortened:
            if excess <= 0 or key not in widths:
                continue
            floor = max(_SPECS[key].minimum, len(_SPECS[key].label))
            cut = min(excess, max(0, widths[key] - floor))
            widths[key] -= cut
            excess -= cut
        if excess <= 0:
            break
    return widths


# -- the table ---------------------------------------------------------------------------------


class ProfileTable(DataTable[Text]):
    """Rows keyed by profile name. Enter (or a click on the highlighted row) selects a row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", show=False),  # Enter on a row: as everywhere
    ]

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        warn_below: timedelta,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=CELL_PADDING)
        self._now = now
        self._warn_below = warn_below
        self._profile_rows: dict[str, ProfileRow] = {}
        self._widths: dict[str, int] = {}
        self._wanted: dict[str, int] = {}  # the widest cell of each column at the last fitting
        self._styles: dict[str, Style] = {}

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Any) -> None:
        self._styles = {}
        self.refresh_cells()

    def on_resize(self, _event: events.Resize) -> None:
        self.refresh_cells()

    # -- the rows ----------------------------------------------------------------------------

    @property
    def profile_rows(self) -> Mapping[str, ProfileRow]:
        return dict(self._profile_rows)

    @property
    def selected_name(self) -> str | None:
        if not self._profile_rows or self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        key = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        return key if isinstance(key, str) else None

    def show_rows(self, rows: Iterable[ProfileRow]) -> None:
        """Show exactly ``rows`` (in their order), keeping the cursor on the same profile."""
        self._profile_rows = {row.name: row for row in rows}
        self._rebuild()

    def put_row(self, row: ProfileRow) -> None:
        """Replace the row of ``row.name`` (or add it at the end). Only that row is rendered
        again, unless a cell of it would widen a column: one result, one row."""
        if row.name not in self._profile_rows:
            self._profile_rows[row.name] = row
            self._rebuild()
            return
        self._profile_rows[row.name] = row
        cells = self._cells(row.name)
        wanted = dict(self._wanted)
        for key, cell in zip(COLUMN_KEYS, cells, strict=True):
            wanted[key] = max(wanted.get(key, 0), cell.cell_len)
        if wanted != self._wanted:  # rare: widths only grow until the next full fitting
            self._wanted = wanted
            scrollbar = self.styles.scrollbar_size_vertical
            if column_widths(wanted, max(0, self.size.width - scrollbar)) != self._widths:
                self._rebuild()
                return
        for key, cell in zip(COLUMN_KEYS, cells, strict=True):
            if key in self._widths:  # a column the fitting left out has no cells
                self.update_cell(row.name, key, cell)

    def drop_row(self, name: str) -> None:
        if self._profile_rows.pop(name, None) is not None:
            self._rebuild()

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns the width leaves in view, in order."""
        return tuple(key for key in COLUMN_KEYS if key in self._widths)

    def cell_texts(self, name: str) -> dict[str, str]:
        """The words of every cell of a row by column key, shown or not (for tests)."""
        return {key: cell.plain for key, cell in zip(COLUMN_KEYS, self._cells(name), strict=True)}

    def expiry_state(self, name: str) -> ExpiryState:
        profile = self._profile_rows[name].profile
        return expiry_view(profile, self._now(), self._warn_below).state

    # -- rendering ---------------------------------------------------------------------------

    def refresh_cells(self) -> None:
        """Re-render every cell (the clock moved, the theme changed, a row changed)."""
        if self._fitted_widths() != self._widths or self.row_count != len(self._profile_rows):
            self._rebuild()
            return
        for name in self._profile_rows:
            for key, cell in zip(COLUMN_KEYS, self._cells(name), strict=True):
                if key in self._widths:
                    self.update_cell(name, key, cell)

    def _rebuild(self) -> None:
        selected = self.selected_name
        self._widths = self._fitted_widths()
        self.clear(columns=True)
        shown = [column for column in COLUMNS if column.key in self._widths]
        for column in shown:
            self.add_column(column.label, width=self._widths[column.key], key=column.key)
        for name in self._profile_rows:
            cells = dict(zip(COLUMN_KEYS, self._cells(name), strict=True))
            self.add_row(*(cells[column.key] for column in shown), key=name)
        names = list(self._profile_rows)
        if selected in names:
            self.move_cursor(row=names.index(selected), animate=False)

    def _fitted_widths(self) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for name in self._profile_rows:
            for key, cell in zip(COLUMN_KEYS, self._cells(name), strict=True):
                wanted[key] = max(wanted.get(key, 0), cell.cell_len)
        self._wanted = wanted
        scrollbar = self.styles.scrollbar_size_vertical
        return column_widths(wanted, max(0, self.size.width - scrollbar))

    def _cells(self, name: str) -> list[Text]:
        row = self._profile_rows[name]
        profile = row.profile
        expiry = expiry_view(profile, self._now(), self._warn_below)
        expiry_words = (
            f"{SOON_MARK} {expiry.text}" if expiry.state is ExpiryState.SOON else expiry.text
        )
        checked = ago(profile.last_checked_at, self._now())
        return [
            _cell(profile.name),
            _cell(host_of(profile)),
            _cell(state_text(row), self._state_style(row)),
            _cell(expiry_words, self._expiry_style(expiry.state)),
            _cell(checked, self._style("muted") if checked == NEVER else Style()),
            _cell(user_of(profile)),
            _cell(short_key_id(profile.client_id if profile.is_oauth_client else profile.key_id)),
            _cell(profile.credential.value),
        ]

    def _state_style(self, row: ProfileRow) -> Style:
        if row.activity is not None and row.outcome is not None:
            return self._style("stale")
        if row.activity is not None:
            return self._style("accent")
        if row.note is not None:
            return self._style("warning")
        if row.outcome is None:
            return self._style("muted")
        verdict = row.outcome.verdict
        if verdict is Verdict.VALID:
            return self._style("success")
        if verdict is Verdict.REJECTED:
            return self._style("error")
        return self._style("warning")

    def _expiry_style(self, state: ExpiryState) -> Style:
        if state is ExpiryState.SOON:
            return self._style("warning")
        if state is ExpiryState.EXPIRED:
            return self._style("error")
        if state is ExpiryState.UNKNOWN:
            return self._style("muted")
        return Style()

    def _style(self, name: str) -> Style:
        """A style from the current theme's text colours (looked up once per theme)."""
        if not self._styles:
            variables = self.app.get_css_variables()

            def colour(variable: str, *, bold: bool = False) -> Style:
                try:
                    parsed = Color.parse(variables.get(variable, ""))
                except ColorParseError:
                    return Style(bold=bold)
                return Style(color=parsed.rich_color, bold=bold)

            self._styles = {
                "success": colour("text-success"),
                "warning": colour("text-warning"),
                "error": colour("text-error"),
                "accent": colour("text-accent", bold=True),
                "muted": Style(dim=True),
                "stale": Style(dim=True, italic=True),
            }
        return self._styles.get(name, Style())


def _cell(words: str, style: Style | None = None) -> Text:
    return Text(words, style=style or Style(), no_wrap=True, overflow="ellipsis", end="")
