"""The tenant's API keys as a profile's key sees them: the list ``qlik-tui keys`` prints, with
the stored key marked; revoking one after a confirmation that names it; every user's keys for a
TenantAdmin (``u``).

Two kinds of async worker, each only posting messages: listing (``KeysListed`` or
``KeysUnavailable``) and revoking one key (``KeyRevokeFinished``). Both read the profile's key
from its store in a thread and import the key service (it imports httpx) off the event loop.
The profile's own stored key is never revoked here: ``qlik-tui forget NAME --revoke`` does that.
"""

from __future__ import annotations

import asyncio
import importlib
import shlex
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from qlik_tui.core.errors import QlikError
from qlik_tui.core.outcomes import outcome_from_error
from qlik_tui.core.tenant import Tenant, TenantError, parse_tenant
from qlik_tui.services.profile_key import load_profile_key
from qlik_tui.services.shared_keys import holders_by_key
from qlik_tui.store.profiles import ProfilesFileError
from qlik_tui.store.secrets import StoreError
from qlik_tui.tui.host import AppHost
from qlik_tui.tui.messages import (
    KeyRevokeFinished,
    KeysListed,
    KeysUnavailable,
    ReportsWorkerEnds,
    WorkerCancelled,
    WorkerCrashed,
)
from qlik_tui.tui.screens.modals import ConfirmModal

if TYPE_CHECKING:
    from qlik_tui.core.apikey import ApiKey
    from qlik_tui.core.models import ApiKeyRecord
    from qlik_tui.services.context import Services
    from qlik_tui.services.key_admin import KeyListing

KEY_ADMIN_MODULE = "qlik_tui.services.key_admin"
LIST_GROUP = "api-keys-list"
REVOKE_GROUP = "api-keys-revoke"
STORED_MARK = "★"
DESCRIPTION_CHARS = 28
COLUMNS = ("", "Description", "Expires", "Status", "ID", "Created")
OWNER_AT = 4  # every user's keys: the owner column comes before the id


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def forget_revoke_command(name: str) -> str:
    return f"qlik-tui forget {shlex.quote(name)} --revoke"


def revoke_question(record: ApiKeyRecord) -> str:
    return f"Revoke key {record.id}?"


def revoke_detail(
    record: ApiKeyRecord, owner: str | None, held_by: tuple[str, ...] | None = None
) -> str:
    described = record.description or "(no description)"
    parts = [f'"{described}"', record.status or "status unknown", f"expires {_when(record.expiry)}"]
    if owner:
        parts.append(f"owner {owner}")
    stored = f" Profile {', '.join(held_by)} stores it and stops working too." if held_by else ""
    return (
        " · ".join(parts)
        + ". Whatever uses this key stops working at once; this cannot be undone."
        + stored
    )


