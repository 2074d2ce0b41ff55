"""Textual's Linux / macOS driver, made to end the app when its terminal goes away.

Once a terminal hangs up (its window closed, the SSH connection dropped, a pty's leader closed),
``select`` reports its input readable for ever and every read returns nothing (Linux) or fails
with EIO (macOS). Textual's input thread takes an empty read for "nothing yet" and selects again:
a busy loop that kept the process alive at full CPU when no SIGHUP came (the terminal was not the
controlling one, or SIGHUP was ignored). Here the input thread stops at the end of its input and
raises SIGHUP in its own process, what the kernel sends when a controlling terminal hangs up, so
that either way the app ends through its one signal path (exit code 129; a program that handles
no SIGHUP dies of it, as it would of the kernel's). Writes to a terminal
that is gone fail with EIO: they are dropped, so that the writer thread neither dies nor leaves
the app blocked on its full queue.

Until the first frame is on the terminal, the event loop writes to it itself. Textual hands every
write to its writer thread, and that thread then waits for the GIL while the event loop goes on
with what follows the frame (resize and show events, the first workers): a median 6 ms more
before the first frame reached the terminal, measured on a loaded machine with the 1 ms switch
interval ``launch`` sets. Written at once, it is there when it is ready; the writes before it are
a few escape sequences, so nothing but the first frame waits on the terminal.
"""

from __future__ import annotations

import os
import selectors
import signal
from codecs import getincrementaldecoder
from io import TextIOWrapper
from typing import IO, Any, cast

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class DroppingWritesWhenGone:
    """The terminal's output stream; after a write or flush fails (EIO: the terminal is gone),
    everything written is dropped."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except OSError:
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return True


class TerminalDriver(LinuxDriver):
    """``LinuxDriver`` whose input thread stops, and raises SIGHUP, when the terminal's input
    ends, and whose writes to a terminal that is gone are dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._file is not None:
            # The writer thread uses it (the event loop too until the first frame is out),
            # through write, flush and fileno.
            self._file = cast("TextIOWrapper", DroppingWritesWhenGone(self._file))
        # Until the first flush after start-up (the first frame's): write from the event loop.
        self._writing_directly = True
        self._started = False

    def start_application_mode(self) -> None:
        super().start_application_mode()  # type: ignore[no-untyped-call]
        self._started = True

    def write(self, data: str) -> None:
        if self._writing_directly and self._file is not None:
            self._file.write(data)
        else:
            super().write(data)

    def flush(self) -> None:
        if self._writing_directly:
            if self._file is not None:
                self._file.flush()
            # The app flushes after each frame: past start-up, this was the first one. From
            # now on the writer thread writes, in order (nothing is left in this buffer).
            self._writing_directly = not self._started

    def run_input_thread(self) -> None:
        """Textual's input loop, except that the end of the input (an empty read, or EIO)
        ends it, with SIGHUP."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False
        ) -> bool:
            """Feed what was read to the parser; False once the input has ended."""
            for number, (_key, mask) in enumerate(selector_events, start=1):
                if mask & selectors.EVENT_READ:
                    try:
                        data = os.read(self.fileno, 1024 * 4)
                    except OSError:
                        data = b""
                    if not data:
                        return False
                    last = number == len(selector_events)
                    for event in parser.feed(decode(data, final=final and last)):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not process_selector_events(selector.select(0.1)):
                    os.kill(os.getpid(), signal.SIGHUP)
                    return
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
