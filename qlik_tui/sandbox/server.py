"""The HTTP(S) plumbing of the sandbox: a threaded server on a loopback address.

``LoopbackServer`` answers each request through three steps that subclasses may extend:
``_received`` (the request has arrived), ``_answer`` (write the answer) and ``_finished``
(the answer is written, or the client went away).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

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
        super().__init__(address, Handler)

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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QlikSandbox/1.0"
    sys_version = ""
    timeout = 30
    server: _Server
    body: bytes = b""  # the request body, read before the answer is written

    def handle(self) -> None:
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            try:
                connection.do_handshake()
            except (OSError, ValueError):
                self.close_connection = True
                return
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _dispatch


class LoopbackServer:
    """A threaded HTTP(S) server on a loopback address, as a context manager."""

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        check_loopback(host)
        self.host = host
        self._requested_port = port
        self.ssl_context = ssl_context
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
        request = self._received(handler, Request(handler.command, split.path, split.query))
        try:
            self._drain_body(handler)
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
    def _drain_body(handler: Handler) -> None:
        """Read the request body (at most 1 MiB) into ``handler.body``."""
        handler.body = b""
        length = handler.headers.get("Content-Length", "0").strip()
        if length.isdigit() and 0 < int(length) <= 1024 * 1024:
            handler.body = handler.rfile.read(int(length))

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
        handler.send_response(status)
        if status != 204:  # a 204 has neither a body nor body headers
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if body:
            handler.wfile.write(body)
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
