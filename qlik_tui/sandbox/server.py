"""The HTTP(S) plumbing of the sandbox: a threaded server on a loopback address.

Over TLS it offers HTTP/2 (ALPN "h2", as Qlik Cloud does) and HTTP/1.1; ``http2=False`` offers
HTTP/1.1 only. Both protocols are thin front ends around one core: each request becomes a
``Handler`` (method, path, headers, body and a protocol-neutral way to answer), and
``LoopbackServer`` answers it through three steps that subclasses may extend: ``_received``
(the request has arrived), ``_answer`` (write the answer) and ``_finished`` (the answer is
written, or the client went away).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import socketserver
import ssl
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from qlik_tui.sandbox.exchange import HTTP1, MAX_BODY_BYTES, Handler

__all__ = ["HTTP1", "Handler", "LoopbackServer", "Request"]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox only listens on loopback addresses, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox only listens on loopback addresses, not {host!r}")


def bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class Request:
    """One request and what it was answered: the server never keeps the key."""

    method: str
    path: str  # without the query
    query: str
    status: int | None = None
    body_bytes_sent: int = 0
    protocol: str = HTTP1  # HTTP1 or HTTP2: what the connection negotiated


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # socketserver's 5 drops connections when 20+ checks arrive at once

    def __init__(
        self,
        address: tuple[str, int],
        owner: LoopbackServer,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.owner = owner
        self.ssl_context = ssl_context
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Http1Connection)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(): a reverse DNS lookup off loopback.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        if self.ssl_context is not None:
            self.socket = self.ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def get_request(self) -> tuple[Any, Any]:
        request = super().get_request()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer, which no real tenant does.
        with contextlib.suppress(OSError):
            request[0].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._connected()
        return request

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is not the server's error


class _Http1Connection(BaseHTTPRequestHandler):
    """One connection: the TLS handshake, then HTTP/2 if it was negotiated, else HTTP/1.1."""

    protocol_version = "HTTP/1.1"
    server_version = "QlikSandbox/1.0"
    sys_version = ""
    timeout = 30
    server: _Server

    def handle(self) -> None:
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            try:
                connection.do_handshake()
            except (OSError, ValueError):
                self.close_connection = True
                return
            if connection.selected_alpn_protocol() == "h2":
                if self.server.owner.http2:
                    from qlik_tui.sandbox.http2 import serve_http2  # deferred: h2 only here

                    serve_http2(connection, self.server.owner)
                self.close_connection = True  # an HTTP/1.1-only server never speaks h2
                return
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        exchange = _Http1Exchange(self)
        try:
            self.server.owner._handle(exchange)
        finally:
            if exchange.close_connection:
                self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _dispatch


class _Http1Exchange(Handler):
    """A request on an HTTP/1.1 connection, answered through ``BaseHTTPRequestHandler``."""

    def __init__(self, wire: _Http1Connection) -> None:
        super().__init__(wire.command, wire.path, wire.headers, HTTP1)
        self._wire = wire
        self._chunked = False

    def read_body(self) -> None:
        length = self.headers.get("Content-Length", "0").strip()
        if length.isdigit() and 0 < int(length) <= MAX_BODY_BYTES:
            self.body = self._wire.rfile.read(int(length))

    def _head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        wire = self._wire
        wire.send_response(status)
        has_length = any(name.lower() == "content-length" for name, _ in headers)
        self._chunked = status not in (204, 304) and not has_length
        for name, value in headers:
            wire.send_header(name, value)
        if self._chunked:
            wire.send_header("Transfer-Encoding", "chunked")
        wire.end_headers()

    def _data(self, data: bytes) -> None:
        if not data:
            return
        if self._chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        self._wire.wfile.write(data)

    def _end(self) -> None:
        self.ended = True
        if self._chunked:
            self._wire.wfile.write(b"0\r\n\r\n")
        self._wire.wfile.flush()

    def _abort(self) -> None:
        self.ended = True
        self.close_connection = self._wire.close_connection = True
        connection = self._wire.connection
        with contextlib.suppress(OSError, ValueError):
            self._wire.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Le"
            )
            self._wire.wfile.flush()
            # Linger 0: close() sends a TCP RST instead of an orderly FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._wire.rfile.close()  # the file holds a reference that would delay close()
            connection.close()


class LoopbackServer:
    """A threaded HTTP(S) server on a loopback address, as a context manager.

    With an ``ssl_context`` it offers HTTP/2 and HTTP/1.1 through ALPN, or HTTP/1.1 alone with
    ``http2=False``. It sets the context's ALPN list when it starts: servers sharing one
    context must agree on ``http2``. Plain http:// is HTTP/1.1 only.
    """

    def __init__(
        self, host: str, port: int, ssl_context: ssl.SSLContext | None, *, http2: bool = True
    ) -> None:
        check_loopback(host)
        self.host = host
        self._requested_port = port
        self.ssl_context = ssl_context
        self.http2 = http2 and ssl_context is not None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.server_port

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{bracket(self.host)}:{self.port}"

    def start(self) -> LoopbackServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        if self.ssl_context is not None:
            self.ssl_context.set_alpn_protocols(["h2", "http/1.1"] if self.http2 else ["http/1.1"])
        self._server = _Server((self.host, self._requested_port), self, self.ssl_context)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers that are waiting before they answer
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the steps of one request ---------------------------------------------------------------

    def _connected(self) -> None:
        """A client has connected (called on the accepting thread)."""

    def _handle(self, handler: Handler) -> None:
        split = urlsplit(handler.path)
        asked = Request(handler.command, split.path, split.query, protocol=handler.protocol)
        request = self._received(handler, asked)
        try:
            handler.read_body()
            self._answer(handler, request)
        finally:
            self._finished(request)

    def _received(self, handler: Handler, request: Request) -> Request:
        """The request as the rest of its handling sees it."""
        return request

    def _answer(self, handler: Handler, request: Request) -> None:
        raise NotImplementedError

    def _finished(self, request: Request) -> None:
        """The answer is written, or the client went away."""

    # -- writing answers ------------------------------------------------------------------------

    @staticmethod
    def _send(
        handler: Handler,
        request: Request,
        status: int,
        body: bytes = b"",
        *,
        content_type: str = JSON_CONTENT_TYPE,
        headers: dict[str, str] | None = None,
    ) -> None:
        # Recorded before the answer leaves: a client that has read it may look at the record at
        # once, while this thread has not been scheduled again (a busy machine, parallel tests).
        request.status = status
        head: list[tuple[str, str]] = []
        if status != 204:  # a 204 has neither a body nor body headers
            head += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        head += (headers or {}).items()
        handler.send_head(status, head)
        if body:
            handler.send_data(body)
        handler.end()
        request.body_bytes_sent = len(body)

    def _send_json(
        self,
        handler: Handler,
        request: Request,
        status: int,
        obj: object,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(obj, separators=(",", ":")).encode()
        self._send(handler, request, status, body, headers=headers)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
