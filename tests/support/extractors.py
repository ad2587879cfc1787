"""Stand-ins for text extraction that misbehave, run in worker processes by the tests."""

from __future__ import annotations

import os
import time

from archive.text import ExtractedText
from models.kinds import Extraction


def hang(body: bytes, content_type: str | None, url: str) -> ExtractedText:
    """A pathological page: never finishes unless it says "quick"."""
    if b"quick" not in body:
        time.sleep(60)
    return ExtractedText(Extraction.OK, text=body.decode())


def crash(body: bytes, content_type: str | None, url: str) -> ExtractedText:
    """A worker killed while extracting (out of memory, a segfault in a C library)."""
    os._exit(9)
