"""Host name lookups for a crawl: each host once, with a timeout, its addresses vetted.

The safety middleware asks `HostLookups` about every request and redirect hop before it is sent;
the reactor's resolver (`PolicyResolver`) then hands Twisted the address that was vetted, from the
same table, so a name cannot be judged on one answer and connected to on another. Every way a
lookup can fail raises `HostLookupError`, a `CannotResolveHostError`: a name that does not resolve
is a DNS failure, whether the name server said NXDOMAIN, failed, or never answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, Self
from urllib.parse import urlsplit
from urllib.request import getproxies

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.statscollectors import StatsCollector
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from config.schema import parse_nameserver
from crawler.policy import AddressPolicy, BlockedAddressError, literal_address

log = logging.getLogger(__name__)
ATTRIBUTE = "_citewatch_lookups"
INTERNAL = "a private, loopback, link-local or reserved one"


class LookupFailure(StrEnum):
    """How a lookup failed (the crawl stats count each: citewatch/dns/<kind>)."""

    NXDOMAIN = "nxdomain"  # the name does not exist
    SERVFAIL = "servfail"  # the name server failed, refused, or could not be reached
    TIMEOUT = "timeout"  # no answer in time
    TEMPORARY = "eai_again"  # the system resolver's "try again": a failure or no answer
    EMPTY = "empty"  # the name exists but has no IPv4 address
    INVALID = "invalid"  # not a name that can be looked up
    OTHER = "error"


class HostLookupError(CannotResolveHostError, DNSLookupError):
    """A host name that did not resolve. Scrapy's and Twisted's DNS failure at once, so every
    layer (failure table, Twisted endpoints) treats it as one."""

    def __init__(self, host: str, kind: LookupFailure, detail: str) -> None:
        self.host, self.kind, self.detail = host, kind, detail
        Exception.__init__(self, f"DNS lookup failed for {host}: {detail}")

    def __str__(self) -> str:
        return str(self.args[0])


class Lookup(Protocol):
    """A way to look a host name up: its IPv4 addresses, or a HostLookupError."""

    async def __call__(self, host: str) -> tuple[str, ...]: ...


GetAddrInfo = Callable[..., Awaitable[list[tuple[Any, ...]]]]
EMPTY_DETAIL = "the name has no IPv4 address (empty answer)"
# getaddrinfo's error codes by name (not every platform defines all of them).
GAI_FAILURES: dict[str, tuple[LookupFailure, str]] = {
    "EAI_NONAME": (LookupFailure.NXDOMAIN, "no such name (NXDOMAIN)"),
    "EAI_AGAIN": (
        LookupFailure.TEMPORARY,
        "temporary failure in name resolution (EAI_AGAIN: a failed or silent name server)",
    ),
    "EAI_FAIL": (LookupFailure.SERVFAIL, "the name server failed (EAI_FAIL)"),
    "EAI_NODATA": (LookupFailure.EMPTY, "the name has no address (empty answer)"),
    "EAI_ADDRFAMILY": (LookupFailure.EMPTY, EMPTY_DETAIL),
}
GAI_CODES = {
    getattr(socket, name): failure
    for name, failure in GAI_FAILURES.items()
    if hasattr(socket, name)
}


def timed_out(timeout: float) -> str:
    """What a lookup that got no answer in time says."""
    return f"no answer within {timeout:g} s (timeout)"


class SystemLookup:
    """The machine's resolver (getaddrinfo: /etc/hosts, then its DNS servers), with a timeout.

    A getaddrinfo call cannot be cancelled: past the timeout its thread is left to finish.
    """

    def __init__(self, timeout: float, getaddrinfo: GetAddrInfo | None = None) -> None:
        self.timeout = timeout
        self.getaddrinfo = getaddrinfo

    async def __call__(self, host: str) -> tuple[str, ...]:
        getaddrinfo = self.getaddrinfo or asyncio.get_running_loop().getaddrinfo
        try:
            answers = await asyncio.wait_for(
                getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_STREAM),
                self.timeout,
            )
        except TimeoutError:
            raise HostLookupError(host, LookupFailure.TIMEOUT, timed_out(self.timeout)) from None
        except socket.gaierror as exc:
            kind, detail = GAI_CODES.get(
                exc.errno or 0, (LookupFailure.OTHER, f"{exc.strerror} (getaddrinfo {exc.errno})")
            )
            raise HostLookupError(host, kind, detail) from exc
        except UnicodeError as exc:  # a label IDNA cannot encode: empty, or too long
            raise HostLookupError(host, LookupFailure.INVALID, f"not a valid name ({exc})") from exc
        except OSError as exc:
            raise HostLookupError(host, LookupFailure.OTHER, f"lookup error ({exc})") from exc
        return tuple(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


class NameserverLookup:
    """The configured name servers (crawl.nameservers), asked directly; lifetime = the timeout."""

    def __init__(self, servers: Sequence[tuple[str, int]], timeout: float) -> None:
        self.timeout = timeout
        self.resolver = dns.asyncresolver.Resolver(configure=False)
        self.resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in servers]
        self.resolver.timeout = self.resolver.lifetime = timeout
        self.resolver.cache = None  # HostLookups keeps the crawl's answers

    async def __call__(self, host: str) -> tuple[str, ...]:
        try:
            answer = await self.resolver.resolve(host, "A", search=False)
        except dns.resolver.NXDOMAIN as exc:
            raise HostLookupError(host, LookupFailure.NXDOMAIN, "no such name (NXDOMAIN)") from exc
        except dns.resolver.NoAnswer as exc:
            raise HostLookupError(host, LookupFailure.EMPTY, EMPTY_DETAIL) from exc
        except dns.resolver.NoNameservers as exc:
            raise HostLookupError(host, LookupFailure.SERVFAIL, _servers_failed(exc)) from exc
        except dns.exception.Timeout as exc:
            raise HostLookupError(host, LookupFailure.TIMEOUT, timed_out(self.timeout)) from exc
        except (
            dns.exception.SyntaxError,
            dns.name.NameTooLong,
            dns.name.IDNAException,
            UnicodeError,
        ) as exc:
            raise HostLookupError(host, LookupFailure.INVALID, f"not a valid name ({exc})") from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise HostLookupError(host, LookupFailure.OTHER, f"lookup error ({exc})") from exc
        return tuple(dict.fromkeys(rdata.address for rdata in answer))


def _servers_failed(exc: dns.resolver.NoNameservers) -> str:
    """What the name servers said: their response codes (SERVFAIL, REFUSED) or errors."""
    said = [error[3] for error in exc.kwargs.get("errors", [])]
    codes = sorted({text for text in said if isinstance(text, str)})
    if codes:
        return f"the name server failed ({', '.join(codes)})"
    return f"no name server could be reached ({'; '.join(str(e) for e in said) or 'none set'})"


@dataclass(frozen=True)
class Answer:
    """A looked-up host: its IPv4 addresses, or how the lookup failed."""

    addresses: tuple[str, ...] = ()
    failure: HostLookupError | None = None


class HostLookups:
    """The crawl's table of host lookups: each host looked up once (answer or failure kept),
    its addresses vetted by the policy. Shared by the safety middleware and the resolver."""

    def __init__(
        self,
        policy: AddressPolicy,
        lookup: Lookup,
        pins: Mapping[str, str] | None = None,
        proxy: str = "",
        environment_proxies: Mapping[str, str] | None = None,
        stats: StatsCollector | None = None,
    ) -> None:
        self.policy = policy
        self.lookup = lookup
        self.pins = {host.lower(): address for host, address in (pins or {}).items()}
        self.proxy = proxy
        self.environment_proxies = dict(environment_proxies or {})
        # The proxy's own host may well live on a private network: it is never vetted.
        proxies = [proxy, *(v for k, v in self.environment_proxies.items() if k != "no")]
        self.exempt = frozenset(_hostname(p) for p in proxies) - {""}
        self.stats = stats
        self.answers: dict[str, Answer] = {}
        self._pending: dict[str, asyncio.Future[Answer]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """A table from the crawl's settings (apply_config puts the configuration there)."""
        settings = crawler.settings
        timeout = settings.getfloat("DNS_TIMEOUT")
        servers = [parse_nameserver(s) for s in settings.getlist("CITEWATCH_NAMESERVERS")]
        lookup: Lookup = NameserverLookup(servers, timeout) if servers else SystemLookup(timeout)
        return cls(
            AddressPolicy.build(
                settings.getbool("CITEWATCH_ALLOW_PRIVATE_NETWORKS"),
                settings.getlist("CITEWATCH_ALLOW_NETWORKS"),
            ),
            lookup,
            settings.getdict("CITEWATCH_PINNED_HOSTS"),
            settings.get("CITEWATCH_PROXY") or "",
            getproxies(),  # http_proxy, https_proxy, no_proxy: Scrapy honours them too
            crawler.stats,
        )

    @classmethod
    def of(cls, crawler: Crawler) -> HostLookups:
        """The crawl's one table, created on first use."""
        lookups: HostLookups | None = getattr(crawler, ATTRIBUTE, None)
        if lookups is None:
            lookups = cls.from_crawler(crawler)
            setattr(crawler, ATTRIBUTE, lookups)
        return lookups

    def behind_proxy(self, url: str) -> bool:
        """Whether this URL is fetched through a proxy, which then resolves its host."""
        return bool(self.proxy) or urlsplit(url).scheme in self.environment_proxies

    async def address(self, host: str) -> str:
        """The address to connect to for `host`, looked up once per crawl. Raises
        HostLookupError if it does not resolve, BlockedAddressError if it may not be reached."""
        name = host.lower().rstrip(".")
        answer = self.answers.get(name)
        if answer is None:
            pending = self._pending.get(name)
            if pending is None:
                pending = self._pending[name] = asyncio.ensure_future(self._look_up(name))
            # Shielded: one request given up on must not cancel the lookup others wait for.
            answer = await asyncio.shield(pending)
        return self._vetted(name, answer)

    async def refusal(self, url: str) -> str | None:
        """Why the policy refuses a URL (scheme, address, a name that does not resolve), or
        None: for requests made outside Scrapy's downloader (the browser's, yt-dlp's)."""
        refusal = self.policy.refusal(url)
        host = urlsplit(url).hostname or ""
        if refusal is not None or literal_address(host) is not None or self.behind_proxy(url):
            return refusal
        try:
            await self.address(host)
        except BlockedAddressError as exc:
            return exc.reason
        except HostLookupError as exc:
            return str(exc)
        return None

    def known_address(self, host: str) -> str | None:
        """The vetted address if `host` was looked up already, else None (same errors)."""
        name = host.lower().rstrip(".")
        answer = self.answers.get(name)
        return None if answer is None else self._vetted(name, answer)

    async def _look_up(self, name: str) -> Answer:
        literal = literal_address(name)
        if name in self.pins:
            answer = Answer((self.pins[name],))
        elif literal is not None:
            answer = Answer((str(literal),))
        else:
            answer = await self._ask(name)
        self.answers[name] = answer
        del self._pending[name]
        return answer

    async def _ask(self, name: str) -> Answer:
        """The lookup's answer; any failure at all is kept as a HostLookupError."""
        try:
            addresses = await self.lookup(name)
            if not addresses:
                raise HostLookupError(name, LookupFailure.EMPTY, EMPTY_DETAIL)
            answer = Answer(addresses)
        except HostLookupError as exc:
            log.info("%s", exc)
            answer = Answer(failure=exc)
        except Exception as exc:  # a resolver library's surprise is still a failed lookup
            log.warning("looking up %s failed unexpectedly", name, exc_info=True)
            detail = f"lookup error ({type(exc).__name__}: {exc})"
            answer = Answer(failure=HostLookupError(name, LookupFailure.OTHER, detail))
        if self.stats is not None:
            self.stats.inc_value("citewatch/dns/lookups")
            if answer.failure is not None:
                self.stats.inc_value(f"citewatch/dns/{answer.failure.kind}")
        return answer

    def _vetted(self, name: str, answer: Answer) -> str:
        if answer.failure is not None:
            failure = answer.failure
            raise HostLookupError(failure.host, failure.kind, failure.detail)
        if name not in self.exempt:
            for address in answer.addresses:
                if self.policy.allows(address):
                    continue
                if name in self.pins:
                    reason = f"{name} is pinned to {address}, an internal address"
                else:
                    reason = f"{name} resolves to {address}, {INTERNAL}"
                raise BlockedAddressError(name, reason)
        return answer.addresses[0]


