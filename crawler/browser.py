"""Rendering pages in Chromium through scrapy-playwright, inside the crawl.

One browser per crawl process, launched on the first page that needs it (Debian's Chromium,
never a download). Every request the browser makes goes through the crawl's address policy
(the same lookups as Scrapy's requests), downloads are refused, and a page is always closed.
The capture (crawler.render.RenderedCapture) gets the DOM after scripts ran, a full-page
screenshot and the sub-resources the page loaded, within limits.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page
from playwright.async_api import Request as BrowserRequest
from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from archive.warc import HttpExchange
from crawler.capture import CappedHTTPDownloadHandler
from crawler.cookies import without_account_cookies
from crawler.render import RenderedCapture
from crawler.resolver import HostLookups

log = logging.getLogger(__name__)

SCROLLS = 8  # screens scrolled down, so lazy content loads (an endless page stops here)
MAX_SHOT_PX = 20000  # a screenshot's height at most
SETTLE_MS = 1500  # after load, wait this long at most for the network to go quiet
DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
# The browser gives bodies decoded: these headers no longer describe the stored payload.
RENAMED = "X-Citewatch-Orig-"
# Pages whose sub-resources the policy refused, for the capture to say so (page -> capture).
_CAPTURES: weakref.WeakKeyDictionary[Any, RenderedCapture] = weakref.WeakKeyDictionary()


class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler, CappedHTTPDownloadHandler):  # type: ignore[misc]
    """Scrapy's (capped) HTTP handler for plain requests, Chromium for those marked to render.

    Playwright starts on the first page to render, not with every crawl; each request the
    browser makes is judged by the crawl's address policy first."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._lookups = HostLookups.of(crawler)
        self.abort_request = self._refuse
        self._started = asyncio.Lock()
        self._launched = False

    def _engine_started(self) -> Any:  # Scrapy before 2.13: launched on demand instead
        return None

    async def _maybe_launch_in_thread(self) -> None:  # Scrapy 2.13+: launched on demand
        return None

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        async with self._started:
            if not self._launched:
                await self._launch()
                self._launched = True
        return await super()._download_request(request, spider)

    async def _refuse(self, request: BrowserRequest) -> bool:
        """Whether to stop a request the browser is about to make (the address policy)."""
        url = request.url
        if urlsplit(url).scheme in ("data", "blob", "about"):
            return False
        refusal = await self._lookups.refusal(url)
        if refusal is None:
            return False
        log.info("browser request refused: %s: %s", url[:200], refusal)
        capture = _CAPTURES.get(request.frame.page) if request.frame else None
        if capture is not None:
            capture.refused.append(url)
        return True


def page_init(
    capture: RenderedCapture, cookies: list[dict[str, Any]]
) -> Callable[[Page, Any], Any]:
    """The page's init callback: a capture account's cookies (crawler.cookies) for its host;
    its responses and refusals go to the capture."""

    async def init(page: Page, request: Any) -> None:
        _CAPTURES[page] = capture
        if cookies:
            capture.account_cookies = True
            await page.context.add_cookies(cookies)  # type: ignore[arg-type]
        page.on("response", capture.saw)

    return init


async def finish(page: Page, capture: RenderedCapture, limits: tuple[int, int]) -> None:
    """Settle, scroll, take the screenshot and the DOM, read the sub-resources; close the page.

    A step that fails leaves what the earlier ones got (and says so in `capture.error`)."""
    try:
        await _settle(page)
        await _scroll(page)
        capture.screenshot = await _screenshot(page)
        capture.dom = (await page.content()).encode("utf-8")
        await _read_resources(capture, *limits)
    except Exception as exc:  # a page that crashed or went away: keep what was taken
        capture.error = capture.error or f"render stopped: {type(exc).__name__}: {exc}"[:300]
    finally:
        await close(page)


async def salvage(page: Page | None, capture: RenderedCapture, error: str) -> None:
    """After a failed render (e.g. the page never finished loading): what it shows, if any."""
    capture.error = error
    if page is None:
        return
    try:
        capture.screenshot = await _screenshot(page)
        capture.dom = (await page.content()).encode("utf-8")
    except Exception as exc:  # nothing to salvage
        log.info("nothing kept of %s: %s", capture.url, exc)
    finally:
        await close(page)


async def close(page: Page) -> None:
    _CAPTURES.pop(page, None)
    if not page.is_closed():
        try:
            await page.close()
        except Exception as exc:  # the browser may be gone already
            log.debug("closing a page: %s", exc)


async def _settle(page: Page) -> None:
    try:
        await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    except Exception:  # still busy (a live ticker, long polling): take it as it is
        return


async def _scroll(page: Page) -> None:
    """Scroll down a few screens, so content loaded on scrolling is there (not endlessly)."""
    for _ in range(SCROLLS):
        at_bottom = await page.evaluate(
            "() => { window.scrollBy(0, window.innerHeight);"
            " return window.innerHeight + window.scrollY >= document.body.scrollHeight; }"
        )
        await page.wait_for_timeout(150)
        if at_bottom:
            break
    await page.evaluate("() => window.scrollTo(0, 0)")


async def _screenshot(page: Page) -> bytes:
    height = await page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else 1280
    if isinstance(height, int | float) and height > MAX_SHOT_PX:
        clip = {"x": 0, "y": 0, "width": width, "height": MAX_SHOT_PX}
        return await page.screenshot(full_page=True, clip=clip, type="png")  # type: ignore[arg-type]
    return await page.screenshot(full_page=True, type="png")


async def _read_resources(capture: RenderedCapture, max_count: int, max_bytes: int) -> None:
    """The bodies of the responses the page received, within the limits."""
    total = 0
    page_url = capture.url
    for response in capture._seen:
        request = response.request
        main_frame = request.resource_type == "document" and request.frame.parent_frame is None
        if main_frame and (response.url == page_url or request.is_navigation_request()):
            continue  # the page itself: archived by the plain fetch
        if len(capture.resources) >= max_count:
            capture.dropped += 1
            continue
        try:
            body = b"" if 300 <= response.status < 400 else await response.body()
        except Exception:  # a body the browser did not keep (redirect, aborted, evicted)
            body = b""
        if total + len(body) > max_bytes:
            capture.dropped += 1
            continue
        total += len(body)
        capture.resources.append(
            HttpExchange(
                url=response.url,
                method=request.method,
                request_headers=_kept(
                    [
                        (name, value)
                        for name, value in (await request.all_headers()).items()
                        if not name.startswith(":")  # HTTP/2 pseudo-headers
                    ],
                    capture.account_cookies,
                ),
                status=response.status,
                reason=response.status_text,
                response_headers=[
                    (RENAMED + name if name.lower() in DROPPED_HEADERS else name, value)
                    for name, value in (await response.all_headers()).items()
                    if not name.startswith(":")
                ],
                body=body,
                fetched_at=capture.fetched_at,
                request_body=request.post_data_buffer or b"",
            )
        )


def _kept(headers: list[tuple[str, str]], account_cookies: bool) -> list[tuple[str, str]]:
    """Request headers as the WARC record keeps them: a capture account's cookies never."""
    return without_account_cookies(headers) if account_cookies else headers
