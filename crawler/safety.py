"""Refuse, on every request and every redirect hop, schemes and addresses the policy forbids."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Self
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError

from crawler.policy import AddressPolicy, BlockedByPolicyError


class SafetyMiddleware:
    """Downloader middleware: only http(s), and no private, loopback or reserved addresses.

    Host names are resolved here to say clearly why a request is refused; the resolver applies
    the same policy to the address really connected to (a name that changes its answer in
    between still cannot reach an internal address). Behind a proxy, resolution is the
    proxy's job and only literal addresses are judged.
    """

    def __init__(self, policy: AddressPolicy, proxy: str, pins: dict[str, str]) -> None:
        self.policy = policy
        self.proxy = proxy
        self.pins = pins
        self.environment_proxies = getproxies()  # http_proxy, https_proxy (Scrapy uses them too)
        self.answers: dict[str, list[str] | str] = {}  # host -> addresses, or why it failed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        policy = AddressPolicy.build(
            settings.getbool("CITEWATCH_ALLOW_PRIVATE_NETWORKS"),
            settings.getlist("CITEWATCH_ALLOW_NETWORKS"),
        )
        return cls(
            policy,
            settings.get("CITEWATCH_PROXY") or "",
            dict(settings.getdict("CITEWATCH_PINNED_HOSTS")),
        )

    async def process_request(self, request: Request) -> None:
        refusal = self.policy.refusal(request.url)
        behind_proxy = bool(self.proxy) or urlsplit(request.url).scheme in self.environment_proxies
        if refusal is None and not behind_proxy:
            refusal = await self._resolved_refusal(request.url)
        if refusal is not None:
            raise BlockedByPolicyError(f"{request.url}: {refusal}")

    async def _resolved_refusal(self, url: str) -> str | None:
        """Why the addresses a host name resolves to may not be reached, if they may not."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if self.policy.allow_private or _is_address(host):
            return None
        if host.lower() in self.pins:
            address = self.pins[host.lower()]
            return (
                None
                if self.policy.allows(address)
                else f"{host} is pinned to {address}, an internal address"
            )
        for address in await self._resolve(host.lower(), parts.port or 80):
            if not self.policy.allows(address):
                return (
                    f"{host} resolves to {address}, a private, loopback, link-local or reserved one"
                )
        return None

    async def _resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, looked up once per crawl; a failure fails the request at once
        (a dead host cited thirty times costs one lookup, not sixty)."""
        if host not in self.answers:
            try:
                answers = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
                self.answers[host] = [str(sockaddr[0]) for *_, sockaddr in answers]
            except OSError as exc:
                self.answers[host] = f"{exc.strerror or exc}"
        answer = self.answers[host]
        if isinstance(answer, str):
            raise CannotResolveHostError(f"DNS lookup failed for {host}: {answer}")
        return answer


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
