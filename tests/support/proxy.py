"""A minimal forward HTTP proxy for tests: relays absolute-URI GETs and logs them."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Talk to the target directly, whatever proxy variables the test process has.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ForwardProxy:
    """Started as a context manager on an address; `seen` lists the URLs it relayed."""

    def __init__(self, address: str = "127.0.0.3") -> None:
        self.seen: list[str] = []
        self._server = ThreadingHTTPServer((address, 0), _Relay)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://{address}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        proxy: ForwardProxy = self.server.proxy  # type: ignore[attr-defined]
        proxy.seen.append(self.path)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")
        }
        request = urllib.request.Request(self.path, headers=headers)
        try:
            with DIRECT.open(request, timeout=10) as upstream:
                status, reply_headers, body = (
                    upstream.status,
                    upstream.getheaders(),
                    upstream.read(),
                )
        except urllib.error.HTTPError as error:
            status, reply_headers, body = error.code, error.headers.items(), error.read()
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Via", "1.1 testproxy")
        self.end_headers()
        self.wfile.write(body)
