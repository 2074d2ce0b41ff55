"""Crash reports that cannot leak the key: the exception's type and where it was raised.

Textual's default crash output is a rich traceback *with local variables*, and Python's prints
the exception message; either may hold the key (a local, or an error that quotes a header). So a
crash report names the exception type and the innermost frame (file, line, function) only.
"""

from __future__ import annotations

import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import TextIO

PROGRAM = "qlik-tui"


def crash_summary(error: BaseException) -> str:
    """One line: type and location. Never the message, never locals."""
    where = _innermost_location(error.__traceback__)
    location = f" at {where}" if where else ""
    return (
        f"{PROGRAM}: crashed with {type(error).__name__}{location}. Details are left out so that "
        "no secret can end up in this output; please report this line."
    )


def _innermost_location(tb: TracebackType | None) -> str | None:
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return None
    frame = frames[-1]
    return f"{_short_path(frame.filename)}:{frame.lineno} in {frame.name}"


def _short_path(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    if "qlik_tui" in parts:  # our own files: relative to the package, for a readable report
        return "/".join(parts[parts.index("qlik_tui") :])
    return path.name


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        print(f"{PROGRAM}: interrupted", file=_stderr())
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    print(crash_summary(exc), file=_stderr())


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def _stderr() -> TextIO:
    return sys.stderr


def install_crash_hooks() -> None:
    """Replace Python's own traceback printers for this process (main thread and threads)."""
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
