"""Commands about link health: check, mark, report."""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from cli.app import App
from cli.archive import find_target
from cli.crawls import crawl_with_progress, report_run
from cli.errors import CommandError
from cli.output import ONE_LINE, Column, say, write_rows
from health.exports import render_report
from health.overrides import override_state
from health.report import ReportRow, current_documents, report_rows
from health.runs import verdict_counts
from models import Document, Session
from models.documents import document_by_content
from models.kinds import LinkState

REPORT_FORMATS = ("table", "csv", "json", "html")
REPORT_COLUMNS = (
    Column("footnote", "Note", {"no_wrap": True}),
    Column("url", "URL as cited"),
    Column("state", "State", {"no_wrap": True}),
    Column("verdict", "Verdict", {"no_wrap": True}),
    Column("copy", "Copy", {"no_wrap": True}),
    Column("hint", "Hint", {**ONE_LINE, "max_width": 24}),
)
VERDICT_COLUMNS = (Column("verdict", "Verdict"), Column("count", "Links"))
CHANGE_COLUMNS = (
    Column("change", "Change"),
    Column("url", "URL"),
    Column("since", "Since", {"no_wrap": True}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    check = commands.add_parser("check", help="re-check the links that are due and judge them")
    check.add_argument("--all", action="store_true", help="check every link, due or not")
    check.add_argument("--document", type=int, metavar="ID", help="only this document's links")
    check.set_defaults(handler=cmd_check)

    mark = commands.add_parser("mark", help="override a link's state (or clear the override)")
    mark.add_argument("target", help="target id or URL")
    choice = mark.add_mutually_exclusive_group(required=True)
    choice.add_argument("--alive", dest="state", action="store_const", const=LinkState.ALIVE)
    choice.add_argument("--dead", dest="state", action="store_const", const=LinkState.DEAD)
    choice.add_argument("--clear", dest="state", action="store_const", const="clear")
    mark.set_defaults(handler=cmd_mark)

    report = commands.add_parser("report", help="one row per citation: state, verdict, copies")
    report.add_argument("document", nargs="?", help="document id or file (default: every document)")
    report.add_argument("--format", choices=REPORT_FORMATS, default="table")
    report.add_argument(
        "--output", "-o", type=Path, help="file to write (default: standard output)"
    )
    report.set_defaults(handler=cmd_report)


def cmd_check(app: App, args: argparse.Namespace) -> int:
    """citewatch check [--all] [--document ID]"""
    if args.document is not None:
        with app.database.session() as session:
            if session.get(Document, args.document) is None:
                raise CommandError(f"no stored document with id {args.document}")
    arguments = {"force": str(args.all).lower()}
    if args.document is not None:
        arguments["document"] = str(args.document)
    run_id = check_links(app, arguments)
    if run_id is not None:
        report_health(app, run_id)
    return 0


def check_links(app: App, arguments: dict[str, str]) -> int | None:
    """Run the check crawl (and the after-run step); the run id."""
    return crawl_with_progress(app, "check", arguments)


def report_health(app: App, run_id: int) -> None:
    """Verdict counts and state changes of a check run."""
    with app.database.session() as session:
        counts = verdict_counts(session, run_id)
    if not counts:
        say(app.out, "Nothing is due: every link was checked recently (--all checks them anyway).")
        return
    verdicts = [
        {"verdict": verdict or "—", "count": count}
        for verdict, count in sorted(counts.items(), key=str)
    ]
    write_rows(app.out, verdicts, "table", VERDICT_COLUMNS, title=f"Check run {run_id}")
    report_run(app, run_id, "")


def cmd_mark(app: App, args: argparse.Namespace) -> int:
    """citewatch mark TARGET --alive|--dead|--clear"""
    now = app.clock()
    with app.database.session() as session:
        target = find_target(session, args.target)
        state = None if args.state == "clear" else LinkState(args.state)
        override_state(session, target, state, "cli", now, app.config.check)
        if state is None:
            message = (
                f"{target.canonical_url}: override cleared; state from the checks: {target.state}"
            )
        else:
            message = (
                f"{target.canonical_url}: marked {args.state} "
                "(checks go on; the mark stays until --clear)"
            )
    say(app.out, message)
    return 0


def cmd_report(app: App, args: argparse.Namespace) -> int:
    """citewatch report [DOCUMENT] [--format table|csv|json|html] [--output FILE]"""
    write_report(app, args.document, args.format, args.output)
    return 0


def write_report(app: App, reference: str | None, fmt: str, output: Path | None) -> None:
    """The report of one document (id or file) or all, in a format, to a file or stdout."""
    with app.database.session() as session:
        documents = current_documents(session, resolve_document(session, app, reference))
        rows = report_rows(session, documents, with_text=fmt == "html")
    if reference is not None and not documents:
        raise CommandError(f"no stored document {reference!r} (see `citewatch documents`)")
    if fmt == "table":
        if not rows:
            say(app.out, "No citations yet: add a document with `citewatch add FILE`.")
            return
        buffer = io.StringIO()
        console = app.out if output is None else Console(file=buffer, width=160, no_color=True)
        write_rows(
            console, [_table_row(r) for r in rows], "table", REPORT_COLUMNS, title=_title(rows)
        )
        text = buffer.getvalue()
    else:
        text = render_report(rows, fmt, app.clock(), app.config.web.base_url)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        say(app.err, f"wrote the {fmt} report ({len(rows)} citations) to {output}")
    elif fmt != "table":
        sys.stdout.write(text)


def resolve_document(session: Session, app: App, reference: str | None) -> int | None:
    """A document id from an id or a file path (the stored document with the same content)."""
    if reference is None:
        return None
    if reference.isdigit():
        return int(reference)
    path = Path(reference)
    try:
        with path.open("rb") as handle:  # the content hash is all it takes: no parsing
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise CommandError(f"{reference}: cannot read: {exc.strerror or exc}") from None
    document = document_by_content(session, digest)
    if document is None:
        raise CommandError(f"{reference}: not stored yet (run `citewatch add {reference}`)")
    return int(document.id)


def _table_row(row: ReportRow) -> dict[str, Any]:
    copy = f"#{row.snapshot_id}" if row.snapshot_id else ""
    if row.memento_url:
        copy = (copy + " + public").strip()
    return {**row.record(), "copy": copy or "none"}


def _title(rows: list[ReportRow]) -> str:
    titles = {row.document for row in rows}
    return titles.pop() if len(titles) == 1 else f"{len(titles)} documents"
