"""Run a Textual program with ``-X importtime`` going to a file instead of the terminal.

    python -X importtime benchmarks/with_import_log.py LOG (-m MODULE | SCRIPT) [ARGS ...]

Textual draws on standard error, where ``-X importtime`` also writes; this launcher moves file
descriptor 2 to LOG and gives Python's ``sys.__stderr__`` (what Textual draws on) the terminal.
For profiling only (benchmarks/profile_misses.py); adds a few imports of its own.
"""

from __future__ import annotations

import os
import runpy
import sys


def main() -> None:
    log, *rest = sys.argv[1:]
    module = rest[0] == "-m"
    target, *args = rest[1:] if module else rest
    terminal = os.dup(2)
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    screen = open(terminal, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    sys.__stderr__ = sys.stderr = screen
    sys.argv = [target, *args]
    if module:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
