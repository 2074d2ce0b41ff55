"""The wizard's OAuth path, step by step: 2 create a client (the console steps, a message for
the admin), 3 enter tenant, client ID and secret (masked, normalised, a secret kept out of the
ID field), 4 prove (mint a token, read /users/me with it; cancellable; a refusal explained and
the secret kept for a retry or a fix) and store (the shared store panel), 5 done.

Each step's picture at 80x24, and real runs over the TLS sandbox and the real Secret Service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from qlik_tui.core.oauth import AccessToken, OAuthClientRecord, SecretHint
from qlik_tui.core.outcomes import Outcome, OutcomeKind, make_outcome
from qlik_tui.services.context import Services
from qlik_tui.services.oauth_clients import ClientProof
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import ACCESS_TOKEN_SERVICE, SecretStore
from qlik_tui.tui.app import QUIT_WITH_SECRET_QUESTION
from qlik_tui.tui.host import ClientStep
from qlik_tui.tui.screens.client_create import ClientCreateScreen
from qlik_tui.tui.screens.client_done import ClientDoneScreen
from qlik_tui.tui.screens.client_enter import ClientEnterScreen
from qlik_tui.tui.screens.client_prove import PROVE_GROUP, ClientProveScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.proof_step import ProofMode
from qlik_tui.tui.screens.welcome import WelcomeScreen
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from qlik_tui.tui.widgets.secret_input import SecretInput
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.services import make_services
from tests.tui.helpers import (
    FIXED_HOST,
    PLAIN_USER,
    PinnedApp,
    SnapCompare,
    assert_focus_stops_visible,
    assert_in_view,
    click,
    fixed_tenant,
    paste,
    screen_text,
    settle,
    text_of,
)

SIZE = (80, 24)
CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET = "s3cr3t-" + "A1b2C3d4" * 7  # a client secret's shape (long, random-looking)


# -- the pictures: one per step, at 80x24 (offline: nothing is sent) ---------------------------


def on_client_step(
    step: ClientStep,
    *,
    fields: tuple[str, str, str] | None = None,
    proof: ClientProof | None = None,
    profile: Profile | None = None,
    then: Callable[[Pilot[Any]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Show OAuth step ``step`` with a fixed tenant and what the state holds by then."""

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, PinnedApp)
        app.state.set_tenant(fixed_tenant(), FIXED_HOST, confirmed=False)
        client = app.state.client
        if fields is not None:
            client.set_fields(*fields)
        client.proof = proof  # a proof in the state is shown, not run again
        if profile is not None:
            client.profile = profile
            client.storage_description = "SecretService Keyring"
        app.go_to_client_step(step)
        await settle(pilot)
        if then is not None:
            await then(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is caught on or off by chance
        await pilot.pause()

    return before


def proven(*, with_record: bool = True) -> ClientProof:
    outcome = Outcome(
        OutcomeKind.VALID,
        http_status=200,
        latency_ms=84,
        context={"host": FIXED_HOST, "what": "Client"},
    )
    # The lifetime shown is counted from now: a token minted now, for 360 minutes.
    expires = datetime.now(timezone.utc) + timedelta(minutes=360, seconds=20)
    token = AccessToken("t" * 40, expires, "user_default")
    record = OAuthClientRecord(CLIENT_ID, "nightly reload", (SecretHint("a1b2"),))
    return ClientProof(
        outcome, user=PLAIN_USER, token=token, client=record if with_record else None
    )


ENTERED = (FIXED_HOST, CLIENT_ID, SECRET)


def test_oauth_step_2_shows_what_a_client_is_and_how_an_admin_creates_one(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=on_client_step(ClientStep.CREATE))


def test_oauth_step_3_waits_for_the_client_id_and_secret(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    assert snap_compare(app, terminal_size=SIZE, run_before=on_client_step(ClientStep.ENTER))


def test_oauth_step_3_checks_each_field_with_the_secret_masked(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = on_client_step(ClientStep.ENTER, fields=ENTERED)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_oauth_step_3_keeps_a_secret_out_of_the_client_id_field(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    async def pasted_into_the_id(pilot: Pilot[Any]) -> None:
        await paste(pilot, SECRET)  # the ID field has the focus

    app = PinnedApp(offline_services, start="setup")
    before = on_client_step(ClientStep.ENTER, then=pasted_into_the_id)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_oauth_step_4_shows_the_proof_and_the_store_form(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = on_client_step(ClientStep.PROVE, fields=ENTERED, proof=proven())
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_oauth_step_4_explains_a_refusal_and_offers_the_fixes(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = on_client_step(ClientStep.PROVE, fields=ENTERED, proof=REFUSED)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_oauth_step_5_says_how_scripts_get_tokens_and_how_to_recheck(
    snap_compare: SnapCompare, offline_services: Services
) -> None:
    app = PinnedApp(offline_services, start="setup")
    before = on_client_step(ClientStep.DONE, fields=ENTERED, profile=STORED_CLIENT)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


REFUSED = ClientProof(
    make_outcome(OutcomeKind.OAUTH_M2M_NOT_ENABLED, tenant=fixed_tenant(), http_status=400)
)
STORED_CLIENT = Profile(
    name="acme.eu.qlikcloud.com-client",
    origin=f"https://{FIXED_HOST}",
    kind="oauth-client",
    client_id=CLIENT_ID,
    user_name="nightly reload",
    backend="SecretService Keyring",
)
# Each OAuth step at 80x24: the widgets it must show whole, unscrolled (its action and the
# decision it asks for).
IN_VIEW: dict[str, tuple[Callable[[Pilot[Any]], Awaitable[None]], tuple[str, ...]]] = {
    "create": (on_client_step(ClientStep.CREATE), ("#next",)),
    "enter-empty": (
        on_client_step(ClientStep.ENTER),
        ("#oauth-tenant", "#oauth-client-id", "#oauth-secret", "#client-status"),
    ),
    "enter-complete": (
        on_client_step(ClientStep.ENTER, fields=ENTERED),
        ("#oauth-client-id", "#oauth-secret", "#client-status", "#next"),
    ),
    "prove-passed": (
        on_client_step(ClientStep.PROVE, fields=ENTERED, proof=proven()),
        ("#outcome", "#profile-name", "#next"),
    ),
    "prove-refused": (
        on_client_step(ClientStep.PROVE, fields=ENTERED, proof=REFUSED),
        ("#outcome", "#retry", "#change-client", "#how-to"),
    ),
    "done": (
        on_client_step(ClientStep.DONE, fields=ENTERED, profile=STORED_CLIENT),
        ("#dashboard", "#quit", ".command"),
    ),
}


@pytest.mark.parametrize("name", list(IN_VIEW))
async def test_each_oauth_step_shows_its_action_and_decision_at_80x24(
    name: str, offline_services: Services
) -> None:
    before, selectors = IN_VIEW[name]
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await before(pilot)
        assert_in_view(app, selectors, f"{name}: ")
        await assert_focus_stops_visible(pilot, name)


# -- real runs: the TLS sandbox and the real Secret Service ------------------------------------


@pytest.fixture
def real_services(tmp_path: Path, secret_store: SecretStore) -> Services:
    return make_services(tmp_path, secret_store)


def fixed_host_of(sandbox: FaultySandbox) -> str:
    from qlik_tui.core.tenant import parse_tenant

    return parse_tenant(sandbox.origin).display_host


def profile_name_of(app: PinnedApp) -> str:
    profile = app.state.client.profile
    assert profile is not None
    return profile.name


def heading(pilot: Pilot[Any]) -> str:
    return text_of(pilot, "#result .outcome-heading")


def secret_field(pilot: Pilot[Any]) -> SecretInput:
    return pilot.app.screen.query_one("#oauth-secret", SecretInput)


async def enter_client(pilot: Pilot[Any], origin: str, client_id: str, secret: str) -> None:
    """On step 3: the tenant typed, the secret and the ID pasted into their fields."""
    screen = pilot.app.screen
    assert isinstance(screen, ClientEnterScreen)
    screen.query_one("#oauth-tenant", KeyRefusingInput).value = origin
    secret_field(pilot).focus()
    await pilot.pause()
    await paste(pilot, secret)
    screen.query_one("#oauth-client-id", KeyRefusingInput).focus()
    await pilot.pause()
    await paste(pilot, client_id)


async def test_a_client_goes_through_every_step_and_is_stored(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client("nightly reload")
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await click(pilot, "#oauth-client")
        assert isinstance(app.screen, ClientCreateScreen)
        assert "Step 2 of 5" in screen_text(pilot)
        assert "Machine-to-machine" in screen_text(pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ClientEnterScreen)
        assert app.screen.query_one("#next", Button).disabled  # nothing entered yet
        app.screen.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        await paste(pilot, f'  "{secret}"\n')  # into the ID field: kept out, moved, normalised
        assert app.screen.query_one("#oauth-client-id", KeyRefusingInput).value == ""
        assert "kept out of the client ID field" in screen_text(pilot)
        await paste(pilot, client_id)
        shown = screen_text(pilot)
        assert f"Secret: {len(secret)} characters, masked" in shown and secret not in shown
        await pilot.press("enter")  # Enter in a complete form: prove it

        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientProveScreen)
        assert "Client works" in heading(pilot)
        shown = screen_text(pilot)
        assert "nightly reload" in shown and "TenantAdmin" in shown
        assert "access tokens live 360 min, scope user_default" in shown
        assert secret not in shown
        screen.query_one("#profile-name", Input).value = "nightly"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
        shown = screen_text(pilot)
        assert "The client secret is stored and proven to work" in shown
        assert "qlik-tui token nightly" in shown and "qlik-tui check nightly" in shown
        assert secret not in shown
        assert not app.state.key_at_risk
    profile = real_services.profiles.get("nightly")
    assert profile is not None and profile.is_oauth_client and profile.client_id == client_id
    assert real_services.secrets.load_client_secret("nightly").reveal() == secret
    # The proof's token serves the first `token`: cached, with its expiry.
    assert real_services.secrets.read_text("nightly", ACCESS_TOKEN_SERVICE)


async def test_a_refused_proof_keeps_the_secret_for_a_fix_and_a_retry(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client("nightly reload")
    client = sandbox.oauth_client(client_id)
    client.m2m = False  # the admin forgot to tick Machine-to-machine
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to_client_step(ClientStep.ENTER)
        await pilot.pause()
        await enter_client(pilot, sandbox.origin, client_id, "wrong-" + secret[6:])
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "Client secret rejected (401)" in heading(pilot)

        await click(pilot, "#change-client")  # back to step 3: every field as it was
        assert isinstance(app.screen, ClientEnterScreen)
        assert secret_field(pilot).value == "wrong-" + secret[6:]
        secret_field(pilot).value = ""
        secret_field(pilot).focus()
        await pilot.pause()
        await paste(pilot, secret)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "Machine-to-machine not enabled on the client" in heading(pilot)
        assert app.state.key_at_risk  # not stored: quitting asks
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert QUIT_WITH_SECRET_QUESTION in text_of(pilot, ".dialog-question")
        await pilot.press("escape")  # stay
        await pilot.pause()

        client.m2m = True  # the admin fixed the client
        await click(pilot, "#retry")
        await settle(pilot)
        assert "Client works" in heading(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
        assert secret not in screen_text(pilot)
    [profile] = real_services.profiles.all()
    assert real_services.secrets.load_client_secret(profile.name).reveal() == secret


async def test_escape_cancels_a_slow_proof_and_keeps_the_secret(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    sandbox.set_fault("slow", delay=30.0)
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        app.state.client.set_fields(sandbox.origin, client_id, secret)
        app.go_to_client_step(ClientStep.PROVE)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClientProveScreen)
        assert screen.mode is ProofMode.RUNNING
        assert "Esc cancels" in text_of(pilot, "#elapsed")
        (worker,) = [w for w in app.workers if w.group == PROVE_GROUP]
        host = fixed_host_of(sandbox)
        assert worker.description == f"Proving an OAuth client on {host}"
        assert secret not in worker.description
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientProveScreen)  # Esc cancelled; it did not go back
        assert "Cancelled" in heading(pilot)
        assert app.state.client.secret_text == secret and app.state.key_at_risk
        sandbox.clear_faults()
        await click(pilot, "#retry")
        await settle(pilot)
        assert "Client works" in heading(pilot)


async def test_a_secret_the_keyring_refuses_can_be_written_to_a_file(
    sandbox: FaultySandbox, offline_services: Services, tmp_path: Path
) -> None:
    client_id, secret = sandbox.create_oauth_client()
    rescue = tmp_path / "client-secret.txt"
    app = PinnedApp(offline_services, start="setup")  # no keyring backend: storing fails
    async with app.run_test(size=(100, 40)) as pilot:
        app.state.client.set_fields(sandbox.origin, client_id, secret)
        app.go_to_client_step(ClientStep.PROVE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Storing failed: the client secret is not stored" in screen_text(pilot)
        assert app.state.client.secret_text == secret  # still here
        await click(pilot, "#rescue")
        app.screen.query_one("#rescue-path", Input).value = str(rescue)
        await click(pilot, "#rescue-write")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
        shown = screen_text(pilot)
        assert "--oauth-client-id" in shown and "--with-secret" in shown
        assert not app.state.key_at_risk
    assert rescue.read_text() == secret + "\n"
    assert oct(rescue.stat().st_mode & 0o777) == "0o600"


async def test_the_demo_offers_a_practice_client_that_proves_and_stores(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    app = PinnedApp(real_services, start="setup", sandbox=sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.go_to_client_step(ClientStep.ENTER)
        await pilot.pause()
        await click(pilot, "#oauth-practice")
        client_id = app.screen.query_one("#oauth-client-id", KeyRefusingInput).value
        assert app.screen.query_one("#oauth-tenant", KeyRefusingInput).value == sandbox.origin
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "practice client" in screen_text(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
        shown = screen_text(pilot)  # no command can use a demo profile: a real one's instead
        assert "qlik-tui token NAME" in shown
        assert profile_name_of(app) not in text_of(pilot, ".command")
    [profile] = real_services.profiles.all()
    assert profile.client_id == client_id and profile.is_oauth_client


async def test_back_from_the_first_oauth_step_is_the_welcome(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await click(pilot, "#oauth-client")
        assert isinstance(app.screen, ClientCreateScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


@pytest.mark.usefixtures("no_recheck_on_open")
async def test_the_dashboard_shows_the_kind_and_the_client_id(offline_services: Services) -> None:
    from tests.tui.helpers import open_dashboard, table_of

    offline_services.profiles.put(Profile(name="work", origin="https://acme.eu.qlikcloud.com"))
    offline_services.profiles.put(
        Profile(
            name="robot",
            origin="https://acme.eu.qlikcloud.com",
            kind="oauth-client",
            client_id=CLIENT_ID,
        )
    )
    app = PinnedApp(offline_services, start="dashboard")
    async with app.run_test(size=(160, 24)) as pilot:
        await open_dashboard(pilot)
        robot, work = table_of(app).cell_texts("robot"), table_of(app).cell_texts("work")
        assert robot["kind"] == "oauth-client" and work["kind"] == "api-key"
        assert robot["key_id"].startswith(CLIENT_ID[:6])


async def test_the_dashboard_renews_a_client_secret(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    from tests.cli.helpers import token_posts
    from tests.tui.helpers import renew_selected

    client_id, secret = sandbox.create_oauth_client("nightly reload")
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        app.state.client.set_fields(sandbox.origin, client_id, secret)
        app.go_to_client_step(ClientStep.PROVE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
    assert token_posts(sandbox) == 1
    [old_hint] = sandbox.secret_hints(client_id)
    app = PinnedApp(real_services, start="dashboard")
    async with app.run_test(size=(100, 40)) as pilot:
        modal = await renew_selected(pilot)
        await settle(pilot)
        assert modal.result is not None and modal.result.renewed
        steps = text_of(pilot, "#renew-steps")
        assert "Create a new client secret" in steps and "Delete the old secret" in steps
        heading_text = text_of(pilot, "#renew-heading")
        assert heading_text.startswith("✓ Renewed: profile")
        assert "holds the new client secret" in heading_text
        assert secret not in screen_text(pilot)
    [new_hint] = sandbox.secret_hints(client_id)
    assert new_hint != old_hint
    [profile] = real_services.profiles.all()
    assert real_services.secrets.load_client_secret(profile.name).reveal() != secret


async def test_going_back_and_on_keeps_the_pasted_secret(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to_client_step(ClientStep.ENTER)
        await pilot.pause()
        secret_field(pilot).focus()
        await pilot.pause()
        await paste(pilot, SECRET)
        await pilot.press("escape")  # back to step 2
        await pilot.pause()
        assert isinstance(app.screen, ClientCreateScreen)
        assert app.state.key_at_risk  # held: quitting would ask
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ClientEnterScreen)
        assert secret_field(pilot).value == SECRET
        assert SECRET not in screen_text(pilot)


async def test_an_api_key_pasted_into_a_client_field_is_offered_to_the_key_path(
    sandbox: FaultySandbox, offline_services: Services
) -> None:
    key = sandbox.issue_key("valid")
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to_client_step(ClientStep.ENTER)
        await pilot.pause()
        await paste(pilot, key)  # into the client ID field
        assert isinstance(app.screen, ConfirmModal)  # carry it over, or discard it
        assert key not in screen_text(pilot)
        await pilot.press("escape")  # the safe answer: carry it over
        await pilot.pause()
        assert app.state.key_text == key  # waiting on the key path's paste step
        screen = app.screen
        assert isinstance(screen, ClientEnterScreen)
        assert screen.query_one("#oauth-client-id", KeyRefusingInput).value == ""
        assert secret_field(pilot).value == ""  # an API key is not a client secret


async def test_a_host_that_is_not_qlik_cloud_gets_the_secret_only_when_confirmed(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.client.set_fields("qlik.example.com", CLIENT_ID, SECRET)
        app.go_to_client_step(ClientStep.PROVE)  # straight to the proof: sent back first
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ClientEnterScreen)
        assert app.screen.query_one("#next", Button).disabled
        assert "not a Qlik Cloud hostname" in screen_text(pilot)
        await click(pilot, "#oauth-tenant-confirm")
        assert not app.screen.query_one("#next", Button).disabled
        app.screen.query_one("#oauth-tenant", KeyRefusingInput).value = "other.example.com"
        await pilot.pause()
        assert app.screen.query_one("#next", Button).disabled  # confirmed for one host only


async def test_storing_a_client_again_asks_before_sharing_or_replacing(
    sandbox: FaultySandbox, real_services: Services
) -> None:
    client_id, secret = sandbox.create_oauth_client("nightly reload")
    app = PinnedApp(real_services, start="setup")
    async with app.run_test(size=(100, 40)) as pilot:
        app.state.client.set_fields(sandbox.origin, client_id, secret)
        for name in ("nightly", "laptop", "nightly"):
            app.go_to_client_step(ClientStep.PROVE)
            await settle(pilot)
            app.screen.query_one("#profile-name", Input).value = name
            await pilot.press("ctrl+s")
            await settle(pilot)
            if name == "nightly" and isinstance(app.screen, ClientDoneScreen):
                continue  # the first store: nothing to ask
            assert isinstance(app.screen, ConfirmModal)
            question = text_of(pilot, ".dialog-question")
            if name == "laptop":  # another profile holds this client
                assert f'Client {client_id} is already stored in profile "nightly"' in question
            else:  # the name is taken
                assert f"already holds client {client_id}" in question
                assert "Replace it with this client secret" in question
            assert secret not in screen_text(pilot)
            await pilot.press("escape")  # don't store it / keep both: nothing replaced
            await settle(pilot)
    assert [p.name for p in real_services.profiles.all()] == ["nightly"]
    assert real_services.secrets.load_client_secret("nightly").reveal() == secret


async def test_a_secret_pasted_into_the_tenant_field_is_kept_out_of_it(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to_client_step(ClientStep.ENTER)
        await pilot.pause()
        tenant = app.screen.query_one("#oauth-tenant", KeyRefusingInput)
        tenant.focus()
        await pilot.pause()
        await paste(pilot, SECRET)
        assert tenant.value == ""
        assert secret_field(pilot).value == SECRET
        shown = screen_text(pilot)
        assert "kept out of the tenant field" in shown and SECRET not in shown
