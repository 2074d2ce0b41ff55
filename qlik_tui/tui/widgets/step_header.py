"""The one-line header of every wizard step: "Step N of 7 · Title" and a progress trail."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class StepHeader(Horizontal):
    def __init__(self, step: int, total: int, title: str, *, demo: bool = False) -> None:
        super().__init__(id="step-header")
        self.step = step
        self.total = total
        self.title = title
        self.demo = demo

    def compose(self) -> ComposeResult:
        yield Static(f"Step {self.step} of {self.total} · {self.title}", id="step-title")
        if self.demo:
            yield Static("DEMO · sandbox tenant", id="demo-badge")
        trail = " ".join("●" if n <= self.step else "○" for n in range(1, self.total + 1))
        yield Static(trail, id="step-trail")
