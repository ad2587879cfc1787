"""Helpers shared by the tests: paths to fixtures, and (later) the local test web."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "eu-kazakhstan-hr-dialogue-briefing-2025.txt"
FIXTURES = ROOT / "tests" / "fixtures"
