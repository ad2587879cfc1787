"""Every web site at once, on loopback: a forward proxy that answers for any host itself.

The crawler, pointed at it with `crawl.proxy`, sends plain-HTTP requests as absolute URIs and
opens HTTPS tunnels with CONNECT; the proxy ends the tunnel's TLS with a throwaway self-signed
certificate (Scrapy does not verify certificates) and answers every request from `answer(url)`.
Nothing is forwarded: a test can run the README's real job on a document citing 42 real hosts
and no byte leaves the machine.
"""

from __future__ import annotations

import datetime
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.web import NOT_FOUND_PAGE, Reply

Answer = Callable[[str], Reply]


def not_found(url: str) -> Reply:
    return Reply.html(NOT_FOUND_PAGE, status=404)


class EveryHost:
    """Started as a context manager; `seen` lists the full URLs requested, in order."""

    __test__ = False

    def __init__(self, answer: Answer = not_found, address: str = "127.0.0.4") -> None:
        self.answer = answer
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((address, 0), _Handler)
        self._server.daemon_threads = True
        self._server.every_host = self  # type: ignore[attr-defined]
        self.url = f"http://{address}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def record(self, url: str) -> None:
        with self._lock:
            self.seen.append(url)

    def __enter__(self) -> EveryHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (any name: nobody checks it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "every-host.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        pem = Path(directory) / "every-host.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + certificate.public_bytes(serialization.Encoding.PEM)
        )
        context.load_cert_chain(pem)
    return context


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    origin = ""  # "https://host[:port]" once a CONNECT tunnel is open on this connection

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tls = tls_context().wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        # The same request loop goes on, reading requests from inside the tunnel.
        self.connection = self.request = tls
        self.rfile = tls.makefile("rb")
        self.wfile = socketserver._SocketWriter(tls)  # type: ignore[attr-defined]
        self.origin = f"https://{host}" if port == "443" else f"https://{host}:{port}"

    def do_GET(self) -> None:
        self._serve(include_body=True)

    def do_HEAD(self) -> None:
        self._serve(include_body=False)

    def _serve(self, include_body: bool) -> None:
        proxy: EveryHost = self.server.every_host  # type: ignore[attr-defined]
        url = (
            self.path if self.path.startswith(("http://", "https://")) else self.origin + self.path
        )
        proxy.record(url)
        reply = proxy.answer(url)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if include_body:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
