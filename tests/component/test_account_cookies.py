"""A capture account's cookies (crawler/cookies.py): read from a real Netscape cookies.txt, sent
to their host and its subdomains only, as a browser would; counted in the log, never quoted;
replaced in the recorded request (crawler/capture.py); and handed to Playwright."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from config import Config, CrawlConfig
from crawler.capture import EXCHANGES, CaptureMiddleware
from crawler.context import CONFIG_SETTING, NOW_SETTING
from crawler.cookies import (
    ACCOUNT_COOKIES,
    NOT_STORED,
    AccountCookies,
    AccountCookiesMiddleware,
    CookiesFileError,
    check_cookie_files,
    playwright_cookies,
    read_cookies,
    without_account_cookies,
)
from crawler.launch import CrawlNotStarted

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
LATER = 1_900_000_000  # 2030
EARLIER = 1_700_000_000  # 2023, before NOW
SESSION = "fb-session-7f3a9c2e"  # the secret the tests look for everywhere
COOKIES_TXT = f"""# Netscape HTTP Cookie File
# https://curl.haxx.se/rfc/cookie_spec.html
# This is a generated file! Do not edit.

.facebook.com\tTRUE\t/\tFALSE\t{LATER}\tc_user\t100012345678901
#HttpOnly_.facebook.com\tTRUE\t/\tFALSE\t{LATER}\txs\t{SESSION}
.facebook.com\tTRUE\t/\tTRUE\t{LATER}\tsecure_only\ts3cure
.facebook.com\tTRUE\t/\tFALSE\t0\tpresence\tsession-cookie
.facebook.com\tTRUE\t/\tFALSE\t{EARLIER}\told\texpired-value
m.facebook.com\tFALSE\t/\tFALSE\t{LATER}\tm_only\tmobile
.facebook.com\tTRUE\t/groups\tFALSE\t{LATER}\tgroups_only\tg1
.google.com\tTRUE\t/\tFALSE\t{LATER}\tNID\tgoogle-secret
"""


@pytest.fixture
def cookies_file(tmp_path: Path) -> Path:
    path = tmp_path / "facebook-cookies.txt"
    path.write_text(COOKIES_TXT, encoding="utf-8")
    return path


def crawler_with(tmp_path: Path, *cookies: str) -> Crawler:
    """A crawler carrying a citewatch configuration, as every crawl gets one."""
    config = Config(home=tmp_path, crawl=CrawlConfig(cookies=cookies))
    return get_crawler(settings_dict={CONFIG_SETTING: config, NOW_SETTING: NOW.isoformat()})


def names(header: str | None) -> list[str]:
    return [pair.split("=", 1)[0] for pair in (header or "").split("; ") if pair]


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://www.facebook.com/kibhr/posts/1", ["c_user", "xs", "presence"]),
        ("https://www.facebook.com/kibhr/posts/1", ["c_user", "xs", "secure_only", "presence"]),
        ("http://facebook.com/kibhr", ["c_user", "xs", "presence"]),
        ("http://m.facebook.com/story.php", ["c_user", "xs", "presence", "m_only"]),
        ("http://www.facebook.com/groups/1/", ["c_user", "xs", "presence", "groups_only"]),
        ("http://www.facebook.com/groupsx", ["c_user", "xs", "presence"]),
        ("http://google.com/", []),  # in the file, but no rule sends them
        ("http://notfacebook.com/", []),
        ("http://facebook.com.evil.kz/", []),
        ("http://vlast.kz/novosti/63501.html", []),
    ],
)
def test_cookies_go_to_their_host_and_its_subdomains_only(
    cookies_file: Path, url: str, sent: list[str]
) -> None:
    cookies = AccountCookies.load({"facebook.com": str(cookies_file)})
    assert names(cookies.header(url, NOW)) == sent


def test_a_rule_for_a_subdomain_covers_that_subdomain_only(cookies_file: Path) -> None:
    cookies = AccountCookies.load({"m.facebook.com": str(cookies_file)})
    assert names(cookies.header("http://m.facebook.com/", NOW)) == [
        "c_user",
        "xs",
        "presence",
        "m_only",
    ]
    assert cookies.header("http://www.facebook.com/", NOW) is None
    config = CrawlConfig(cookies=(f"m.facebook.com={cookies_file}",))
    domains = {c["domain"] for c in playwright_cookies(config, "http://m.facebook.com/", NOW)}
    assert domains == {".m.facebook.com", "m.facebook.com"}  # never all of facebook.com


def test_cookies_of_other_domains_in_the_file_are_never_loaded(cookies_file: Path) -> None:
    loaded = read_cookies("facebook.com", str(cookies_file))
    assert "NID" not in {cookie.name for cookie in loaded} and len(loaded) == 7


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("c_user=1; xs=" + SESSION, "is not a Netscape cookies.txt file"),
        (f"# Netscape HTTP Cookie File\n.facebook.com\tTRUE\txs\t{SESSION}\n", "is not a Netscape"),
        (b"# Netscape HTTP Cookie File\n\xff\xfe\x00", "is not a text file"),
    ],
    ids=["missing", "not-cookies-txt", "broken-line", "binary"],
)
def test_a_file_that_cannot_be_read_is_named_and_never_quoted(
    tmp_path: Path, content: str | bytes | None, reason: str
) -> None:
    path = tmp_path / "cookies.txt"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(CookiesFileError) as raised:
        read_cookies("facebook.com", str(path))
    message = str(raised.value)
    assert str(path) in message and reason in message
    assert SESSION not in message and "\n" not in message
    assert raised.value.__suppress_context__  # no chained error quoting the line either


def test_the_middleware_sends_the_cookies_and_the_capture_records_none(
    tmp_path: Path, cookies_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = crawler_with(tmp_path, f"facebook.com={cookies_file}")
    with caplog.at_level(logging.DEBUG):
        middleware = AccountCookiesMiddleware.from_crawler(crawler)
    assert "7 cookies for facebook.com" in caplog.text
    scrapy_cookies = CookiesMiddleware.from_crawler(crawler)
    capture = CaptureMiddleware.from_crawler(crawler)

    def download(url: str, set_cookie: str | None = None) -> Request:
        """The request through the three middlewares in their priority order, and back."""
        request = Request(url)
        for component in (scrapy_cookies, middleware, capture):  # 700, 800, 950
            assert component.process_request(request) is None
        headers = {"Set-Cookie": set_cookie} if set_cookie else {}
        response = HtmlResponse(url, body=b"<html></html>", headers=headers, request=request)
        capture.process_response(request, response)
        scrapy_cookies.process_response(request, response)
        return request

    post = download("http://www.facebook.com/kibhr/posts/1", set_cookie="wd=1280x900; Path=/")
    assert post.meta[ACCOUNT_COOKIES] is True
    assert SESSION in post.headers["Cookie"].decode()
    recorded = dict(post.meta[EXCHANGES][0].request_headers)
    assert recorded["Cookie"] == NOT_STORED
    # The site's own cookie, set during the crawl, goes along with the account's.
    again = download("http://www.facebook.com/kibhr/posts/2")
    assert names(again.headers["Cookie"].decode()) == ["c_user", "xs", "presence", "wd"]
    other = download("http://vlast.kz/novosti/63501.html")
    assert "Cookie" not in other.headers and ACCOUNT_COOKIES not in other.meta
    assert "Cookie" not in dict(other.meta[EXCHANGES][0].request_headers)
    assert crawler.stats is not None
    assert crawler.stats.get_value("citewatch/account_cookies/requests") == 2
    assert SESSION not in caplog.text


def test_a_redirect_off_the_host_loses_the_mark(tmp_path: Path, cookies_file: Path) -> None:
    middleware = AccountCookiesMiddleware.from_crawler(
        crawler_with(tmp_path, f"facebook.com={cookies_file}")
    )
    first = Request("http://www.facebook.com/kibhr/posts/1")
    middleware.process_request(first)
    hop = first.replace(url="http://l.example.org/out", headers={})  # meta copied, as redirects do
    middleware.process_request(hop)
    assert ACCOUNT_COOKIES not in hop.meta and "Cookie" not in hop.headers


def test_no_cookies_configured_no_middleware(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        AccountCookiesMiddleware.from_crawler(crawler_with(tmp_path))


def test_a_missing_file_stops_the_crawl_before_it_starts(
    tmp_path: Path, cookies_file: Path
) -> None:
    missing = tmp_path / "nowhere" / "cookies.txt"
    with pytest.raises(CookiesFileError, match=f"cannot read the cookies file {missing}"):
        AccountCookiesMiddleware.from_crawler(crawler_with(tmp_path, f"facebook.com={missing}"))
    rules = (f"x.com={cookies_file}", f"facebook.com={missing}")
    with pytest.raises(CrawlNotStarted, match=str(missing)):  # before the crawl, if called there
        check_cookie_files(CrawlConfig(cookies=rules))
    check_cookie_files(CrawlConfig(cookies=rules[:1]))


def test_the_middleware_sits_between_scrapys_cookies_and_the_capture() -> None:
    order = Settings()
    order.setmodule("crawler.settings", priority="project")
    priorities = order.getwithbase("DOWNLOADER_MIDDLEWARES")
    ours = priorities["crawler.cookies.AccountCookiesMiddleware"]
    assert (
        priorities["scrapy.downloadermiddlewares.cookies.CookiesMiddleware"]
        < ours
        < priorities["crawler.capture.CaptureMiddleware"]
    )


def test_cookies_for_the_browser_in_playwrights_form(tmp_path: Path, cookies_file: Path) -> None:
    config = Config(home=tmp_path, crawl=CrawlConfig(cookies=(f"facebook.com={cookies_file}",)))
    found = playwright_cookies(config, "https://www.facebook.com/kibhr/posts/1", NOW)
    by_name = {cookie["name"]: cookie for cookie in found}
    assert set(by_name) == {"c_user", "xs", "secure_only", "presence", "m_only", "groups_only"}
    assert by_name["xs"] == {
        "name": "xs",
        "value": SESSION,
        "domain": ".facebook.com",
        "path": "/",
        "secure": False,
        "httpOnly": True,
        "expires": float(LATER),
    }
    assert "expires" not in by_name["presence"]  # a session cookie
    assert by_name["secure_only"]["secure"] and by_name["m_only"]["domain"] == "m.facebook.com"
    assert by_name["groups_only"]["path"] == "/groups"
    assert playwright_cookies(config.crawl, "https://vlast.kz/", NOW) == []


def test_recorded_request_headers_keep_everything_but_the_cookies() -> None:
    headers = [("Accept", "text/html"), ("Cookie", f"xs={SESSION}"), ("cookie", "c_user=1")]
    assert without_account_cookies(headers) == [
        ("Accept", "text/html"),
        ("Cookie", NOT_STORED),
        ("cookie", NOT_STORED),
    ]
