"""Where the time of one ``qlik-tui check`` goes: a wall-clock timeline of its phases.

    python benchmarks/trace_check.py [--events FILE] [--concurrency N] [--direct-backend] NAME ...
    python benchmarks/trace_check.py [--events FILE] --minimal NAME ORIGIN

The first form runs ``qlik_tui.cli.main(["check", *names])`` in this process with timers
wrapped around the package's phases (imports, keyring backend choice, keyring reads, HTTP
client, verification, metadata write-back); ``--concurrency`` replaces
``Services.check_concurrency`` and ``--direct-backend`` skips keyring's backend discovery
(what-ifs). The second form times the steps of
``minimal_check.py``. Both print the timeline (ms since this script started) to stderr and,
with ``--events``, write it as JSON. Wraps functions from the outside only; the package is not
changed. For profiling only (benchmarks/profile_misses.py).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

START = time.perf_counter()
_events: list[tuple[float, float, str]] = []
_lock = threading.Lock()


def _record(label: str, began: float) -> None:
    with _lock:
        _events.append(((began - START) * 1000, (time.perf_counter() - START) * 1000, label))


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


def trace_check(names: list[str], concurrency: int | None, direct_backend: bool) -> int:
    _step("import qlik_tui.cli", lambda: __import__("qlik_tui.cli"))
    _step("import qlik_tui.services.check", lambda: __import__("qlik_tui.services.check"))
    _step("import qlik_tui.commands.check", lambda: __import__("qlik_tui.commands.check"))

    from qlik_tui.commands import check as check_command
    from qlik_tui.core import client
    from qlik_tui.services import check, context
    from qlik_tui.store import profiles, secrets

    _wrap(secrets, "_select", "keyring: choose backend (keyring.get_keyring)")
    _wrap(secrets.SecretStore, "load", "keyring: load key")
    _wrap(profiles.ProfileStore, "all", "profiles.json: read all")
    _wrap(profiles.ProfileStore, "update", "profiles.json: write back")
    _wrap(check, "make_http_client", "httpx.AsyncClient()")
    _wrap(check, "verify_key", "verify_key (HTTP)")
    _wrap(client.QlikClient, "me", "GET /users/me (+301)")
    _wrap(client.QlikClient, "api_key", "GET /api-keys/{id}")
    _wrap(check_command, "print_lines", "print results")
    if concurrency is not None:
        default = context.Services.default

        def with_concurrency() -> context.Services:
            services = default()
            services.check_concurrency = concurrency
            return services

        context.Services.default = staticmethod(with_concurrency)  # type: ignore[method-assign]

    if direct_backend:
        # What-if: skip keyring's backend discovery (entry points, every backend module) and
        # take the Secret Service backend that discovery would pick here anyway.
        from keyring.backends import SecretService

        secrets.keyring.get_keyring = SecretService.Keyring

    from qlik_tui.cli import main as cli_main

    return int(_step("cli.main (check)", lambda: cli_main(["check", *names])))


def trace_minimal(name: str, origin: str) -> int:
    """The steps of minimal_check.py, timed one by one."""
    httpx = _step("import httpx", lambda: __import__("httpx"))
    backend = _step(
        "import keyring SecretService",
        lambda: __import__("keyring.backends.SecretService", fromlist=["Keyring"]),
    )
    key = _step("keyring: load key", lambda: backend.Keyring().get_password("qlik-tui", name))
    response = _step(
        "httpx.get /users/me (+301)",
        lambda: httpx.get(
            f"{origin}/api/v1/users/me",
            headers={"Authorization": f"Bearer {key}"},
            follow_redirects=True,
        ),
    )
    print(response.json()["name"])
    return 0 if response.status_code == 200 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description="timeline of one check")
    parser.add_argument("--events", help="write the timeline as JSON to this file")
    parser.add_argument("--concurrency", type=int, help="what-if: Services.check_concurrency")
    parser.add_argument(
        "--direct-backend",
        action="store_true",
        help="what-if: SecretService.Keyring() instead of keyring.get_keyring()",
    )
    parser.add_argument("--minimal", action="store_true", help="trace minimal_check.py instead")
    parser.add_argument("args", nargs="+", metavar="NAME")
    options = parser.parse_args()
    if options.minimal:
        code = trace_minimal(*options.args[:2])
    else:
        code = trace_check(options.args, options.concurrency, options.direct_backend)
    events = sorted(_events)
    width = max(len(label) for *_, label in events)
    print(f"{'phase'.ljust(width)}  start ms    end ms   took ms", file=sys.stderr)
    for start, end, label in events:
        line = f"{label.ljust(width)}  {start:8.1f}  {end:8.1f}  {end - start:8.1f}"
        print(line, file=sys.stderr)
    if options.events:
        with open(options.events, "w", encoding="utf-8") as out:
            json.dump([{"label": la, "start": s, "end": e} for s, e, la in events], out)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
