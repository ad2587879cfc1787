"""Text extraction in worker processes, with a time limit per payload.

A pathological page can keep trafilatura or pdfminer busy for minutes; in a worker process it
can be stopped (pebble terminates the worker and starts a fresh one) and the crawl goes on.
Each worker also runs under an address-space limit: whatever a hostile payload makes a library
allocate (archive/pdf_limits.py stops the known PDF bombs first) ends in a MemoryError for that
payload, not in the machine swapping or the OOM killer choosing a victim.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from archive.text import OUT_OF_MEMORY, ExtractedText, extract_text
from models.kinds import Extraction

Extractor = Callable[[bytes, str | None, str], ExtractedText]
# A worker with its libraries loaded maps about 250 MB and a 40-page report takes it to ~500 MB;
# the largest body a crawl accepts (crawl.max_body_mb) stays well inside this.
WORKER_MEMORY = 2 * 2**30


class ExtractionPool:
    """A pool of extraction workers usable from an asyncio event loop."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        function: Extractor = extract_text,
        memory_limit: int | None = WORKER_MEMORY,
    ) -> None:
        self.timeout = timeout
        self.function = function
        # forkserver: the crawl process runs threads and an event loop, which fork would copy.
        self._pool = ProcessPool(
            max_workers=workers,
            context=multiprocessing.get_context("forkserver"),
            initializer=limit_memory,
            initargs=(memory_limit,),
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
        except MemoryError:  # raised outside the extractor, e.g. while sending the result back
            return ExtractedText(Extraction.FAILED, error=OUT_OF_MEMORY)
        return result

    def close(self) -> None:
        """Stop the workers."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()


def limit_memory(limit: int | None) -> None:
    """Cap this process's address space (never raising a lower limit it already has)."""
    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS, (limit if soft == resource.RLIM_INFINITY else min(limit, soft), hard)
    )
