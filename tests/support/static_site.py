"""A static site on a loopback address for browser tests, answering HTTP Range requests.

ReplayWeb.page reads a WACZ package as it would from any static host: by Range requests for
the zip's directory and for each member it needs. http.server's SimpleHTTPRequestHandler
ignores Range (Python 3.11 sends the whole file with 200), so this server answers a single
byte range with 206 and the asked bytes. Every request is logged, so tests can assert how a
file was read.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeError(Exception):
    """A Range header naming no byte of the file (answered 416)."""


@dataclass(frozen=True)
class StaticFile:
    """What a path serves: a file on disk or bytes, with its Content-Type."""

    content_type: str
    source: Path | None = None
    data: bytes = b""

    def read(self) -> bytes:
        return self.source.read_bytes() if self.source is not None else self.data


@dataclass(frozen=True)
class Served:
    """A request and the status it got."""

    method: str
    path: str
    range: str | None
    status: int


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range header asks for, or None for the whole file (no header,
    several ranges, or a unit other than bytes: all allowed to be answered in full)."""
    if header is None:
        return None
    match = RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # bytes=-N: the last N bytes
        if int(last) == 0:
            raise RangeError(header)
        return max(size - int(last), 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeError(header)
    return start, end


class StaticSite:
    """Files served at fixed paths on one loopback address and a free port, until closed."""

    def __init__(self, files: Mapping[str, StaticFile], address: str = "127.0.0.1") -> None:
        self.files = dict(files)
        self.served: list[Served] = []
        self._server = ThreadingHTTPServer((address, 0), _Handler)
        self._server.daemon_threads = True
        self._server.site = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.origin = f"http://{address}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.origin + path

    def requests_to(self, path: str) -> list[Served]:
        return [served for served in self.served if served.path == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "staticsite/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        # The browser drops connections: a context closed, a read cancelled. Not a failure.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def do_GET(self) -> None:
        self._serve(include_body=True)

    def do_HEAD(self) -> None:
        self._serve(include_body=False)

    def _serve(self, include_body: bool) -> None:
        site: StaticSite = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        asked = self.headers.get("Range")
        file = site.files.get(path)
        status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
        if file is not None:
            data = file.read()
            headers = {"Content-Type": file.content_type, "Accept-Ranges": "bytes"}
            try:
                span = byte_range(asked, len(data))
            except RangeError:
                status, body = 416, b""
                headers["Content-Range"] = f"bytes */{len(data)}"
            else:
                if span is None:
                    status, body = 200, data
                else:
                    start, end = span
                    status, body = 206, data[start : end + 1]
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        site.served.append(Served(self.command, path, asked, status))
        self.send_response(status)
        for name, value in {**headers, "Cache-Control": "no-store"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if include_body:
            self.wfile.write(body)
