"""Leak matrix, TUI side: drive the wizard at 80x24 over TLS with a sentinel key, through the
happy path and every failure path, collect everything observable, and search it for the key,
its signature segment alone, and (for what a screen could show in pieces) any run of
``FRAGMENT`` signature characters.

In-process (Pilot): every screen's SVG export at every step (masked: the revealed moment is
checked separately, and so is the export right after hiding again), worker names and
descriptions, clipboard writes and OSC 52 sequences after copy/cut attempts, files under the
test's HOME (config dir included), processes started, and the offsite server's request log.
In subprocesses (the real ``launch()``): the output and exit code of a deliberate crash, with
the key in a local and in the message, inside each screen's handlers and inside each worker,
and a ``TEXTUAL_LOG`` file after a paste, live test and store.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from qlik_tui.core.apikey import parse_key
from qlik_tui.core.client import ClientSettings
from qlik_tui.core.outcomes import Outcome, OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.services.login import store_login
from qlik_tui.store.profiles import Profile
from qlik_tui.store.secrets import KeyNotFound, SecretStore
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.screens.dashboard import DashboardMode, DashboardScreen
from qlik_tui.tui.screens.done import DoneScreen
from qlik_tui.tui.screens.generate import GenerateScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.passphrase import PassphraseModal
from qlik_tui.tui.screens.paste import PasteScreen
from qlik_tui.tui.screens.permission import PermissionScreen
from qlik_tui.tui.screens.profile_details import ProfileDetailsModal
from qlik_tui.tui.screens.tenant import TenantScreen
from qlik_tui.tui.screens.welcome import WelcomeScreen
from qlik_tui.tui.widgets.secret_input import SecretInput
from qlik_tui.tui.widgets.store_form import StoreChoice
from tests.fixtures.faulty_sandbox import FaultySandbox
from tests.fixtures.keyring_daemon import SecretServiceSession, delete_items
from tests.fixtures.recording import OffsiteRecorder
from tests.fixtures.tls import TlsCa
from tests.security.leaks import Observed, config_profiles
from tests.security.tui_spies import (
    Spies,
    fragment_leaks,
    install_spies,
    osc52_payloads,
    shows_part_of,
    svg_text,
)
from tests.tui.helpers import PinnedApp, paste, settle, text_of

REPO = Path(__file__).resolve().parents[2]
WAIT_STEPS = 1500  # bounded waits for a condition: 1500 pauses of 10 ms at most


def title(kind: OutcomeKind, status: int | None = None) -> str:
    """The outcome table's title, as the screen shows it."""
    return Outcome(kind=kind, http_status=status).title


# -- driving the wizard ----------------------------------------------------------------------


