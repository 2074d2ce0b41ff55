"""Everything the dashboard knows about one stored profile, in a modal. Never the key.

The outcome's cause and next step come from the outcome table. The modal answers what the user
chose: a ``DetailsChoice``, or ``None`` when closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qlik_tui.core.expiry import ExpiryState, describe_expiry, expiry_sentence, renewal_hint
from qlik_tui.core.timestamps import NEVER, parse_iso_datetime, time_ago
from qlik_tui.tui.widgets.outcome_panel import Fields
from qlik_tui.tui.widgets.profile_table import (
    ProfileRow,
    RowNote,
    outcome_text,
)

REPLACE_TOOLTIP = "Paste a new key for this profile (p): it is proven before it replaces this one"


class DetailsChoice(str, Enum):
    RECHECK = "recheck"
    FORGET = "forget"
    REPLACE = "replace"  # paste a new key for this profile: the wizard from the paste step


class ProfileDetailsModal(ModalScreen[DetailsChoice | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('')", "Close"),
        Binding("r", f"choose('{DetailsChoice.RECHECK.value}')", "Re-check"),
        Binding("d,delete", f"choose('{DetailsChoice.FORGET.value}')", "Forget"),
        Binding("p", f"choose('{DetailsChoice.REPLACE.value}')", "Replace key"),
    ]
    AUTO_FOCUS = "#details-close"

    def __init__(
        self, row: ProfileRow, *, now: datetime, warn_below: timedelta, demo: bool = False
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.row = row
        self.now = now
        self.warn_below = warn_below
        self.demo = demo  # demo profiles live apart: no command line reaches them

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="details-dialog"):
            yield Static(Content(f"Profile {self.row.name}"), classes="dialog-question")
            with VerticalScroll(id="details-body"):
                yield Fields(self.rows(), classes="details-fields")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Re-check", id="details-recheck")
                yield Button("Replace key", id="details-replace", tooltip=REPLACE_TOOLTIP)
                yield Button("Forget…", id="details-forget", classes="danger")
                yield Button("Close", id="details-close", variant="primary")

    def rows(self) -> list[tuple[str, str | None]]:
        profile, outcome = self.row.profile, self.row.outcome
        rows: list[tuple[str, str | None]] = [
            ("Tenant", profile.origin),
            ("User", profile.user_name),
            ("Email", profile.user_email),
            ("User id", profile.user_id),
            ("Roles", ", ".join(profile.roles) or None),
            ("Key id", profile.key_id),
            ("Key's tenant id", profile.key_tenant_id),
            ("Created", self._moment(profile.created_at, "unknown")),
            ("Last checked", self._moment(profile.last_checked_at, NEVER)),
            ("Last outcome", outcome_text(self.row)),
        ]
        if self.row.note is not None:
            what = "failed" if self.row.note is RowNote.CHECK_FAILED else "was cancelled"
            rows.append(("Re-check", f"the last re-check {what}; the outcome above is older"))
        if outcome is not None:
            rows += [("Cause", outcome.cause), ("Next step", outcome.next_step)]
            if outcome.server_message:
                rows.append(("Tenant said", outcome.server_message))
            answer = [f"HTTP {outcome.http_status}" if outcome.http_status else ""]
            answer.append(outcome.latency_text or "")
            if any(answer):
                rows.append(("Answer", " · ".join(part for part in answer if part)))
        rows += [
            ("Key status", profile.key_status or "unknown (the API did not say)"),
            ("Expiry", self._expiry()),
            ("Stored in", profile.backend),
        ]
        return rows

    def _moment(self, iso: str | None, missing: str) -> str:
        moment = parse_iso_datetime(iso)
        if moment is None:
            return iso or missing  # text the parser does not read is shown as it is
        when = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"{when} ({time_ago(iso, self.now)})"

    def _expiry(self) -> str:
        profile = self.row.profile
        expiry, issued = parse_iso_datetime(profile.expiry), parse_iso_datetime(profile.key_created)
        sentence = expiry_sentence(expiry, now=self.now, issued=issued, warn_below=self.warn_below)
        view = describe_expiry(expiry, now=self.now, issued=issued, warn_below=self.warn_below)
        if view.state is not ExpiryState.SOON:
            return sentence
        renew = (
            "renew it: Add (n) a new key on the dashboard"
            if self.demo
            else renewal_hint(profile.name)
        )
        return f"⚠ {sentence}; {renew}"

    def action_choose(self, choice: str) -> None:
        self.dismiss(DetailsChoice(choice) if choice else None)

    @on(Button.Pressed, "#details-recheck")
    def _recheck(self) -> None:
        self.dismiss(DetailsChoice.RECHECK)

    @on(Button.Pressed, "#details-replace")
    def _replace(self) -> None:
        self.dismiss(DetailsChoice.REPLACE)

    @on(Button.Pressed, "#details-forget")
    def _forget(self) -> None:
        self.dismiss(DetailsChoice.FORGET)

    @on(Button.Pressed, "#details-close")
    def _close(self) -> None:
        self.dismiss(None)
