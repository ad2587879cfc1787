"""Archive throughput: is citewatch's pipeline close to the cost of its two heavy parts?

Serves 500 realistic article pages (~100 KB each, boilerplate included) from the local test
web with politeness turned off, then measures in one run:

  (a) a bare Scrapy crawl that only fetches the pages,
  (b) trafilatura extraction alone over the same pages (one process),
  (c) `citewatch archive` end to end: fetch, WARC, extraction, database.

Prints pages per second for each and the ratio of (c) to the lower of (a) and (b); the target
is at least 0.7. (a) and (c) are timed as whole commands, process start included.

    .venv/bin/python bench/archive_throughput.py [--pages 500] [--size 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pages import ARTICLES, article_page  # noqa: E402
from tests.support.web import Reply, TestWeb  # noqa: E402
from tests.support.workspace import Workspace  # noqa: E402

CONFIG = """
[crawl]
delay = 0
autothrottle = false
concurrency = 16
concurrency_per_host = 16
retries = 0
allow_networks = ["127.0.0.2/31", "127.0.0.4/31"]
extraction_workers = 2
"""

BARE_SPIDER = textwrap.dedent(
    """
    import scrapy

    class FetchOnly(scrapy.Spider):
        name = "fetch_only"
        custom_settings = {
            "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING", "RETRY_ENABLED": False,
        }

        async def start(self):
            for url in open(self.urls_file).read().split():
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):
            yield {"url": response.url, "bytes": len(response.body)}
    """
)


def pages(count: int, size: int) -> list[str]:
    """`count` distinct article pages of about `size` bytes."""
    out = []
    for i in range(count):
        article = ARTICLES[i % len(ARTICLES)]
        page = article_page(article, pad_to=size).replace(
            article.title, f"{article.title} ({i})", 2
        )
        out.append(page)
    return out


def timed(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{result.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    html = pages(args.pages, args.size)
    average = sum(len(p.encode()) for p in html) / len(html) / 1000
    print(f"{len(html)} pages, {average:.0f} KB each on average")

    with TestWeb() as web, tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        urls = [
            web[i % 4].route(f"/news/{i}.html", Reply.html(page)) for i, page in enumerate(html)
        ]
        (root / "urls.txt").write_text("\n".join(urls))
        (root / "fetch_only.py").write_text(BARE_SPIDER)

        scrapy = str(Path(sys.executable).with_name("scrapy"))
        fetch = timed(
            [scrapy, "runspider", "fetch_only.py", "-a", "urls_file=urls.txt", "-O", "items.jsonl"],
            cwd=root,
        )
        fetched = sum(1 for _ in (root / "items.jsonl").open())

        started = time.perf_counter()
        for page, url in zip(html, urls, strict=True):
            trafilatura.bare_extraction(
                page, url=url, with_metadata=True, include_comments=False, include_tables=True
            )
        extract = time.perf_counter() - started

        workspace = Workspace(
            root / "citewatch", f"sqlite:///{root / 'citewatch' / 'citewatch.db'}", CONFIG
        )
        add = workspace.cli("add", str(workspace.document(urls)))
        assert add.code == 0, add.err
        started = time.perf_counter()
        run = workspace.cli("archive", timeout=1800)
        archive = time.perf_counter() - started
        if run.code != 0:
            raise SystemExit(f"citewatch archive failed:\n{run.err}")
        archived = sum(
            1 for snaps in workspace.snapshots_by_url().values() if snaps[0].extraction == "ok"
        )
        warc_bytes = sum(p.stat().st_size for p in workspace.warc_directory.iterdir())

    a, b, c = fetched / fetch, len(html) / extract, archived / archive
    print(f"(a) bare Scrapy fetch:        {a:7.1f} pages/s  ({fetched} pages in {fetch:.1f} s)")
    print(f"(b) trafilatura alone:        {b:7.1f} pages/s  ({len(html)} pages in {extract:.1f} s)")
    print(
        f"(c) citewatch archive:        {c:7.1f} pages/s  ({archived} pages in {archive:.1f} s, "
        f"WARC {warc_bytes / 1e6:.1f} MB)"
    )
    ratio = c / min(a, b)
    verdict = "met" if ratio >= 0.7 else "NOT met"
    print(f"ratio (c) / min(a, b):        {ratio:7.2f}  (target >= 0.7: {verdict})")


if __name__ == "__main__":
    main()
