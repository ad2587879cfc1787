"""Rendering speed: 200 local pages whose text only a script writes, archived with rendering on.

Serves 200 JavaScript shells (each page's script fetches its article as JSON) from the local
test web on four hosts, then runs `citewatch archive` twice in fresh data directories: with
`render = "auto"` (every page is a shell, so every page is rendered, in one Chromium) and with
`render = "never"` (the plain Scrapy path). Prints pages per second and the peak memory of the
crawl's whole process tree (the crawl, Playwright's driver and Chromium's processes), sampled
(proportional set sizes: shared pages counted once).

Targets: rendered at least 3 pages/s on this machine; memory under 1.5 GB.

    .venv/bin/python bench/render.py [--pages 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.js_pages import app, article_json, shell  # noqa: E402
from tests.support.pages import ARTICLES  # noqa: E402
from tests.support.web import TestWeb  # noqa: E402
from tests.support.workspace import TEST_CONFIG, Workspace  # noqa: E402

CITEWATCH = str(Path(sys.executable).with_name("citewatch"))


def tree_memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants, in MB: the sum of their proportional set
    sizes (shared pages counted once across the processes that share them, as `smem` does)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                children.setdefault(int(line.split()[1]), []).append(int(entry.name))
                break
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
    return total / 1024


def run(urls: list[str], root: Path, mode: str) -> tuple[float, float]:
    """Seconds for `citewatch archive` of the pages, and the peak memory of its tree."""
    config = TEST_CONFIG.replace('render = "never"', f'render = "{mode}"')
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
    document = workspace.document(urls)
    env = workspace.env
    subprocess.run([CITEWATCH, "add", str(document)], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [CITEWATCH, "archive"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_memory_mb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"archive failed: {err.decode()[-2000:]}")
    return seconds, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="citewatch-bench-render-"))
    try:
        with TestWeb() as web:
            urls = []
            for i in range(args.pages):
                host = web.hosts[i % len(web.hosts)]
                article = ARTICLES[i % len(ARTICLES)]
                urls.append(host.route(f"/news/{i}.html", shell(article, f"/static/{i}.js")))
                host.route(f"/static/{i}.js", app(f"/api/{i}.json"))
                host.route(f"/api/{i}.json", article_json(article))
            hosts = len(web.hosts)
            print(f"{args.pages} JavaScript pages on {hosts} hosts; {os.cpu_count()} cores")
            for mode in ("auto", "never"):
                seconds, peak = run(urls, home / mode, mode)
                label = "rendered (one Chromium)" if mode == "auto" else "plain Scrapy path"
                print(
                    f"{label:24} {seconds:6.1f} s  {args.pages / seconds:6.1f} pages/s  "
                    f"peak {peak:6.0f} MB"
                )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
