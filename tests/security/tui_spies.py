"""What the running app hands to the outside, recorded (never altered) for the TUI leak matrix:
worker names and descriptions, clipboard writes, the terminal driver's output (OSC 52 clipboard
sequences included), notifications and the argv of any process started. Plus a stricter search than
``Observed.leaks_of``: a screen is 80 columns wide, so a key shown there is never whole; any
run of ``FRAGMENT`` characters of the signature segment counts.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.worker import Worker
from textual.worker_manager import WorkerManager

from tests.security.leaks import Observed

FRAGMENT = 12  # random base64url characters: no screen or log text matches them by chance
_OSC52 = re.compile(r"\x1b\]52;[^;]*;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)")
_SVG_TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.DOTALL)


def svg_text(svg: str) -> str:
    """The characters an SVG screen export draws, as plain text (for "is X shown" checks)."""
    return html.unescape("".join(_SVG_TEXT.findall(svg))).replace("\xa0", " ")


def signature_fragments(key: str, width: int = FRAGMENT) -> list[str]:
    signature = key.rsplit(".", 1)[1]
    return [signature[i : i + width] for i in range(len(signature) - width + 1)]


def shows_part_of(text: str, key: str) -> bool:
    return any(fragment in text for fragment in signature_fragments(key))


def fragment_leaks(observed: Observed, key: str) -> list[str]:
    """Where any ``FRAGMENT``-character run of the key's signature appears."""
    return [where for where, text in observed.texts.items() if shows_part_of(text, key)]


def osc52_payloads(output: str) -> list[str]:
    """The decoded text of every OSC 52 "set clipboard" sequence in terminal output."""
    decoded = []
    for payload in _OSC52.findall(output):
        try:
            decoded.append(base64.b64decode(payload).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            decoded.append(payload)
    return decoded


@dataclass
class Spies:
    workers: list[tuple[str, str, str]] = field(default_factory=list)  # (group, name, description)
    clipboard: list[str] = field(default_factory=list)  # every App.copy_to_clipboard text
    driver: list[str] = field(default_factory=list)  # everything written to the terminal
    argv: list[list[str]] = field(default_factory=list)  # every process started
    notifications: list[str] = field(default_factory=list)  # every toast: title and message

    @property
    def driver_output(self) -> str:
        return "".join(self.driver)

    @property
    def groups(self) -> set[str]:
        return {group for group, _, _ in self.workers}

    def report_to(self, observed: Observed, label: str) -> None:
        for number, (group, name, description) in enumerate(self.workers):
            observed.add(f"worker:{label}:{number}:{group}", f"{name}\n{description}")
        for number, text in enumerate(self.clipboard):
            observed.add(f"clipboard-call:{label}:{number}", text)
        observed.add(f"driver-output:{label}", self.driver_output)
        for number, text in enumerate(osc52_payloads(self.driver_output)):
            observed.add(f"osc52:{label}:{number}", text)
        for number, argv in enumerate(self.argv):
            observed.add_argv(f"{label}:{number}", argv)
        observed.add(f"notifications:{label}", "\n".join(self.notifications))


def install_spies(monkeypatch: pytest.MonkeyPatch) -> Spies:
    spies = Spies()
    add_worker = WorkerManager.add_worker
    copy_to_clipboard = App.copy_to_clipboard
    popen_init = subprocess.Popen.__init__
    notify = App.notify

    def recording_add_worker(
        self: WorkerManager, worker: Worker[Any], *args: Any, **kw: Any
    ) -> None:
        spies.workers.append((worker.group, worker.name, worker.description))
        add_worker(self, worker, *args, **kw)

    def recording_copy(self: App[Any], text: str) -> None:
        spies.clipboard.append(text)
        copy_to_clipboard(self, text)

    def recording_write(self: HeadlessDriver, data: str) -> None:
        spies.driver.append(data)

    def recording_notify(self: App[Any], message: str, *, title: str = "", **kw: Any) -> None:
        spies.notifications.append(f"{title}: {message}")
        notify(self, message, title=title, **kw)

    def recording_popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        spies.argv.append([str(a) for a in args] if not isinstance(args, str) else [args])
        popen_init(self, args, *rest, **kw)

    monkeypatch.setattr(WorkerManager, "add_worker", recording_add_worker)
    monkeypatch.setattr(App, "copy_to_clipboard", recording_copy)
    monkeypatch.setattr(HeadlessDriver, "write", recording_write)
    monkeypatch.setattr(subprocess.Popen, "__init__", recording_popen)
    monkeypatch.setattr(App, "notify", recording_notify)
    return spies
