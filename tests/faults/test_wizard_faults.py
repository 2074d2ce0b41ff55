"""The fault matrix, wizard side: every network and keyring fault, met by a key pasted into the
wizard (80x24, TLS sandbox, real Secret Service).

Each case asserts the outcome-table title on screen, that the pasted key survives (the app state
still holds it, the paste step still shows it masked), and that the app stays usable: Retry
after the fault is gone, Change tenant, or Retry storing with a working keyring all succeed, and
a failing keyring is left holding nothing. Mirrors ``test_cli_faults.py``'s case list.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring.backends.fail
import pytest
import trustme
from keyring.backend import KeyringBackend
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.core.client import ClientSettings
from qlik_tui.core.outcomes import Outcome, OutcomeKind
from qlik_tui.core.tenant import Tenant, parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import ProfileStore
from qlik_tui.store.secrets import SecretStore
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.tenant import TenantScreen
from qlik_tui.tui.widgets.secret_input import SecretInput
from qlik_tui.tui.widgets.store_form import StoreChoice
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.keyring_daemon import SERVICE_NAME, SecretServiceSession
from tests.fixtures.ports import refused_origin
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.tls import TlsCa
from tests.store.doubles import HangingKeyring, TruncatingKeyring
from tests.tui.helpers import PinnedApp, paste, screen_text, settle, text_of

# the user read: /users/{sub}, and /users/me where that is refused
USERS_ME = "/api/v1/users/"
PROFILE = "work"
FAST = ClientSettings(
    connect_timeout=2.0, read_timeout=0.5, max_retry_wait=2.0, default_retry_wait=0.2
)
KEYRING_DEADLINE_S = 0.3
WAIT_STEPS = 1500  # bounded waits for a screen: 1500 pauses of 10 ms at most
# A 64-character label cannot be put in a DNS query: the resolver refuses before sending.
DNS_FAILING_TENANT = Tenant(
    "https", "a" * 64 + ".eu.qlikcloud.invalid", None, "eu", "Europe (Ireland)", True, False, False
)


def title(kind: OutcomeKind, status: int | None = None) -> str:
    return Outcome(kind=kind, http_status=status).title


@dataclass
class Lab:
    """What a case may arm: the sandbox, extra servers, the keyring session, the environment."""

    sandbox: FaultySandbox
    recorder: OffsiteRecorder
    tls_ca: TlsCa
    locked: SecretServiceSession
    monkeypatch: pytest.MonkeyPatch
    stack: ExitStack
    servers: list[FaultySandbox] = field(default_factory=list)
    hanging: list[HangingKeyring] = field(default_factory=list)

    def serve(self, context: ssl.SSLContext) -> Tenant:
        server = self.stack.enter_context(FaultySandbox(ssl_context=context))
        self.servers.append(server)
        return parse_tenant(server.origin)


# -- network faults --------------------------------------------------------------------------

Arm = Callable[[Lab], Tenant]


def fault(name: str, *, path: str | None = USERS_ME, **params: object) -> Arm:
    def arm(lab: Lab) -> Tenant:
        if name == "offsite_redirect":
            params["target"] = lab.recorder.origin
        lab.sandbox.set_fault(name, path=path, **params)
        return parse_tenant(lab.sandbox.origin)

    return arm


def no_fault(lab: Lab) -> Tenant:
    return parse_tenant(lab.sandbox.origin)


def dns_failure(lab: Lab) -> Tenant:
    return DNS_FAILING_TENANT


def refused(lab: Lab) -> Tenant:
    return parse_tenant(refused_origin())


def certificate_for_another_host(lab: Lab) -> Tenant:
    return lab.serve(lab.tls_ca.server_context_for("tenant.example"))


def untrusted_ca(lab: Lab) -> Tenant:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # a CA not in SSL_CERT_FILE
    return lab.serve(context)


# -- keyring faults --------------------------------------------------------------------------

FailingStore = Callable[[Lab], tuple[SecretStore, Callable[[], bool]]]  # store, "holds nothing"


def no_backend(lab: Lab) -> tuple[SecretStore, Callable[[], bool]]:
    return SecretStore(backend=keyring.backends.fail.Keyring()), lambda: True


def locked_keyring(lab: Lab) -> tuple[SecretStore, Callable[[], bool]]:
    import keyring.backends.SecretService as secret_service

    lab.monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", lab.locked.address)

    def holds_nothing() -> bool:
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        with closing(open_dbus_connection(lab.locked.address)) as connection:
            attributes = {"service": SERVICE_NAME, "username": PROFILE}
            return list(secretstorage.search_items(connection, attributes)) == []

    backend = secret_service.Keyring()
    return SecretStore(deadline_s=3.0, backend=backend), holds_nothing


def hanging_keyring(lab: Lab) -> tuple[SecretStore, Callable[[], bool]]:
    hanging = HangingKeyring()
    lab.hanging.append(hanging)
    return _over(hanging), lambda: hanging.items == {}


def truncating_keyring(lab: Lab) -> tuple[SecretStore, Callable[[], bool]]:
    truncating = TruncatingKeyring(limit=200)  # shorter than any key, like a 1280-char cap
    return _over(truncating), lambda: truncating.items == {}


def _over(backend: KeyringBackend) -> SecretStore:
    return SecretStore(deadline_s=KEYRING_DEADLINE_S, backend=backend)


# -- the case table --------------------------------------------------------------------------

RETRY, CHANGE_TENANT, STORE = "retry", "change tenant", "store"


@dataclass(frozen=True)
class WizardFault:
    name: str
    arm: Arm = no_fault
    expect: str = title(OutcomeKind.VALID)  # the live test's heading
    recover: str = RETRY  # after the fault is gone: Retry | Change tenant | store the key
    keyring: FailingStore | None = None
    problem: str = ""  # keyring faults: what the store-failed panel says
    shown: str = ""  # something else the screen must say


WIZARD_FAULTS = [
    WizardFault("DNS failure", dns_failure, title(OutcomeKind.DNS_FAILURE), CHANGE_TENANT),
    WizardFault("refused", refused, title(OutcomeKind.CONNECTION_REFUSED), CHANGE_TENANT),
    WizardFault(
        "certificate for another host",
        certificate_for_another_host,
        title(OutcomeKind.TLS_FAILURE),
        CHANGE_TENANT,
    ),
    WizardFault("untrusted CA", untrusted_ca, title(OutcomeKind.TLS_FAILURE), CHANGE_TENANT),
    WizardFault("slow beyond timeout", fault("slow", delay=3), title(OutcomeKind.TIMEOUT)),
    WizardFault("reset mid-response", fault("reset"), title(OutcomeKind.CONNECTION_RESET)),
    WizardFault(
        "429 then success",
        fault("rate_limit", retry_after=1, count=1),
        recover=STORE,
        shown="waiting out rate limits",
    ),
    WizardFault(
        "429 without retry-after",
        fault("rate_limit_no_retry_after", count=1),
        recover=STORE,
        shown="waiting out rate limits",
    ),
    WizardFault(
        "429 beyond the longest wait",
        fault("rate_limit", retry_after=90),
        title(OutcomeKind.RATE_LIMITED),
    ),
    WizardFault("500", fault("status_500"), title(OutcomeKind.SERVER_ERROR, 500)),
    WizardFault("HTML 502", fault("html_502"), title(OutcomeKind.SERVER_ERROR, 502)),
    WizardFault("malformed JSON", fault("malformed_json"), title(OutcomeKind.MALFORMED_RESPONSE)),
    WizardFault("oversized body", fault("oversized", mb=50), title(OutcomeKind.RESPONSE_TOO_LARGE)),
    WizardFault("offsite redirect", fault("offsite_redirect"), title(OutcomeKind.OFFSITE_REDIRECT)),
    WizardFault(
        "redirect loop", fault("redirect_loop", growing=True), title(OutcomeKind.REDIRECT_LOOP)
    ),
    WizardFault("403", fault("forbidden_me"), title(OutcomeKind.FORBIDDEN)),
    WizardFault("404", fault("not_found"), title(OutcomeKind.NOT_FOUND)),
    WizardFault("keyring: no backend", keyring=no_backend, problem="no keyring"),
    WizardFault("keyring: locked", keyring=locked_keyring, problem="locked"),
    WizardFault("keyring: hanging", keyring=hanging_keyring, problem="did not answer"),
    WizardFault("keyring: truncating", keyring=truncating_keyring, problem="gave back only"),
]


# -- driving ---------------------------------------------------------------------------------


class Wizard:
    def __init__(self, pilot: Pilot[Any]) -> None:
        self.pilot = pilot
        self.app: PinnedApp = pilot.app  # type: ignore[assignment]

    async def on(self, screen: type[Any]) -> None:
        for _ in range(WAIT_STEPS):
            if isinstance(self.app.screen, screen):
                await self.pilot.pause()
                return
            await self.pilot.pause(0.01)
        raise AssertionError(f"the wizard never showed {screen.__name__}")

    async def tap(self, selector: str) -> None:
        """Focus a button and press Enter, as a keyboard user would."""
        button = self.app.screen.query_one(selector, Widget)
        if isinstance(button, Button):
            button.active_effect_duration = 0  # the press animation swallows a quick 2nd press
        button.focus()
        await self.pilot.pause()
        await self.pilot.press("enter")
        await self.pilot.pause()

    async def paste_and_test(self, tenant: Tenant, key_text: str) -> None:
        self.app.state.set_tenant(tenant, tenant.origin, confirmed=False)
        self.app.go_to_step(5)
        await self.on(PasteScreen)
        await paste(self.pilot, key_text)
        await self.pilot.press("ctrl+n")  # "Test the key"
        await self.result()

    async def result(self) -> str:
        await self.on(LiveTestScreen)
        await settle(self.pilot)
        return self.heading

    @property
    def heading(self) -> str:
        return text_of(self.pilot, ".outcome-heading")

    def key_survives(self, key: ApiKey) -> None:
        assert self.app.is_running
        assert self.app.state.key == key
        assert self.app.state.key_at_risk

    async def change_tenant_to(self, origin: str, key: ApiKey) -> None:
        await self.tap("#change-tenant")
        await self.on(TenantScreen)
        self.app.screen.query_one("#tenant-input", Input).value = origin
        await self.pilot.pause()
        await self.pilot.press("enter", "ctrl+n", "ctrl+n")  # tenant, permission, generate
        await self.on(PasteScreen)
        secret = self.app.screen.query_one("#key-input", SecretInput)
        assert parse_key(secret.value) == key and secret.password  # still there, masked
        await self.pilot.press("ctrl+n")
        await self.result()

    async def store(self) -> None:
        """Store key into the OS keyring, chosen by the user (a keyring that cannot work makes
        the step preselect the encrypted file; these cases are about the keyring's faults)."""
        await settle(self.pilot)  # the store lookup has answered: the choice stays the user's
        self.app.screen.query_one("#profile-name", Input).value = PROFILE
        self.app.screen.query_one("#store-choice", Select).value = StoreChoice.KEYRING
        await self.pilot.pause()
        await self.pilot.press("ctrl+s")
        await settle(self.pilot)


@pytest.mark.parametrize("case", WIZARD_FAULTS, ids=lambda case: case.name)
async def test_the_wizard_explains_each_fault_keeps_the_key_and_recovers(
    case: WizardFault,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    tls_ca: TlsCa,
    secret_store: SecretStore,
    secret_service_env: SecretServiceSession,
    locked_secret_service: SecretServiceSession,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sentinel = sandbox.issue_key()
    key = parse_key(sentinel)
    profiles = ProfileStore(isolated_home / ".config" / "qlik-tui" / "profiles.json")
    with ExitStack() as stack:
        lab = Lab(sandbox, offsite_recorder, tls_ca, locked_secret_service, monkeypatch, stack)
        stack.callback(lambda: [hanging.release.set() for hanging in lab.hanging])
        tenant = case.arm(lab)
        failing, holds_nothing = case.keyring(lab) if case.keyring else (None, lambda: True)
        services = Services(
            secrets=failing or secret_store, profiles=profiles, client_settings=FAST
        )

        app = PinnedApp(services, start="setup")
        async with app.run_test(size=(80, 24)) as pilot:
            wizard = Wizard(pilot)
            await wizard.paste_and_test(tenant, sentinel)
            assert case.expect in wizard.heading, wizard.heading
            shown = screen_text(pilot)
            assert case.shown in shown
            assert sentinel.rsplit(".", 1)[1] not in shown
            wizard.key_survives(key)

            stores = case.keyring is not None or case.recover == STORE
            if case.recover == CHANGE_TENANT:
                await wizard.change_tenant_to(sandbox.origin, key)
                assert title(OutcomeKind.VALID) in wizard.heading, wizard.heading
            elif case.recover == RETRY and case.keyring is None:
                sandbox.clear_faults()
                assert app.screen.query_one("#retry", Button).has_focus  # Enter retries
                await pilot.press("enter")
                assert title(OutcomeKind.VALID) in await wizard.result()
            if stores:
                await wizard.store()
            if case.keyring is not None:
                assert "Storing failed" in wizard.heading
                assert case.problem in screen_text(pilot)
                # A keyring that fails: the other safe store is offered first.
                assert app.screen.query_one("#other-store", Button).has_focus
                wizard.key_survives(key)
                assert holds_nothing()  # nothing partial left in the failing keyring
                assert profiles.get(PROFILE) is None
                # The user fixes the keyring (here: the working Secret Service) and retries.
                monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_env.address)
                services.secrets = secret_store
                await wizard.tap("#store-retry")
                await settle(pilot)
            if stores:
                await wizard.on(DoneScreen)  # stored after all
                assert not app.state.key_at_risk
            else:
                wizard.key_survives(key)
        if stores:
            assert secret_store.load(PROFILE) == key
            stored = profiles.get(PROFILE)
            assert stored is not None and stored.origin == sandbox.origin
        for server in lab.servers:  # nothing got through a failed TLS handshake
            assert server.requests == []
    assert offsite_recorder.requests == []  # the key never went anywhere else