class ApiKeysScreen(ReportsWorkerEnds, Screen[None]):
    """``ApiKeysScreen(name)``: the keys on profile ``name``'s tenant; ``load=False`` only
    shows what ``show_listing`` is given (snapshots)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("d,delete", "revoke", "Revoke"),
        Binding("u", "toggle_all_users", "All users"),
        Binding("r", "reload", "Reload"),
    ]
    AUTO_FOCUS = "#keys-table"

    def __init__(self, name: str, *, load: bool = True) -> None:
        super().__init__()
        self.profile_name = name
        self.load_on_mount = load
        self.listing: KeyListing | None = None
        self.stored_id: str | None = None
        self.held_by: dict[str, tuple[str, ...]] = {}  # key id -> other profiles storing it
        self.all_users = False
        self.busy = False

    @property
    def qapp(self) -> AppHost:
        return cast("AppHost", self.app)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#keys-table", DataTable)

    def compose(self) -> ComposeResult:
        with Horizontal(id="keys-header"):
            yield Static(Content(f"API keys · {self.profile_name}"), id="keys-title")
        yield Static(Content("Listing the tenant's keys…"), id="keys-summary")
        yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=False)
        yield Static(id="keys-status")
        yield Footer()

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)
        self._set_status("")
        if self.load_on_mount:
            self.reload()

    # -- listing -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.busy = True
        worker = self.list_worker(self.qapp.services, self.profile_name, self.all_users)
        whose = "every user's" if self.all_users else "its"
        worker.description = f"Listing {whose} API keys for profile {self.profile_name!r}"
        self.refresh_bindings()

    async def _stored_key(
        self, services: Services, name: str
    ) -> tuple[Tenant, ApiKey, ModuleType] | None:
        """The profile's tenant and key, read in a thread, and the key service, imported off
        the event loop (it imports httpx); None after posting why the key cannot be used."""
        stored = await asyncio.to_thread(_load_stored, services, name)
        if isinstance(stored, KeysUnavailable):
            self.post_message(stored)
            return None
        key_admin = await asyncio.to_thread(importlib.import_module, KEY_ADMIN_MODULE)
        return (*stored, key_admin)

    @work(group=LIST_GROUP, exclusive=True, exit_on_error=False, description="Listing API keys")
    async def list_worker(self, services: Services, name: str, all_users: bool) -> None:
        ready = await self._stored_key(services, name)
        if ready is None:
            return
        tenant, key, key_admin = ready
        try:
            listing = await key_admin.list_keys(
                tenant, key, all_users=all_users, settings=services.client_settings
            )
        except key_admin.NotTenantAdmin as exc:
            self.post_message(KeysUnavailable(str(exc), "Press u to list your own keys again."))
            return
        except QlikError as exc:
            self.post_message(_unavailable(exc, tenant, key))
            return
        held_by = await asyncio.to_thread(_held_by, services, name, tenant)
        self.post_message(KeysListed(listing, key.info.key_id, held_by))

    def on_keys_listed(self, message: KeysListed) -> None:
        self.busy = False
        self.held_by = message.held_by
        self.show_listing(message.listing, message.stored_id)
        self.refresh_bindings()

    def on_keys_unavailable(self, message: KeysUnavailable) -> None:
        self.busy = False
        if self.all_users and self.listing is not None and not self.listing.all_users:
            self.all_users = False  # the listing shown is still the user's own
        self._set_status(f"✗ {message.problem} {message.fix}".strip(), error=True)
        if self.listing is None:
            self.query_one("#keys-summary", Static).update(Content("The keys could not be listed."))
        self.refresh_bindings()

    def show_listing(self, listing: KeyListing, stored_id: str | None) -> None:
        self.listing = listing
        self.stored_id = stored_id
        self.all_users = listing.all_users
        table = self.table
        table.clear(columns=True)
        columns = list(COLUMNS)
        if listing.all_users:
            columns.insert(OWNER_AT, "Owner")
        table.add_columns(*columns)
        for record in listing.keys:
            table.add_row(*self._cells(record), key=record.id)
        self.query_one("#keys-summary", Static).update(Content(self.summary_text()))
        self._set_status(self.footnote())

    def _cells(self, record: ApiKeyRecord) -> list[Text]:
        description = record.description or "-"
        if len(description) > DESCRIPTION_CHARS:
            description = description[: DESCRIPTION_CHARS - 1] + "…"
        cells = [
            Text(STORED_MARK if record.id == self.stored_id else ""),
            Text(description),
            Text(_when(record.expiry)),
            Text(record.status or "-"),
            Text(record.id),
            Text(_when(record.created)),
        ]
        if self.listing is not None and self.listing.all_users:
            cells.insert(OWNER_AT, Text(self.owner_of(record) or "you"))
        return cells

    def owner_of(self, record: ApiKeyRecord) -> str | None:
        """The key's owner when it is not the listing's user (None: the user's own)."""
        if self.listing is None or record.sub == self.listing.user.id:
            return None
        return record.sub or "unknown"

    def summary_text(self) -> str:
        assert self.listing is not None
        user = self.listing.user
        whose = "all users" if self.listing.all_users else (user.email or user.name or user.id)
        active = len(self.listing.keys)
        text = f"Active keys of {whose} ({active})"
        if not self.listing.complete:
            text += f"; stopped after {self.listing.pages} pages, more exist"
        return text

    def footnote(self) -> str:
        stored = self.stored_id
        if stored and self.listing is not None and all(r.id != stored for r in self.listing.keys):
            return f"The stored key {stored} is not among the active keys."
        admin = self.listing is not None and self.listing.user.is_tenant_admin
        more = " · u: every user's keys" if admin and not self.all_users else ""
        return f"{STORED_MARK} the key stored in profile {self.profile_name} · d revokes{more}"

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#keys-status", Static)
        status.update(Content(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    def action_reload(self) -> None:
        if not self.busy:
            self.reload()

    def action_toggle_all_users(self) -> None:
        if self.busy or self.listing is None or not self.listing.user.is_tenant_admin:
            return
        self.all_users = not self.all_users
        self.reload()

    # -- revoking ----------------------------------------------------------------------------

    def selected_record(self) -> ApiKeyRecord | None:
        if self.listing is None or not self.listing.keys or self.table.row_count == 0:
            return None
        row = self.table.cursor_row
        keys = self.listing.keys
        return keys[row] if 0 <= row < len(keys) else None

    def action_revoke(self) -> None:
        record = self.selected_record()
        if record is None or self.busy:
            return
        if record.id == self.stored_id:
            self._set_status(
                f"Key {record.id} is the key stored in profile {self.profile_name}: revoking it "
                "here would leave the profile with a dead key. To delete it on the tenant and "
                f"forget it here, run: {forget_revoke_command(self.profile_name)}",
                error=True,
            )
            return

        def decided(revoke: bool | None) -> None:
            if revoke:
                self.revoke(record.id)

        self.app.push_screen(
            ConfirmModal(
                revoke_question(record),
                confirm_label="Revoke",
                cancel_label="Keep",
                danger=True,
                detail=revoke_detail(record, self.owner_of(record), self.held_by.get(record.id)),
            ),
            decided,
        )

    def revoke(self, key_id: str) -> None:
        self.busy = True
        self._set_status(f"Revoking key {key_id}…")
        worker = self.revoke_worker(self.qapp.services, self.profile_name, key_id)
        worker.description = f"Revoking key {key_id} with profile {self.profile_name!r}"
        self.refresh_bindings()

    @work(group=REVOKE_GROUP, exclusive=True, exit_on_error=False, description="Revoking a key")
    async def revoke_worker(self, services: Services, name: str, key_id: str) -> None:
        ready = await self._stored_key(services, name)
        if ready is None:
            return
        tenant, key, key_admin = ready
        results = await key_admin.revoke_keys(
            tenant, key, [key_id], settings=services.client_settings
        )
        self.post_message(KeyRevokeFinished(results[0]))

    def on_key_revoke_finished(self, message: KeyRevokeFinished) -> None:
        self.busy = False
        revocation = message.revocation
        if revocation.removed:
            self.notify(
                f"Key {revocation.key_id} was revoked on the tenant.", title="Revoked", markup=False
            )
            self.reload()
            return
        outcome = revocation.outcome
        why = f"{outcome.title}: {outcome.cause} {outcome.next_step}" if outcome else ""
        self._set_status(f"✗ Key {revocation.key_id} was not revoked. {why}".strip(), error=True)
        self.refresh_bindings()

    # -- the rest ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_all_users":
            admin = self.listing is not None and self.listing.user.is_tenant_admin
            return (None if self.busy else True) if admin else False
        if action in ("revoke", "reload"):
            return None if self.busy else True
        return True

    def on_worker_cancelled(self, message: WorkerCancelled) -> None:
        if message.group in (LIST_GROUP, REVOKE_GROUP):
            self.busy = False

    def on_worker_crashed(self, message: WorkerCrashed) -> None:
        if message.group not in (LIST_GROUP, REVOKE_GROUP):
            return
        self.busy = False
        self._set_status(
            f"✗ {message.description} failed with an unexpected {message.error_type}. Press r "
            "to list the keys again.",
            error=True,
        )
        self.refresh_bindings()


# -- worker helpers: blocking calls run in threads ----------------------------------------------


def _load_stored(services: Services, name: str) -> tuple[Tenant, ApiKey] | KeysUnavailable:
    """The profile's tenant and key, from the store its profile names (runs in a thread)."""
    try:
        profile = services.profiles.get(name)
    except ProfilesFileError as exc:
        return KeysUnavailable(exc.problem, exc.fix)
    if profile is None:
        return KeysUnavailable(f"There is no profile named {name}.", "Go back to the dashboard.")
    try:
        tenant = parse_tenant(profile.origin)
    except TenantError as exc:
        return KeysUnavailable(f"The profile's tenant address is unusable: {exc}", "")
    try:
        key = load_profile_key(services, profile)
    except StoreError as exc:  # KeyNotFound included: its problem and fix say which
        return KeysUnavailable(exc.problem, exc.fix)
    return tenant, key


def _held_by(services: Services, name: str, tenant: Tenant) -> dict[str, tuple[str, ...]]:
    """Key id -> the other profiles on ``tenant`` that store it (runs in a thread)."""
    try:
        profiles = services.profiles.all()
    except ProfilesFileError:
        return {}  # only the revoke question's detail is the poorer
    return holders_by_key(profiles, origin=tenant.origin, besides=name)


def _unavailable(exc: QlikError, tenant: Tenant, key: ApiKey) -> KeysUnavailable:
    outcome = outcome_from_error(exc, tenant=tenant, key_info=key.info)
    problem = f"{outcome.title}: {outcome.cause}"
    if outcome.server_message:
        problem += f" (the tenant said: {outcome.server_message})"
    return KeysUnavailable(problem, outcome.next_step)