def _hostname(proxy: str) -> str:
    """A proxy setting's host ("http://host:port", or "host:port" as in some http_proxy values)."""
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname or ""


@implementer(IResolverSimple)
class PolicyResolver:
    """The reactor's resolver: the address the crawl's lookups vetted, never a lookup of its own.

    Scrapy builds it once per process and passes the CrawlerProcess, not a Crawler: it finds the
    table on the crawlers (one per process in citewatch). A name no request announced (a proxy's
    host, a host no_proxy exempts) is looked up through that same table.
    """

    def __init__(self, reactor: Any, crawlers: Callable[[], Iterable[Crawler]]) -> None:
        self.reactor = reactor
        self.crawlers = crawlers

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        def crawlers() -> Iterable[Crawler]:
            running = getattr(crawler, "crawlers", None)  # a CrawlerProcess, or one Crawler
            return [crawler] if running is None else list(running)

        return cls(reactor, crawlers)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        tables = [HostLookups.of(crawler) for crawler in self.crawlers()]
        try:
            for table in tables:
                address = table.known_address(name)
                if address is not None:
                    return succeed(address)
        except DNSLookupError:  # HostLookupError, BlockedAddressError
            return fail()
        if not tables:
            return fail(DNSLookupError(f"no crawl to look {name} up for"))
        return Deferred.fromFuture(asyncio.ensure_future(tables[0].address(name)))
