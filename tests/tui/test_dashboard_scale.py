"""The dashboard with many stored profiles: the table is shown before any re-check ends, each
result re-renders its own row only, and the keys answer meanwhile.

500 profiles (the most the dashboard is promised to take), checked 64 at a time so that most
wait queued while the table is already on screen; how long they take to paint is
``benchmarks/run.py``'s dashboard-500.

The keys are kept in the tests' in-memory OS keyring: the keyring is not what is tested here,
and 500 Secret Service writes and reads would add about half a minute."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rich.text import Text

from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.dashboard import DashboardMode, DashboardScreen
from qlik_tui.tui.widgets.profile_table import ProfileTable
from tests.fixtures.cli import store_many
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.services import make_services
from tests.store.memory_keyring import MemoryKeyring
from tests.tui.helpers import SIZE, dashboard_of, wait_until

PROFILES = 500
AT_ONCE = 64  # checks in flight (the default is 256)


async def test_500_profiles_show_at_once_and_each_result_renders_one_row(
    tmp_path: Path, sandbox: FaultySandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services(tmp_path, SecretStore(backend=MemoryKeyring()))
    services = dataclasses.replace(services, check_concurrency=AT_ONCE)
    keys = [sandbox.issue_key() for _ in range(PROFILES)]
    names = store_many(services, sandbox.origin, keys)
    # Every answer is held until released: no re-check can end before the table shows.
    sandbox.set_fault("hold_answer", delay=60)

    rendered: list[str] = []  # the rows whose cells were rendered, in order
    cells = ProfileTable._cells

    def counting_cells(table: ProfileTable, name: str) -> list[Text]:
        rendered.append(name)
        return cells(table, name)

    monkeypatch.setattr(ProfileTable, "_cells", counting_cells)
    per_result: list[tuple[str, set[str]]] = []  # (the result's row, the rows it rendered)
    handle_result = DashboardScreen.on_dashboard_screen_recheck_result

    def counting_result(screen: DashboardScreen, message: DashboardScreen.RecheckResult) -> None:
        rendered.clear()
        handle_result(screen, message)
        per_result.append((message.result.profile.name, set(rendered)))

    monkeypatch.setattr(DashboardScreen, "on_dashboard_screen_recheck_result", counting_result)

    app = QlikTuiApp(services, start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, DashboardScreen) and app.screen.mode is DashboardMode.TABLE
            ),
            "the table shown",
        )
        screen = dashboard_of(app)
        table = screen.table
        await wait_until(pilot, lambda: sandbox.held.is_set(), "the first check asked")
        # The table is there with every profile, each waiting for its check; none ended.
        assert table.row_count == PROFILES
        assert per_result == []
        states = {table.cell_texts(name)["state"] for name in names}
        assert states <= {"queued…", "checking…"}
        # The keys answer meanwhile.
        assert table.selected_name == names[0]
        await pilot.press("down", "down")
        assert table.selected_name == names[2]

        sandbox.release_held()
        await wait_until(pilot, lambda: not screen.rechecking, "every check ended")
        assert sorted(name for name, _ in per_result) == names
        assert {table.cell_texts(name)["state"] for name in names} == {"✓ Key works"}

    # One result, one row: only a result that widens a column re-renders the table (and the
    # last, after which the table is fitted once more); every other renders its own row only.
    others = [(name, rows) for name, rows in per_result[:-1] if rows != {name}]
    assert len(others) <= 3, [(name, len(rows)) for name, rows in others]
    assert all(len(rows) == PROFILES for _, rows in others)
