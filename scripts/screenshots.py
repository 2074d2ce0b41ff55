"""Screenshots of every wizard step, taken by driving the real app with Textual's Pilot.

    python scripts/screenshots.py [--out screenshots] [--size 80x24]

Starts the sandbox tenant (plain HTTP on 127.0.0.1, fixed seed, so the same tenant and users
every run), walks the wizard in demo mode from Welcome to Done and on to the dashboard of
stored keys, then the OAuth path (a practice client created, proven, stored), and writes
``screenshots/NN-step-name.svg`` plus a PNG next to each when ``rsvg-convert`` is installed
(Debian/Ubuntu: librsvg2-bin).

Only sandbox keys ever appear, and the key input is masked anyway. The key is stored in a real
Secret Service, as in a real run: a private D-Bus session with its own unlocked gnome-keyring
(the tests' daemon, under a temporary HOME), so the pictures name the backend a user sees and
no real keyring is touched. Profiles go to the same temporary directory, removed afterwards.
Needs gnome-keyring and dbus (Debian/Ubuntu: apt-get install gnome-keyring dbus).

The SVGs keep their spaces (``xml:space="preserve"``) and fall back to DejaVu Sans Mono when
Fira Code is missing: without both, rsvg-convert runs words together in the PNGs.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

REPO = Path(__file__).resolve().parents[1]
# The tests' sandbox (a slow answer shows the spinner) and in-memory keyring live under tests/.
sys.path.insert(0, str(REPO))

import os  # noqa: E402
import re  # noqa: E402

from qlik_tui.commands.demo import DEMO_KEYRING_SERVICE, DEMO_PORT, DEMO_SEED  # noqa: E402
from qlik_tui.services.context import Services  # noqa: E402
from qlik_tui.store.profiles import ProfileStore  # noqa: E402
from qlik_tui.store.secrets import SecretStore  # noqa: E402
from qlik_tui.tui.app import QlikTuiApp  # noqa: E402
from tests.fixtures.faulty_sandbox import FaultySandbox  # noqa: E402
from tests.fixtures.keyring_daemon import (  # noqa: E402
    UNLOCK_PASSWORD,
    start_secret_service,
    stop_secret_service,
)

MONO_FALLBACK = '"DejaVu Sans Mono", "Liberation Mono", monospace'


# Textual places each span on a grid of 0.61 em cells and relies on ``textLength`` to fill it;
# rsvg-convert ignores that, and DejaVu Sans Mono advances 0.602 em: a 38-character bold span
# then ends 6 px short and leaves a false space before what follows ("proven to work ,").
CELL_SPACING = "letter-spacing: 0.16px;"  # (0.61 - 0.602) em at the SVG's 20 px


def readable_svg(svg: Path) -> None:
    """Keep the spaces that start a text span (rsvg drops them otherwise: "^pp alette"), name
    installed monospace fonts after Fira Code, which the SVG loads from the web, and space their
    letters to Textual's cell width."""
    text = svg.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in text:
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
    text = re.sub(
        r"font-family: Fira Code, monospace;", f"font-family: Fira Code, {MONO_FALLBACK};", text
    )
    if CELL_SPACING not in text:
        text = re.sub(r"(-matrix \{[^}]*?font-size: 20px;)", rf"\1 {CELL_SPACING}", text, count=1)
    svg.write_text(text, encoding="utf-8")


def start_sandbox() -> FaultySandbox:
    # The demo's port keeps the address in the pictures stable.
    try:
        return FaultySandbox(port=DEMO_PORT, seed=DEMO_SEED).start()
    except OSError:
        return FaultySandbox(port=0, seed=DEMO_SEED).start()


class Shooter:
    def __init__(self, app: QlikTuiApp, pilot: Pilot[Any], out: Path) -> None:
        self.app, self.pilot, self.out = app, pilot, out
        self.count = 0
        self.rsvg = shutil.which("rsvg-convert")
        self.written: list[Path] = []

    async def shot(self, name: str, *, same_number: bool = False) -> None:
        """Write NN-name.svg; ``same_number`` keeps the previous NN (views of one screen)."""
        await self.pilot.pause()
        await self.pilot.wait_for_scheduled_animations()
        if not same_number or self.count == 0:
            self.count += 1
        svg = self.out / f"{self.count:02d}-{name}.svg"
        self.app.save_screenshot(svg.name, str(self.out))
        readable_svg(svg)
        self.written.append(svg)
        if self.rsvg:
            png = svg.with_suffix(".png")
            subprocess.run([self.rsvg, str(svg), "-o", str(png)], check=True)
            self.written.append(png)

    async def click(self, selector: str) -> None:
        self.app.screen.query_one(selector).scroll_visible(animate=False, immediate=True)
        await self.pilot.pause()
        await self.pilot.click(selector)
        await self.pilot.pause()

    async def settle(self) -> None:
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()


