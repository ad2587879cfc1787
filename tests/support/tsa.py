"""A local Time-Stamp Authority for tests: `openssl ts -reply` behind an HTTP server on loopback.

The keys and certificates are made with the openssl command line (a root CA, and a TSA
certificate it signs with the critical timeStamping extended key usage), so the tokens are
those a real OpenSSL-based TSA gives. The server can go down and come back on the same port,
reject every request (openssl itself answers with status "rejection": the refusing section
accepts no digest we send), answer with something that is not a time-stamp reply, or hang.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

POLICY = "1.2.3.4.1"
TSA_NAME = "CN=citewatch test TSA,O=citewatch tests"
OPENSSL_TIMEOUT = 10.0  # seconds; `openssl ts -reply` takes milliseconds

# No `certs = ca.pem` (the CA in the token as well) by default: openssl writes a token's
# certificates in the order given, signer first, not sorted as DER wants a SET OF, which
# rfc3161-client 1.0.9 alone cannot parse (InvalidSetOrdering); `chain=True` makes such a TSA.
_TS_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
{certs}
[ tsa_refusing ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha1
"""

_TSA_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=OPENSSL_TIMEOUT
    )


def make_ca(directory: Path, name: str = "citewatch test root") -> Path:
    """A self-signed EC P-256 root CA in `directory` (ca.pem, ca.key); returns ca.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    return directory / "ca.pem"


def make_tsa_files(directory: Path, self_signed: bool = False, chain: bool = False) -> Path:
    """The CA, the TSA's key and certificate, a serial file and the `openssl ts` config.

    `self_signed`: no CA, the TSA signs its own certificate (same name, same extensions), as
    a forger would; its `ca.pem` is then that certificate.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tsa.ext").write_text(_TSA_EXTENSIONS)
    subject = "/" + "/".join(reversed(TSA_NAME.split(",")))
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", subject,
        cwd=directory,
    )  # fmt: skip
    if self_signed:
        signer: tuple[str, ...] = ("-signkey", "tsa.key")
    else:
        make_ca(directory)
        signer = ("-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2")
    _openssl(
        "x509", "-req", "-in", "tsa.csr", *signer, "-days", "3650", "-extfile", "tsa.ext",
        "-out", "tsa.pem",
        cwd=directory,
    )  # fmt: skip
    if self_signed:
        shutil.copyfile(directory / "tsa.pem", directory / "ca.pem")
    (directory / "serial").write_text("01\n")
    config = directory / "tsa.cnf"
    certs = "certs = $dir/ca.pem\n" if chain else ""
    config.write_text(_TS_CONFIG.format(dir=directory, policy=POLICY, certs=certs))
    return config


class LocalTsa:
    """A TSA at `url` (http://127.0.0.1:PORT/tsr) whose root certificate is `ca_file`."""

    def __init__(self, directory: Path, self_signed: bool = False, chain: bool = False) -> None:
        self.directory = directory
        self.config = make_tsa_files(directory, self_signed, chain)
        self.ca_file = directory / "ca.pem"
        self.requests = 0  # requests answered, whatever the answer
        self.queries: list[bytes] = []  # the TimeStampReq bodies received, in order
        self._refusing = False
        self._canned: tuple[int, str, bytes] | None = None
        self._release = threading.Event()  # set: a hanging request may give up
        self._hanging = False
        self._lock = threading.Lock()  # one openssl at a time: it rewrites the serial file
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsr"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen again, on the same port as before (a free one the first time)."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        server.tsa = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        # A short poll, so `stop()` (and a test that takes the TSA down) waits 50 ms, not 500.
        serve = functools.partial(server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        """Go down: the listening socket is closed, so connections are refused."""
        server, self._server = self._server, None
        if server is not None:
            self._release.set()
            server.shutdown()
            server.server_close()

    def reset(self) -> None:
        """Running, and answering normally (what every test starts with)."""
        self.refuse(False)
        self.hang(False)
        self._canned = None
        self.start()

    def refuse(self, refuse: bool) -> None:
        """Answer every request with a TimeStampResp of status "rejection" (made by openssl)."""
        self._refusing = refuse

    def answer_with(self, status: int, content_type: str, body: bytes) -> None:
        """Answer every request with this HTTP status and body instead of a time-stamp."""
        self._canned = (status, content_type, body)

    def hang(self, hang: bool) -> None:
        """Accept requests and never answer them (until `hang(False)` or `stop()`)."""
        self._hanging = hang
        if hang:
            self._release.clear()
        else:
            self._release.set()

    def reply(self, query: bytes) -> bytes:
        """The DER TimeStampResp openssl makes for this TimeStampReq."""
        section = "tsa_refusing" if self._refusing else "tsa_config"
        with self._lock, tempfile.TemporaryDirectory(dir=self.directory) as scratch:
            query_file, reply_file = Path(scratch, "query.tsq"), Path(scratch, "reply.tsr")
            query_file.write_bytes(query)
            _openssl(
                "ts", "-reply", "-config", str(self.config), "-section", section,
                "-queryfile", str(query_file), "-out", str(reply_file),
                cwd=self.directory,
            )  # fmt: skip
            return reply_file.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        tsa: LocalTsa = self.server.tsa  # type: ignore[attr-defined]
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        tsa.queries.append(query)
        if tsa._hanging:
            tsa._release.wait(timeout=30)
            self.close_connection = True
            return
        tsa.requests += 1
        if tsa._canned is not None:
            status, content_type, body = tsa._canned
        elif self.headers.get("Content-Type") != "application/timestamp-query":
            status, content_type, body = 415, "text/plain", b"not a time-stamp query\n"
        else:
            try:
                status, content_type, body = 200, "application/timestamp-reply", tsa.reply(query)
            except subprocess.SubprocessError as exc:
                status, content_type, body = 500, "text/plain", str(exc).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests assert on `requests` and `queries`, not on a log."""
