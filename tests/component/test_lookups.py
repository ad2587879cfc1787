"""Host lookups against a real local DNS server: every kind of failure is a DNS failure, every
answer is vetted, each host is asked once per crawl, and the reactor's resolver asks no one."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.settings import BaseSettings
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from config import Config
from config.schema import CrawlConfig
from crawler.failures import classify_failure, describe_failure
from crawler.policy import AddressPolicy, BlockedAddressError, BlockedByPolicyError
from crawler.resolver import (
    HostLookupError,
    HostLookups,
    LookupFailure,
    NameserverLookup,
    PolicyResolver,
    SystemLookup,
)
from crawler.safety import SafetyMiddleware
from crawler.settings import apply_config
from models.kinds import Outcome
from tests.support.dns import TestDns

TIMEOUT = 0.5  # seconds the silent name is given


@pytest.fixture(scope="module")
def dns() -> Iterator[TestDns]:
    with TestDns(
        addresses={
            "vlast.test": "127.0.0.2",
            "orda.test": "127.0.0.3",
            "internal.test": "127.0.0.1",
            "mixed.test": ["127.0.0.2", "10.0.0.7"],
            "proxy.test": "10.0.0.8",
        },
        nxdomain=["last.test"],
        servfail=["broken.test"],
        empty=["empty.test"],
        silent=["silent.test"],
    ) as server:
        yield server


def crawler_for(dns: TestDns | None, tmp_path: Path, **crawl: Any) -> Crawler:
    """A crawler whose settings come from a configuration, the way every crawl gets them."""
    crawl.setdefault("timeout", TIMEOUT)
    crawl.setdefault("allow_networks", ("127.0.0.2/31",))
    if dns is not None:
        crawl.setdefault("nameservers", (dns.nameserver,))
    settings = BaseSettings()
    apply_config(settings, Config(home=tmp_path, crawl=CrawlConfig(**crawl)))
    return get_crawler(settings_dict=settings.copy_to_dict())


def lookups_for(dns: TestDns, tmp_path: Path, **crawl: Any) -> HostLookups:
    return HostLookups.of(crawler_for(dns, tmp_path, **crawl))


def failure_of(call: Callable[[], Awaitable[object]]) -> BaseException:
    """The exception an awaitable raises (the test fails if it raises none)."""

    async def run() -> BaseException:
        try:
            await call()
        except Exception as exc:
            return exc
        raise AssertionError("no exception raised")

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("name", "kind", "says"),
    [
        ("last.test", LookupFailure.NXDOMAIN, "no such name (NXDOMAIN)"),
        ("broken.test", LookupFailure.SERVFAIL, "the name server failed (SERVFAIL)"),
        ("silent.test", LookupFailure.TIMEOUT, f"no answer within {TIMEOUT:g} s (timeout)"),
        ("empty.test", LookupFailure.EMPTY, "the name has no IPv4 address (empty answer)"),
    ],
)
def test_every_kind_of_lookup_failure_is_a_dns_failure(
    dns: TestDns, tmp_path: Path, name: str, kind: LookupFailure, says: str
) -> None:
    middleware = SafetyMiddleware.from_crawler(crawler_for(dns, tmp_path))
    error = failure_of(lambda: middleware.process_request(Request(f"http://{name}/novosti/1")))
    assert isinstance(error, HostLookupError) and isinstance(error, CannotResolveHostError)
    assert isinstance(error, DNSLookupError)  # Twisted's endpoints take it for one too
    assert error.kind == kind and str(error) == f"DNS lookup failed for {name}: {says}"
    assert classify_failure(error) == Outcome.DNS_FAILURE
    assert describe_failure(error).startswith(f"HostLookupError: DNS lookup failed for {name}")


def test_an_answer_is_the_address_to_connect_to(dns: TestDns, tmp_path: Path) -> None:
    lookups = lookups_for(dns, tmp_path)
    assert asyncio.run(lookups.address("VLAST.test.")) == "127.0.0.2"
    assert lookups.known_address("vlast.test") == "127.0.0.2"
    assert lookups.known_address("orda.test") is None  # not looked up yet


def test_each_host_is_asked_once_per_crawl_even_when_it_fails(dns: TestDns, tmp_path: Path) -> None:
    lookups = lookups_for(dns, tmp_path)
    before = {name: dns.asked(name) for name in ("orda.test", "silent.test", "last.test")}

    async def thirty_citations() -> list[object]:
        return await asyncio.gather(
            *(lookups.address(name) for name in ("orda.test", "last.test") for _ in range(15)),
            return_exceptions=True,
        )

    answers = asyncio.run(thirty_citations())
    assert answers[:15] == ["127.0.0.3"] * 15
    assert all(isinstance(a, HostLookupError) for a in answers[15:])
    failure_of(lambda: lookups.address("silent.test"))
    started = time.monotonic()
    again = failure_of(lambda: lookups.address("silent.test"))
    assert time.monotonic() - started < TIMEOUT / 2  # the failure is kept: no second wait
    assert isinstance(again, HostLookupError) and again.kind == LookupFailure.TIMEOUT
    assert {name: dns.asked(name) - n for name, n in before.items()} == {
        "orda.test": 1,
        "silent.test": 1,
        "last.test": 1,
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://internal.test/admin", "internal.test resolves to 127.0.0.1, a private"),
        ("http://mixed.test/", "mixed.test resolves to 10.0.0.7, a private"),  # any answer
        ("http://127.0.0.1:8080/", "127.0.0.1 is a private"),
        ("http://pinned.test/", "pinned.test is pinned to 10.1.2.3, an internal address"),
        ("ftp://vlast.test/a.pdf", "only http and https"),
    ],
)
def test_internal_addresses_are_refused_as_policy(
    dns: TestDns, tmp_path: Path, url: str, says: str
) -> None:
    crawler = crawler_for(dns, tmp_path, pinned_hosts=("pinned.test=10.1.2.3",))
    middleware = SafetyMiddleware.from_crawler(crawler)
    error = failure_of(lambda: middleware.process_request(Request(url)))
    assert isinstance(error, BlockedByPolicyError) and says in str(error)
    assert classify_failure(error) == Outcome.POLICY


def test_pins_answer_without_asking_and_can_open_private_networks(
    dns: TestDns, tmp_path: Path
) -> None:
    before = dns.asked("last.test")
    lookups = lookups_for(
        dns, tmp_path, pinned_hosts=("last.test=127.0.0.4",), allow_networks=("127.0.0.4/31",)
    )
    assert asyncio.run(lookups.address("last.test")) == "127.0.0.4"
    assert dns.asked("last.test") == before
    assert (
        asyncio.run(
            lookups_for(dns, tmp_path, allow_private_networks=True).address("internal.test")
        )
        == "127.0.0.1"
    )


def test_the_reactors_resolver_hands_out_the_vetted_address_only(
    dns: TestDns, tmp_path: Path
) -> None:
    crawler = crawler_for(dns, tmp_path)
    middleware = SafetyMiddleware.from_crawler(crawler)
    # Scrapy builds the resolver from the CrawlerProcess, which holds the crawlers.
    resolver = PolicyResolver.from_crawler(SimpleNamespace(crawlers={crawler}), reactor=None)

    async def crawl() -> tuple[list[Any], int]:
        await middleware.process_request(Request("http://vlast.test/novosti/1"))
        await asyncio.gather(
            middleware.process_request(Request("http://last.test/novosti/2")),
            return_exceptions=True,
        )
        asked = dns.asked("vlast.test")
        results: list[Any] = []
        for name in ("vlast.test", "last.test", "internal.test"):
            deferred = resolver.getHostByName(name)
            try:
                results.append(await deferred.asFuture(asyncio.get_running_loop()))
            except Exception as exc:
                results.append(exc)
        return results, dns.asked("vlast.test") - asked

    (vlast, last, internal), extra_questions = asyncio.run(crawl())
    assert vlast == "127.0.0.2" and extra_questions == 0
    assert isinstance(last, HostLookupError) and "NXDOMAIN" in str(last)
    # A name no request announced is looked up and vetted through the same table.
    assert isinstance(internal, BlockedAddressError) and isinstance(internal, DNSLookupError)
    assert HostLookups.of(crawler).known_address("vlast.test") == "127.0.0.2"


def test_behind_a_proxy_names_are_the_proxys_job(dns: TestDns, tmp_path: Path) -> None:
    crawler = crawler_for(dns, tmp_path, proxy="http://proxy.test:3128")
    middleware = SafetyMiddleware.from_crawler(crawler)
    resolver = PolicyResolver.from_crawler(SimpleNamespace(crawlers={crawler}), reactor=None)
    before = dns.asked("internal.test")

    async def crawl() -> tuple[Any, BaseException | None]:
        await middleware.process_request(Request("http://internal.test/"))  # not judged here
        try:
            await middleware.process_request(Request("http://127.0.0.1/"))
        except BlockedByPolicyError as exc:
            refused: BaseException | None = exc
        else:
            refused = None
        proxy = await resolver.getHostByName("proxy.test").asFuture(asyncio.get_running_loop())
        return proxy, refused

    proxy, refused = asyncio.run(crawl())
    assert dns.asked("internal.test") == before
    assert refused is not None and "127.0.0.1 is a private" in str(refused)  # literals still are
    assert proxy == "10.0.0.8"  # the proxy itself may live on a private network


def test_settings_choose_the_lookup(dns: TestDns, tmp_path: Path) -> None:
    named = lookups_for(dns, tmp_path, timeout=2.5).lookup
    assert isinstance(named, NameserverLookup)
    assert named.resolver.lifetime == 2.5 and named.resolver.nameservers[0].port == dns.port
    system = HostLookups.of(crawler_for(None, tmp_path, timeout=3.0)).lookup
    assert isinstance(system, SystemLookup) and system.timeout == 3.0


def gai(errno: int, text: str) -> Callable[..., Awaitable[list[Any]]]:
    async def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(errno, text)

    return getaddrinfo


async def hangs(*args: Any, **kwargs: Any) -> list[Any]:
    await asyncio.sleep(10)
    return []


async def nothing(*args: Any, **kwargs: Any) -> list[Any]:
    return []


async def bad_label(*args: Any, **kwargs: Any) -> list[Any]:
    raise UnicodeError("label empty or too long")


@pytest.mark.parametrize(
    ("getaddrinfo", "kind", "says"),
    [
        (gai(socket.EAI_NONAME, "Name or service not known"), LookupFailure.NXDOMAIN, "NXDOMAIN"),
        (gai(socket.EAI_AGAIN, "Temporary failure"), LookupFailure.TEMPORARY, "EAI_AGAIN"),
        (gai(socket.EAI_FAIL, "Non-recoverable failure"), LookupFailure.SERVFAIL, "EAI_FAIL"),
        (gai(socket.EAI_SERVICE, "Servname not supported"), LookupFailure.OTHER, "getaddrinfo"),
        (hangs, LookupFailure.TIMEOUT, "no answer within 0.05 s (timeout)"),
        (nothing, LookupFailure.EMPTY, "(empty answer)"),
        (bad_label, LookupFailure.INVALID, "not a valid name"),
    ],
)
def test_the_system_resolvers_failures_are_dns_failures(
    getaddrinfo: Callable[..., Awaitable[list[Any]]], kind: LookupFailure, says: str
) -> None:
    lookups = HostLookups(AddressPolicy(), SystemLookup(0.05, getaddrinfo))
    error = failure_of(lambda: lookups.address("last.kz"))
    assert isinstance(error, HostLookupError) and error.kind == kind and says in str(error)
    assert classify_failure(error) == Outcome.DNS_FAILURE


def test_the_system_resolver_answers_and_is_vetted() -> None:
    lookups = HostLookups(AddressPolicy(), SystemLookup(5.0))
    error = failure_of(lambda: lookups.address("localhost"))  # /etc/hosts: 127.0.0.1
    assert isinstance(error, BlockedAddressError)
    assert error.reason.startswith("localhost resolves to 127.0.0.1, a private")
