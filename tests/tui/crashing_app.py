"""Run by ``test_app.py`` in a subprocess: the real ``launch()``, with a step-1 handler that
crashes while a local variable (and the exception message) hold the key read from stdin.

Never imported by the test process itself.
"""

from __future__ import annotations

import sys

from textual.widgets import Button

from qlik_tui.core.apikey import parse_key
from qlik_tui.services.context import Services
from qlik_tui.tui.app import QlikTuiApp
from qlik_tui.tui.launch import launch
from qlik_tui.tui.screens.welcome import WelcomeScreen

SENTINEL_KEY = parse_key(sys.stdin.readline())


class CrashingWelcome(WelcomeScreen):
    def on_mount(self) -> None:
        super().on_mount()
        self.qapp.state.set_key(SENTINEL_KEY)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        secret_text = self.qapp.state.key.reveal()  # type: ignore[union-attr]
        raise RuntimeError(f"deliberate crash holding {secret_text}")


QlikTuiApp.SCREENS = {**QlikTuiApp.SCREENS, "welcome": CrashingWelcome}

if __name__ == "__main__":
    sys.exit(launch(Services.default(), start="setup"))
