"""App-wide behaviour: quitting with an unstored key, crashes without locals or key, the
TEXTUAL_LOG warning, lazy imports, routing to the dashboard, worker failures."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Button

from qlik_tui.core.apikey import make_fake_key, parse_key
from qlik_tui.core.outcomes import OutcomeKind
from qlik_tui.core.tenant import parse_tenant
from qlik_tui.services.context import Services
from qlik_tui.store.profiles import Profile
from qlik_tui.tui.app import QUIT_WITH_KEY_QUESTION, SCREENS_CSS, QlikTuiApp
from qlik_tui.tui.keystroke_log import warn_about_textual_log
from qlik_tui.tui.screens.dashboard import DashboardScreen
from qlik_tui.tui.screens.live_test import LiveTestScreen
from qlik_tui.tui.screens.modals import ConfirmModal
from qlik_tui.tui.screens.welcome import WelcomeScreen
from tests.cli.terminal import Terminal, shown_text
from tests.tui.helpers import PinnedApp, click, fixed_key, fixed_tenant, settle, text_of

REPO = Path(__file__).resolve().parents[2]
HEADLESS = {
    "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
    "PYTHONPATH": str(REPO),
}


def sentinel_key() -> str:
    return make_fake_key(key_id="sentinel-key-id", tenant_id="sentinel-tenant", sub="sentinel-user")


# -- quitting ------------------------------------------------------------------------------


async def test_quit_without_a_key_needs_no_question(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        assert app.return_code == 0
        assert not app.is_running


async def test_quit_with_an_unstored_key_asks_first(offline_services: Services) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.set_key(fixed_key())
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmModal)
        assert QUIT_WITH_KEY_QUESTION in text_of(pilot, ".dialog-question")
        await pilot.press("enter")  # the focused, safe answer: Stay
        assert app.is_running and app.state.key == fixed_key()

        await pilot.press("ctrl+q")
        await click(pilot, "#confirm")
        assert not app.is_running
        assert app.return_code == 0


# -- crashes -------------------------------------------------------------------------------


def test_a_crash_exits_non_zero_without_locals_or_key(tmp_path: Path) -> None:
    key = sentinel_key()
    env = {**os.environ, **HEADLESS, "TEXTUAL_PRESS": "enter"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.tui.crashing_app"],
        input=key + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "crashed with RuntimeError" in done.stderr
    assert key not in output
    assert key.rsplit(".", 1)[1] not in output  # not even the signature
    assert "secret_text" not in output  # the local's name: no locals were printed
    assert "locals" not in output.lower()
    assert "Traceback" not in output


def test_an_exception_outside_the_app_is_one_line_without_the_key() -> None:
    key = sentinel_key()
    script = (
        "import sys, threading\n"
        "from qlik_tui.tui.crash import install_crash_hooks\n"
        "install_crash_hooks()\n"
        "secret = sys.stdin.readline().strip()\n"
        "thread = threading.Thread(target=lambda: 1 / 0)\n"
        "thread.start(); thread.join()\n"
        "raise ValueError('outside the app: ' + secret)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=key + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert any("crashed with ZeroDivisionError" in line for line in lines)
    assert any("crashed with ValueError" in line for line in lines)
    assert key not in done.stderr and "Traceback" not in done.stderr


# -- TEXTUAL_LOG ---------------------------------------------------------------------------


def test_launch_warns_on_stderr_when_textual_log_is_set(tmp_path: Path) -> None:
    log = tmp_path / "textual.log"
    with Terminal(["setup"], tmp_path, env={"TEXTUAL_LOG": str(log)}) as terminal:
        painted = terminal.wait_for(b"Welcome")
        terminal.send(b"\x11")  # ctrl+q
        code = terminal.finish()
    shown = " ".join(shown_text(terminal.output).decode(errors="replace").split())
    assert painted and code == 0, shown
    assert "TEXTUAL_LOG is set" in shown
    assert str(log) in shown


def test_no_warning_without_textual_log() -> None:
    stream = io.StringIO()
    assert warn_about_textual_log(stream) is False
    assert stream.getvalue() == ""


def test_devtools_is_warned_about_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL", "debug,devtools")
    stream = io.StringIO()
    assert warn_about_textual_log(stream) is True
    assert "TEXTUAL=devtools" in stream.getvalue()


async def test_the_app_shows_the_textual_log_warning(
    offline_services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEXTUAL_LOG", str(tmp_path / "textual.log"))
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("TEXTUAL_LOG is set" in m for m in messages)


# -- start-up ------------------------------------------------------------------------------


def test_importing_the_app_and_first_screens_pulls_no_network_or_keyring_code() -> None:
    script = (
        "import sys\n"
        "import qlik_tui.tui.app, qlik_tui.tui.screens.welcome, qlik_tui.tui.screens.tenant\n"
        "import qlik_tui.tui.screens.paste\n"
        "heavy = ('httpx', 'keyring', 'qlik_tui.services.verify', 'qlik_tui.sandbox')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# Run as the CLI runs ``qlik-tui setup`` (headless): at the first frame, the modules named in
# argv are looked for in ``sys.modules``, whether garbage collection is on, the switch interval,
# and whether the other screens' rules are in the stylesheet. The first frame is the first
# screen handed to the driver; the Welcome's workers start only after it.
FIRST_FRAME_SCRIPT = """\
import gc
import io
import sys

