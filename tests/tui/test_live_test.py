"""Step 6 against the TLS sandbox: every failure is shown with its outcome-table title, the UI
keeps working while waiting, Esc cancels, and the key survives every failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme
from textual.widgets import Button

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.client import ClientSettings
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from qlik_tui.tui.screens.live_test import LIVE_TEST_GROUP, LiveTestMode, LiveTestScreen
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.tenant import TenantScreen
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.ports import refused_port
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.tls import server_context
from tests.tui.helpers import PinnedApp, click, screen_text, settle, text_of


def start_live_test(app: PinnedApp, origin: str, key: ApiKey) -> None:
    app.state.set_tenant(parse_tenant(origin), origin, confirmed=False)
    app.state.set_key(key)
    app.go_to_step(6)


def heading(pilot: Any) -> str:
    return text_of(pilot, ".outcome-heading")


def _fault(name: str, **params: Any) -> Callable[[FaultySandbox], None]:
    def arrange(sandbox: FaultySandbox) -> None:
        sandbox.set_fault(name, **params)

    return arrange


def _no_fault(sandbox: FaultySandbox) -> None:
    return None


FAILURES = [
    # (name, key kind, arrange the sandbox, expected kind, expected title)
    ("revoked", "revoked", _no_fault, OutcomeKind.KEY_REJECTED, "Key rejected (401)"),
    ("expired", "expired", _no_fault, OutcomeKind.KEY_REJECTED, "Key rejected (401)"),
    ("403", "valid", _fault("forbidden_me"), OutcomeKind.FORBIDDEN, "Not allowed (403)"),
    ("404", "valid", _fault("not_found"), OutcomeKind.NOT_FOUND, "Not found (404)"),
    ("500", "valid", _fault("status_500"), OutcomeKind.SERVER_ERROR, "Server error (500)"),
    ("html-502", "valid", _fault("html_502"), OutcomeKind.SERVER_ERROR, "Server error (502)"),
    (
        "malformed",
        "valid",
        _fault("malformed_json", path="/api/v1/users/"),
        OutcomeKind.MALFORMED_RESPONSE,
        "Unexpected answer",
    ),
]


@pytest.mark.parametrize(
    ("key_kind", "arrange", "kind", "title"),
    [pytest.param(*row[1:], id=row[0]) for row in FAILURES],
)
async def test_failures_show_the_outcome_title_and_keep_the_key(
    sandbox: FaultySandbox,
    offline_services: Services,
    key_kind: str,
    arrange: Callable[[FaultySandbox], None],
    kind: OutcomeKind,
    title: str,
) -> None:
    arrange(sandbox)
    key = parse_key(sandbox.issue_key(key_kind))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, key)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LiveTestScreen)
        assert screen.outcome is not None and screen.outcome.kind is kind
        assert title in heading(pilot)
        shown = screen_text(pilot)
        assert screen.outcome.cause in shown and screen.outcome.next_step in shown
        for action in ("#retry", "#change-tenant", "#paste-another"):
            assert app.screen.query_one(action, Button)
        assert app.screen.query_one("#next", Button).disabled  # nothing to store
        assert app.state.key == key
        assert key.reveal() not in shown


async def test_other_tenant_is_named_when_the_tenant_id_is_known(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    # A first valid login on the same origin taught us this tenant's id.
    offline_services.profiles.put(
        Profile(
            name="earlier",
            origin=sandbox.origin,
            key_tenant_id=sandbox.tenant_id,
            last_outcome=OutcomeKind.VALID.value,
        )
    )
    key = parse_key(sandbox.issue_key("other-tenant"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, key)
        await settle(pilot)
        assert "Key is for another tenant (401)" in heading(pilot)
        shown = screen_text(pilot)
        assert sandbox.tenant_id in shown
        assert key.info.tenant_id is not None and key.info.tenant_id in shown


async def test_rate_limit_then_success(sandbox: FaultySandbox, offline_services: Services) -> None:
    sandbox.set_fault("rate_limit", count=1, retry_after=1, path="/api/v1/users/")
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, parse_key(sandbox.issue_key("valid")))
        await settle(pilot)
        assert "Key works" in heading(pilot)
        assert "waiting out rate limits" in screen_text(pilot)
    assert [r.status for r in sandbox.requests if r.path.startswith("/api/v1/users/")][:1] == [429]


async def test_timeout(sandbox: FaultySandbox, tmp_path: Path, offline_services: Services) -> None:
    offline_services.client_settings = ClientSettings(connect_timeout=2.0, read_timeout=0.3)
    sandbox.set_fault("slow", delay=5.0)
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, parse_key(sandbox.issue_key("valid")))
        await settle(pilot)
        assert "Timed out" in heading(pilot)


async def test_offsite_redirect_is_not_followed(
    sandbox: FaultySandbox, offsite_recorder: OffsiteRecorder, offline_services: Services
) -> None:
    sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
    key = parse_key(sandbox.issue_key("valid"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, key)
        await settle(pilot)
        assert "Redirected to another host" in heading(pilot)
    assert offsite_recorder.requests == []


@pytest.fixture
def closed_port() -> int:
    return refused_port()


async def test_connection_refused(closed_port: int, offline_services: Services) -> None:
    from tests.tui.helpers import fixed_key

    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, f"https://127.0.0.1:{closed_port}", fixed_key())
        await settle(pilot)
        assert "Connection refused" in heading(pilot)


async def test_untrusted_certificate(offline_services: Services) -> None:
    stranger = trustme.CA()  # not the CA in SSL_CERT_FILE
    with FaultySandbox(ssl_context=server_context(stranger, "127.0.0.1")) as untrusted:
        key = parse_key(untrusted.issue_key("valid"))
        app = PinnedApp(offline_services, start="setup")
        async with app.run_test(size=(80, 24)) as pilot:
            start_live_test(app, untrusted.origin, key)
            await settle(pilot)
            assert "Secure connection not trusted (TLS)" in heading(pilot)
        assert all(not r.authorization for r in untrusted.requests)


async def test_escape_cancels_a_slow_test_and_retry_works(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    sandbox.set_fault("slow", delay=30.0)
    key = parse_key(sandbox.issue_key("valid"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, key)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LiveTestScreen)
        assert screen.mode is LiveTestMode.RUNNING
        assert screen.query_one("#spinner").display
        assert "Esc cancels" in text_of(pilot, "#elapsed")
        (worker,) = [w for w in app.workers if w.group == LIVE_TEST_GROUP]
        host = parse_tenant(sandbox.origin).display_host
        assert worker.description == f"Live test of the API key against {host}"
        assert key.reveal() not in worker.description

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LiveTestScreen)  # Esc cancelled; it did not go back
        assert "Cancelled" in heading(pilot)
        assert app.state.key == key

        sandbox.clear_faults()
        await click(pilot, "#retry")
        await settle(pilot)
        assert "Key works" in heading(pilot)
        assert app.state.report is not None


async def test_failure_actions_lead_back_with_the_key(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    key = parse_key(sandbox.issue_key("revoked"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, key)
        await settle(pilot)
        await click(pilot, "#paste-another")
        assert isinstance(app.screen, PasteScreen)
        assert app.state.key == key  # kept until another key replaces it
        await pilot.press("ctrl+n")
        await settle(pilot)
        await click(pilot, "#change-tenant")
        assert isinstance(app.screen, TenantScreen)
        assert app.state.key == key


async def test_escape_goes_back_once_the_result_is_shown(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        start_live_test(app, sandbox.origin, parse_key(sandbox.issue_key("valid")))
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, PasteScreen)
        await pilot.press("ctrl+n")  # the same key and tenant: the result is shown, not re-run
        await pilot.pause()
        assert "Key works" in heading(pilot)
        assert [w for w in app.workers if w.group == LIVE_TEST_GROUP] == []
