"""Where the time of one ``qlik-tui check`` goes: a wall-clock timeline of its phases.

    python benchmarks/trace_check.py [--events FILE] [WHAT-IFS] NAME ...
    python benchmarks/trace_check.py [--events FILE] [--gc-off] [--fast-exit] --minimal
        [--async] NAME ORIGIN

The first form runs ``qlik_tui.cli.main(["check", *names])`` in this process with timers
around the package's phases (imports, the keyring's import and backend choice, keyring reads,
HTTP client, each request, metadata write-back, output), around the first import of the
libraries that matter (httpx, httpcore, asyncio, anyio's core and asyncio backend, keyring),
around every TCP + TLS connect, and on the garbage collector (generation 1 and full
collections). The second form times the steps of ``minimal_check.py`` the same way
(``--async``: its AsyncClient variant, which sizes the async stack on its own).

What-ifs, to size what ``check`` does beyond the minimal script:
  --no-key-record  verify with ``Detail.NONE`` (no ``GET /api-keys/{id}``)
  --no-write-back  no profile metadata update
  --reuse-after-redirect
                   read the body of a redirect (empty in the sandbox) before closing it, so its
                   connection goes back to the pool: QlikClient closes it unread, which makes
                   httpcore drop the connection and the redirect target needs a new TCP + TLS
                   connection (the minimal script, through httpx's own redirect handling,
                   reuses it)
  --gc-off         ``gc.disable()`` from the start (the interpreter's teardown still collects)
  --fast-exit      ``os._exit()`` once the exit handlers ran (no interpreter teardown)

The timeline ends when the exit handlers are done (threads joined); what the parent measures
beyond that is the interpreter's start and teardown. Printed to stderr (ms since this script
started) and, with ``--events``, written as JSON. Wraps functions from the outside only; the
package is not changed. For profiling only (benchmarks/profile_misses.py).
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402 - after START: the tracer's own imports are on the timeline
import atexit  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

_events: list[tuple[float, float, str]] = []
_lock = threading.Lock()
_imports = threading.local()  # .depth: imports of watched modules in progress in this thread
# module -> label: the first import of each (its own exec, nested imports included)
WATCHED_IMPORTS = {
    "httpx": "  import httpx",
    "httpcore": "  import httpcore (lazily, by the first client)",
    "asyncio": "  import asyncio",
    "typing_extensions": "    import typing_extensions (by anyio)",
    "qlik_tui.store.backends": "  import qlik_tui.store.backends (keyring, …)",
    "keyring.backends.SecretService": "  import keyring SecretService",
}
# package -> label for its modules imported lazily, i.e. not within another watched import:
# anyio's package comes with httpcore, sync or not, but the first async request imports the
# rest of it (anyio._core…, typing_extensions, then its asyncio backend).
LAZY_PACKAGES = {"anyio": "  import anyio's core + asyncio backend (first async request)"}
# module -> [(class, method, label)], wrapped as soon as the module is loaded
PATCHES = {
    "httpcore._async.connection": [("AsyncHTTPConnection", "_connect", "    TCP + TLS connect")],
    "httpcore._sync.connection": [("HTTPConnection", "_connect", "    TCP + TLS connect")],
}
EXITED = "(exit handlers done: threads joined)"
GC_LABELS = {1: "gc: generation 1 collections", 2: "gc: full collections (generation 2)"}
_gc_started: list[float] = []
_exit_code: list[int] = []


def _record(label: str, began: float) -> None:
    with _lock:
        _events.append(((began - START) * 1000, (time.perf_counter() - START) * 1000, label))


class _TimedLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, name: str) -> None:
        self._inner = inner
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_source, …
        return getattr(self._inner, name)

    def exec_module(self, module: ModuleType) -> None:
        depth = getattr(_imports, "depth", 0)
        _imports.depth = depth + 1
        began = time.perf_counter()
        try:
            self._inner.exec_module(module)
        finally:
            _imports.depth = depth
            label = WATCHED_IMPORTS.get(self._name)
            if label is None and depth == 0:
                label = LAZY_PACKAGES.get(self._name.partition(".")[0])
            if label is not None:
                _record(label, began)
        for owner, method, label in PATCHES.get(self._name, []):
            _wrap(getattr(module, owner), method, label)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        watched = name in WATCHED_IMPORTS or name in PATCHES
        if not watched and name.partition(".")[0] not in LAZY_PACKAGES:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target)  # type: ignore[attr-defined]
            if spec is not None and spec.loader is not None:
                spec.loader = _TimedLoader(spec.loader, name)
                return spec
        return None


def _wrap(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def async_timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                _record(label, began)

        setattr(owner, name, async_timed)
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _record(label, began)

    setattr(owner, name, timed)


def _step(label: str, work: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    try:
        return work()
    finally:
        _record(label, began)


def _without_key_record() -> None:
    """What-if: verify without asking for the key's own record (Detail.NONE)."""
    from qlik_tui.services import check, verify

    original = check.verify_key

    async def verify_user_only(*args: Any, **kwargs: Any) -> Any:
        kwargs["detail"] = verify.Detail.NONE
        return await original(*args, **kwargs)

    check.verify_key = verify_user_only  # type: ignore[assignment]


def _without_write_back() -> None:
    """What-if: the result is not written back to profiles.json."""
    from qlik_tui.services import check

    async def keep_result(services: Any, profile: Any, outcome: Any, report: Any) -> Any:
        return check.CheckResult(profile, outcome, report.user if report else None)

    check._record = keep_result  # type: ignore[assignment]


