"""Leak matrix for OAuth clients, CLI side: login, list, check, token, exec, rotate, import and
forget run as real processes with a sentinel client secret and sentinel access tokens; every
output, argument list and file written is searched for them, and another origin must see
nothing (a redirect of the token request is not followed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from textual.widgets import Static

import qlik_tui.sandbox.tenant as sandbox_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.secrets import CLIENT_SECRET_SERVICE, SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.client_done import ClientDoneScreen
from qlik_tui.tui.screens.client_enter import ClientEnterScreen
from qlik_tui.tui.widgets.key_refusing_input import KeyRefusingInput
from tests.cli.helpers import oauth_context, write_contexts
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.keyring_daemon import SecretServiceSession
from tests.fixtures.recording import OffsiteRecorder
from tests.security.leaks import Observed, config_profiles, run
from tests.security.tui_spies import install_spies, svg_text
from tests.tui.helpers import click, paste, screen_text, settle

SECRET = "5e7e1c11e27-sentinel-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TOKEN_PREFIX = "eyJhbGciOiJFUzM4NCJ9.eyJzZW50aW5lbCI6InRva2VuIn0.SENTINELTOKEN"


def leaks(observed: Observed, *secrets: str) -> list[str]:
    return [where for where, text in observed.texts.items() if any(s in text for s in secrets)]


def test_oauth_flows_never_show_or_write_the_secret_or_a_token(
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    secret_service_env: SecretServiceSession,
    secret_store: object,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = itertools.count()
    minted: list[str] = []

    def sentinel_token(token_id: str, tenant_id: str, sub: str, signature: bytes) -> str:
        text = f"{TOKEN_PREFIX}{next(counter):04d}"
        minted.append(text)
        return text

    monkeypatch.setattr(sandbox_tenant, "access_token_text", sentinel_token)
    client_id, _ = sandbox.create_oauth_client("leak test")
    sandbox.oauth_client(client_id).secrets[0].value = SECRET
    observed = Observed()
    login = ["login", "--tenant", sandbox.origin, "--oauth-client-id", client_id, "--with-secret"]

    assert run(observed, "login", *login, "--name", "leak", stdin=f"{SECRET}\n") == 0
    assert run(observed, "login-wrong", *login, "--name", "x", stdin=SECRET[::-1]) == 1
    assert run(observed, "login-id-is-secret", *login[:4], SECRET, "--with-secret") == 2
    observed.texts.pop("argv:login-id-is-secret")  # we put it there on purpose
    assert run(observed, "list", "list") == 0
    assert run(observed, "list-json", "list", "--json") == 0
    assert run(observed, "check", "check") == 0
    assert run(observed, "check-json", "check", "--json") == 0
    assert run(observed, "token", "token", "leak") == 0
    handed = observed.texts.pop("stdout:token").strip()  # the one place a token belongs
    assert handed in minted
    assert run(observed, "exec", "exec", "leak", "--", "true") == 0

    sandbox.set_fault("offsite_redirect", path="/oauth/token", target=offsite_recorder.origin)
    assert run(observed, "login-offsite", *login, "--name", "y", stdin=SECRET) == 3
    sandbox.clear_faults()

    contexts = write_contexts(
        tmp_path / "elsewhere" / "contexts.yml",
        oauth_context("imported", sandbox.origin, SECRET, client_id),
    )
    assert run(observed, "import", "import", "qlik-cli", "--file", str(contexts), "--all") == 0
    assert run(observed, "rotate", "rotate", "leak") == 0
    assert run(observed, "rotate-json", "rotate", "imported", "--json") in (0, 5)

    from keyring.backends import SecretService

    renewed = SecretService.Keyring().get_password(CLIENT_SECRET_SERVICE, "leak")
    assert renewed is not None and renewed != SECRET
    assert run(observed, "forget", "forget", "leak") == 0

    files = observed.add_tree(isolated_home, label="home")
    assert files >= 1
    assert offsite_recorder.requests == []
    assert len(minted) >= 3
    assert leaks(observed, SECRET, renewed, *minted) == []
    observed.add("planted", f"x{minted[-1]}x")
    assert leaks(observed, SECRET, renewed, *minted) == ["planted"]


async def test_the_oauth_screen_never_shows_or_hands_out_the_secret_or_token(
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    secret_store: SecretStore,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    minted: list[str] = []

    def sentinel_token(token_id: str, tenant_id: str, sub: str, signature: bytes) -> str:
        minted.append(f"{TOKEN_PREFIX}{len(minted):04d}")
        return minted[-1]

    monkeypatch.setattr(sandbox_tenant, "access_token_text", sentinel_token)
    client_id, _ = sandbox.create_oauth_client("leak test")
    sandbox.oauth_client(client_id).secrets[0].value = SECRET
    services = Services(secrets=secret_store, profiles=config_profiles(isolated_home))
    spies = install_spies(monkeypatch)
    observed = Observed()
    app = QlikTuiApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await click(pilot, "#oauth-client")
        await pilot.press("ctrl+n")  # step 3: the client's fields
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClientEnterScreen)
        screen.query_one("#oauth-tenant", KeyRefusingInput).value = sandbox.origin
        screen.query_one("#oauth-client-id", KeyRefusingInput).focus()
        await pilot.pause()
        await paste(pilot, SECRET)  # into the ID field: kept out, moved to the masked field
        observed.add("svg:after-paste", svg_text(app.export_screenshot()))
        screen.query_one("#oauth-client-id", KeyRefusingInput).value = client_id
        await pilot.pause()
        sandbox.set_fault("offsite_redirect", count=1, path="/oauth/token",
                          target=offsite_recorder.origin)  # fmt: skip
        await pilot.press("ctrl+n")  # step 4: the proof
        await settle(pilot)
        observed.add("svg:redirected", svg_text(app.export_screenshot()))
        assert "not followed" in screen_text(pilot) or "redirect" in screen_text(pilot)
        await click(pilot, "#retry")  # the secret was kept
        await settle(pilot)
        observed.add("svg:proven", svg_text(app.export_screenshot()))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientDoneScreen)
        observed.add("svg:stored", svg_text(app.export_screenshot()))
        observed.add("screen:stored", screen_text(pilot))
        assert "The client secret is stored" in screen_text(pilot)
        for number, text in enumerate(app.screen.query(Static)):
            observed.add(f"static:{number}", str(text.content))
    spies.report_to(observed, "oauth")
    observed.add_tree(isolated_home, label="home")
    assert offsite_recorder.requests == []
    assert minted and leaks(observed, SECRET, *minted) == []
    assert sum(group == "oauth-prove" for group, _, _ in spies.workers) == 2  # both searched