async def welcome_without_keyring(
    out: Path, sandbox: FaultySandbox, tmp: Path, size: tuple[int, int]
) -> list[Path]:
    """The Welcome where no keyring answers (no D-Bus session: SSH, a container), probed for
    real by an app of its own; its picture shares the Welcome's number (01)."""
    from keyring.backends import SecretService

    address = os.environ.pop("DBUS_SESSION_BUS_ADDRESS")
    try:
        services = Services(
            secrets=SecretStore(backend=SecretService.Keyring(), service=DEMO_KEYRING_SERVICE),
            profiles=ProfileStore(tmp / "no-keyring" / "profiles.json"),
        )
        app = QlikTuiApp(services, start="setup", sandbox=sandbox)
        async with app.run_test(size=size) as pilot:
            shooter = Shooter(app, pilot, out)
            shooter.count = 1
            await shooter.settle()
            await shooter.shot("welcome-no-keyring", same_number=True)
            return shooter.written
    finally:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address


async def oauth_path(
    out: Path, services: Services, sandbox: FaultySandbox, size: tuple[int, int], number: int
) -> list[Path]:
    """The Welcome's OAuth choice, step by step, in an app of its own; numbered on from
    ``number``."""
    app = QlikTuiApp(services, start="setup", sandbox=sandbox)
    async with app.run_test(size=size) as pilot:
        s = Shooter(app, pilot, out)
        s.count = number
        await s.settle()
        await s.click("#oauth-client")
        await s.shot("oauth-create")
        await pilot.press("ctrl+n")
        await s.click("#oauth-practice")
        await s.shot("oauth-enter")
        sandbox.set_fault("slow", delay=5.0)  # the spinner; that proof is cancelled
        await pilot.press("ctrl+n")
        await pilot.pause(0.5)
        await s.shot("oauth-proving")
        await pilot.press("escape")
        await s.settle()
        sandbox.clear_faults()
        await s.click("#retry")
        await s.settle()
        await s.shot("oauth-proof")
        await pilot.press("ctrl+s")
        await s.settle()
        await s.shot("oauth-done")
        return s.written


async def walk(out: Path, size: tuple[int, int]) -> list[Path]:
    from keyring.backends import SecretService

    sandbox = start_sandbox()
    with tempfile.TemporaryDirectory(prefix="qlik-tui-screenshots-") as tmp:
        session = start_secret_service(Path(tmp) / "secret-service", UNLOCK_PASSWORD)
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.address  # this process's only bus
        services = Services(
            # As `qlik-tui demo` stores it: the demo's own service name, a real Secret Service.
            secrets=SecretStore(backend=SecretService.Keyring(), service=DEMO_KEYRING_SERVICE),
            profiles=ProfileStore(Path(tmp) / "profiles.json"),
        )
        app = QlikTuiApp(services, start="setup", sandbox=sandbox)
        try:
            async with app.run_test(size=size) as pilot:
                s = Shooter(app, pilot, out)
                await s.shot("welcome")
                await s.click("#start")
                await s.shot("tenant")
                await pilot.press("enter")
                await s.shot("permission-check")
                await s.click("#missing-permission")
                await s.shot("permission-missing")
                await s.click("#have-permission")
                await s.shot("generate")
                await s.click("#sandbox-key")
                await s.shot("generate-sandbox-key")
                await s.click("#close")  # "I copied it": on to pasting it
                await s.shot("paste-empty")
                await s.click("#use-sandbox-key")
                await s.shot("paste-inspected")

                # A slow answer shows the spinner; that test is cancelled, and the one whose
                # result is shown runs at the sandbox's own speed (a realistic latency).
                sandbox.set_fault("slow", delay=5.0)
                await pilot.press("ctrl+n")
                await pilot.pause(0.5)
                await s.shot("live-test-running")
                await pilot.press("escape")
                await s.settle()
                sandbox.clear_faults()
                await s.click("#retry")
                await s.settle()
                await s.shot("live-test-success")

                revoked = sandbox.issue_key("revoked")
                app.state.set_key(None)
                app.go_to_step(5)
                await pilot.pause()
                app.screen.query_one("#key-input").value = revoked  # type: ignore[attr-defined]
                await pilot.press("ctrl+n")
                await s.settle()
                await s.shot("live-test-rejected")

                await s.click("#paste-another")
                await s.click("#use-sandbox-key")
                await pilot.press("ctrl+n")
                await s.settle()
                await pilot.press("ctrl+s")
                await s.settle()
                await s.shot("done")

                # The dashboard as the demo makes it: the key just stored, nothing added.
                await s.click("#dashboard")  # opening it re-checks every key
                await s.settle()
                await s.shot("dashboard")
                await pilot.press("enter")
                await s.shot("dashboard-details", same_number=True)
                await pilot.press("escape")
                await pilot.press("d")
                await s.shot("dashboard-forget", same_number=True)
                await pilot.press("escape")
                await pilot.press("R")  # renew the selected key: its successor, proven and stored
                await s.settle()
                await s.shot("dashboard-renew", same_number=True)
                await pilot.press("escape")
                await s.settle()
                await pilot.press("k")  # the tenant's keys of that user
                await s.settle()
                await s.shot("dashboard-keys", same_number=True)
                await pilot.press("escape")
                written, number = s.written, s.count
            written += await oauth_path(out, services, sandbox, size, number)
            written += await welcome_without_keyring(out, sandbox, Path(tmp), size)
        finally:
            sandbox.stop()
            stop_secret_service(session)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--size", default="80x24", help="terminal size, COLSxROWS")
    args = parser.parse_args(argv)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    written = asyncio.run(walk(args.out, (cols, rows)))
    for path in written:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    if not shutil.which("rsvg-convert"):
        print("rsvg-convert not found: SVGs only (install librsvg2-bin for PNGs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