from textual.app import App

from qlik_tui.tui.app import SCREENS_CSS

watched = sys.argv[1:]
found = []
display = App._display


def first_frame(self, screen, renderable):
    display(self, screen, renderable)
    if renderable is not None and self._running and not self._batch_count and not found:
        found.append(["gc-on" if gc.isenabled() else "gc-off"])
        found.append([f"switch-interval-{sys.getswitchinterval()}"])
        parsed = self.stylesheet.has_source(str(SCREENS_CSS))
        found.append(["screens-css" if parsed else "welcome-css-only"])
        found.append([name for name in watched if name in sys.modules])
        self.exit()


App._display = first_frame


class Terminal(io.StringIO):
    def isatty(self):
        return True


from qlik_tui.cli import main

code = main(["setup"], stdin=Terminal(), stdout=Terminal())
print(code, *([",".join(names) for names in found] or ["no frame"]))
"""
# Loaded only once the Welcome is on screen: the stores (profiles, keyring, encrypted file),
# the key parser, and the keyring, crypto and HTTP libraries behind them.
NOT_BEFORE_FIRST_FRAME = (
    "qlik_tui.services.context",
    "qlik_tui.store.profiles",
    "qlik_tui.store.secrets",
    "qlik_tui.store.key_stores",
    "qlik_tui.core.apikey",
    "qlik_tui.tui.state",  # the wizard's state: made on first use
    "httpx",
    "keyring",
    "secretstorage",
    "cryptography",
)


def test_the_welcome_is_painted_before_the_stores_and_their_libraries_load(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        **HEADLESS,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "DBUS_SESSION_BUS_ADDRESS": "",  # the keyring is not reached before the frame either
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_SCRIPT, *NOT_BEFORE_FIRST_FRAME],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # Exit code 0; no collection before the frame (nothing to free); only the Welcome's rules
    # parsed (the other screens' come after the frame); none of those modules loaded.
    # The writer thread gets the GIL within 1 ms to put a frame on the terminal.
    assert done.stdout.split() == ["0", "gc-off", "switch-interval-0.001", "welcome-css-only"], (
        done.stdout
    )


# Loaded first in the program (``sitecustomize``): each write that reaches the terminal is
# logged with the thread that made it and whether it holds the Welcome's text.
RECORD_TERMINAL_WRITES = """\
import os
import threading

from qlik_tui.tui.terminal_driver import DroppingWritesWhenGone

log = open(os.environ["WRITES_LOG"], "w", encoding="utf-8", buffering=1)
write = DroppingWritesWhenGone.write


def recorded(self, text):
    log.write(f"{threading.current_thread().name} {'Start setup' in text}\\n")
    return write(self, text)


