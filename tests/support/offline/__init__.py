"""No test leaves this machine: the loopback-only network guard and how children get it.

`loopback_guard` patches the socket module; `sitecustomize.py` beside it installs the guard in
every Python process started with this directory on PYTHONPATH. The test process puts it there
(tests/conftest.py), so the CLI, the crawl child and its workers inherit it with the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

GUARD_DIRECTORY = Path(__file__).resolve().parent


def with_guard(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` with the guard's directory first on PYTHONPATH (once)."""
    paths = [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    guard = str(GUARD_DIRECTORY)
    return {
        **environment,
        "PYTHONPATH": os.pathsep.join([guard, *(p for p in paths if p != guard)]),
    }
