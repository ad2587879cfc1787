"""Shared helpers for the hardening suite: CLI runs under a memory limit, database snapshots
to prove nothing else changed, and the crawl child processes of a CLI run."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, select

from tests.support.workspace import CITEWATCH, Workspace

MEMORY_LIMIT_MB = 1536  # address space of every process of a crawl (RLIMIT_AS)
# Runs the CLI under the limit and reports the peak resident size of it and its children.
LIMITED = """
import json, resource, subprocess, sys
limit = int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = subprocess.call(sys.argv[3:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
with open(sys.argv[2], "w") as report:
    json.dump({"peak_mb": peak}, report)
sys.exit(code)
"""


@dataclass(frozen=True)
class LimitedRun:
    """A CLI run under a memory limit: exit code, output, and the peak memory of its processes."""

    code: int
    out: str
    err: str
    peak_mb: int


def limited_cli(
    workspace: Workspace, *args: str, memory_mb: int = MEMORY_LIMIT_MB, timeout: float = 240
) -> LimitedRun:
    """Run `citewatch ARGS` with every process of it (the crawl child inherits the limit)
    allowed `memory_mb` of address space."""
    report = workspace.root / "memory.json"
    result = subprocess.run(
        [sys.executable, "-c", LIMITED, str(memory_mb), str(report), str(CITEWATCH), *args],
        capture_output=True,
        text=True,
        env=workspace.env,
        cwd=workspace.root,
        timeout=timeout,
    )
    peak = json.loads(report.read_text())["peak_mb"]
    return LimitedRun(result.returncode, result.stdout, result.stderr, peak)


def table_rows(database_url: str, skip: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """Every row of every table, as sorted tuples, leaving out the named columns of a table:
    compared before and after a run, it shows what the run changed."""
    skip = skip or {}
    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        rows: dict[str, Any] = {}
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                columns = [c for c in table.columns if c.name not in skip.get(name, set())]
                found = connection.execute(select(*columns)).all()
                rows[name] = sorted(tuple(map(str, row)) for row in found)
        return rows
    finally:
        engine.dispose()


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
