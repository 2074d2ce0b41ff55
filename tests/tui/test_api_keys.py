"""The tenant's keys from the dashboard (``k``): the list with the stored key marked, revoke
after a confirmation naming the key, the profile's own key refused, every user's keys for a
TenantAdmin; over the TLS sandbox and the real Secret Service. Snapshots use a fixed listing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from qlik_tui.core.models import ApiKeyRecord, Role, User
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.services.context import Services
from qlik_tui.services.key_admin import KeyListing
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.api_keys import STORED_MARK, ApiKeysScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.recording import key_id_of
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    FIXED_KEY_ID,
    FIXED_NOW,
    FIXED_TENANT_ID,
    FIXED_USER_ID,
    PinnedApp,
    SnapCompare,
    click,
    expiry_in,
    open_dashboard,
    screen_text,
    settle,
    store,
    text_of,
    wait_until,
)

SIZE = (80, 24)
WIDE = (120, 36)


def keys_screen(app: Any) -> ApiKeysScreen:
    screen = app.screen
    assert isinstance(screen, ApiKeysScreen), f"not on the keys view but {screen!r}"
    return screen


def listed_ids(screen: ApiKeysScreen) -> set[str]:
    return {str(row.value) for row in screen.table.rows}


def cells(screen: ApiKeysScreen, key_id: str) -> list[str]:
    return [str(cell) for cell in screen.table.get_row(key_id)]


async def open_keys(pilot: Pilot[Any]) -> ApiKeysScreen:
    dashboard = await open_dashboard(pilot)
    # The re-check on open may start after the workers settled (the services load in a thread
    # first); while it runs, "k" is refused: wait for it to end.
    await wait_until(pilot, lambda: not dashboard.busy, "the re-check on open ended")
    await pilot.press("k")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApiKeysScreen), "the keys view")
    await settle(pilot)
    return keys_screen(pilot.app)


async def select(pilot: Pilot[Any], screen: ApiKeysScreen, key_id: str) -> None:
    screen.table.move_cursor(row=screen.table.get_row_index(key_id))
    await pilot.pause()


async def test_lists_the_users_keys_with_the_stored_one_marked(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    key_text = store(services, sandbox, "prod")
    stored_id = key_id_of(key_text)
    other_id = key_id_of(sandbox.issue_key(description="ci \x1b[31mpipeline[/b]"))
    basil_id = key_id_of(sandbox.issue_key(user="user"))
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_keys(pilot)
        assert listed_ids(screen) == {stored_id, other_id}  # the user's own, not Basil's
        assert basil_id not in listed_ids(screen)
        assert cells(screen, stored_id)[0] == STORED_MARK
        other = cells(screen, other_id)
        assert other[0] == ""
        # tenant text arrives neutralised and is shown as it is, never as markup
        assert other[1] == "ci \\x1b[31mpipeline[/b]"
        assert other[3] == "active" and other[4] == other_id
        summary = text_of(pilot, "#keys-summary")
        assert summary == "Active keys of ada.sandbox@example.com (2)"
        assert f"{STORED_MARK} the key stored in profile prod" in text_of(pilot, "#keys-status")
        assert key_text not in screen_text(pilot)

        await pilot.press("escape")
        await pilot.pause()
        await open_dashboard(pilot)


async def test_revoke_asks_first_then_removes_the_key(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    stored_id = key_id_of(store(services, sandbox, "prod"))
    other_id = key_id_of(sandbox.issue_key(description="old laptop"))
    assert other_id is not None
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_keys(pilot)
        await select(pilot, screen, other_id)

        await pilot.press("d")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.question == f"Revoke key {other_id}?"
        assert modal.detail.startswith('"old laptop" · active · expires ')
        await pilot.press("escape")  # keep it
        await pilot.pause()
        assert app.screen is screen
        assert sandbox.has_key(other_id)  # nothing was asked of the tenant

        await pilot.press("d")
        await pilot.pause()
        await click(pilot, "#confirm")
        await settle(pilot)
        assert app.screen is screen
        assert not sandbox.has_key(other_id)  # the owner's delete removed it
        assert sandbox.key_ids("admin") == [stored_id]
        assert listed_ids(screen) == {stored_id}  # listed again
        assert services.secrets.load("prod").info.key_id == stored_id


async def test_revoking_a_key_another_profile_stores_names_that_profile(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    store(services, sandbox, "prod")
    other_id = key_id_of(store(services, sandbox, "ci"))
    assert other_id is not None
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await open_dashboard(pilot)
        dashboard.table.move_cursor(row=1)  # "prod" (after "ci")
        await pilot.press("k")
        await settle(pilot)
        screen = keys_screen(app)
        await select(pilot, screen, other_id)
        await pilot.press("d")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.detail.endswith("Profile ci stores it and stops working too.")
        await pilot.press("escape")
        await pilot.pause()
    assert sandbox.has_key(other_id)


async def test_the_profiles_own_key_is_not_revoked_here(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    stored_id = key_id_of(store(services, sandbox, "prod"))
    assert stored_id is not None
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_keys(pilot)
        await select(pilot, screen, stored_id)
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is screen  # no confirmation: it is refused outright
        status = text_of(pilot, "#keys-status")
        assert f"Key {stored_id} is the key stored in profile prod" in status
        assert "qlik-tui forget prod --revoke" in status
        await settle(pilot)
        assert sandbox.key_ids("admin") == [stored_id]


async def test_a_tenant_admin_sees_every_users_keys(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    store(services, sandbox, "prod")  # the admin's key
    basil_id = key_id_of(sandbox.issue_key(user="user", description="basil's key"))
    assert basil_id is not None
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_keys(pilot)
        assert basil_id not in listed_ids(screen)
        await pilot.press("u")
        await settle(pilot)
        assert screen.all_users
        assert basil_id in listed_ids(screen)
        assert cells(screen, basil_id)[4] == sandbox.user.id  # the owner column
        assert text_of(pilot, "#keys-summary").startswith("Active keys of all users")

        # an admin's revoke of another user's key names its owner, and revokes it
        await select(pilot, screen, basil_id)
        await pilot.press("d")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert f"owner {sandbox.user.id}" in modal.detail
        await click(pilot, "#confirm")
        await settle(pilot)
        assert basil_id not in sandbox.key_ids("user")  # no longer active
        assert basil_id not in listed_ids(screen)


async def test_all_users_is_not_offered_to_a_user_without_tenant_admin(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    key_text = sandbox.issue_key(user="user")
    from qlik_tui.core.apikey import parse_key
    from qlik_tui.core.tenant import parse_tenant
    from qlik_tui.services.login import store_login

    store_login(
        services,
        name="basil",
        tenant=parse_tenant(sandbox.origin),
        key=parse_key(key_text),
        report=None,
    )
    sandbox.issue_key()  # the admin's, never shown to Basil
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_keys(pilot)
        assert listed_ids(screen) == {key_id_of(key_text)}
        assert screen.check_action("toggle_all_users", ()) is False
        await pilot.press("u")
        await settle(pilot)
        assert not screen.all_users
        assert listed_ids(screen) == {key_id_of(key_text)}


# -- snapshots -----------------------------------------------------------------------------


def fixed_listing(all_users: bool) -> KeyListing:
    created = FIXED_NOW - timedelta(hours=3)
    user = User(
        id=FIXED_USER_ID,
        tenant_id=FIXED_TENANT_ID,
        subject="auth0|ada",
        name="Ada Lovelace",
        email="ada@acme.example",
        roles=(Role(id="608050f7634644db3678b1a2", name="TenantAdmin"),),
    )

    def record(key_id: str, description: str, hours: float, sub: str) -> ApiKeyRecord:
        return ApiKeyRecord(
            id=key_id,
            tenant_id=FIXED_TENANT_ID,
            description=description,
            status="active",
            sub=sub,
            expiry=expiry_in(hours),
            created=created,
        )

    keys = [
        record(FIXED_KEY_ID, "qlik-tui acme (renewed 2026-05-04 06:30 UTC)", 21, FIXED_USER_ID),
        record("9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "ci pipeline", 5, FIXED_USER_ID),
    ]
    if all_users:
        keys.append(
            record("0f0e0d0c-aaaa-4bbb-8ccc-ddddeeeeffff", "basil's laptop", 12, "65f0c1d2aaaa")
        )
    return KeyListing(user=user, keys=tuple(keys), all_users=all_users, complete=True, pages=1)


def snapshot_app(services: Services) -> PinnedApp:
    services.profiles.put(
        Profile(
            name="acme",
            origin=f"https://{FIXED_HOST}",
            key_id=FIXED_KEY_ID,
            last_outcome=OutcomeKind.VALID.value,
            expiry=expiry_in(21).isoformat(),
        )
    )
    return PinnedApp(services, start="dashboard")


def shown(all_users: bool, *keys: str) -> Any:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = ApiKeysScreen("acme", load=False)
        await pilot.app.push_screen(screen)
        await pilot.pause()
        screen.show_listing(fixed_listing(all_users), FIXED_KEY_ID)
        screen.refresh_bindings()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return before


SNAPSHOTS = {
    "own": lambda: shown(False),
    "all-users": lambda: shown(True),
    "revoke-confirmation": lambda: shown(False, "down", "d"),
}


@pytest.mark.parametrize("size", [SIZE, WIDE], ids=["80x24", "120x36"])
@pytest.mark.parametrize("name", list(SNAPSHOTS))
def test_snapshot(
    name: str, size: tuple[int, int], snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = snapshot_app(offline_services)
    assert snap_compare(app, terminal_size=size, run_before=SNAPSHOTS[name]())
