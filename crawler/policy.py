"""Which addresses a crawl may connect to: public ones, unless the configuration says otherwise."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import DNSLookupError

ALLOWED_SCHEMES = ("http", "https")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedByPolicyError(IgnoreRequest):
    """A request citewatch refuses to send (scheme, private address)."""


class BlockedAddressError(DNSLookupError):
    """A host name that resolves to an address citewatch may not connect to; `reason` says so."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host, self.reason = host, reason


@dataclass(frozen=True)
class AddressPolicy:
    """Loopback, private, link-local, reserved and multicast addresses are refused by default."""

    allow_private: bool = False
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def build(cls, allow_private: bool, networks: Iterable[str]) -> AddressPolicy:
        """A policy from configuration values (CIDR strings)."""
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def allows(self, address: str | Address) -> bool:
        """Whether connecting to this IP address is allowed."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow_private or any(ip in network for network in self.allowed_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def refusal(self, url: str) -> str | None:
        """Why a URL may not be fetched, judged without DNS (scheme, literal IP address)."""
        parts = urlsplit(url)
        if parts.scheme not in ALLOWED_SCHEMES:
            return f"only http and https are fetched, not {parts.scheme or 'a relative URL'}"
        address = literal_address(parts.hostname or "")
        if address is None:
            return None  # a host name: judged on the addresses it is looked up to
        if not self.allows(address):
            return f"{address} is a private, loopback, link-local or reserved address"
        return None


def literal_address(host: str) -> Address | None:
    """The IP address a URL's host is written as, if it is one (no lookup needed)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
