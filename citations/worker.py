"""Read a document and extract its citations in a child process, within a time budget.

Extraction is linear, but a document is hostile input: a regular expression the readers have
not met, a parser's corner case, a PDF that takes a minute a page. Python cannot interrupt a
regular expression or a C parser from inside, so the reading happens in a forked child that
is killed when the budget runs out; whatever the child did, the parent stores nothing.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

from citations.canonical import DEFAULT_RULES, TrackingRules
from citations.document import Limits, LoadedDocument, Progress, read_document
from citations.errors import DocumentError
from citations.extract import Extraction, extract_citations

log = logging.getLogger(__name__)

Result = tuple[LoadedDocument, Extraction]
# Reads a document, reporting progress if given one: picklable (a functools.partial of a
# module-level function) where processes are spawned rather than forked.
Reader = Callable[[Progress | None], LoadedDocument]


def read_within_budget(
    path: Path,
    max_seconds: float,
    limits: Limits | None = None,
    rules: TrackingRules = DEFAULT_RULES,
    default_scheme: str = "https",
    progress: Progress | None = None,
) -> Result:
    """`read_document` and `extract_citations` in a child, stopped after `max_seconds`."""
    read = partial(read_document, path, limits)
    return within_budget(str(path), read, max_seconds, rules, default_scheme, progress)


def within_budget(
    name: str,
    read: Reader,
    max_seconds: float,
    rules: TrackingRules = DEFAULT_RULES,
    default_scheme: str = "https",
    progress: Progress | None = None,
) -> Result:
    """`read(progress)` and `extract_citations` in a child, stopped after `max_seconds`;
    `name` is what errors call the document."""
    # Fork: the child starts at once with every reader already imported.
    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if forking else multiprocessing.get_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(sender, name, read, rules, default_scheme, progress is not None),
        daemon=True,
    )
    child.start()
    sender.close()  # the child holds the only writing end: its death is our end of file
    deadline = time.monotonic() + max_seconds
    answered = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                raise DocumentError(
                    name,
                    f"reading stopped after {max_seconds:g} s (documents.max_seconds); "
                    "the document is too complex",
                )
            try:
                message = receiver.recv()
            except EOFError:
                child.join()
                raise DocumentError(name, _died(child.exitcode)) from None
            if message[0] == "progress":
                if progress is not None:
                    progress(message[1], message[2])
                continue
            answered = True
            if message[0] == "error":
                raise DocumentError(message[1], message[2])
            return message[1], message[2]
    finally:
        child.join(timeout=1 if answered else 0)  # an answered child exits by itself
        if child.is_alive():
            child.kill()
            child.join()
        receiver.close()


def _child(
    sender: Connection,
    name: str,
    read: Reader,
    rules: TrackingRules,
    default_scheme: str,
    report_progress: bool,
) -> None:
    """The child's work: send progress, then the result or the one-line reason it failed.

    The reason is sent once the failed work's memory is let go (its frames, held by the
    traceback, are gone after the except clause): sending takes memory too, and a reader that
    ran out of it would otherwise die unheard."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def progress(done: int, total: int) -> None:
        sender.send(("progress", done, total))

    failure: tuple[str, str] | None = None
    try:
        sender.send(_read_and_extract(read, rules, default_scheme, progress, report_progress))
    except DocumentError as exc:
        failure = (exc.name, exc.problem)
    except MemoryError:
        failure = (name, "ran out of memory while reading the document")
    except Exception as exc:  # a reader's bug or a parser's surprise: one line, details in -vv
        log.debug("reading %s failed:\n%s", name, traceback.format_exc())
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        failure = (name, f"cannot be read ({reason})")
    try:
        if failure is not None:
            sender.send(("error", *failure))
    finally:
        sender.close()


def _read_and_extract(
    read: Reader,
    rules: TrackingRules,
    default_scheme: str,
    progress: Callable[[int, int], None],
    report_progress: bool,
) -> tuple[str, LoadedDocument, Extraction]:
    """The answer of a child that got through: the document and its citations."""
    loaded = read(progress if report_progress else None)
    return ("done", loaded, extract_citations(loaded.parts, rules, default_scheme))


def _died(exitcode: int | None) -> str:
    """Why the child ended without an answer."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return f"reading stopped: the reader was killed ({name}; out of memory?)"
    return f"reading stopped: the reader exited with code {exitcode}"
