"""discover: find a site's feeds, sitemaps (home page links, robots.txt, usual places) and
Telegram channels (home page links); or check that a t.me address is a public channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from archive.telegram import channel_preview_url, is_channel_page, telegram_channels
from crawler.items import header_text
from crawler.progress import emit
from crawler.spider import CitewatchSpider
from watch.listings import COMMON_FEEDS, feeds_in_page, guess_kind, sitemaps_in_robots

USUAL_PLACES = (*COMMON_FEEDS, "/sitemap.xml", "/sitemap_index.xml")


class DiscoverSpider(CitewatchSpider):
    """`scrapy crawl discover -a site=HOST_OR_URL`: each find is a `found` event."""

    name = "discover"

    def __init__(self, site: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(site if "://" in site else f"https://{site}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.channel = channel_preview_url(site)  # t.me/<channel>: the channel, not the site
        self.found: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if self.channel is not None:
            yield scrapy.Request(
                self.channel, callback=self.telegram, dont_filter=True, meta={"dont_retry": True}
            )
            return
        yield self._get("/", self.home)
        yield self._get("/robots.txt", self.robots)
        for path in USUAL_PLACES:
            yield self._get(path, self.usual_place)

    def _get(self, path: str, callback: Any) -> scrapy.Request:
        return scrapy.Request(
            self.origin + path, callback=callback, dont_filter=True, meta={"dont_retry": True}
        )

    def home(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status == 200 and hasattr(response, "text"):
            for url in feeds_in_page(response.text, response.url):
                yield scrapy.Request(url, callback=self.usual_place, dont_filter=True)
            for url in telegram_channels(response.text, response.url):
                self._report(url, "telegram", "home page link")

    def telegram(self, response: Response) -> None:
        """A t.me address: a channel if its preview page shows one (private ones have none)."""
        page = response.text if response.status == 200 and hasattr(response, "text") else ""
        if page and is_channel_page(page):
            self._report(response.url, "telegram", "Telegram channel")

    def robots(self, response: Response) -> None:
        if response.status == 200:
            for url in sitemaps_in_robots(response.text, response.url):
                self._report(url, "sitemap", "robots.txt")

    def usual_place(self, response: Response) -> None:
        if response.status == 200:
            kind = guess_kind(response.body, header_text(response, "Content-Type"))
            if kind != "page":
                self._report(response.url, kind, "found at")

    def _report(self, url: str, kind: str, via: str) -> None:
        if url not in self.found:
            self.found.add(url)
            if self.settings.getbool("CITEWATCH_EVENTS"):
                emit({"event": "found", "url": url, "kind": kind, "via": via})
