"""Where the time to the first screen goes: a timeline of a Textual program's start-up.

    python benchmarks/trace_tui.py EVENTS.json (-m MODULE | SCRIPT) [ARGS ...]

Runs the program (``-m qlik_tui setup`` or ``benchmarks/bare_textual_app.py``) with timers on
the imports that matter (httpx and keyring should not show up before the first frame), on the
first screen's construction, on Textual's stylesheet work and on the driver's first frame, and
writes the events (ms since this launcher started) to EVENTS.json when it exits. Wraps from
the outside only (an import hook and attribute patches); the package is not changed.
For profiling only (benchmarks/profile_misses.py).
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import importlib.machinery
import json
import runpy
import sys
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

START = time.perf_counter()
# module -> the label of its import (its own exec, nested imports included)
WATCHED_IMPORTS = {
    "qlik_tui.cli": "import qlik_tui.cli",
    "qlik_tui.services.context": "import qlik_tui.services.context",
    "httpx": "import httpx",
    "keyring": "import keyring",
    "qlik_tui.tui.app": "import qlik_tui.tui.app (textual.app, …)",
    "textual.app": "import textual.app",
    "qlik_tui.tui.screens.welcome": "import the welcome screen",
}
# module -> [(owner attribute path, function name, label)], patched once the module is loaded
PATCHES: dict[str, list[tuple[str, str, str]]] = {
    "textual.css.stylesheet": [
        ("Stylesheet", "parse", "CSS: parse stylesheets"),
        ("Stylesheet", "apply", "CSS: apply to widgets (parses lazily)"),
    ],
    "textual.app": [("App", "run", "App.run (until exit)")],
    "qlik_tui.services.context": [("Services", "default", "Services.default()")],
    "qlik_tui.tui.app": [("QlikTuiApp", "get_default_screen", "first screen: construct")],
}
_events: list[dict[str, Any]] = []
_first_frame: list[float] = []


def _now_ms() -> float:
    return (time.perf_counter() - START) * 1000


def _add(label: str, start_ms: float, end_ms: float) -> None:
    _events.append({"label": label, "start": start_ms, "end": end_ms})


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = _now_ms()
        try:
            return function(*args, **kwargs)
        finally:
            _add(label, began, _now_ms())

    return wrapper


def _patch(module: ModuleType) -> None:
    for owner_name, function_name, label in PATCHES.get(module.__name__, []):
        owner = getattr(module, owner_name)
        original = owner.__dict__[function_name]
        is_classmethod = isinstance(original, classmethod)
        wrapped: Any = _timed(label, original.__func__ if is_classmethod else original)
        setattr(owner, function_name, classmethod(wrapped) if is_classmethod else wrapped)
    if module.__name__ == "textual.drivers.linux_driver":
        original_write = module.LinuxDriver.write

        def write(self: Any, data: str) -> None:
            original_write(self, data)
            if not _first_frame and len(data) >= 1000:  # a whole screen, not a mode switch
                _first_frame.append(_now_ms())

        module.LinuxDriver.write = write


class _TimedLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, name: str) -> None:
        self._inner = inner
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        began = _now_ms()
        self._inner.exec_module(module)
        if self._name in WATCHED_IMPORTS:
            _add(WATCHED_IMPORTS[self._name], began, _now_ms())
        _patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    WANTED = {*WATCHED_IMPORTS, *PATCHES, "textual.drivers.linux_driver"}

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.WANTED:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target)  # type: ignore[attr-defined]
            if spec is not None and spec.loader is not None:
                spec.loader = _TimedLoader(spec.loader, name)
                return spec
        return None


def _write_events(path: str) -> None:
    events = list(_events)
    if _first_frame:
        events.append({"label": "first frame written", "start": _first_frame[0], "end": None})
    with open(path, "w", encoding="utf-8") as out:
        json.dump(events, out)


def main() -> None:
    events_path, *rest = sys.argv[1:]
    module = rest[0] == "-m"
    target, *args = rest[1:] if module else rest
    atexit.register(_write_events, events_path)
    sys.meta_path.insert(0, _Finder())
    sys.argv = [target, *args]
    if module:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
