"""The wizard's OAuth path: the screen's pictures at 80x24 (the guide, a refusal, a stored
proof) and a real run over the TLS sandbox and the real Secret Service: a practice-like client
proven and stored, a secret pasted into the ID field kept out of it, the secret never shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button

from qlik_tui.core.oauth import AccessToken
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome
from qlik_tui.services.context import Services
from qlik_tui.services.oauth_clients import ClientProof
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.oauth_client import ClientProven, OAuthClientScreen
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.secret_input import SecretInput
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.services import make_services
from tests.tui.helpers import PLAIN_USER, PinnedApp, click, paste, screen_text, settle

SIZE = (80, 24)
SnapCompare = Callable[..., bool]


def showing_oauth_screen(
    then: Callable[[Pilot[Any], OAuthClientScreen], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def before(pilot: Pilot[Any]) -> None:
        screen = OAuthClientScreen()
        await pilot.app.push_screen(screen)
        await settle(pilot)
        if then is not None:
            await then(pilot, screen)

    return before


async def scrolled_to_the_result(pilot: Pilot[Any], screen: OAuthClientScreen) -> None:
    """The body scrolled to its end once the result is laid out (the same frame every run)."""
    await pilot.pause()
    screen.query_one("#oauth-body").scroll_end(animate=False, immediate=True)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_the_oauth_step_shows_who_creates_a_client_and_the_fields(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=showing_oauth_screen())


def test_the_oauth_step_explains_a_refusal(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    async def refused(pilot: Pilot[Any], screen: OAuthClientScreen) -> None:
        outcome = make_outcome(
            OutcomeKind.OAUTH_CONSENT_NOT_TRUSTED,
            host="acme.eu.qlikcloud.com",
            detail="consent_required",
        )
        screen.post_message(ClientProven(ClientProof(outcome), None))
        await settle(pilot)
        await scrolled_to_the_result(pilot, screen)

    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=showing_oauth_screen(refused))


def test_the_oauth_step_shows_the_proof_and_where_it_was_stored(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    async def stored(pilot: Pilot[Any], screen: OAuthClientScreen) -> None:
        outcome = Outcome(OutcomeKind.VALID, http_status=200, context={"what": "Client"})
        # The lifetime shown is counted from now: a token minted now, for 360 minutes.
        expires = datetime.now(timezone.utc) + timedelta(minutes=360, seconds=20)
        token = AccessToken("t" * 40, expires, "user_default")
        proof = ClientProof(outcome, user=PLAIN_USER, token=token)
        screen.post_message(ClientProven(proof, "acme.eu.qlikcloud.com-client"))
        await settle(pilot)
        await scrolled_to_the_result(pilot, screen)

    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=showing_oauth_screen(stored))


@pytest.fixture
def real_services(tmp_path: Path, secret_store: SecretStore) -> Services:
    return make_services(tmp_path, secret_store)


async def test_a_client_is_proven_and_stored_from_the_welcome(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client("nightly reload")
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await click(pilot, "#oauth-client")
        await settle(pilot)
        assert isinstance(app.screen, OAuthClientScreen)
        app.screen.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        app.screen.query_one("#oauth-client-id", KeyRefusingInput).focus()
        await paste(pilot, secret)  # the secret, pasted where the ID belongs: kept out
        assert app.screen.query_one("#oauth-client-id", KeyRefusingInput).value == ""
        assert app.screen.query_one("#oauth-secret", SecretInput).value == secret
        assert "kept out of the client ID field" in screen_text(pilot)
        app.screen.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        await click(pilot, "#oauth-prove")
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Client works" in shown and "Bot user: nightly reload" in shown
        assert "access tokens live 360 min, scope user_default" in shown
        assert "Stored as profile" in shown
        assert secret not in shown
        assert not app.screen.query_one("#oauth-prove", Button).disabled
    [profile] = real_services.profiles.all()
    assert profile.is_oauth_client and profile.client_id == client_id
    assert real_services.secrets.load_client_secret(profile.name).reveal() == secret


async def test_a_refused_client_is_explained_and_not_stored(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    sandbox.oauth_client(client_id).m2m = False
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(OAuthClientScreen())
        await settle(pilot)
        screen = app.screen
        screen.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        screen.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        screen.query_one("#oauth-secret", SecretInput).value = secret
        await click(pilot, "#oauth-prove")
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Machine-to-machine not enabled on the client" in shown
        assert "Nothing was stored." in shown and secret not in shown
    assert real_services.profiles.all() == []


async def test_the_demo_offers_a_practice_client_that_proves_and_stores(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    app = PinnedApp(real_services, start="setup", sandbox=sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await click(pilot, "#oauth-client")
        await settle(pilot)
        await click(pilot, "#oauth-practice")
        client_id = app.screen.query_one("#oauth-client-id", KeyRefusingInput).value
        assert app.screen.query_one("#oauth-tenant", KeyRefusingInput).value == sandbox.origin
        await click(pilot, "#oauth-prove")
        await settle(pilot)
        shown = screen_text(pilot)
        assert "Bot user: practice client" in shown and "Stored as profile" in shown
    [profile] = real_services.profiles.all()
    assert profile.client_id == client_id and profile.is_oauth_client


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_the_dashboard_shows_the_kind_and_the_client_id(offline_services: Services) -> None:
    from qlik_tui.store.profiles import Profile
    from tests.tui.helpers import open_dashboard, table_of

    client_id = "0123456789abcdef0123456789abcdef"
    offline_services.profiles.put(Profile(name="work", origin="https://acme.eu.qlikcloud.com"))
    offline_services.profiles.put(
        Profile(
            name="robot",
            origin="https://acme.eu.qlikcloud.com",
            kind="oauth-client",
            client_id=client_id,
        )
    )
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=(160, 24)) as pilot:
        await open_dashboard(pilot)
        robot, work = table_of(app).cell_texts("robot"), table_of(app).cell_texts("work")
        assert robot["kind"] == "oauth-client" and work["kind"] == "api-key"
        assert robot["key_id"].startswith(client_id[:6])


async def test_the_dashboard_renews_a_client_secret(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    from tests.cli.helpers import token_posts
    from tests.tui.helpers import renew_selected, text_of

    client_id, secret = sandbox.create_oauth_client("nightly reload")
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(OAuthClientScreen())
        await settle(pilot)
        screen = app.screen
        screen.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        screen.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        screen.query_one("#oauth-secret", SecretInput).value = secret
        await click(pilot, "#oauth-prove")
        await settle(pilot)
    assert token_posts(sandbox) == 1
    [old_hint] = sandbox.secret_hints(client_id)
    app = PinnedApp(real_services, start="dashboard")
    async with app.run_test(size=(100, 40)) as pilot:
        modal = await renew_selected(pilot)
        await settle(pilot)
        assert modal.result is not None and modal.result.renewed
        steps = text_of(pilot, "#renew-steps")
        assert "Create a new client secret" in steps and "Delete the old secret" in steps
        heading = text_of(pilot, "#renew-heading")
        assert heading.startswith("✓ Renewed: profile") and "holds the new client secret" in heading
        assert secret not in screen_text(pilot)
    [new_hint] = sandbox.secret_hints(client_id)
    assert new_hint != old_hint
    [profile] = real_services.profiles.all()
    assert real_services.secrets.load_client_secret(profile.name).reveal() != secret