DroppingWritesWhenGone.write = recorded
"""


def test_the_event_loop_writes_until_the_first_frame_then_the_writer_thread(
    tmp_path: Path, isolated_home: Path
) -> None:
    """No wait for the writer thread to get the GIL before the first frame is on screen; after
    it, the event loop never waits for the terminal, and nothing is written out of order."""
    (tmp_path / "sitecustomize.py").write_text(RECORD_TERMINAL_WRITES, encoding="utf-8")
    log = tmp_path / "writes"
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]), "WRITES_LOG": str(log)}
    with Terminal(["setup"], isolated_home, env=env) as terminal:
        assert terminal.wait_for(b"Start setup"), shown_text(terminal.output)[-2000:]
        terminal.send(b"\x11")  # ctrl+q
        assert terminal.finish() == 0
    writes = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    threads = [thread for thread, _ in writes]
    first_frame = [holds_text for _, holds_text in writes].index("True")
    assert set(threads[: first_frame + 1]) == {"MainThread"}
    handed_over = threads.index("textual-output")
    assert handed_over > first_frame
    # Once the writer thread has written, only it writes (the terminal reset on quitting too).
    assert set(threads[handed_over:]) == {"textual-output"}


async def test_garbage_collection_is_back_on_once_the_first_frame_is_out(
    offline_services: Services,
) -> None:
    gc.disable()  # as ``launch`` leaves it until then
    try:
        app = PinnedApp(offline_services, start="setup")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            # What start-up made is frozen: the first collection does not walk it all.
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_other_screens_rules_are_read_once_the_first_frame_is_out(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.stylesheet.has_source(str(SCREENS_CSS))
        await click(pilot, "#start")
        # A rule of screens.tcss styles the tenant step's input.
        assert app.screen.query_one("#tenant-input").styles.margin.top == 1


def test_start_must_be_known(offline_services: Services) -> None:
    with pytest.raises(ValueError, match="start must be one of"):
        QlikTuiApp(offline_services, start="elsewhere")


# -- the dashboard ---------------------------------------------------------------------------


def add_profile(services: Services) -> None:
    services.profiles.put(Profile(name="work", origin="https://acme.eu.qlikcloud.com"))


async def test_the_welcome_opens_the_dashboard_when_profiles_exist(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # the profiles are looked for in a thread
        button = app.screen.query_one("#dashboard", Button)
        assert button.disabled  # no profiles yet
        assert app.profiles_found is False
    add_profile(offline_services)
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.profiles_found is True
        await click(pilot, "#dashboard")
        assert isinstance(app.screen, DashboardScreen)
        app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


async def test_without_a_profiles_file_the_welcome_is_the_very_first_screen(
    offline_services: Services,
) -> None:
    assert not offline_services.profiles.path.exists()
    app = PinnedApp(offline_services, start="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        # Decided before the first frame: the dashboard ("Reading the stored profiles…") is
        # never built, not even for a moment.
        assert [type(screen) for screen in app.screen_stack] == [WelcomeScreen]
        await settle(pilot)
        assert [type(screen) for screen in app.screen_stack] == [WelcomeScreen]
        assert app.screen.query_one("#dashboard", Button).disabled
    assert not offline_services.profiles.path.exists()  # a stat, nothing written


async def test_an_empty_profiles_file_still_ends_on_the_welcome(
    offline_services: Services,
) -> None:
    add_profile(offline_services)
    for profile in offline_services.profiles.all():
        offline_services.profiles.remove(profile.name)
    assert offline_services.profiles.path.exists()
    app = PinnedApp(offline_services, start="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)


async def test_auto_start_opens_the_dashboard_only_with_profiles(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.query_one("#dashboard", Button).disabled
    add_profile(offline_services)
    app = PinnedApp(offline_services, start="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        app.start_setup()
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


# -- workers: failures are handled in one place ------------------------------------------------


class BrokenLiveTest(LiveTestScreen):
    async def _live_test(self, *args: object) -> None:
        raise LookupError("a bug in the worker")


class BrokenWorkerApp(PinnedApp):
    SCREENS = {**PinnedApp.SCREENS, "live-test": BrokenLiveTest}


async def test_an_unexpected_worker_error_is_a_panel_not_a_crash(
    offline_services: Services,
) -> None:
    key = fixed_key()
    app = BrokenWorkerApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.set_tenant(fixed_tenant(), "", confirmed=False)
        app.state.set_key(key)
        app.go_to_step(6)
        await settle(pilot)
        assert app.is_running
        screen = app.screen
        assert isinstance(screen, BrokenLiveTest)
        assert screen.outcome is not None and screen.outcome.kind is OutcomeKind.UNEXPECTED_ERROR
        assert "Internal error" in text_of(pilot, ".outcome-heading")
        assert "LookupError" in screen.outcome.cause
        assert app.state.key == key
        assert app.screen.query_one("#retry", Button)


def test_state_repr_hides_the_key() -> None:
    from qlik_tui.tui.state import WizardState

    key = parse_key(sentinel_key())
    state = WizardState(tenant=parse_tenant("acme.eu.qlikcloud.com"))
    state.set_key(key)
    assert key.reveal() not in repr(state)
    assert key.reveal().rsplit(".", 1)[1] not in repr(state)
    assert state.key_at_risk


async def test_the_command_palette_offers_no_screenshot_to_a_file(
    offline_services: Services,
) -> None:
    app = PinnedApp(offline_services, start="setup")
    async with app.run_test(size=(80, 24)):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Quit" in titles and "Theme" in titles
        assert "Screenshot" not in titles
