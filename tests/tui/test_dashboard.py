"""The dashboard of stored keys: start screen, re-checks with live per-row progress
and cancel, details, forget with confirmation, new setup, empty and broken states, snapshots.

Flows run against the TLS sandbox and the real Secret Service with the real clock; snapshots use
profiles with fixed ids and timestamps under a pinned clock, and never the sandbox's random port.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Button

from qlik_tui.core.outcomes import OutcomeKind, make_outcome
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.dashboard import DashboardMode, DashboardScreen, forget_question
from qlik_tui.tui.screens.dashboard_text import KEYS_WORDS
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.keys_help import KeysHelpModal
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.profile_details import ProfileDetailsModal
from qlik_tui.tui.screens.welcome import WelcomeScreen
from qlik_tui.tui.widgets.profile_table import (
    CANCELLED_MARK,
    COLUMN_KEYS,
    COLUMNS,
    ago,
    column_widths,
)
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.ports import refused_origin
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    FIXED_KEY_ID,
    FIXED_NOW,
    FIXED_TENANT_ID,
    FIXED_USER_ID,
    SIZE,
    Before,
    PinnedApp,
    SnapCompare,
    click,
    dashboard_of,
    expiry_in,
    open_dashboard,
    paste,
    screen_text,
    settle,
    store,
    table_of,
    text_of,
    wait_until,
)

CANCELLED_NOT_CHECKED = f"{CANCELLED_MARK} cancelled · not checked"


# -- helpers -------------------------------------------------------------------------------


def state_of(app: Any, name: str) -> str:
    return table_of(app).cell_texts(name)["state"]


# -- reaching it ---------------------------------------------------------------------------


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_the_start_screen_is_the_dashboard_when_profiles_exist(
    offline_services: Services,
) -> None:
    app = QlikTuiApp(offline_services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)  # nothing stored yet: the setup
        assert app.screen.query_one("#dashboard", Button).disabled

    offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
    app = QlikTuiApp(offline_services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.mode is DashboardMode.TABLE
        assert text_of(pilot, "#dashboard-title") == "Stored keys"
        assert table_of(app).cell_texts("work")["tenant"] == FIXED_HOST
        assert state_of(app, "work") == "not checked"
        assert "1 key · 1 not checked" in text_of(pilot, "#dashboard-summary")


async def test_welcome_and_done_open_it_and_escape_goes_back(offline_services: Services) -> None:
    offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
    app = QlikTuiApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await click(pilot, "#dashboard")
        await open_dashboard(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, WelcomeScreen)

        app.state.profile = offline_services.profiles.get("work")
        app.go_to_step(7)
        await pilot.pause()
        assert isinstance(app.screen, DoneScreen)
        await click(pilot, "#dashboard")
        await open_dashboard(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, DoneScreen)


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_question_mark_and_f1_show_the_keys(offline_services: Services) -> None:
    offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
    app = QlikTuiApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, KeysHelpModal), key
            words = text_of(pilot, "#keys-help")
            for binding in DashboardScreen.BINDINGS:  # every key of the screen, and its words
                assert isinstance(binding, Binding)
                assert KEYS_WORDS[binding.action] in words, binding.action
            lines = words.splitlines()
            assert any(line.startswith("R ") and "renew the selected key" in line for line in lines)
            assert any(line.startswith("? f1 ") and line.endswith("this list") for line in lines)
            assert len(lines) == len(KEYS_WORDS) + 2  # one line each: nothing wraps
            dialog = app.screen.query_one("#keys-help-dialog")
            assert app.screen.region.contains_region(dialog.region)  # whole at 80x24
            assert dialog.max_scroll_y == 0
            await pilot.press(key)  # and again: it goes
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen), key


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_profiles_stored_elsewhere_appear_on_r_and_on_refocus(
    offline_services: Services,
) -> None:
    app = QlikTuiApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.mode is DashboardMode.EMPTY
        # Another terminal stores a profile: r reads the file again.
        offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
        await pilot.press("r")
        await wait_until(pilot, lambda: "work" in screen.rows, "work appears on r")
        assert screen.mode is DashboardMode.TABLE
        assert table_of(app).cell_texts("work")["tenant"] == FIXED_HOST
        await settle(pilot)

        # ... and another one, then forgets the first: the terminal regains the focus.
        offline_services.profiles.put(Profile(name="lab", origin="https://lab.eu.qlikcloud.com"))
        offline_services.profiles.remove("work")
        app.post_message(events.AppBlur())
        await pilot.pause()
        app.post_message(events.AppFocus())
        await wait_until(pilot, lambda: list(screen.rows) == ["lab"], "the file as it is now")
        assert table_of(app).row_count == 1


async def test_n_starts_a_new_setup(offline_services: Services) -> None:
    offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
    app = QlikTuiApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.query_one("#dashboard", Button)  # and the way back is offered


# -- re-checking ---------------------------------------------------------------------------


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_recheck_all_shows_each_outcome_and_saves_it(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    keys = [
        store(services, sandbox, "good"),
        store(services, sandbox, "revoked", kind="revoked"),
        store(services, sandbox, "offline", origin=refused_origin()),
    ]
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        assert "3 keys · 3 not checked" in text_of(pilot, "#dashboard-summary")
        await pilot.press("a")
        await settle(pilot)

        assert state_of(app, "good") == "✓ Key works"
        # "good" is the same user's working key: it reads the dead key's record
        assert state_of(app, "revoked") == "✗ Key revoked (401)"
        assert state_of(app, "offline") == "? Connection refused"
        good = table_of(app).cell_texts("good")
        assert good["checked"] == "just now"
        assert good["expiry"] == "expires in 23 h"  # a fresh 24 h key: not yet in its last fifth
        assert table_of(app).expiry_state("good") == "ok"
        assert text_of(pilot, "#dashboard-summary").startswith(
            "3 keys · 1 valid · 1 rejected · 1 inconclusive · checked just now"
        )
        shown = screen_text(pilot)
        assert not any(key in shown for key in keys)

    saved = {p.name: p for p in services.profiles.all()}
    assert saved["good"].last_outcome == OutcomeKind.VALID.value
    assert saved["good"].expiry is not None and saved["good"].key_status == "active"
    assert saved["revoked"].last_outcome == OutcomeKind.KEY_REVOKED.value
    assert saved["offline"].last_outcome == OutcomeKind.CONNECTION_REFUSED.value
    assert all(p.last_checked_at is not None for p in saved.values())


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_each_row_shows_checking_until_its_result_arrives(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    keys = [store(services, sandbox, "first"), store(services, sandbox, "second")]
    sandbox.delay = 0.5  # every request waits: the checks stay in flight long enough to see
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.press("down")  # the cursor on "second"
        await pilot.press("r")
        await wait_until(pilot, lambda: state_of(app, "second") == "checking…", "second checking")

        # Its result has not arrived: nothing saved yet, the other row untouched, and the
        # worker is described without the key.
        assert services.profiles.get("second").last_checked_at is None  # type: ignore[union-attr]
        assert state_of(app, "first") == "not checked"
        descriptions = [worker.description for worker in app.workers]
        assert "Re-checking 1 stored key" in descriptions
        assert not any(key in d or key[-40:] in d for key in keys for d in descriptions)
        assert "Re-checking 1 key: 0 done" in text_of(pilot, "#dashboard-status")
        # One re-check at a time: its keys are greyed out in the footer, and do nothing.
        assert dashboard_of(app).check_action("recheck_all", ()) is None
        await pilot.press("a")
        assert state_of(app, "first") == "not checked"

        await settle(pilot)
        assert state_of(app, "second") == "✓ Key works"
        assert state_of(app, "first") == "not checked"
        assert not app.screen.query_one("#dashboard-status").display


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_replace_key_in_the_details_runs_the_wizard_from_the_paste_step(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    old_text = store(services, sandbox, "work")
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileDetailsModal)
        await click(pilot, "#details-replace")
        await settle(pilot)
        assert isinstance(app.screen, PasteScreen)  # the same tenant, the same name
        assert app.state.tenant is not None and app.state.tenant.origin == sandbox.origin
        assert app.state.profile_name == "work" and app.state.key is None

        new_text = sandbox.issue_key("valid")
        await paste(pilot, new_text)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+s")  # stored under "work": it asks before replacing
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await click(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        assert services.secrets.load("work").reveal() == new_text != old_text
        assert [profile.name for profile in services.profiles.all()] == ["work"]


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_cancel_leaves_rows_as_they_were_marked_cancelled(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    store(services, sandbox, "first")
    store(services, sandbox, "second")
    sandbox.set_fault("slow", delay=5.0)  # every request hangs until the check is cancelled
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("a")
        await wait_until(
            pilot,
            lambda: all(state_of(app, n) == "checking…" for n in ("first", "second")),
            "both rows checking",
        )
        assert screen.rechecking
        await pilot.press("enter", "r")  # "Re-check" in the details while one runs: a word
        assert app.screen is screen
        assert any("A re-check is running" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)

        assert not screen.rechecking
        assert state_of(app, "first") == CANCELLED_NOT_CHECKED
        assert state_of(app, "second") == CANCELLED_NOT_CHECKED
        assert "Re-check cancelled: 0 of 2 keys finished" in text_of(pilot, "#dashboard-status")
        assert all(p.last_checked_at is None for p in services.profiles.all())

        # Still usable: the next re-check runs and replaces the note with its result.
        sandbox.clear_faults()
        await pilot.press("r")
        await settle(pilot)
        assert state_of(app, "first") == "✓ Key works"
        assert state_of(app, "second") == CANCELLED_NOT_CHECKED
        assert app.is_running


# -- details -------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_details_show_the_outcome_cause_and_next_step(offline_services: Services) -> None:
    profile = Profile(
        name="acme",
        origin=f"https://{FIXED_HOST}",
        key_id=FIXED_KEY_ID,
        key_tenant_id=FIXED_TENANT_ID,
        user_id=FIXED_USER_ID,
        user_name="Ada Lovelace",
        user_email="ada@acme.example",
        roles=("TenantAdmin", "AnalyticsAdmin"),
        last_checked_at="2026-05-04T09:00:00+00:00",
        last_outcome=OutcomeKind.KEY_REVOKED.value,
        key_status="revoked",
        backend="SecretService Keyring",
    )
    offline_services.profiles.put(profile)
    expected = make_outcome(
        OutcomeKind.KEY_REVOKED, tenant=parse_tenant(FIXED_HOST), key_id=FIXED_KEY_ID
    )
    app = QlikTuiApp(offline_services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.click("#profiles-table", offset=(3, 1))  # the highlighted row: opens it
        await pilot.pause()
        assert isinstance(app.screen, ProfileDetailsModal)
        shown = screen_text(pilot)
        for part in (
            expected.cause,
            expected.next_step,
            "✗ Key revoked (401)",
            FIXED_KEY_ID,
            FIXED_TENANT_ID,
            FIXED_USER_ID,
            "ada@acme.example",
            "TenantAdmin, AnalyticsAdmin",
            "SecretService Keyring",
            "revoked",
            "unknown (the API did not say)",  # the expiry
        ):
            assert part in shown, part
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)

        await pilot.press("enter")  # the keyboard way in
        assert isinstance(app.screen, ProfileDetailsModal)
        await click(pilot, "#details-close")
        assert isinstance(app.screen, DashboardScreen)


# -- forgetting ----------------------------------------------------------------------------


async def test_forget_after_confirmation_removes_key_and_metadata(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    store(services, sandbox, "good")
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        question = text_of(pilot, ".dialog-question")
        assert question == forget_question("good", secret_store.backend_name)
        assert question.startswith("Forget profile good? This removes its key from ")
        await click(pilot, "#confirm")
        await settle(pilot)

        assert screen.mode is DashboardMode.EMPTY
        assert any("Forgot profile good" in n.message for n in app._notifications)
    with pytest.raises(KeyNotFound):
        secret_store.load("good")
    assert services.profiles.get("good") is None


async def test_cancelling_the_confirmation_keeps_key_and_metadata(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    key_text = store(services, sandbox, "good")
    app = QlikTuiApp(services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert dashboard_of(app).rows.keys() == {"good"}
    assert secret_store.load("good").reveal() == key_text
    assert services.profiles.get("good") is not None


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_a_keyring_that_refuses_to_forget_is_explained(offline_services: Services) -> None:
    offline_services.profiles.put(Profile(name="work", origin=f"https://{FIXED_HOST}"))
    app = QlikTuiApp(offline_services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        await pilot.press("d")
        await click(pilot, "#confirm")
        await settle(pilot)
        assert app.is_running
        status = text_of(pilot, "#dashboard-status")
        assert status.startswith("✗ Could not forget work (nothing changed): ")
        assert "Secret Service" in status  # the StoreError's problem and fix
        assert state_of(app, "work") == "not checked"
    assert offline_services.profiles.get("work") is not None


# -- empty and broken ----------------------------------------------------------------------


async def test_without_profiles_it_offers_the_setup(offline_services: Services) -> None:
    app = QlikTuiApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.mode is DashboardMode.EMPTY
        assert "No API keys are stored yet" in screen_text(pilot)
        assert not screen.check_action("recheck_all", ())  # nothing to re-check
        await click(pilot, "#setup")
        assert isinstance(app.screen, WelcomeScreen)


async def test_a_corrupt_profiles_file_is_explained(offline_services: Services) -> None:
    path = offline_services.profiles.path
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "profiles": ')
    app = QlikTuiApp(offline_services, start="auto")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.mode is DashboardMode.BROKEN
        shown = screen_text(pilot)
        assert "The profiles file cannot be read" in shown
        assert str(path) in shown
        assert "is not valid JSON" in shown
        backups = list(path.parent.glob("profiles.json.broken-*"))
        assert len(backups) == 1 and str(backups[0]) in shown
        assert not screen.check_action("new_setup", ())  # a new key could not be stored now

        path.unlink()  # the user removes it, then reloads
        await click(pilot, "#reload")
        await settle(pilot)
        assert screen.mode is DashboardMode.EMPTY


async def test_opening_it_rechecks_every_key_showing_the_old_results_as_stale(
    tmp_path: Path, sandbox: FaultySandbox, secret_store: SecretStore
) -> None:
    services = make_services(tmp_path, secret_store)
    store(services, sandbox, "first")
    store(services, sandbox, "second", kind="revoked")
    for name in ("first", "second"):  # what an earlier check left in the file
        services.profiles.update(
            name, last_outcome=OutcomeKind.VALID.value, last_checked_at=_at(timedelta(days=2))
        )
    sandbox.delay = 0.5  # the answers take a while: the stale rows can be seen
    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, DashboardScreen)
                and dashboard_of(app).mode is DashboardMode.TABLE
                and all(
                    state_of(app, n).endswith("… · was ✓ Key works") for n in ("first", "second")
                )
            ),
            "both rows re-checking, their old result marked as what it was",
        )
        assert dashboard_of(app).rechecking
        await settle(pilot)
        assert state_of(app, "first") == "✓ Key works"
        assert state_of(app, "second") == "✗ Key revoked (401)"  # the old "valid" was stale
        assert table_of(app).cell_texts("first")["checked"] == "just now"
    saved = services.profiles.get("second")
    assert saved is not None and saved.last_outcome == OutcomeKind.KEY_REVOKED.value


# -- what the cells say --------------------------------------------------------------------


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_a_key_is_flagged_in_the_last_fifth_of_its_lifetime(
    offline_services: Services,
) -> None:
    origin = f"https://{FIXED_HOST}"
    created = (FIXED_NOW - timedelta(days=24)).isoformat()
    for name, hours_left in (("month-fresh", 24 * 20), ("month-late", 24 * 5)):
        offline_services.profiles.put(
            Profile(
                name=name,
                origin=origin,
                key_created=created,
                expiry=expiry_in(hours_left).isoformat(),
            )
        )
    day_key_created = (FIXED_NOW - timedelta(minutes=10)).isoformat()
    offline_services.profiles.put(
        Profile(
            name="day-fresh",
            origin=origin,
            key_created=day_key_created,
            expiry=(FIXED_NOW + timedelta(hours=23, minutes=50)).isoformat(),
        )
    )
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        table = table_of(app)
        assert table.cell_texts("day-fresh")["expiry"] == "expires in 23 h"
        assert table.cell_texts("month-fresh")["expiry"] == "expires in 20 d"
        assert table.cell_texts("month-late")["expiry"] == "⚠ expires in 5 d"
        await pilot.press("down", "down", "enter")  # month-late's details name the renewal
        await pilot.pause()
        assert "renew it: qlik-tui rotate month-late" in screen_text(pilot)


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_expiry_known_soon_expired_and_unknown(offline_services: Services) -> None:
    origin = f"https://{FIXED_HOST}"
    for name, expiry in (
        ("known", expiry_in(24 * 5)),
        ("soon", expiry_in(5)),
        ("expired", expiry_in(-48)),
        ("unknown", None),
    ):
        offline_services.profiles.put(
            Profile(name=name, origin=origin, expiry=expiry.isoformat() if expiry else None)
        )
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        table = table_of(app)
        expected = {
            "known": ("ok", "expires in 5 d"),
            "soon": ("soon", "⚠ expires in 5 h"),
            "expired": ("expired", "expired 2 d ago"),
            "unknown": ("unknown", "expiry unknown"),
        }
        for name, (state, words) in expected.items():
            assert table.expiry_state(name) == state, name
            assert table.cell_texts(name)["expiry"] == words, name


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_colours_follow_the_theme(offline_services: Services) -> None:
    offline_services.profiles.put(
        Profile(name="work", origin=f"https://{FIXED_HOST}", last_outcome="valid")
    )
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)

        def state_colour() -> str:
            return str(table_of(app).get_row("work")[2].style)

        dark = state_colour()
        assert app.get_css_variables()["text-success"].lower() in dark
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert state_colour() != dark
        assert app.get_css_variables()["text-success"].lower() in state_colour()


def test_last_checked_reads_as_time_ago() -> None:
    def at(delta: timedelta) -> str:
        return (FIXED_NOW - delta).isoformat()

    assert ago(None, FIXED_NOW) == "never"
    assert ago("not a date", FIXED_NOW) == "never"
    assert ago(at(timedelta(seconds=20)), FIXED_NOW) == "just now"
    assert ago(at(-timedelta(minutes=3)), FIXED_NOW) == "just now"  # a clock slightly behind
    assert ago(at(timedelta(minutes=5, seconds=59)), FIXED_NOW) == "5 min ago"
    assert ago(at(timedelta(hours=3)), FIXED_NOW) == "3 h ago"
    assert ago(at(timedelta(days=2, hours=23)), FIXED_NOW) == "2 d ago"


def test_columns_fit_80_cells_dropping_what_matters_least_first() -> None:
    longest = {column.key: 500 for column in COLUMNS}
    roomy = column_widths(longest, 500)
    assert list(roomy) == list(COLUMN_KEYS)
    assert all(roomy[c.key] == c.maximum for c in COLUMNS)

    def cells(widths: dict[str, int]) -> int:
        return sum(width + 2 for width in widths.values())

    # Typical rows at 79 cells: key id, user and last check go, the tenant is shortened; name,
    # state and expiry are whole.
    typical = {"name": 16, "tenant": 30, "state": 20, "expiry": 15, "checked": 9, "user": 20}
    widths = column_widths({**typical, "key_id": 9}, 79)
    assert list(widths) == ["name", "tenant", "state", "expiry"]
    assert (widths["name"], widths["state"], widths["expiry"]) == (16, 20, 15)
    assert 12 <= widths["tenant"] < 30 and cells(widths) == 79
    # What fits is neither dropped nor shortened.
    short = column_widths({"name": 4, "tenant": 21, "state": 20, "expiry": 15, "checked": 9}, 79)
    assert (short["tenant"], short["state"], short["checked"]) == (21, 20, 9)
    assert "key_id" not in short and "user" not in short
    # A very long name stays whole: the tenant goes before the name is cut.
    long_name = column_widths({**typical, "name": 36}, 79)
    assert list(long_name) == ["name", "state", "expiry"] and long_name["name"] == 36
    # The kind (api-key | oauth-client) goes after key id and user, before the last check.
    with_kind = {**typical, "key_id": 9, "kind": 12}
    assert list(column_widths(with_kind, 120)) == [*COLUMN_KEYS[:5], "kind"]
    assert list(column_widths(with_kind, 110)) == list(COLUMN_KEYS[:5])
    # Nothing else left to give: only then is the name shortened.
    narrow = column_widths(longest, 40)
    assert list(narrow) == ["name", "state"] and cells(narrow) <= 40


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_at_80_columns_long_names_stay_whole_without_a_sideways_scrollbar(
    offline_services: Services,
) -> None:
    for profile in long_name_profiles():
        offline_services.profiles.put(profile)
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.max_scroll_x == 0 and not table.show_horizontal_scrollbar
        assert table.shown_columns[0] == "name"
        assert {"state", "expiry"} <= set(table.shown_columns)
        update = app.screen._compositor.render_update(full=True)
        rows = ["".join(strip.text for strip in line) for line in update.strips]
        for profile in long_name_profiles():
            shown = next(row for row in rows if row.lstrip().startswith(profile.name))
            for column in ("name", "state", "expiry"):
                assert table.cell_texts(profile.name)[column] in shown, (column, shown)


# -- snapshots -----------------------------------------------------------------------------


def _at(delta: timedelta) -> str:
    return (FIXED_NOW - delta).isoformat()


def mixed_profiles() -> list[Profile]:
    """Fixed ids and times: one profile per kind of state the table shows."""
    common: dict[str, Any] = {
        "key_tenant_id": FIXED_TENANT_ID,
        "user_id": FIXED_USER_ID,
        "created_at": _at(timedelta(days=3)),
        "backend": "SecretService Keyring",
    }
    return [
        Profile(
            name="acme",
            origin=f"https://{FIXED_HOST}",
            key_id=FIXED_KEY_ID,
            user_name="Ada Lovelace",
            user_email="ada@acme.example",
            roles=("TenantAdmin", "AnalyticsAdmin"),
            last_checked_at=_at(timedelta(minutes=5)),
            last_outcome=OutcomeKind.VALID.value,
            expiry=expiry_in(5).isoformat(),
            key_status="active",
            **common,
        ),
        Profile(
            name="acme-prod",
            origin="https://acme-prod.us.qlikcloud.com",
            key_id="9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            user_email="ada@acme.example",
            last_checked_at=_at(timedelta(minutes=5)),
            last_outcome=OutcomeKind.KEY_REVOKED.value,
            expiry=expiry_in(24 * 20).isoformat(),
            key_status="revoked",
            **common,
        ),
        Profile(
            name="lab",
            origin="https://lab.eu.qlikcloud.com",
            key_id="0f0e0d0c-aaaa-4bbb-8ccc-ddddeeeeffff",
            user_name="Basil Plain",
            last_checked_at=_at(timedelta(hours=2)),
            last_outcome=OutcomeKind.CONNECTION_REFUSED.value,
            **common,
        ),
        Profile(
            name="new",
            origin="https://new.de.qlikcloud.com",
            key_id="5b6c7d8e-0000-4111-8222-333344445555",
            **common,
        ),
    ]


def long_name_profiles() -> list[Profile]:
    """Names as people choose them (and as the demo does, host:port), on long tenant hosts."""
    return [
        replace(profile, name=name, origin=origin)
        for profile, name, origin in zip(
            mixed_profiles(),
            (
                "acme-production-eu-reporting",
                "127.0.0.1:47470",
                "lab-weekly-export-bot",
                "new",
            ),
            (
                "https://acme-production.eu.qlikcloud.com",
                "https://127.0.0.1:47470",
                f"https://{FIXED_HOST}",
                "https://new.de.qlikcloud.com",
            ),
            strict=True,
        )
    ]


def then(*keys: str) -> Before:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        dashboard_of(pilot.app)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return before


SNAPSHOTS: dict[str, tuple[bool, Before]] = {
    "mixed": (True, then()),
    "empty": (False, then()),
    "details": (True, then("down", "enter")),
    "forget-confirmation": (True, then("d")),
}


@pytest.mark.usefixtures("no_recheck_on_open")
def test_snapshot_long_names(snap_compare: SnapCompare, offline_services: Services) -> None:
    for profile in long_name_profiles():
        offline_services.profiles.put(profile)
    app = PinnedApp(offline_services, start="dashboard")
    assert snap_compare(app, terminal_size=SIZE, run_before=then())


def snapshot_app(services: Services, with_profiles: bool) -> PinnedApp:
    if with_profiles:
        for profile in mixed_profiles():
            services.profiles.put(profile)
    app = PinnedApp(services, start="dashboard")
    return app


@pytest.mark.parametrize("name", list(SNAPSHOTS))
@pytest.mark.usefixtures("no_recheck_on_open")
def test_snapshot(name: str, snap_compare: SnapCompare, offline_services: Services) -> None:
    with_profiles, before = SNAPSHOTS[name]
    app = snapshot_app(offline_services, with_profiles)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


@pytest.mark.usefixtures("no_recheck_on_open")
def test_snapshot_light_theme(snap_compare: SnapCompare, offline_services: Services) -> None:
    app = snapshot_app(offline_services, True)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=then())


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_at_80x24_the_footer_and_the_name_state_and_expiry_stay_whole(
    offline_services: Services,
) -> None:
    for profile in mixed_profiles():
        offline_services.profiles.put(profile)
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await click(pilot, "#dashboard")  # from a step: the footer also offers "esc Back"
        await open_dashboard(pilot)
        update = app.screen._compositor.render_update(full=True)  # the rows as drawn
        rows = ["".join(strip.text for strip in line) for line in update.strips]
        footer = rows[-1]
        for words in ("esc Back", "^q Quit", "^t Theme"):
            assert words in footer, footer
        table = table_of(app)
        for profile in mixed_profiles():
            cells = table.cell_texts(profile.name)
            shown = next(row for row in rows if row.lstrip().startswith(profile.name))
            for column in ("name", "state", "expiry"):
                assert cells[column] in shown, (column, shown)
