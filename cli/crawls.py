"""Running a crawl from the CLI: the child process, its progress bar, and what it did."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from citations.errors import DocumentError
from cli.app import App
from cli.errors import CommandError
from cli.output import ONE_LINE, Column, say, write_rows
from config import child_environment
from crawler.launch import CrawlExit, CrawlLock, CrawlNotStarted, Event, crawl_lock, run_crawl
from models import CrawlRun, DatabaseError, Snapshot
from models.crawls import mark_failed, run_counts, run_snapshots
from nightly.after_run import after_run

MAX_FAILURES_SHOWN = 15  # the report lists them all
SUMMARY_COLUMNS = (Column("result", "Result"), Column("count", "Targets"))
FAILURE_COLUMNS = (
    Column("result", "Result", {"no_wrap": True}),
    Column("verdict", "Verdict", {"no_wrap": True}),
    Column("url", "URL", {"min_width": 30}),
    Column("error", "Error", {**ONE_LINE, "max_width": 30}),
)


def crawl_with_progress(app: App, spider: str, arguments: dict[str, str]) -> int | None:
    """Run a crawl child process with a progress bar, then the after-run step (verdicts, states,
    case news, events, public copies), holding the data directory's crawl lock throughout; the
    crawl run id, None if nothing to do."""
    try:
        with crawl_lock(app.config.home, f"citewatch {spider}") as lock:
            return _crawl(app, spider, arguments, lock)
    except CrawlNotStarted as exc:  # busy, or no lock file possible
        raise CommandError(str(exc)) from None


def _crawl(app: App, spider: str, arguments: dict[str, str], lock: CrawlLock) -> int | None:
    state: dict[str, Any] = {"run": None, "failed": 0, "refused": None}
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=app.err,
        disable=not app.err.is_terminal,
    ) as progress:
        task = progress.add_task(f"{spider}: planning", total=None, failed=0)

        def on_event(event: Event) -> None:
            if event["event"] == "planned":
                state["run"] = event["run"]
                progress.update(task, total=event["total"], description=f"{spider}: fetching")
            elif event["event"] == "fetched":
                status = event["status"] or 0
                ok = event["outcome"] == "fetched" and (200 <= status < 300 or status == 304)
                state["failed"] += 0 if ok else 1
                progress.update(task, advance=1, failed=state["failed"])
            elif event["event"] == "refused":  # the report crawl stored nothing, saying why
                state["refused"] = event

        result = run_crawl(
            spider, arguments, child_environment(app.config), on_event, now=app.now, lock=lock
        )
    if result.error is not None:
        raise CommandError(failure_message(app, spider, result, result.run(state["run"])))
    if result.code != 0:
        resume = " Run the same command again to resume." if state["run"] else ""
        raise CommandError(
            f"the {spider} crawl stopped before the end (exit code {result.code}); "
            f"its log is in {app.config.home / 'logs'}.{resume}"
        )
    refused = state["refused"]
    if refused is not None and state["run"] is None:
        raise DocumentError(str(refused["url"]), f"{refused['error']}; nothing stored")
    if state["run"] is None:
        raise CommandError(
            f"the {spider} crawl did not report a plan; see {app.config.home / 'logs'}"
        )
    done = after_run(app.database, app.config, app.clock())
    for line in done.custody.lines():
        say(app.err, line)
    fallbacks = done.fallbacks
    if fallbacks.looked_up or fallbacks.saved:
        say(
            app.err,
            f"Public archives: {fallbacks.found} of {fallbacks.looked_up} dead or drifted links "
            f"have a copy; {fallbacks.saved} live pages sent to Save Page Now"
            + (f"; {fallbacks.errors} lookups failed" if fallbacks.errors else ""),
        )
    return int(state["run"])


def failure_message(app: App, spider: str, result: CrawlExit, run_id: int | None) -> str:
    """One line: why the crawl failed, what it kept, and that running it again loses nothing.

    The run is marked failed here when the crawl could not do it itself."""
    assert result.failure is not None and result.error is not None
    if not result.started:
        return f"the {spider} crawl cannot start: {result.error}"
    if result.unrecorded:
        mark_failed(app.database, run_id, result.error, app.clock())
    stored = ""
    if run_id is not None:
        try:
            with app.database.session() as session:
                stored = f"; the {run_counts(session, run_id)['fetched']} fetches stored are kept"
        except DatabaseError:
            stored = ""
    return (
        f"the {spider} crawl stopped: {result.error}{stored}. Run the same command again once "
        "this is fixed: it fetches what was not stored."
    )


def report_run(app: App, run_id: int, nothing: str) -> None:
    """A summary table of a run's snapshots, and the fetches that gave no good copy."""
    with app.database.session() as session:
        run = session.get(CrawlRun, run_id)
        degraded = bool(run and run.degraded)
        counts: dict[str, int] = {}
        failures = []
        for snapshot, url in run_snapshots(session, run_id):
            result = describe(snapshot)
            if snapshot.crawl_run_id != run_id:  # an earlier snapshot this run's check repeated
                result += ", seen again"
            counts[result] = counts.get(result, 0) + 1
            if not snapshot.good:
                failures.append(
                    {
                        "url": url,
                        "result": result,
                        "verdict": snapshot.verdict or "",
                        "error": snapshot.error or "",
                    }
                )
    if not counts:
        say(app.out, nothing)
        return
    summary = [{"result": result, "count": count} for result, count in sorted(counts.items())]
    write_rows(app.out, summary, "table", SUMMARY_COLUMNS, title=f"Crawl run {run_id}")
    if failures:
        shown = failures[:MAX_FAILURES_SHOWN]
        more = len(failures) - len(shown)
        title = "Not archived as cited" + (
            f" (first {len(shown)} of {len(failures)})" if more else ""
        )
        write_rows(app.out, shown, "table", FAILURE_COLUMNS, title=title)
    if degraded:
        say(
            app.err,
            f"Crawl run {run_id} was degraded: most hosts failed to connect, which points at the "
            "local network (is it down?). None of its failures count against the links.",
        )


def describe(snapshot: Snapshot) -> str:
    """A short label for a snapshot's result: 'archived 200', 'HTTP 404', 'dns_failure', ..."""
    if snapshot.outcome != "fetched":
        return snapshot.outcome
    prefix = "archived" if snapshot.preserved else "HTTP"
    revisit = " (unchanged)" if snapshot.revisit_of_id else ""
    return f"{prefix} {snapshot.status}{revisit}"
