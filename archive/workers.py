"""Text extraction in worker processes, with a time limit per payload.

A pathological page can keep trafilatura or pdfminer busy for minutes; in a worker process it
can be stopped (pebble terminates the worker and starts a fresh one) and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from archive.text import ExtractedText, extract_text
from models.kinds import Extraction

Extractor = Callable[[bytes, str | None, str], ExtractedText]


class ExtractionPool:
    """A pool of extraction workers usable from an asyncio event loop."""

    def __init__(self, workers: int, timeout: float, function: Extractor = extract_text) -> None:
        self.timeout = timeout
        self.function = function
        # forkserver: the crawl process runs threads and an event loop, which fork would copy.
        self._pool = ProcessPool(
            max_workers=workers, context=multiprocessing.get_context("forkserver")
        )

    async def extract(self, body: bytes, content_type: str | None, url: str) -> ExtractedText:
        """The payload's text, or a TIMEOUT/FAILED result saying why there is none."""
        future = self._pool.schedule(
            self.function, args=(body, content_type, url), timeout=self.timeout
        )
        try:
            result: ExtractedText = await asyncio.wrap_future(future)
        except FutureTimeout:
            return ExtractedText(
                Extraction.TIMEOUT, error=f"extraction took over {self.timeout:g} s; stopped"
            )
        except ProcessExpired as exc:
            return ExtractedText(Extraction.FAILED, error=f"extraction worker died ({exc})")
        return result

    def close(self) -> None:
        """Stop the workers."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()
