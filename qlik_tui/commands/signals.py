"""SIGTERM as a cancel of the running task, so a renewal cleans up as it does for Ctrl-C.

``asyncio.run`` turns Ctrl-C (SIGINT) into a cancel of its main task (Python 3.11+; before, it
is handled here too); a SIGTERM would end the process where it stands, leaving a key the tenant
made while nobody stores it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator

_HANDLED = (signal.SIGTERM,) if sys.version_info >= (3, 11) else (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def sigterm_cancels_this_task() -> Iterator[list[int]]:
    """While inside: a SIGTERM cancels the current task and is appended to the yielded list.
    Where signals cannot be caught this way (Windows, not the main thread) nothing changes."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[int] = []

    def on_signal(number: int) -> None:
        if number == signal.SIGTERM:
            received.append(number)
        if task is not None:
            task.cancel()

    installed: list[tuple[signal.Signals, signal._HANDLER]] = []
    for number in _HANDLED:
        previous = signal.getsignal(number)
        try:
            loop.add_signal_handler(number, on_signal, number)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append((number, previous))
    try:
        yield received
    finally:
        for number, previous in installed:
            loop.remove_signal_handler(number)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(number, previous)


def was_cancelled() -> bool:
    """The current task was asked to stop (Ctrl-C or SIGTERM) -- and went on to report."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling and cancelling() > 0)
