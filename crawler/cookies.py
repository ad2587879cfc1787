"""A capture account's cookies (crawl.cookies): sent to their host only, never logged or archived.

Facebook, Instagram and X show a post only to a logged-in reader. `[crawl] cookies =
["facebook.com=/path/cookies.txt"]` names a Netscape cookies.txt exported from a browser logged
in to a capture account; each file is read once per crawl, and its cookies go with every
request to that host and its subdomains, as a browser would send them (the cookie's domain and
path must match, secure cookies go over https only). They are an account's session: the log
says only how many there are, and the request records in the WARC files say NOT_STORED in
their place (crawler/capture.py drops them from requests marked ACCOUNT_COOKIES). Rendered
pages get them from `playwright_cookies`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from http.cookiejar import Cookie, LoadError, MozillaCookieJar
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from config import Config, CrawlConfig
from config.hosts import covering, within
from crawler.context import CrawlContext
from crawler.launch import CrawlNotStarted

log = logging.getLogger(__name__)

ACCOUNT_COOKIES = "citewatch_account_cookies"  # request.meta: this request carries them
NOT_STORED = "[account cookies: not stored]"
HTTPONLY = "HTTPOnly"  # how http.cookiejar marks a "#HttpOnly_" line of a cookies.txt
Clock = Callable[[], datetime]


class CookiesFileError(CrawlNotStarted):
    """A configured cookies file that is missing or cannot be read: the crawl does not start."""


class AccountCookies:
    """Each configured host's cookies (a host's rule covers its subdomains)."""

    def __init__(self, cookies: Mapping[str, Sequence[Cookie]]) -> None:
        self.cookies = {host.lower().rstrip("."): tuple(found) for host, found in cookies.items()}

    @classmethod
    def load(cls, files: Mapping[str, str]) -> Self:
        """Every host's cookies file (CookiesFileError names the one that cannot be read)."""
        return cls({host: read_cookies(host, path) for host, path in files.items()})

    def rule(self, host: str) -> str | None:
        """The configured host whose rule covers this one: itself or its nearest parent."""
        return covering(host, self.cookies)

    def header(self, url: str, now: datetime) -> str | None:
        """The Cookie header for a request to this URL, or None when no cookie goes with it."""
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        rule = self.rule(host)
        if rule is None:
            return None
        path, secure, moment = parts.path or "/", parts.scheme == "https", now.timestamp()
        pairs = [
            f"{cookie.name}={cookie.value}" if cookie.value is not None else cookie.name
            for cookie in self.cookies[rule]
            if _domain_match(cookie, host)
            and _path_match(cookie.path, path)
            and (secure or not cookie.secure)
            and not _expired(cookie, moment)
        ]
        return "; ".join(pairs) or None

    def for_browser(self, url: str, now: datetime) -> list[dict[str, Any]]:
        """The cookies of the rule covering the URL's host, in Playwright's add_cookies form;
        the browser matches them to each request itself."""
        rule = self.rule(urlsplit(url).hostname or "")
        if rule is None:
            return []
        moment = now.timestamp()
        return [
            _playwright_cookie(cookie, rule)
            for cookie in self.cookies[rule]
            if not _expired(cookie, moment)
        ]


class AccountCookiesMiddleware:
    """Downloader middleware adding a capture account's cookies to requests to its hosts.

    Placed after Scrapy's CookiesMiddleware, which rewrites the Cookie header from its own jar,
    and before CaptureMiddleware, which records the request as sent (without these cookies).
    """

    def __init__(self, cookies: AccountCookies, clock: Clock, stats: StatsCollector) -> None:
        self.cookies = cookies
        self.clock = clock
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        context = CrawlContext.of(crawler)
        files = context.config.crawl.cookie_files
        if not files:
            raise NotConfigured("no crawl.cookies set")
        cookies = AccountCookies.load(files)  # a file that cannot be read stops the crawl here
        for host, found in cookies.cookies.items():
            if found:
                log.info("%d cookies for %s", len(found), host)
            else:
                log.warning("no cookies for %s in its cookies file", host)
        assert crawler.stats is not None
        return cls(cookies, context.clock, crawler.stats)

    def process_request(self, request: Request) -> None:
        request.meta.pop(ACCOUNT_COOKIES, None)  # copied into a redirect's or retry's meta
        if request.meta.get("playwright"):
            return  # the browser sends them itself (playwright_cookies)
        value = self.cookies.header(request.url, self.clock())
        if value is None:
            return
        request.headers["Cookie"] = _merged(value, request.headers.get("Cookie"))
        request.meta[ACCOUNT_COOKIES] = True
        self.stats.inc_value("citewatch/account_cookies/requests")


