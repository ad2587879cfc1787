"""Start a crawl child process and follow its progress events (no Scrapy import here)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Event = dict[str, Any]


@dataclass(frozen=True)
class CrawlExit:
    """How the child ended: its exit code and the last events it sent."""

    code: int
    closed: Event | None


def run_crawl(
    spider: str,
    arguments: Mapping[str, str],
    environment: Mapping[str, str],
    on_event: Callable[[Event], None],
    now: str | None = None,
    cwd: Path | None = None,
) -> CrawlExit:
    """Run `python -m crawler SPIDER ...` and hand each JSON event line to `on_event`."""
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "crawler",
        spider,
        *(f"{name}={value}" for name, value in arguments.items()),
        *(["--now", now] if now else []),
    ]
    closed = None
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=dict(environment), cwd=cwd, bufsize=1
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # stray output from a library: not an event
            if event.get("event") == "closed":
                closed = event
            on_event(event)
        code = child.wait()
    return CrawlExit(code, closed)
