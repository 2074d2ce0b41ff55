"""Result panels of the live test and of storing the key.

Every failure text comes from the outcome table (``Outcome.title/.cause/.next_step``); this
module only lays it out. Values from the tenant (names, messages) are inserted as plain text,
never as markup. Colour is never the only signal: each panel starts with a mark and a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from qlik_tui.core.expiry import DEFAULT_WARNING, expiry_sentence
from qlik_tui.core.kinds import OutcomeKind
from qlik_tui.core.models import user_with_email

if TYPE_CHECKING:
    from qlik_tui.core.apikey import KeyInfo
    from qlik_tui.core.outcomes import Outcome
    from qlik_tui.services.verify import VerifyReport

_DURATION = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def describe_duration(iso: str | None) -> str:
    """ "PT24H" -> "24 hours (PT24H)"; anything unusual is shown as the API wrote it."""
    if not iso:
        return "not set"
    match = _DURATION.fullmatch(iso)
    if not match or not any(match.groupdict().values()):
        return iso
    parts = []
    for unit in ("days", "hours", "minutes", "seconds"):
        count = match.group(unit)
        if count is not None and int(count):
            parts.append(f"{int(count)} {unit if int(count) != 1 else unit[:-1]}")
    return f"{', '.join(parts) or '0 seconds'} ({iso})"


class Fields(Vertical):
    """Aligned "label  value" rows; values are plain text and wrap under themselves."""

    def __init__(self, rows: Iterable[tuple[str, str | None]], *, classes: str = "") -> None:
        super().__init__(classes=f"fields {classes}".strip())
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        for label, value in self.rows:
            with Horizontal(classes="field"):
                yield Static(Content(label), classes="field-label")
                yield Static(Content(value if value else "—"), classes="field-value")


def _latency(outcome: Outcome) -> str | None:
    text = outcome.latency_text
    if text is None:
        return None
    if outcome.rate_limit_waited_s:
        text += f" (including {outcome.rate_limit_waited_s:g} s waiting out rate limits)"
    return text


class OutcomePanel(VerticalScroll):
    """One bordered panel: a heading line, then paragraphs or aligned fields. Where the
    stylesheet caps its height (so the choices under it stay in view), it scrolls, and takes
    the focus only then (its arrow keys scroll it)."""

    def __init__(
        self,
        kind: str,
        heading: str,
        *parts: Fields | Content | str,
        id: str = "outcome",
    ) -> None:
        super().__init__(id=id, classes=f"outcome-panel -{kind}")
        self.kind = kind
        self.heading = heading
        self.parts = parts

    def allow_focus(self) -> bool:
        return self.max_scroll_y > 0

    def compose(self) -> ComposeResult:
        yield Static(Content(self.heading), classes="outcome-heading")
        for part in self.parts:
            if isinstance(part, Fields):
                yield part
            else:
                content = part if isinstance(part, Content) else Content(part)
                yield Static(content, classes="outcome-part")

    # -- the kinds of panel ------------------------------------------------------------------

    @classmethod
    def success(
        cls,
        report: VerifyReport,
        key_info: KeyInfo,
        *,
        now: datetime,
        warn_below: timedelta = DEFAULT_WARNING,
    ) -> OutcomePanel:
        outcome = report.outcome
        user = report.user
        rows: list[tuple[str, str | None]] = []
        if user is not None:
            rows += [
                ("User", user_with_email(user.name, user.email)),
                ("User id", user.id),
                ("Tenant id", user.tenant_id),
                ("Status", user.status),
                ("Roles", ", ".join(role.name for role in user.roles) or "none"),
            ]
        # One line each, so that at 80x24 the profile name under the panel stays in view: the
        # tenant id is in the row above when the key names the same one.
        if report.tenant_matches is True:
            match = "✓ same tenant as the user"
        elif report.tenant_matches is False:
            match = f"{key_info.tenant_id} ✗ differs from the user's tenant"
        else:
            match = "unknown (the key does not name its tenant)"
        rows.append(("Key's tenant", match))
        rows.append(("Key id", key_info.key_id))
        record = report.key_record
        expiry = record.expiry if record is not None else None
        issued = record.created if record is not None else None
        when = expiry_sentence(expiry, now=now, issued=issued, warn_below=warn_below)
        status_word = record.status if record is not None and record.status else None
        rows.append(("Key", f"{status_word} · {when}" if status_word else when))
        if expiry is not None:
            rows.append(("Renew", "before then: R on the dashboard, or qlik-tui rotate"))
        status = f"HTTP {outcome.http_status}" if outcome.http_status else None
        latency = _latency(outcome)
        rows.append(("Answer", " · ".join(x for x in (status, latency) if x) or None))
        parts: list[Fields | Content | str] = [Fields(rows)]

        if user is not None and user.is_tenant_admin:
            admin_rows: list[tuple[str, str | None]] = []
            config = report.config
            if config is not None:
                admin_rows += [
                    ("Max key expiry", describe_duration(config.max_api_key_expiry)),
                    (
                        "Max keys/user",
                        str(config.max_keys_per_user)
                        if config.max_keys_per_user is not None
                        else "not set",
                    ),
                ]
            else:
                admin_rows.append(("Key settings", "unknown (the API did not say)"))
            active = report.active_key_count
            admin_rows.append(
                ("Your active keys", str(active) if active is not None else "unknown")
            )
            parts.append(
                Content.from_markup("[b]Tenant API key settings[/b] (you are a TenantAdmin)")
            )
            parts.append(Fields(admin_rows))
        if report.tenant_matches is False:
            parts.append(
                "Warning: the key names a different tenant than its user. Make sure this is "
                "the tenant you meant before storing it."
            )
        return cls("success", f"{outcome.mark} {outcome.title}", *parts)

    @classmethod
    def failure(cls, outcome: Outcome) -> OutcomePanel:
        details: list[tuple[str, str | None]] = [
            ("Cause", outcome.cause),
            ("Next step", outcome.next_step),
        ]
        if outcome.server_message:
            details.append(("Tenant said", outcome.server_message))
        answer = " · ".join(
            x
            for x in (
                f"HTTP {outcome.http_status}" if outcome.http_status else None,
                _latency(outcome),
            )
            if x
        )
        if answer:
            details.append(("Answer", answer))
        kind = "cancelled" if outcome.kind is OutcomeKind.CANCELLED else "failure"
        return cls(kind, f"{outcome.mark} {outcome.title}", Fields(details))

    @classmethod
    def store_failed(
        cls,
        problem: str,
        fix: str,
        backend: str,
        *,
        other_store: str | None = None,
        noun: str = "key",
    ) -> OutcomePanel:
        """``other_store``: the label of another store offered first (this one cannot work);
        ``noun``: what was not stored ("key", "client secret")."""
        rows: list[tuple[str, str | None]] = [
            ("Key store", backend or "none could be opened"),
            ("Problem", problem),
            ("Fix", fix or "—"),
        ]
        first = f"{other_store}, or " if other_store else ""
        return cls(
            "store-failed",
            f"✗ Storing failed: the {noun} is not stored",
            Fields(rows),
            f"The {noun} is still here, only in memory. Choose: {first}Retry (e.g. after unlocking "
            "the keyring), write it to a file you name, or discard it.",
        )
