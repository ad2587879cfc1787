"""A local DNS server for tests: names answered with A records, NXDOMAIN, SERVFAIL, or silence.

A real server on 127.0.0.1 (UDP, a free port), so lookups go through the same code and the same
wire protocol as against a real name server. Every question is logged for tests to count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from dnslib import QTYPE, RCODE, RR, A, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class TestDns:
    """Answers `addresses` (name -> one address or several), NXDOMAIN for `nxdomain` and every
    name it does not know, SERVFAIL for `servfail`, no records for `empty`, nothing at all for
    `silent` (the question is dropped, as by a name server that is down)."""

    __test__ = False  # not a test class, despite its name

    def __init__(
        self,
        addresses: Mapping[str, str | Iterable[str]] | None = None,
        nxdomain: Iterable[str] = (),
        servfail: Iterable[str] = (),
        empty: Iterable[str] = (),
        silent: Iterable[str] = (),
    ) -> None:
        self.addresses = {
            name.lower(): [value] if isinstance(value, str) else list(value)
            for name, value in (addresses or {}).items()
        }
        self.nxdomain = {name.lower() for name in nxdomain}
        self.servfail = {name.lower() for name in servfail}
        self.empty = {name.lower() for name in empty}
        self.silent = {name.lower() for name in silent}
        self.questions: list[tuple[str, str]] = []  # (name, record type), in the order received
        self._lock = threading.Lock()
        self._server = DNSServer(
            _Zone(self), address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _: None)
        )
        self.port: int = self._server.server.server_address[1]

    @property
    def nameserver(self) -> str:
        """The server as crawl.nameservers spells it."""
        return f"127.0.0.1:{self.port}"

    def asked(self, name: str, record_type: str = "A") -> int:
        """How many questions about `name` arrived."""
        with self._lock:
            return self.questions.count((name.lower(), record_type))

    def __enter__(self) -> TestDns:
        self._server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        self._server.server.server_close()

    def answer(self, request: DNSRecord) -> DNSRecord:
        """The reply to one question (raises DNSError to send none)."""
        qname = request.q.qname
        name, record_type = str(qname).rstrip(".").lower(), QTYPE[request.q.qtype]
        with self._lock:
            self.questions.append((name, record_type))
        if name in self.silent:
            raise DNSError(f"{name}: dropped on purpose")
        reply = request.reply()
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
        elif name in self.addresses:
            if record_type == "A":
                for address in self.addresses[name]:
                    reply.add_answer(RR(qname, QTYPE.A, rdata=A(address), ttl=60))
        elif name not in self.empty:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class _Zone(BaseResolver):  # type: ignore[misc]
    def __init__(self, dns: TestDns) -> None:
        self.dns = dns

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        return self.dns.answer(request)