class Flow:
    """One wizard run: drives with Pilot, exports every screen (masked) into ``observed``."""

    def __init__(self, pilot: Pilot[Any], observed: Observed, key: str, label: str) -> None:
        self.pilot = pilot
        self.app: PinnedApp = pilot.app  # type: ignore[assignment]
        self.observed = observed
        self.key = key
        self.label = label
        self.steps = 0

    def snap(self, what: str) -> str:
        svg = self.app.export_screenshot()
        self.steps += 1
        self.observed.add(f"svg:{self.label}:{self.steps:02d}-{what}", svg)
        return svg

    async def until(self, condition: Callable[[], bool]) -> None:
        for _ in range(WAIT_STEPS):
            if condition():
                return
            await self.pilot.pause(0.01)
        raise AssertionError(f"{self.label}: the app never got there")

    async def on(self, screen: type[Any], what: str) -> None:
        await self.until(lambda: isinstance(self.app.screen, screen))
        await self.pilot.pause()
        self.snap(what)

    async def tap(self, selector: str) -> None:
        """Focus a button and press Enter (a toast can never be in the way of a key)."""
        widget = self.app.screen.query_one(selector, Widget)
        if isinstance(widget, Button):
            widget.active_effect_duration = 0  # the press animation swallows a quick 2nd press
        widget.focus()
        await self.pilot.pause()
        await self.pilot.press("enter")
        await self.pilot.pause()

    @property
    def secret(self) -> SecretInput:
        return self.app.screen.query_one("#key-input", SecretInput)

    async def to_the_paste_step(self, origin: str, *, permission_help: bool) -> None:
        await self.on(WelcomeScreen, "welcome")
        await self.pilot.press("enter")  # "Start setup" has the focus
        await self.on(TenantScreen, "tenant")
        self.app.screen.query_one("#tenant-input", Input).value = origin
        await self.pilot.pause()
        self.snap("tenant-typed")
        await self.pilot.press("enter")
        await self.on(PermissionScreen, "permission")
        if permission_help:
            await self.tap("#missing-permission")
            self.snap("permission-help")
            await self.tap("#copy-message")  # a legitimate clipboard write: no secret in it
        await self.tap("#have-permission")
        await self.on(GenerateScreen, "generate")
        await self.pilot.press("ctrl+n")
        await self.on(PasteScreen, "paste-empty")

    async def paste_the_key(self) -> None:
        await paste(self.pilot, f'Bearer "{self.key}"')
        assert self.app.state.key == parse_key(self.key)
        assert self.secret.password
        self.snap("paste-masked")

    async def reveal_and_hide(self, *, with_the_button: bool) -> None:
        """Revealing is the one sanctioned moment the key is on screen; hiding ends it."""
        toggles: list[Callable[[], Awaitable[None]]] = [lambda: self.pilot.press("ctrl+r")]
        if with_the_button:
            toggles.append(lambda: self.tap("#reveal"))
        head = self.key[:32]
        for toggle in toggles:
            await toggle()
            assert self.secret.revealed
            # Not collected: this export is meant to show the key. The input shows a window
            # onto it; both ends are checked, so the search below is shown to see a shown key.
            for end, shown in (("home", head), ("end", None)):
                self.secret.action_home() if end == "home" else self.secret.action_end()
                await self.pilot.pause()
                revealed = self.app.export_screenshot()
                assert shown in revealed if shown else shows_part_of(revealed, self.key)
            await toggle()
            assert not self.secret.revealed
            hidden = self.snap("paste-hidden-again")
            assert head not in hidden and not shows_part_of(hidden, self.key)
            self.secret.action_home()
            await self.pilot.pause()
            hidden = self.snap("paste-hidden-again-home")
            assert head not in hidden and not shows_part_of(hidden, self.key)

    async def try_to_copy(self, spies: Spies, *, drag: bool) -> None:
        """Copy and cut on the secret input, masked and revealed: nothing reaches a clipboard."""
        clipboard, calls, writes = self.app.clipboard, len(spies.clipboard), len(spies.driver)
        secret = self.secret
        for revealed in (False, True):
            secret.focus()
            await self.pilot.pause()
            if secret.revealed is not revealed:
                await self.pilot.press("ctrl+r")
            secret.select_all()
            await self.pilot.press("ctrl+c", "super+c", "ctrl+x", "ctrl+insert", "shift+delete")
            assert secret.revealed is revealed
            assert parse_key(secret.value) == parse_key(self.key)  # cut removed nothing
        assert spies.clipboard[calls:] == []
        assert spies.driver[writes:] == []  # no OSC 52 (nor anything else) to the terminal
        assert self.app.clipboard == clipboard
        if drag:  # a mouse selection over the whole screen, copied: the input is left out
            self.app.screen.query_one("#reveal", Widget).focus()
            await self.pilot.mouse_down(offset=(0, 0))
            await self.pilot.hover(offset=(79, 22))
            await self.pilot.mouse_up(offset=(79, 22))
            await self.pilot.press("ctrl+c")
            assert "Paste the key" in (spies.clipboard[-1:] or [""])[0]  # the copy did happen
        secret.focus()
        await self.pilot.press("ctrl+r")  # hide again
        assert not secret.revealed
        self.snap("paste-after-copy-attempts")

    async def live_test(self, expected: str, *, running: bool = False) -> None:
        await self.pilot.press("ctrl+n")
        await self.until(lambda: isinstance(self.app.screen, LiveTestScreen))
        if running:  # the spinner screen, while the request is on its way
            await self.until(lambda: getattr(self.app.screen, "mode", "") == "running")
            self.snap("live-test-running")
        await settle(self.pilot)
        heading = text_of(self.pilot, ".outcome-heading")
        self.snap("live-test-result")
        assert expected in heading, heading

    async def store(self, profile: str, choice: StoreChoice = StoreChoice.KEYRING) -> None:
        """Store Key into ``choice``, chosen by the user (without a usable keyring the step
        preselects the encrypted file; these flows choose the keyring to see it fail)."""
        await settle(self.pilot)  # the store lookup has answered: the choice stays the user's
        self.app.screen.query_one("#profile-name", Input).value = profile
        self.app.screen.query_one("#store-choice", Select).value = choice
        await self.pilot.pause()
        await self.pilot.press("ctrl+s")
        await settle(self.pilot)

    async def choose_passphrase(self, passphrase: str) -> None:
        await self.on(PassphraseModal, "new-passphrase")
        fields = list(self.app.screen.query(Input).results(Input))
        for field in fields:
            field.value = passphrase
        fields[-1].focus()
        self.snap("new-passphrase-typed")
        await self.pilot.press("enter")  # Enter in the second field: unlock and store
        await settle(self.pilot)

    async def quit_losing_the_key(self) -> None:
        await self.pilot.press("ctrl+q")
        await self.on(ConfirmModal, "quit-question")
        await self.tap("#confirm")
        assert not self.app.is_running


