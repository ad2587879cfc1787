"""The processes a process started, as Linux shows them in /proc."""

from __future__ import annotations

from pathlib import Path


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def crawl_processes(pid: int) -> list[int]:
    """The crawl child processes of a process (named `crawl SPIDER`, forked or started)."""
    return [p for p in child_pids(pid) if name(p).startswith("crawl ")]


def name(pid: int) -> str:
    """The process's name (`comm`), or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