def read_cookies(host: str, path: str) -> tuple[Cookie, ...]:
    """The cookies of a Netscape cookies.txt that a browser would send to the host or its
    subdomains: theirs, and domain cookies of a parent domain (".facebook.com" for a rule on
    m.facebook.com)."""
    host = host.lower().rstrip(".")
    return tuple(
        cookie
        for cookie in _read_file(path)
        if within(cookie.domain.lstrip(".").lower(), host)
        or (cookie.domain.startswith(".") and within(host, cookie.domain[1:].lower()))
    )


def check_cookie_files(crawl: CrawlConfig) -> None:
    """Read every configured cookies file now (CookiesFileError names one that cannot be), so
    a crawl can refuse to start before it fetches anything."""
    for host, path in crawl.cookie_files.items():
        read_cookies(host, path)


def playwright_cookies(
    config: Config | CrawlConfig, url: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The capture account's cookies for a page to render, in Playwright's add_cookies form
    ([] when no crawl.cookies rule covers its host); `now` (default: the system clock) leaves
    out expired ones. Raises CookiesFileError as the middleware does."""
    crawl = config.crawl if isinstance(config, Config) else config
    files = crawl.cookie_files
    cookies = AccountCookies({host: read_cookies(host, path) for host, path in files.items()})
    return cookies.for_browser(url, now or datetime.now(UTC))


def without_account_cookies(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Request headers as a WARC record keeps them when the request carried an account's
    cookies: every Cookie header's value replaced by NOT_STORED."""
    return [(name, NOT_STORED if name.lower() == "cookie" else value) for name, value in headers]


@cache
def _read_file(path: str) -> tuple[Cookie, ...]:
    """A cookies.txt, read once per process. The reason it cannot be read never quotes the
    file: its lines are secrets."""
    jar = MozillaCookieJar()
    try:
        with warnings.catch_warnings():  # "http.cookiejar bug!" and a traceback: ours says it
            warnings.simplefilter("ignore")
            jar.load(path, ignore_discard=True, ignore_expires=True)  # session cookies too
    except LoadError:  # an OSError too, but one whose message quotes the offending line
        raise CookiesFileError(
            f"the cookies file {path} is not a Netscape cookies.txt file"
        ) from None
    except OSError as exc:
        raise CookiesFileError(
            f"cannot read the cookies file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except UnicodeDecodeError:
        raise CookiesFileError(f"the cookies file {path} is not a text file") from None
    return tuple(jar)


def _merged(account: str, existing: bytes | None) -> str:
    """The account's cookies, then the crawl's own (set by the site during the crawl) that
    do not have the same name."""
    names = {pair.split("=", 1)[0].strip() for pair in account.split(";")}
    own = [
        pair.strip()
        for pair in (existing or b"").decode("latin-1").split(";")
        if pair.strip() and pair.split("=", 1)[0].strip() not in names
    ]
    return "; ".join([account, *own])


def _domain_match(cookie: Cookie, host: str) -> bool:
    """RFC 6265's domain match: a domain cookie (".example.org") for the domain and its
    subdomains, a host-only cookie for its host alone."""
    domain = cookie.domain.lower()
    if domain.startswith("."):
        return within(host, domain[1:])
    return host == domain


def _path_match(cookie_path: str, path: str) -> bool:
    """RFC 6265's path match."""
    cookie_path = cookie_path or "/"
    if path == cookie_path or cookie_path == "/":
        return True
    return path.startswith(cookie_path if cookie_path.endswith("/") else cookie_path + "/")


def _playwright_cookie(cookie: Cookie, rule: str) -> dict[str, Any]:
    """One cookie as Playwright's BrowserContext.add_cookies takes it ("domain" with a leading
    dot covers subdomains; no "expires": a session cookie). A parent domain's cookie is given
    to the rule's host and its subdomains only, not to the browser's whole parent domain."""
    domain = cookie.domain
    if domain.startswith(".") and within(rule, domain[1:].lower()):
        domain = "." + rule
    converted: dict[str, Any] = {
        "name": cookie.name,
        "value": cookie.value or "",
        "domain": domain,
        "path": cookie.path or "/",
        "secure": bool(cookie.secure),
        "httpOnly": cookie.has_nonstandard_attr(HTTPONLY),
    }
    if cookie.expires:
        converted["expires"] = float(cookie.expires)
    return converted


def _expired(cookie: Cookie, moment: float) -> bool:
    """Past its expiry time; 0 or none is a session cookie (browsers export them either way)."""
    return cookie.expires is not None and 0 < cookie.expires <= moment
