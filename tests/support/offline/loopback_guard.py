"""Loopback only: refuse every connection and name lookup that would leave this machine.

Patched into the socket module: `connect`, `connect_ex` and `sendto` refuse any address outside
127.0.0.0/8 and ::1 with `OutsideLoopbackError` before a packet is sent; `getaddrinfo`,
`gethostbyname(_ex)` and `gethostbyaddr` answer IP literals and "localhost" as usual but refuse
to ask a name server about any other name (the crawl sees a name that does not resolve).
Tests that need names pin them (crawl.pinned_hosts) or ask the local DNS server
(tests/support/dns.py). Connections made in C below Python (libpq) are not covered: the test
databases are on loopback by configuration.

Standard library only: it is imported by `sitecustomize` before anything else is importable.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

MARK = "_citewatch_loopback_guard"  # set on the socket module once installed
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
INTERNET_FAMILIES = (socket.AF_INET, socket.AF_INET6)
WHY = "tests never leave loopback (127.0.0.0/8, ::1)"


class OutsideLoopbackError(ConnectionRefusedError):
    """A test process tried to reach an address outside loopback; nothing was sent.

    Its errno is ECONNREFUSED, so code that keeps only the number (Twisted) sees a refusal."""


def is_loopback(host: str) -> bool:
    """Whether an IP literal is a loopback address (IPv4-mapped IPv6 and scope ids included)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in LOOPBACK)


def is_literal(host: str) -> bool:
    """Whether `host` is an IP address rather than a name (no lookup needed)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def is_local_name(host: str) -> bool:
    """Names that resolve on this machine without asking a name server (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def _host_text(host: Any) -> str | None:
    if isinstance(host, bytes):
        return host.decode("ascii", "replace")
    return host if isinstance(host, str) else None


def check_address(family: int, address: Any) -> None:
    """Raise OutsideLoopbackError unless `address` (a socket address) is on loopback."""
    if family not in INTERNET_FAMILIES or not isinstance(address, tuple) or not address:
        return  # Unix sockets, netlink, socket pairs: never leave the machine
    host = _host_text(address[0]) or ""
    if is_loopback(host) or (not is_literal(host) and is_local_name(host)):
        return
    port = address[1] if len(address) > 1 else "?"
    raise OutsideLoopbackError(
        errno.ECONNREFUSED,
        f"citewatch test network guard: connection to {host}:{port} refused: {WHY}",
    )


def _refuse_lookup(host: str) -> socket.gaierror:
    return socket.gaierror(
        socket.EAI_NONAME,
        f"citewatch test network guard: not looking up {host!r}: {WHY}; pin the name "
        "(crawl.pinned_hosts) or use the local DNS server (tests/support/dns.py)",
    )


def _may_look_up(host: str | None) -> bool:
    return host is None or host == "" or is_literal(host) or is_local_name(host)


def install() -> None:
    """Patch the socket module of this process (once; later calls change nothing)."""
    if getattr(socket, MARK, False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo
    original_gethostbyname = socket.gethostbyname
    original_gethostbyname_ex = socket.gethostbyname_ex
    original_gethostbyaddr = socket.gethostbyaddr

    def connect(self: socket.socket, address: Any) -> None:
        check_address(self.family, address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(self.family, address)
        return original_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        check_address(self.family, args[-1] if args else None)
        return original_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = _host_text(host)
        if not _may_look_up(name):
            raise _refuse_lookup(str(name))
        answers = original_getaddrinfo(host, *args, **kwargs)
        if name and is_local_name(name):  # only the loopback answers of /etc/hosts
            answers = [a for a in answers if not isinstance(a[4][0], str) or is_loopback(a[4][0])]
        return answers

    def gethostbyname(host: str) -> str:
        if not _may_look_up(host):
            raise _refuse_lookup(host)
        return original_gethostbyname(host)

    def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
        if not _may_look_up(host):
            raise _refuse_lookup(host)
        return original_gethostbyname_ex(host)

    def gethostbyaddr(host: str) -> tuple[str, list[str], list[str]]:
        if not (is_loopback(host) or is_local_name(host)):
            raise socket.herror(1, f"citewatch test network guard: no reverse lookup of {host!r}")
        return original_gethostbyaddr(host)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[assignment, method-assign]
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
    socket.gethostbyaddr = gethostbyaddr
    setattr(socket, MARK, True)
