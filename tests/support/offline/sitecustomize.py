"""Run at start-up by every Python process with this directory on PYTHONPATH: loopback only."""

from __future__ import annotations

import loopback_guard

loopback_guard.install()
