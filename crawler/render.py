"""Pages that need a browser: which, why, and what the browser saw (crawler.browser renders).

The plain Scrapy fetch comes first and is always archived. A page is then rendered when its
host's rule says "always", or with "auto" when the raw page shows almost no text or is a known
JavaScript shell; the reason goes into the snapshot. The rendered capture adds, beside the raw
response: the DOM after scripts ran, a full-page screenshot, and every sub-resource the page
loaded (so replay shows it), within limits; its text is what gets extracted.

One browser per crawl process, launched on the first page that needs it (Debian's Chromium,
never a download). Every request the browser makes goes through the crawl's address policy
(the same lookups as Scrapy's requests), downloads are refused, and a page is always closed.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import html as lxml_html

from archive.warc import HttpExchange

if TYPE_CHECKING:
    from playwright.async_api import Response as BrowserResponse

BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
MIN_TEXT = 200  # characters of text a page shows without JavaScript, below which "auto" renders
SHELL = re.compile(
    rb"<div[^>]+id=[\"'](?:root|app|__next|__nuxt)[\"'][^>]*>\s*</div>"
    rb"|<noscript>[^<]*(?:enable|requires?|need)[^<]*javascript",
    re.IGNORECASE,
)


@dataclass
class RenderedCapture:
    """What the browser saw of one page."""

    reason: str  # why it was rendered
    url: str
    fetched_at: datetime
    dom: bytes = b""
    screenshot: bytes | None = None
    resources: list[HttpExchange] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # sub-resources the policy refused
    dropped: int = 0  # sub-resources over the limits
    error: str | None = None  # a render that failed or timed out (what it got is kept)
    account_cookies: bool = False  # the browser carried a capture account's cookies
    _seen: list[BrowserResponse] = field(default_factory=list, repr=False)

    def note(self) -> str:
        """One line for the snapshot: why it was rendered and what came of it."""
        parts = [f"rendered: {self.reason}"]
        if self.error:
            parts.append(self.error)
        parts.append(f"{len(self.resources)} sub-resources kept")
        if self.refused:
            parts.append(f"{len(self.refused)} refused by the address policy")
        if self.dropped:
            parts.append(f"{self.dropped} over the limits")
        return "; ".join(parts)

    def saw(self, response: BrowserResponse) -> None:
        """A response the page received (its body is read once the page has settled)."""
        self._seen.append(response)


def render_reason(
    mode: str, status: int | None, content_type: str | None, body: bytes, host: str
) -> str | None:
    """Why this raw response should be rendered, or None. Only pages (2xx HTML) are."""
    if mode == "never" or status is None or not 200 <= status < 300:
        return None
    if "html" not in (content_type or "text/html").lower():
        return None
    if mode == "always":
        return f"rendering is always on for {host}"
    if SHELL.search(body[: 2**20]):
        return "the page is a JavaScript shell"
    shown = len(visible_text(body))
    if shown < MIN_TEXT:
        return f"the page shows {shown} characters of text without JavaScript"
    return None


def visible_text(body: bytes) -> str:
    """The text a page shows before any script runs (scripts, styles and templates left out)."""
    try:
        tree = lxml_html.document_fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for element in tree.xpath("//script|//style|//noscript|//template|//head"):
        element.drop_tree()
    return " ".join(tree.text_content().split())


def find_browser(configured: str) -> str | None:
    """Chromium's executable: the configured one, else the first found."""
    for candidate in (configured,) if configured else BROWSERS:
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found:
            return found
    return None


def launch_options(executable: str, pins: dict[str, str], proxy: str) -> dict[str, Any]:
    """How the crawl's Chromium starts: Debian's executable, headless, pinned names honoured."""
    args = ["--disable-dev-shm-usage", "--no-first-run", "--mute-audio"]
    if pins:
        rules = ", ".join(f"MAP {host} {address}" for host, address in pins.items())
        args.append(f"--host-resolver-rules={rules}")
    options: dict[str, Any] = {"executable_path": executable, "headless": True, "args": args}
    if proxy:
        options["proxy"] = {"server": proxy}
    return options
