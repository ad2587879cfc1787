"""Which addresses a crawl may reach, and what each kind of failure is called."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import ConnectionLost, DNSLookupError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler.failures import classify_failure, describe_failure
from crawler.policy import AddressPolicy, BlockedAddressError, BlockedByPolicyError
from crawler.resolver import HostLookupError, LookupFailure
from crawler.retry import retry_after_seconds
from models.kinds import Outcome


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2a00:1450:4001:82a::200e", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
    ],
)
def test_default_policy_refuses_internal_addresses(address: str, allowed: bool) -> None:
    assert AddressPolicy().allows(address) is allowed


def test_configuration_can_open_networks() -> None:
    assert AddressPolicy(allow_private=True).allows("127.0.0.1")
    intranet = AddressPolicy.build(False, ["10.20.0.0/16"])
    assert intranet.allows("10.20.3.4") and not intranet.allows("10.21.3.4")


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("https://vlast.kz/novosti/1.html", None),
        ("http://93.184.216.34/", None),
        ("ftp://files.kz/a.pdf", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://127.0.0.1:8080/admin", "127.0.0.1 is a private"),
        ("http://[::1]/", "::1 is a private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private"),
    ],
)
def test_refusals_without_dns(url: str, refusal: str | None) -> None:
    result = AddressPolicy().refusal(url)
    assert result == refusal if refusal is None else refusal in (result or "")


def wrapped(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (BlockedByPolicyError("http://127.0.0.1/: private"), Outcome.POLICY),
        (
            wrapped(
                CannotResolveHostError("no results"),
                BlockedAddressError("x", "resolves to 10.0.0.1"),
            ),
            Outcome.POLICY,
        ),
        (wrapped(CannotResolveHostError("no results"), DNSLookupError("x")), Outcome.DNS_FAILURE),
        # a lookup that timed out is a DNS failure, not a (transient) timeout
        (
            HostLookupError("last.kz", LookupFailure.TIMEOUT, "no answer within 30 s (timeout)"),
            Outcome.DNS_FAILURE,
        ),
        (DownloadConnectionRefusedError("refused"), Outcome.REFUSED),
        (DownloadTimeoutError("took longer than 30 seconds"), Outcome.TIMEOUT),
        (
            DownloadCancelledError(
                "Expected to receive 26214400 bytes which is larger than download max size (20971520)"
            ),
            Outcome.TOO_LARGE,
        ),
        (
            IgnoreRequest(
                "Ignored response: exceeded DOWNLOAD_MAXSIZE (20971520 B) during decompression."
            ),
            Outcome.TOO_LARGE,
        ),
        (IgnoreRequest("max redirections reached"), Outcome.REDIRECT_LOOP),
        (IgnoreRequest("Forbidden by robots.txt"), Outcome.POLICY),
        (ResponseDataLossError("lost"), Outcome.RESET),
        (
            wrapped(
                DownloadFailedError("failed"),
                ResponseNeverReceived([Failure(ConnectionLost("reset by peer"))]),
            ),
            Outcome.RESET,
        ),
        (IgnoreRequest("some other reason"), Outcome.ERROR),
        (ValueError("unexpected"), Outcome.ERROR),
    ],
)
def test_one_table_names_every_failure(error: BaseException, outcome: Outcome) -> None:
    assert classify_failure(error) == outcome


def test_tls_errors_found_inside_twisted_failures() -> None:
    from OpenSSL.SSL import Error as TLSError

    error = wrapped(
        DownloadFailedError("failed"),
        ResponseNeverReceived([Failure(TLSError("certificate verify failed"))]),
    )
    assert classify_failure(error) == Outcome.TLS_ERROR


def test_failure_description_includes_the_cause() -> None:
    text = describe_failure(
        wrapped(CannotResolveHostError("DNS lookup failed"), DNSLookupError("no such host"))
    )
    assert text.startswith("CannotResolveHostError: DNS lookup failed <- DNSLookupError")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 25 Nov 2026 10:01:00 GMT", 60.0),
        ("Wed, 25 Nov 2026 09:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
