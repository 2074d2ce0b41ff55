"""The wizard's qlik-cli import: the Welcome offer, the screen's pictures, and a real run over
the TLS sandbox and the real Secret Service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable

from qlik_tui.core.apikey import make_fake_key
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.qlik_cli_contexts import read_contexts_file
from qlik_tui.sandbox import SandboxTenant
from qlik_tui.services.context import Services
from qlik_tui.services.qlik_cli_import import ImportResult, ImportStatus
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.import_qlik_cli import ImportFinished, ImportQlikCliScreen
from tests.fixtures.cli import store_profile
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    FIXED_TENANT_ID,
    FIXED_USER_ID,
    PLAIN_USER,
    SIZE,
    STORED,
    PinnedApp,
    SnapCompare,
    click,
    failed_report,
    key_context,
    screen_text,
    settle,
    valid_report,
    write_home_contexts,
)


def fake_key(number: int) -> str:
    return make_fake_key(
        key_id=f"00000000-0000-4000-8000-00000000000{number}",
        tenant_id=FIXED_TENANT_ID,
        sub=FIXED_USER_ID,
        signature=bytes([number]) * 96,
    )


def other_contexts() -> str:
    return (
        "  sso:\n    oauth-client-id: abc\n    server: https://acme.eu.qlikcloud.com\n"
        "  onprem:\n    server: https://sense.example.com\n    server-type: Windows\n"
    )


def fixed_file(home: Path) -> Path:
    return write_home_contexts(
        home,
        key_context("work", f"https://{FIXED_HOST}", fake_key(1)),
        key_context("old", f"https://{FIXED_HOST}", fake_key(2)),
        other_contexts(),
    )


# -- pictures ------------------------------------------------------------------------------------


def test_welcome_offers_the_import_when_qlik_cli_has_keys(
    snap_compare: SnapCompare, offline_services: Services, isolated_home: Path
) -> None:
    fixed_file(isolated_home)

    async def wait_for_offer(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert str(pilot.app.screen.query_one("#import-qlik-cli", Button).label) == (
            "Import 2 keys from qlik-cli"
        )

    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=wait_for_offer)


def showing_import_screen(
    then: Callable[[Pilot[Any], ImportQlikCliScreen], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def before(pilot: Pilot[Any]) -> None:
        screen = ImportQlikCliScreen(Path.home() / ".qlik" / "contexts.yml")
        await pilot.app.push_screen(screen)
        await settle(pilot)
        if then is not None:
            await then(pilot, screen)

    return before


def test_import_screen_lists_every_context(
    snap_compare: SnapCompare, offline_services: Services, isolated_home: Path
) -> None:
    fixed_file(isolated_home)
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=showing_import_screen())


def test_import_screen_shows_each_proof_and_what_was_stored(
    snap_compare: SnapCompare, offline_services: Services, isolated_home: Path
) -> None:
    contexts = read_contexts_file(fixed_file(isolated_home)).contexts

    async def finish(pilot: Pilot[Any], screen: ImportQlikCliScreen) -> None:
        work, old, sso, onprem = contexts
        results = [
            ImportResult(
                work,
                ImportStatus.IMPORTED,
                valid_report(PLAIN_USER).outcome,
                profile=replace(STORED, name="work"),
            ),
            ImportResult(
                old,
                ImportStatus.REJECTED,
                failed_report(OutcomeKind.KEY_REJECTED, http_status=401).outcome,
            ),
            ImportResult(sso, ImportStatus.SKIPPED, problem=sso.skip_reason),
            ImportResult(onprem, ImportStatus.SKIPPED, problem=onprem.skip_reason),
        ]
        screen.post_message(ImportFinished(results))
        await pilot.pause()

    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=(100, 40), run_before=showing_import_screen(finish))


# -- a real run ------------------------------------------------------------------------------------


@pytest.fixture
def real_services(tmp_path: Path, secret_store: SecretStore) -> Services:
    return make_services(tmp_path, secret_store)


def signature(key: str) -> str:
    return key.rsplit(".", 1)[1]


def everything_shown(pilot: Pilot[Any]) -> str:
    """The screen's texts plus every cell of the contexts table."""
    table = pilot.app.screen.query_one("#import-contexts", DataTable)
    cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    return screen_text(pilot) + "\n".join(cells)


async def test_import_from_the_welcome_stores_the_working_key_only(
    sandbox: SandboxTenant, real_services: Services, isolated_home: Path
) -> None:
    working, revoked, theirs, mine = (
        sandbox.issue_key(),
        sandbox.issue_key("revoked"),
        sandbox.issue_key(),
        sandbox.issue_key(),
    )
    store_profile(real_services, "taken", sandbox.origin, mine)
    path = write_home_contexts(
        isolated_home,
        key_context("work", sandbox.origin, working),
        key_context("old", sandbox.origin, revoked),
        key_context("taken", sandbox.origin, theirs),
        other_contexts(),
    )
    before = path.read_bytes()
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await click(pilot, "#import-qlik-cli")
        await settle(pilot)
        assert isinstance(app.screen, ImportQlikCliScreen)
        await click(pilot, "#import")
        await settle(pilot)
        shown = everything_shown(pilot)
        assert app.screen.finished
        assert "stored as profile 'work'" in shown
        assert "Key rejected (401)" in shown and "cause:" in shown
        assert "A profile named 'taken' already exists with another key" in shown
        assert "qlik context rm work" in shown
        for key in (working, revoked, theirs, mine):
            assert signature(key) not in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ImportQlikCliScreen)
    assert path.read_bytes() == before
    assert real_services.secrets.load("work").reveal() == working
    assert real_services.secrets.load("taken").reveal() == mine
    assert [p.name for p in real_services.profiles.all()] == ["taken", "work"]


async def test_test_only_stores_nothing(
    sandbox: SandboxTenant, real_services: Services, isolated_home: Path
) -> None:
    write_home_contexts(isolated_home, key_context("work", sandbox.origin, sandbox.issue_key()))
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.app.push_screen(ImportQlikCliScreen(Path.home() / ".qlik" / "contexts.yml"))
        await settle(pilot)
        await click(pilot, "#prove")
        await settle(pilot)
        assert "Key works; not stored (dry run)" in everything_shown(pilot)
    assert real_services.profiles.all() == []


async def test_a_broken_file_is_explained_with_its_line(
    offline_services: Services, isolated_home: Path
) -> None:
    path = isolated_home / ".qlik" / "contexts.yml"
    path.parent.mkdir(parents=True)
    path.write_text("contexts:\n  work: [unclosed\n")
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#import-qlik-cli")  # no offer for a broken file
        await pilot.app.push_screen(ImportQlikCliScreen(path))
        await settle(pilot)
        shown = screen_text(pilot)
        assert "The file cannot be used" in shown and "line 3" in shown
        assert app.screen.query_one("#import", Button).disabled
