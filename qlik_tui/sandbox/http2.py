"""The HTTP/2 front end of the sandbox (``h2``): one TLS connection, many streams.

All reading and writing of the socket happens on the connection's own thread (OpenSSL does not
allow one connection to be read and written from two threads at once); each request is answered
on a thread of its own, as over HTTP/1.1, and hands its frames to the connection thread.
Answers respect the client's flow-control windows; a stream the client resets, or a connection
that closes, makes the answer's next write raise ``ConnectionResetError``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from email.message import Message
from typing import Protocol

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

from qlik_tui.sandbox.exchange import HTTP2, MAX_BODY_BYTES, Handler


class Owner(Protocol):
    """The server the connection answers for (``server.LoopbackServer``)."""

    _stopping: threading.Event

    def _handle(self, handler: Handler) -> None: ...


_POLL_S = 0.05  # how often waiting threads look whether the server is stopping
_SEND_CHUNK = 16 * 1024  # one TLS record
# Connection-specific headers have no place in HTTP/2 (RFC 9113 8.2.2).
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)


def serve_http2(sock: ssl.SSLSocket, owner: Owner) -> None:
    """Answer the streams of one connection (its TLS handshake done) until it closes."""
    _Http2Connection(sock, owner).serve()


class _Http2Connection:
    def __init__(self, sock: ssl.SSLSocket, owner: Owner) -> None:
        self._sock = sock
        self._owner = owner
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            # The sandbox must be able to send what a broken tenant sends (e.g. a Location
            # no client can read): the client, not the server, is under test.
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        self.h2 = h2.connection.H2Connection(config=config)
        self.changed = threading.Condition()  # guards h2; notified when windows or streams change
        self.closed = False
        self._streams: dict[int, _Http2Exchange] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._unsent = b""
        self._retry: bytes | None = None  # a record OpenSSL must be given again as it was

    @property
    def stopping(self) -> bool:
        return self.closed or self._owner._stopping.is_set()

    def act(self, action: Callable[[h2.connection.H2Connection], None]) -> None:
        """Run ``action`` on the h2 state machine and have its frames sent."""
        with self.changed:
            if self.closed:
                raise ConnectionResetError("the HTTP/2 connection is closed")
            try:
                action(self.h2)
            except h2.exceptions.H2Error as exc:
                raise ConnectionResetError(f"HTTP/2: {type(exc).__name__}") from None
        self.wake()

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def serve(self) -> None:
        sock = self._sock
        try:
            sock.setblocking(False)
            with self.changed:
                self.h2.initiate_connection()
            while not self.stopping:
                with self.changed:
                    self._unsent += self.h2.data_to_send()
                writing = [sock] if self._unsent or self._retry else []
                readable, _, _ = select.select([sock, self._wake_r], writing, [], _POLL_S)
                if self._wake_r in readable:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                if sock in readable:
                    self._read()
                self._write()
        except (OSError, ValueError):
            pass
        finally:
            with self.changed:
                self.closed = True
                self.changed.notify_all()
            for end in (self._wake_r, self._wake_w):
                end.close()
            with contextlib.suppress(OSError):
                sock.close()

    def _read(self) -> None:
        while not self.closed:
            try:
                data = self._sock.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            if not data:
                self.closed = True
                return
            with self.changed:
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError:
                    self.closed = True
                    return
                self._on_events(events)
                self.changed.notify_all()

    def _write(self) -> None:
        while self._retry is not None or self._unsent:
            chunk = self._retry
            if chunk is None:
                chunk, self._unsent = self._unsent[:_SEND_CHUNK], self._unsent[_SEND_CHUNK:]
            try:
                sent = self._sock.send(chunk)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                self._retry = chunk  # OpenSSL wants the same bytes again
                return
            self._retry = None
            if sent < len(chunk):
                self._unsent = chunk[sent:] + self._unsent

    def _on_events(self, events: Sequence[h2.events.Event]) -> None:
        """React to what the client sent (``changed`` is held)."""
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                started = _Http2Exchange(self, event.stream_id, event.headers or [])
                self._streams[event.stream_id] = started
                continue  # answered at its StreamEnded (h2 reports it, body or not)
            stream_id = getattr(event, "stream_id", None)
            exchange = self._streams.get(stream_id) if isinstance(stream_id, int) else None
            if isinstance(event, h2.events.DataReceived) and isinstance(stream_id, int):
                if exchange is not None:
                    exchange.receive(event.data or b"")
                self.h2.acknowledge_received_data(event.flow_controlled_length or 0, stream_id)
            elif isinstance(event, h2.events.StreamEnded) and exchange is not None:
                self._dispatch(exchange)
            elif isinstance(event, h2.events.StreamReset) and exchange is not None:
                exchange.reset = True
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.closed = True

    def _dispatch(self, exchange: _Http2Exchange) -> None:
        thread = threading.Thread(
            target=self._answer, args=(exchange,), name=f"h2-stream-{exchange.stream_id}",
            daemon=True,
        )  # fmt: skip
        thread.start()

    def _answer(self, exchange: _Http2Exchange) -> None:
        try:
            with contextlib.suppress(OSError, ValueError):
                self._owner._handle(exchange)
            if not exchange.ended:  # answered nothing (the server is stopping): reset it
                with contextlib.suppress(OSError):
                    exchange._abort()
        finally:
            with self.changed:
                self._streams.pop(exchange.stream_id, None)


class _Http2Exchange(Handler):
    """A request on one HTTP/2 stream."""

    def __init__(
        self,
        connection: _Http2Connection,
        stream_id: int,
        raw_headers: Sequence[tuple[bytes | str, bytes | str]],
    ) -> None:
        pseudo: dict[str, str] = {}
        headers = Message()
        for name_raw, value_raw in raw_headers:
            name, value = _text(name_raw), _text(value_raw)
            if name.startswith(":"):
                pseudo[name] = value
            else:
                headers[name] = value
        if ":authority" in pseudo and "host" not in headers:
            headers["Host"] = pseudo[":authority"]
        super().__init__(pseudo.get(":method", ""), pseudo.get(":path", "/"), headers, HTTP2)
        self.stream_id = stream_id
        self.reset = False  # the client reset the stream
        self._connection = connection
        self._received = bytearray()

    def receive(self, data: bytes) -> None:
        self._received += data

    def read_body(self) -> None:
        # As over HTTP/1.1: a body larger than the sandbox reads is not read at all.
        self.body = bytes(self._received) if len(self._received) <= MAX_BODY_BYTES else b""

    def _check(self) -> None:
        if self.reset:
            raise ConnectionResetError("the client reset the stream")

    def _head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        self._check()
        fields = [(b":status", str(status).encode())] + [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers
            if name.lower() not in _HOP_BY_HOP
        ]
        self._connection.act(lambda h2c: h2c.send_headers(self.stream_id, fields))

    def _data(self, data: bytes) -> None:
        view = memoryview(data)
        connection = self._connection
        while view:
            with connection.changed:
                while True:
                    self._check()
                    if connection.stopping:
                        raise ConnectionResetError("the HTTP/2 connection is closed")
                    window = connection.h2.local_flow_control_window(self.stream_id)
                    if window > 0:
                        break
                    connection.changed.wait(_POLL_S)
                size = min(window, connection.h2.max_outbound_frame_size, len(view))
                piece, view = bytes(view[:size]), view[size:]
                try:
                    connection.h2.send_data(self.stream_id, piece)
                except h2.exceptions.H2Error as exc:
                    raise ConnectionResetError(f"HTTP/2: {type(exc).__name__}") from None
            connection.wake()

    def _end(self) -> None:
        self._check()
        self.ended = True
        self._connection.act(lambda h2c: h2c.end_stream(self.stream_id))

    def _abort(self) -> None:
        self.ended = True
        if not self.reset:
            self._connection.act(
                lambda h2c: h2c.reset_stream(self.stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
            )


def _text(value: object) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
