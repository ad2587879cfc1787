"""Re-check throughput and cost: 10,000 targets on the local test web, most of them unchanged.

Archives 10,000 small article pages once (the baseline), then runs `citewatch check --all`
twice: once against servers that honour conditional requests (an unchanged page costs a 304),
once against servers that ignore them (the whole page comes back; citewatch writes a revisit
record). 2% of the pages change between the baseline and each check. Prints checks per second,
bytes transferred per unchanged page with and without conditional requests, and bytes added
to the archive (WARC files and database) per unchanged page.

Targets: 200 checks/s on this machine; unchanged pages add under 1 KB each.

    .venv/bin/python bench/recheck.py [--targets 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pages import ARTICLES, article_page  # noqa: E402
from tests.support.web import Reply, Seen, TestWeb  # noqa: E402
from tests.support.workspace import Workspace  # noqa: E402

CONFIG = """
[crawl]
delay = 0
autothrottle = false
concurrency = 32
concurrency_per_host = 32
retries = 0
probe_siblings = false
allow_networks = ["127.0.0.2/31", "127.0.0.4/31"]
extraction_workers = 2

[check]
memento = false
"""
CHANGED_EVERY = 50  # 2% of the pages change between runs


class Site:
    """Pages that answer 304 to a matching If-None-Match, unless told to ignore validators."""

    def __init__(self, count: int) -> None:
        self.version = 1
        self.honour_validators = True
        self.pages = {
            i: article_page(ARTICLES[i % len(ARTICLES)]).replace("Qaznews24", f"Qaznews24 ({i})")
            for i in range(count)
        }

    def route(self, index: int) -> Reply | object:
        def serve(seen: Seen) -> Reply:
            version = self.version if index % CHANGED_EVERY == 0 else 1
            etag = f'"{index}-{version}"'
            if self.honour_validators and seen.headers.get("If-None-Match") == etag:
                return Reply(304, b"", [("ETag", etag)])
            body = self.pages[index] + ("" if version == 1 else f"<p>Update {version}</p>")
            return Reply.html(body, headers=[("ETag", etag)])

        return serve


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(
    workspace: Workspace, web: TestWeb, label: str, unchanged: int
) -> tuple[float, float, float, float]:
    warc_before, db_before = (
        directory_size(workspace.warc_directory),
        directory_size(workspace.home) - directory_size(workspace.warc_directory),
    )
    sent_before = sum(host.bytes_sent for host in web.hosts)
    started = time.perf_counter()
    run = workspace.cli("check", "--all", timeout=3600)
    elapsed = time.perf_counter() - started
    if run.code != 0:
        raise SystemExit(f"check failed:\n{run.err}")
    sent = sum(host.bytes_sent for host in web.hosts) - sent_before
    warc = directory_size(workspace.warc_directory) - warc_before
    database = directory_size(workspace.home) - directory_size(workspace.warc_directory) - db_before
    return elapsed, sent / unchanged, warc / unchanged, database / unchanged


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=10_000)
    args = parser.parse_args()
    site = Site(args.targets)
    with TestWeb() as web, tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        urls = [web[i % 4].route(f"/news/{i}.html", site.route(i)) for i in range(args.targets)]  # type: ignore[arg-type]
        workspace = Workspace(root, f"sqlite:///{root / 'data' / 'citewatch.db'}", CONFIG)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        started = time.perf_counter()
        baseline = workspace.cli("archive", timeout=3600)
        if baseline.code != 0:
            raise SystemExit(f"archive failed:\n{baseline.err}")
        print(
            f"baseline: {args.targets} pages archived in {time.perf_counter() - started:.0f} s "
            f"({len(site.pages[0]) / 1000:.0f} KB each)"
        )
        unchanged = args.targets - len(range(0, args.targets, CHANGED_EVERY))

        site.version = 2
        conditional = measure(workspace, web, "conditional", unchanged)
        site.version, site.honour_validators = 3, False
        plain = measure(workspace, web, "plain", unchanged)

    for label, (elapsed, sent, warc, database) in (
        ("with conditional requests", conditional),
        ("without (validators ignored)", plain),
    ):
        print(f"check --all {label}:")
        print(
            f"  {args.targets / elapsed:8.1f} checks/s ({args.targets} targets in {elapsed:.1f} s)"
        )
        print(f"  {sent:8.0f} bytes transferred per unchanged page")
        print(
            f"  {warc:8.0f} bytes added to WARC files per unchanged page (database: {database:.0f})"
        )
    rate = args.targets / conditional[0]
    print(
        f"targets: 200 checks/s: {'met' if rate >= 200 else 'NOT met'}; "
        f"under 1 KB of WARC per unchanged page: {'met' if conditional[2] < 1000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
