"""Baseline B of the first-paint and memory benchmarks: a bare Textual app that shows one label.

Ctrl+Q quits (Textual's default binding), as in qlik-tui.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

MARKER = "bare textual benchmark ready"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Label(MARKER)


if __name__ == "__main__":
    BareApp().run()