# -- the flows -------------------------------------------------------------------------------

PASSPHRASE = "leak-test passphrase 7"


@dataclass(frozen=True)
class LeakFlow:
    name: str
    key_kind: str
    expected: str  # the live test's heading
    fault: tuple[str, dict[str, Any]] | None = None
    ending: str = "failure"  # failure | store | encrypted-file | write-file | discard
    keyring: str = "secret-service"  # secret-service | none
    workers: frozenset[str] = frozenset({"keyring-lookup", "live-test"})


LEAK_FLOWS = [
    LeakFlow(
        "happy path",
        "valid",
        title(OutcomeKind.VALID),
        ending="store",
        workers=frozenset({"keyring-lookup", "live-test", "store"}),
    ),
    LeakFlow("401 revoked", "revoked", title(OutcomeKind.KEY_REJECTED)),
    LeakFlow("401 other tenant", "other-tenant", title(OutcomeKind.KEY_OTHER_TENANT)),
    LeakFlow("403", "valid", title(OutcomeKind.FORBIDDEN), ("forbidden_me", {})),
    LeakFlow("timeout", "valid", title(OutcomeKind.TIMEOUT), ("slow", {"delay": 3.0})),
    LeakFlow("500", "valid", title(OutcomeKind.SERVER_ERROR, 500), ("status_500", {})),
    LeakFlow(
        "offsite redirect", "valid", title(OutcomeKind.OFFSITE_REDIRECT), ("offsite_redirect", {})
    ),
    LeakFlow(
        "store failure then write to a file",
        "valid",
        title(OutcomeKind.VALID),
        ending="write-file",
        keyring="none",
        workers=frozenset({"keyring-lookup", "live-test", "store", "rescue"}),
    ),
    LeakFlow(
        "no keyring: the encrypted file",
        "valid",
        title(OutcomeKind.VALID),
        ending="encrypted-file",
        keyring="none",
        workers=frozenset({"keyring-lookup", "live-test", "unlock-encrypted-file", "store"}),
    ),
    LeakFlow(
        "store failure then discard",
        "valid",
        title(OutcomeKind.VALID),
        ending="discard",
        keyring="none",
        workers=frozenset({"keyring-lookup", "live-test", "store"}),
    ),
]