def _reuse_after_redirect() -> None:
    """What-if: a redirect's body is read before the response is closed."""
    import httpx

    close = httpx.Response.aclose

    async def read_then_close(self: httpx.Response) -> None:
        if self.is_redirect and not self.is_closed and not self.is_stream_consumed:
            await self.aread()
        await close(self)

    httpx.Response.aclose = read_then_close  # type: ignore[method-assign]


def trace_check(names: list[str], what_ifs: Sequence[Callable[[], None]]) -> int:
    _step("import qlik_tui.cli", lambda: __import__("qlik_tui.cli"))
    _step(
        "import qlik_tui.commands.check (httpx, asyncio, …)",
        lambda: __import__("qlik_tui.commands.check"),
    )

    from qlik_tui.commands import check as check_command
    from qlik_tui.core import client
    from qlik_tui.services import check
    from qlik_tui.store import profiles, secrets

    for install in what_ifs:
        install()
    _wrap(secrets, "_select", "  keyring: import + choose backend")
    _wrap(secrets.SecretStore, "load", "keyring: load key (in a thread)")
    _wrap(profiles.ProfileStore, "all", "profiles.json: read all")
    _wrap(profiles.ProfileStore, "update", "profiles.json: write back")
    _wrap(check, "make_http_client", "httpx.AsyncClient() (make_http_client)")
    _wrap(client, "tls_context", "  TLS context (CA file)")
    _wrap(check, "verify_key", "verify_key (HTTP)")
    _wrap(client.QlikClient, "me", "  GET /users/me (+301)")
    _wrap(client.QlikClient, "api_key", "  GET /api-keys/{id}")
    _wrap(check_command, "print_lines", "print results")

    from qlik_tui.cli import main as cli_main

    return int(_step("cli.main (check)", lambda: cli_main(["check", *names])))


def trace_minimal(name: str, origin: str, use_async: bool) -> int:
    """The steps of minimal_check.py, timed one by one."""
    minimal = _step("import minimal_check (httpx, keyring)", lambda: __import__("minimal_check"))
    httpx = minimal.httpx
    client_class = httpx.AsyncClient if use_async else httpx.Client
    _wrap(client_class, "__init__", f"  httpx.{client_class.__name__}()")
    key = _step("keyring: load key", lambda: minimal.Keyring().get_password("qlik-tui", name))
    fetch = minimal.fetch_async if use_async else minimal.fetch
    response = _step(
        f"{'asyncio.run + ' if use_async else ''}httpx GET /users/me (+301)",
        lambda: fetch(f"{origin}/api/v1/users/me", key),
    )
    print(response.json()["name"])
    return 0 if response.status_code == 200 else 1


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[:] = [time.perf_counter()]
    elif _gc_started and info["generation"] in GC_LABELS:
        _record(GC_LABELS[info["generation"]], _gc_started[0])


def _report(events_path: str | None, fast_exit: bool) -> None:
    """Runs last at exit (the first exit handler registered): after the non-daemon threads
    were joined and every other exit handler ran; only the interpreter's teardown is left."""
    _record(EXITED, time.perf_counter())
    gc.callbacks.remove(_on_gc)
    events = sorted(_events)
    width = max(len(label) for *_, label in events)
    print(f"{'phase'.ljust(width)}  start ms    end ms   took ms", file=sys.stderr)
    for start, end, label in events:
        line = f"{label.ljust(width)}  {start:8.1f}  {end:8.1f}  {end - start:8.1f}"
        print(line, file=sys.stderr)
    if events_path:
        with open(events_path, "w", encoding="utf-8") as out:
            json.dump([{"label": la, "start": s, "end": e} for s, e, la in events], out)
    if fast_exit:  # what-if: no interpreter teardown
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_code[0] if _exit_code else 1)


def main() -> int:
    sys.meta_path.insert(0, _Finder())
    gc.callbacks.append(_on_gc)
    parser = argparse.ArgumentParser(description="timeline of one check")
    parser.add_argument("--events", help="write the timeline as JSON to this file")
    parser.add_argument(
        "--no-key-record", action="store_true", help="what-if: no GET /api-keys/{id}"
    )
    parser.add_argument(
        "--no-write-back", action="store_true", help="what-if: no profiles.json update"
    )
    parser.add_argument(
        "--reuse-after-redirect",
        action="store_true",
        help="what-if: read a redirect's body so that its connection is reused",
    )
    parser.add_argument(
        "--gc-off", action="store_true", help="what-if: gc.disable() from the start"
    )
    parser.add_argument(
        "--fast-exit", action="store_true", help="what-if: os._exit() after the exit handlers"
    )
    parser.add_argument("--minimal", action="store_true", help="trace minimal_check.py instead")
    parser.add_argument("--async", dest="use_async", action="store_true", help="with --minimal")
    parser.add_argument("args", nargs="+", metavar="NAME")
    options = parser.parse_args()
    atexit.register(_report, options.events, options.fast_exit)
    if options.gc_off:
        gc.disable()
    if options.minimal:
        code = trace_minimal(*options.args[:2], use_async=options.use_async)
    else:
        chosen = {
            _without_key_record: options.no_key_record,
            _without_write_back: options.no_write_back,
            _reuse_after_redirect: options.reuse_after_redirect,
        }
        code = trace_check(options.args, [install for install, on in chosen.items() if on])
    _record("(work done)", time.perf_counter())
    _exit_code.append(code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
