"""One request as the sandbox's core sees it, whichever protocol carried it (``Handler``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from email.message import Message

HTTP1, HTTP2 = "HTTP/1.1", "HTTP/2"
MAX_BODY_BYTES = 1024 * 1024  # a larger request body is not read (the sandbox takes JSON only)


class HeldAnswer:
    """An answer written while ``Handler.holding()``: sent later by ``send()``."""

    def __init__(self) -> None:
        self.steps: list[Callable[[], None]] = []

    def send(self) -> None:
        for step in self.steps:
            step()


class Handler:
    """One request being answered, whichever protocol carried it: all the core sees of it.

    ``send_head`` / ``send_data`` / ``end`` write the answer (a head without Content-Length is
    sent chunked on HTTP/1.1); ``abort`` loses it (HTTP/1.1: a partial head, then a TCP reset;
    HTTP/2: the stream is reset). A failed write raises ``OSError``.
    """

    def __init__(self, command: str, path: str, headers: Message, protocol: str) -> None:
        self.command = command
        self.path = path  # with the query
        self.headers = headers
        self.protocol = protocol
        self.body = b""  # the request body, read before the answer is written
        self.close_connection = False  # HTTP/1.1: close after this answer (no meaning on h2)
        self.ended = False  # the whole answer has been written (or aborted)
        self._held: HeldAnswer | None = None

    def read_body(self) -> None:
        """Read the request body (at most ``MAX_BODY_BYTES``) into ``body``."""

    def send_head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        self._step(lambda: self._head(status, headers))

    def send_data(self, data: bytes) -> None:
        self._step(lambda: self._data(data))

    def end(self) -> None:
        self._step(self._end)

    def abort(self) -> None:
        self._step(self._abort)

    @contextlib.contextmanager
    def holding(self) -> Iterator[HeldAnswer]:
        """Whatever is written inside is kept in the ``HeldAnswer``, not sent."""
        held = self._held = HeldAnswer()
        try:
            yield held
        finally:
            self._held = None

    def _step(self, step: Callable[[], None]) -> None:
        if self._held is not None:
            self._held.steps.append(step)
        else:
            step()

    # the protocol's part
    def _head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        raise NotImplementedError

    def _data(self, data: bytes) -> None:
        raise NotImplementedError

    def _end(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        raise NotImplementedError