@pytest.mark.parametrize("flow", LEAK_FLOWS, ids=lambda flow: flow.name)
async def test_wizard_flows_never_show_or_write_the_key(
    flow: LeakFlow,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    secret_store: SecretStore,
    secret_service_env: SecretServiceSession,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    observed = Observed()
    sentinel = sandbox.issue_key(flow.key_kind)
    profiles = config_profiles(isolated_home)
    if flow.key_kind == "other-tenant":  # an earlier valid key taught us this tenant's id
        profiles.put(
            Profile(
                name="earlier",
                origin=sandbox.origin,
                key_tenant_id=sandbox.tenant_id,
                last_outcome=OutcomeKind.VALID.value,
            )
        )
    if flow.fault is not None:
        name, params = flow.fault
        if name == "offsite_redirect":
            params = {"target": offsite_recorder.origin}
        sandbox.set_fault(name, **params)
    secrets = (
        secret_store if flow.keyring == "secret-service" else SecretStore(backend=fail.Keyring())
    )
    services = Services(
        secrets=secrets,
        profiles=profiles,
        client_settings=ClientSettings(
            connect_timeout=2.0,
            read_timeout=0.5 if flow.name == "timeout" else 5.0,
            max_retry_wait=2.0,
        ),
    )
    rescue_file = tmp_path / "rescue" / "qlik-key.txt"  # outside HOME: the one sanctioned file
    rescue_file.parent.mkdir()
    spies = install_spies(monkeypatch)

    app = PinnedApp(services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        run = Flow(pilot, observed, sentinel, flow.name)
        await run.to_the_paste_step(sandbox.origin, permission_help=flow.ending == "store")
        await run.paste_the_key()
        await run.reveal_and_hide(with_the_button=flow.ending == "store")
        await run.try_to_copy(spies, drag=flow.ending == "store")
        await run.live_test(flow.expected, running=flow.name == "timeout")

        if flow.ending == "failure":
            await run.tap("#paste-another")
            await run.on(PasteScreen, "paste-another")  # the old key, masked, selected
            assert app.state.key == parse_key(sentinel) and run.secret.password
            await run.quit_losing_the_key()
        elif flow.ending == "store":
            await run.store("leak")
            await run.on(DoneScreen, "done")
            assert secret_store.load("leak") == parse_key(sentinel)
        elif flow.ending == "encrypted-file":
            await run.store("leak", StoreChoice.ENCRYPTED_FILE)
            await run.choose_passphrase(PASSPHRASE)
            await run.on(DoneScreen, "done-encrypted")
            assert services.stores.encrypted.load("leak") == parse_key(sentinel)
        else:
            await run.store("leak")
            assert "Storing failed" in text_of(pilot, ".outcome-heading")
            run.snap("store-failed")
            if flow.ending == "write-file":
                await run.tap("#rescue")
                run.snap("rescue-box")
                app.screen.query_one("#rescue-path", Input).value = str(rescue_file)
                await pilot.press("enter")
                await settle(pilot)
                await run.on(DoneScreen, "done-rescued")
            else:
                await run.tap("#discard")
                await run.on(ConfirmModal, "discard-question")
                await run.tap("#confirm")
                await run.on(PasteScreen, "discarded")
                assert app.state.key is None
        observed.add(f"clipboard:{flow.name}", app.clipboard)

    assert flow.workers <= spies.groups  # the spy saw the workers that ran
    spies.report_to(observed, flow.name)
    assert spies.argv == []  # the app started no process
    observed.add_tree(isolated_home, label="home")
    if flow.ending == "store":
        # The driver spy sees clipboard writes: the admin message went out as OSC 52.
        assert any("Manage API keys" in text for text in osc52_payloads(spies.driver_output))
        assert observed.add_tree(secret_service_env.keyring_dir, label="keyring-files") >= 1
        assert any(where.startswith("home:") for where in observed.texts)  # profiles.json
    if flow.ending == "write-file":
        rescued = Observed()
        assert rescued.add_tree(rescue_file.parent, label="rescue") == 1
        assert rescued.leaks_of(sentinel) == ["rescue:qlik-key.txt"]  # the file search works
    assert offsite_recorder.requests == []
    assert offsite_recorder.connections == 0

    assert observed.leaks_of(sentinel) == []
    assert fragment_leaks(observed, sentinel) == []
    if flow.ending == "encrypted-file":  # the file is there, holding neither key nor passphrase
        assert any("keys.encrypted" in where for where in observed.texts)
        assert [where for where, text in observed.texts.items() if PASSPHRASE in text] == []
    # The search is meaningful: the same collector finds a planted copy, whole or in pieces.
    observed.add("planted", f"x{sentinel.rsplit('.', 1)[1]}x")
    observed.add("planted-piece", f"<text>{sentinel.rsplit('.', 1)[1][40:60]}</text>")
    assert observed.leaks_of(sentinel) == ["planted"]
    assert fragment_leaks(observed, sentinel) == ["planted", "planted-piece"]


# -- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFlow:
    name: str
    failures: bool  # an offsite redirect, and a profile whose key is not in the keyring
    workers: frozenset[str]


DASHBOARD_FLOWS = [
    DashboardFlow(
        "re-check, details, re-check, forget",
        failures=False,
        workers=frozenset({"dashboard-load", "dashboard-recheck", "dashboard-forget"}),
    ),
    DashboardFlow(
        "re-check failures, details, new setup",
        failures=True,
        workers=frozenset({"dashboard-load", "dashboard-recheck"}),
    ),
]


@pytest.mark.parametrize("flow", DASHBOARD_FLOWS, ids=lambda flow: flow.name)
async def test_dashboard_flows_never_show_or_write_the_key(
    flow: DashboardFlow,
    sandbox: FaultySandbox,
    offsite_recorder: OffsiteRecorder,
    secret_store: SecretStore,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    observed = Observed()
    sentinel = sandbox.issue_key()
    services = Services(
        secrets=secret_store,
        profiles=config_profiles(isolated_home),
        client_settings=ClientSettings(connect_timeout=2.0, read_timeout=2.0, max_retry_wait=2.0),
    )
    tenant = parse_tenant(sandbox.origin)
    store_login(services, name="leak", tenant=tenant, key=parse_key(sentinel), report=None)
    if flow.failures:
        sandbox.set_fault("offsite_redirect", target=offsite_recorder.origin)
        services.profiles.put(Profile(name="gone", origin=sandbox.origin))  # no key stored
    spies = install_spies(monkeypatch)

    app = QlikTuiApp(services, start="auto")  # with profiles: the dashboard comes first
    async with app.run_test(size=(80, 24)) as pilot:
        run = Flow(pilot, observed, sentinel, flow.name)
        await run.until(lambda: getattr(app.screen, "mode", None) is DashboardMode.TABLE)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        run.snap("dashboard")

        async def recheck(keys: str) -> None:
            await pilot.press(keys)
            await run.until(lambda: not dashboard.rechecking)
            await settle(pilot)
            run.snap("rechecked")

        await recheck("a")
        outcome = dashboard.rows["leak"].outcome
        assert outcome is not None
        expected = OutcomeKind.OFFSITE_REDIRECT if flow.failures else OutcomeKind.VALID
        assert outcome.kind is expected
        dashboard.table.focus()
        if flow.failures:
            gone = dashboard.rows["gone"].outcome
            assert gone is not None and gone.kind is OutcomeKind.KEY_NOT_STORED
            await pilot.press("down")  # "gone" sorts first
        await pilot.press("enter")
        await run.on(ProfileDetailsModal, "details")
        assert getattr(app.screen, "row").name == "leak"  # noqa: B009
        if flow.failures:
            await pilot.press("escape")
            await run.on(DashboardScreen, "details-closed")
            await pilot.press("n")  # a new key: the wizard
            await run.on(WelcomeScreen, "new-setup")
        else:
            await recheck("r")  # from the details
            await pilot.press("d")
            await run.on(ConfirmModal, "forget-question")
            await run.tap("#confirm")
            await run.until(lambda: dashboard.mode is DashboardMode.EMPTY)
            run.snap("forgotten")
            with pytest.raises(KeyNotFound):
                secret_store.load("leak")

    assert flow.workers <= spies.groups
    spies.report_to(observed, flow.name)
    assert spies.argv == []
    assert observed.add_tree(isolated_home, label="home") >= 1  # profiles.json at least
    assert offsite_recorder.requests == []
    assert offsite_recorder.connections == 0
    assert observed.leaks_of(sentinel) == []
    assert fragment_leaks(observed, sentinel) == []
    observed.add("planted-piece", sentinel.rsplit(".", 1)[1][50:70])
    assert fragment_leaks(observed, sentinel) == ["planted-piece"]


# -- crashes and TEXTUAL_LOG, through the real launch() in subprocesses ------------------------

HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"
_SCRUBBED = ("TEXTUAL_LOG", "TEXTUAL", "PYTHON_KEYRING_BACKEND", "HTTP_PROXY", "HTTPS_PROXY")
CHILD_CONCURRENCY = 4  # children mostly wait (start-up, D-Bus, TLS): overlap them
# The handlers: the app must crash with one line and exit 1.
HANDLER_SITES = (
    "welcome",
    "tenant",
    "permission",
    "generate",
    "paste",
    "live-test",
    "done",
    "confirm-modal",
    "dashboard",
    "details-modal",
)
# The workers: the failure is shown (this text in the last screen) and the app stays usable.
WORKER_SITES = {
    "live-test-worker": title(OutcomeKind.UNEXPECTED_ERROR),
    "keyring-worker": "Looking up where the key can be stored failed (RuntimeError)",
    "store-worker": "Storing hit an unexpected RuntimeError",
    "rescue-worker": "Not written: unexpected RuntimeError",
    "discard": "Step 5 of 7",  # the discarded key's keyring clean-up crashed: nothing to show
    "dashboard-load-worker": "Reading the stored profiles failed with an unexpected RuntimeError",
    "dashboard-recheck-worker": "failed with an unexpected RuntimeError",
    "dashboard-forget-worker": "failed with an unexpected RuntimeError",
}
TEXTUAL_LOG_RUN = "none"
WAITED_OUT = "WAITED OUT"  # the child's line when its drive waited for a screen that never came


def squashed(text: str) -> str:
    """Text without spaces, line breaks and box lines: wrapped words still match."""
    return re.sub(r"[\s│╭╮╰╯─▔▁▌▐▏▕▇]+", "", text)


@dataclass
class ChildRun:
    site: str
    key: str
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    home: Path
    out: Path
    log: Path | None

    def exports(self) -> list[Path]:
        return sorted(self.out.glob("*.svg"))

    def observe(self) -> Observed:
        observed = Observed()
        observed.add_argv(self.site, self.argv)
        observed.add(f"stdout:{self.site}", self.stdout)
        observed.add(f"stderr:{self.site}", self.stderr)
        observed.add_tree(self.out, label=f"exports:{self.site}")
        observed.add_tree(self.home, label=f"home:{self.site}")
        if self.log is not None:
            observed.add(f"textual-log:{self.site}", self.log.read_bytes())
        return observed


def child_env(home: Path, log: Path | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name.upper() not in _SCRUBBED}
    for sub in (".config", ".local/share", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_PROXY="*",
        TEXTUAL_DRIVER=HEADLESS,
        PYTHONPATH=str(REPO),
    )
    if log is not None:
        env["TEXTUAL_LOG"] = str(log)
    return env


def run_child(sandbox: FaultySandbox, root: Path, site: str) -> ChildRun:
    key = sandbox.issue_key()
    home, out = root / site / "home", root / site / "out"
    out.mkdir(parents=True)
    log = root / site / "textual.log" if site == TEXTUAL_LOG_RUN else None
    env = child_env(home, log)
    argv = [sys.executable, "-m", "tests.security.wizard_child", "--origin", sandbox.origin]
    argv += ["--out", str(out), "--site", site, "--profile", site]
    if site == "rescue-worker":
        argv += ["--store", "none"]
    done = subprocess.run(
        argv, input=key + "\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )
    return ChildRun(site, key, argv, done.returncode, done.stdout, done.stderr, home, out, log)


# The tests that read ``child_runs`` go to one xdist worker together (--dist loadgroup): split
# over two, each worker would start every child again.
ON_ONE_WORKER = pytest.mark.xdist_group("wizard-children")


@pytest.fixture(scope="module")
def child_runs(
    tls_ca: TlsCa,
    secret_service_env: SecretServiceSession,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, ChildRun]]:
    """Every subprocess run, started together once (they are independent: own HOME, own
    profile name in the test Secret Service, own key)."""
    root = tmp_path_factory.mktemp("wizard-children")
    sites = [*HANDLER_SITES, *WORKER_SITES, TEXTUAL_LOG_RUN]
    delete_items(secret_service_env.address)
    with (
        FaultySandbox(ssl_context=tls_ca.server_context) as sandbox,
        ThreadPoolExecutor(max_workers=CHILD_CONCURRENCY) as pool,
    ):
        runs = list(pool.map(lambda site: run_child(sandbox, root, site), sites))
    try:
        yield {run.site: run for run in runs}
    finally:
        delete_items(secret_service_env.address)


def assert_drove_through(run: ChildRun) -> None:
    """The child's drive kept step with the app: no bounded wait ran out (each costs 30 s and
    means the path meant to be exercised was not)."""
    assert WAITED_OUT not in run.stderr, run.stderr


def assert_no_leak(run: ChildRun) -> None:
    observed = run.observe()
    output = run.stdout + run.stderr
    assert "Traceback" not in output
    assert "secret_text" not in output  # the local's name: no locals were printed
    assert "locals" not in output.lower()
    assert observed.leaks_of(run.key) == []
    assert fragment_leaks(observed, run.key) == []
    observed.add("planted", run.key)
    assert observed.leaks_of(run.key) == ["planted"]  # the search is meaningful


@pytest.mark.parametrize("site", HANDLER_SITES)
@ON_ONE_WORKER
def test_a_crash_in_a_screen_handler_is_one_line_without_the_key(
    site: str, child_runs: dict[str, ChildRun]
) -> None:
    run = child_runs[site]
    assert_drove_through(run)
    assert f"REACHED {site}" in run.stderr, run.stderr  # the deliberate crash happened there
    assert run.code == 1, run.stderr
    assert run.stderr.count("crashed with") == 1
    one_line = " ".join(run.stderr.split())  # the console may wrap it
    where = r"crashed with RuntimeError at wizard_child\.py:\d+ in crash\. Details are left out"
    assert re.search(where, one_line), one_line  # raised where it was meant to, one line
    assert run.exports()  # the screens on the way were exported too
    assert_no_leak(run)


@pytest.mark.parametrize("site", WORKER_SITES)
@ON_ONE_WORKER
def test_a_crash_in_a_worker_is_shown_without_the_key_and_the_app_stays_usable(
    site: str, child_runs: dict[str, ChildRun]
) -> None:
    run = child_runs[site]
    assert_drove_through(run)
    assert f"REACHED {site}" in run.stderr, run.stderr
    assert run.code == 0, run.stderr  # the app went on and was quit normally
    assert "crashed with" not in run.stderr
    last = svg_text(run.exports()[-1].read_text(encoding="utf-8"))
    notifications = (run.out / "notifications.txt").read_text(encoding="utf-8")
    assert squashed(WORKER_SITES[site]) in squashed(last + notifications), last
    assert_no_leak(run)


@ON_ONE_WORKER
def test_textual_log_holds_no_key_after_paste_live_test_and_store(
    child_runs: dict[str, ChildRun],
) -> None:
    run = child_runs[TEXTUAL_LOG_RUN]
    assert_drove_through(run)
    assert run.code == 0, run.stderr
    assert "TEXTUAL_LOG is set" in run.stderr  # and the user was warned
    assert run.log is not None
    log = run.log.read_text(encoding="utf-8")
    # The log did record the flow: the paste's inspection, the live test, the store.
    assert "SecretInput.Changed(value=<hidden>)" in log
    assert "LiveTestFinished" in log and "KeyStored" in log
    assert "Step 7 of 7" in svg_text(run.exports()[-1].read_text(encoding="utf-8"))
    assert_no_leak(run)
