"""Scrapy settings: fixed choices here, the user's configuration applied by `apply_config`.

`scrapy crawl <spider>` and the crawl child process both load this module; the citewatch
configuration (politeness, proxy, limits) is applied when the crawl starts, never at import.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

from config import Config, CrawlConfig
from crawler.render import find_browser, launch_options

BOT_NAME = "citewatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

# Every target is fetched once per run on purpose; the scheduler must never drop one silently.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
HTTPERROR_ALLOW_ALL = True  # a 404 is evidence too: archive it
# Each response yields one item: Scrapy's default of 100 parallel item tasks per response only
# costs time (it halved the re-check rate).
CONCURRENT_ITEMS = 1
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True  # some sites set a cookie on the first hop and expect it on the next
# Names are looked up once per crawl by the safety middleware (crawler.resolver.HostLookups);
# the reactor's resolver only hands out the address it vetted.
TWISTED_DNS_RESOLVER = "crawler.resolver.PolicyResolver"
DOWNLOAD_DELAY_JITTER = 0.5  # waits between 0.5 and 1.5 times the delay
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Transient answers only (exceptions: crawler.retry.TRANSIENT); never 404, 403 or 410.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DEFAULT_REQUEST_HEADERS = {
    "Accept": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,*/*;q=0.8"
    ),
    "Accept-Language": "ru,kk;q=0.9,en;q=0.8",
    # Not br or zstd: archived payloads must stay readable by standard WARC tools (warcio and
    # pywb cannot decode brotli with current brotli releases). Servers that send it anyway
    # are still archived and decoded by citewatch itself.
    "Accept-Encoding": "gzip, deflate",
}

# Response headers capped (crawler.capture): an endless header section cannot grow the process.
DOWNLOAD_HANDLERS = dict.fromkeys(("http", "https"), "crawler.capture.CappedHTTPDownloadHandler")
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.safety.SafetyMiddleware": 540,
    "crawler.retry.PoliteRetryMiddleware": 550,
    "crawler.proxy.ConfiguredProxyMiddleware": 740,
    "crawler.cookies.AccountCookiesMiddleware": 800,  # after Scrapy's cookies (700), before capture
    "crawler.capture.CaptureMiddleware": 950,  # closest to the network: bytes as received
}
ITEM_PIPELINES = {
    "crawler.pipelines.probes.ProbePipeline": 50,
    "crawler.pipelines.warc.WarcPipeline": 100,
    "crawler.pipelines.text.ExtractionPipeline": 200,
    "crawler.pipelines.snapshots.SnapshotPipeline": 300,
}
EXTENSIONS = {
    "crawler.progress.ProgressEvents": 500,
}


MIN_DELAY = 0.001


def apply_config(settings: BaseSettings, config: Config, priority: str = "spider") -> None:
    """The citewatch configuration as Scrapy settings."""
    crawl = config.crawl
    max_bytes = crawl.max_body_mb * 2**20
    values = {
        "USER_AGENT": crawl.user_agent,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DNS_TIMEOUT": crawl.timeout,
        # With no delay at all, Scrapy 2.19 starts every queued request of a host at once,
        # ignoring the per-host concurrency; a millisecond keeps the limit and costs nothing.
        "DOWNLOAD_DELAY": max(crawl.delay, MIN_DELAY),
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_host,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.delay, 1.0),
        "RETRY_TIMES": crawl.retries,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        # The cap counts bytes received and, in HttpCompressionMiddleware, bytes decompressed.
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "CITEWATCH_PROXY": crawl.proxy,
        "CITEWATCH_ALLOW_PRIVATE_NETWORKS": crawl.allow_private_networks,
        "CITEWATCH_ALLOW_NETWORKS": list(crawl.allow_networks),
        "CITEWATCH_PINNED_HOSTS": crawl.pins,
        "CITEWATCH_NAMESERVERS": list(crawl.nameservers),
        "CITEWATCH_RETRY_BACKOFF": crawl.retry_backoff,
        "CITEWATCH_MAX_RETRY_AFTER": crawl.max_retry_after,
    }
    values.update(render_settings(crawl))
    for name, value in values.items():
        settings.set(name, value, priority=priority)


def render_settings(crawl: CrawlConfig) -> dict[str, Any]:
    """Chromium through scrapy-playwright, when some page may be rendered and a browser is
    there (crawler.render, crawler.browser); else nothing is rendered (and snapshots say so)."""
    modes = {crawl.render, *(rule.partition("=")[2].strip() for rule in crawl.render_hosts)}
    browser = find_browser(crawl.browser) if modes != {"never"} else None
    if browser is None:
        return {"CITEWATCH_BROWSER": ""}
    handler = "crawler.browser.RenderingDownloadHandler"
    return {
        "CITEWATCH_BROWSER": browser,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(browser, crawl.pins, crawl.proxy),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": crawl.render_timeout * 1000,
        "PLAYWRIGHT_CONTEXTS": {
            "default": {
                "accept_downloads": False,  # a page that starts a download gets nothing
                "service_workers": "block",  # every request is seen (and judged) here
                "viewport": {"width": 1280, "height": 900},
                "user_agent": crawl.user_agent,
            }
        },
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(1, min(4, crawl.concurrency)),
    }
