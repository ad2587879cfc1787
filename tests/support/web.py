"""The local test web: several loopback addresses, each a separate host to the crawler.

Each host serves routes that tests set up: realistic pages, and pages that misbehave on
purpose (errors, redirects, slow or reset connections, oversized and bomb bodies). Every
request is logged so tests can assert what the crawler really sent.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Reply:
    """What a route answers. `action` misbehaves: "reset" (TCP RST), "close" (no response)."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    action: str | None = None
    chunked: bool = False

    @classmethod
    def html(
        cls, page: str | bytes, status: int = 200, charset: str | None = "utf-8", **kw: Any
    ) -> Reply:
        body = page.encode(charset or "utf-8") if isinstance(page, str) else page
        content_type = f"text/html; charset={charset}" if charset else "text/html"
        return cls(status, body, [("Content-Type", content_type), *kw.pop("headers", [])], **kw)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", [("Location", location), ("Content-Type", "text/html")])


Route = Reply | Callable[[Seen], Reply]


class Host:
    """One test host: an address, a port, routes and a request log."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.routes: dict[str, Route] = {}
        self.fallback: Route | None = None  # what unknown paths get (default: a 404 page)
        self.seen: list[Seen] = []
        self.bytes_sent = 0  # status lines, headers and bodies written to clients
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((address, 0), _Handler)
        self._server.daemon_threads = True
        self._server.host = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def route(self, path: str, reply: Route) -> str:
        """Serve `reply` at `path`; returns the full URL."""
        self.routes[path] = reply
        return self.url(path)

    def count_sent(self, size: int) -> None:
        with self._lock:
            self.bytes_sent += size

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class TestWeb:
    """A set of hosts started together."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, addresses: Iterable[str] = DEFAULT_ADDRESSES) -> None:
        self.hosts = [Host(address) for address in addresses]

    def __enter__(self) -> TestWeb:
        for host in self.hosts:
            host.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Together: each server notices it is to stop within its half-second poll.
        stopping = [threading.Thread(target=host.stop) for host in self.hosts]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()

    def __getitem__(self, index: int) -> Host:
        return self.hosts[index]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "testweb/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(include_body=True)

    def do_HEAD(self) -> None:
        self._serve(include_body=False)

    def _serve(self, include_body: bool) -> None:
        host: Host = self.server.host  # type: ignore[attr-defined]
        seen = Seen(self.command, self.path, dict(self.headers.items()), time.time())
        host.seen.append(seen)
        route = (
            host.routes.get(self.path) or host.routes.get(urlsplit(self.path).path) or host.fallback
        )
        reply = Reply.html(NOT_FOUND_PAGE, status=404) if route is None else route
        if callable(reply):
            reply = reply(seen)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if reply.action == "close":
            self.close_connection = True
            return
        try:
            self._send(reply, include_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a body over its size limit)

    def _send(self, reply: Reply, include_body: bool) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        host: Host = self.server.host  # type: ignore[attr-defined]
        host.count_sent(sum(len(line) for line in self._headers_buffer) + 2)
        self.end_headers()
        if not include_body:
            return
        host.count_sent(len(reply.body))
        if reply.chunked:
            for start in range(0, len(reply.body), 8192):
                piece = reply.body[start : start + 8192]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(reply.body)


NOT_FOUND_PAGE = (
    "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
)
