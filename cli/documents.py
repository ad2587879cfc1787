"""Commands about documents: add, citations, documents, and the main job `run`.

A document is a file, or a report on the web given by its address: that one is fetched by the
crawl (spiders/report.py: the same safety rules, size cap and WARC evidence as every archived
source) and read back from its WARC record.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from citations.canonical import UrlError, canonical_url
from citations.document import LoadedDocument
from citations.document import Progress as ProgressCallback
from citations.extract import Extraction
from citations.ingest import DocumentSummary, add_document
from citations.web import archived_body, is_web_address, read_fetched_within_budget
from citations.worker import Result, read_within_budget
from cli.app import App
from cli.crawls import crawl_with_progress, report_run
from cli.errors import CommandError
from cli.health import REPORT_FORMATS, check_links, write_report
from cli.output import FORMATS, ONE_LINE, Column, list_rows, say, write_rows
from models import Citation, Document
from models.documents import (
    FetchedCopy,
    all_documents,
    citation_counts,
    fetched_copy,
    latest_revision,
)

CITATION_COLUMNS = (
    Column("footnote", "Note", {"no_wrap": True}),
    Column("url", "URL as cited"),
    Column("context", "Cited in", {**ONE_LINE, "max_width": 28}),
)
DOCUMENT_COLUMNS = (
    Column("id", "ID"),
    Column("title", "Title", ONE_LINE),
    Column("source_name", "File or URL", ONE_LINE),
    Column("format", "Format"),
    Column("revision", "Rev."),
    Column("notes", "Notes"),
    Column("citations", "Citations"),
    Column("added_at", "Added", {"no_wrap": True}),
)


# What `add` and `run` read: every format citations/document.py does (FORMATS, less the .doc
# and .rtf it refuses with advice), and a report on the web.
DOCUMENT_HELP = (
    "a document file (.txt, .md, .html, .docx, .odt, .epub or .pdf), or the http(s) address of "
    "a report page or PDF to fetch"
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    add = commands.add_parser("add", help="store a document and the URLs it cites")
    add.add_argument("document", help=DOCUMENT_HELP)
    add.add_argument("--title", help="title to store instead of the one found in the document")
    add.set_defaults(handler=cmd_add)

    listing = commands.add_parser(
        "citations", help="list the citations of a file or stored document"
    )
    listing.add_argument(
        "document",
        help="a document file (parsed, not stored), a stored document id, or the address of a "
        "stored web report",
    )
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.set_defaults(handler=cmd_citations)

    documents = commands.add_parser("documents", help="list stored documents")
    documents.add_argument("--format", choices=FORMATS, default="table")
    documents.set_defaults(handler=cmd_documents)

    run = commands.add_parser(
        "run", help="the main job: add a document, archive and check its sources, report"
    )
    run.add_argument("document", help=DOCUMENT_HELP)
    run.add_argument("--title")
    run.add_argument("--format", choices=REPORT_FORMATS, default="table")
    run.add_argument(
        "--output", "-o", type=Path, help="file for the report (default: standard output)"
    )
    run.set_defaults(handler=cmd_run)


def cmd_add(app: App, args: argparse.Namespace) -> int:
    """citewatch add DOCUMENT_OR_URL [--title T]"""
    store(app, args.document, args.title)
    return 0


def store(app: App, document: str, title: str | None) -> DocumentSummary:
    """Store a document file, or a report fetched from its address, and say what was stored."""
    if is_web_address(document):
        return store_url(app, document.strip(), title)
    loaded, extraction = parse(app, Path(document))
    with app.database.session() as session:
        summary = add_document(session, loaded, extraction, app.clock(), title)
    report_added(app, summary)
    return summary


def store_url(app: App, url: str, title: str | None) -> DocumentSummary:
    """Fetch a report through the crawl, read it back from its WARC record, store it as a
    revision named by its (canonical) address; a failed fetch stores nothing."""
    app.database  # noqa: B018 (the schema is current before the crawl process starts)
    run_id = crawl_with_progress(app, "report", {"url": url})
    copy = None
    if run_id is not None:
        with app.database.session() as session:
            copy = fetched_copy(session, run_id)
    if copy is None:
        raise CommandError(f"{url}: the fetch stored no page; see {app.config.home / 'logs'}")
    path = app.config.warc_directory / copy.warc_file
    data = archived_body(path, copy.warc_offset, app.limits.max_bytes, copy.url)
    loaded, extraction = _reading(
        app,
        copy.url,
        lambda progress: read_fetched_within_budget(
            copy.url,
            copy.final_url,
            copy.content_type,
            data,
            app.config.documents.max_seconds,
            app.limits,
            app.tracking_rules,
            app.config.urls.default_scheme,
            progress,
        ),
    )
    with app.database.session() as session:
        summary = add_document(session, loaded, extraction, app.clock(), title, copy.snapshot_id)
    report_added(app, summary)
    report_fetched(app, copy)
    return summary


def cmd_citations(app: App, args: argparse.Namespace) -> int:
    """citewatch citations FILE_ID_OR_URL [--format table|csv|json]"""
    path = Path(args.document)
    title: str | None
    if is_web_address(args.document):
        rows, title = _stored_page_citations(app, args.document)
    elif path.exists() or not args.document.isdigit():
        _, extraction = parse(app, path)
        rows = [
            {
                "position": c.position,
                "footnote": c.footnote,
                "url": c.url,
                "canonical_url": c.canonical_url,
                "context": c.context,
                "link_text": c.link_text,
                "refers_to": c.refers_to,
            }
            for c in extraction.citations
        ]
        title = extraction.parts.title
    else:
        with app.database.session() as session:
            document = session.get(Document, int(args.document))
            if document is None:
                raise CommandError(
                    f"no stored document with id {args.document} (see `citewatch documents`)"
                )
            rows = [citation_row(c) for c in document.citations]
            title = document.title
    write_rows(app.out, rows, args.format, CITATION_COLUMNS, title=title)
    return 0


def cmd_documents(app: App, args: argparse.Namespace) -> int:
    """citewatch documents [--format table|csv|json]"""
    with app.database.session() as session:
        counts = citation_counts(session)
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "source_name": d.source_name,
                "format": d.format,
                "revision": d.revision,
                "notes": d.note_count,
                "citations": counts.get(d.id, 0),
                "added_at": d.added_at.isoformat(timespec="seconds"),
                "snapshot_id": d.snapshot_id,
            }
            for d in all_documents(session)
        ]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        DOCUMENT_COLUMNS,
        "No documents stored yet. Add one with `citewatch add FILE_OR_URL`.",
    )
    return 0


def cmd_run(app: App, args: argparse.Namespace) -> int:
    """The main job: store the document, archive what it cites, check what is due, report."""
    summary = store(app, args.document, args.title)
    scope = {"document": str(summary.document_id)}
    archived = crawl_with_progress(app, "archive", scope)
    if archived is not None:
        report_run(app, archived, "Every source of this document already has an archived copy.")
    check_links(app, scope)
    write_report(app, str(summary.document_id), args.format, args.output)
    return 0


def parse(app: App, path: Path) -> tuple[LoadedDocument, Extraction]:
    """Read and parse a document file, with a progress bar for long ones, and print warnings."""
    return _reading(
        app,
        str(path),
        lambda progress: read_within_budget(
            path,
            app.config.documents.max_seconds,
            app.limits,
            app.tracking_rules,
            app.config.urls.default_scheme,
            progress,
        ),
        label=path.name,
    )


def _reading(
    app: App,
    name: str,
    read: Callable[[ProgressCallback], Result],
    label: str | None = None,
) -> Result:
    """Run `read` with a progress bar for long documents, then print its warnings."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=app.err,
        transient=True,
        disable=not app.err.is_terminal,
    ) as progress:
        task = progress.add_task(f"Reading {label or name}", total=None)
        loaded, extraction = read(
            lambda done, total: progress.update(task, completed=done, total=total)
        )
    for warning in extraction.warnings:
        say(app.err, f"warning: {name}: {warning}")
    return loaded, extraction


def _stored_page_citations(app: App, url: str) -> tuple[list[dict[str, Any]], str]:
    """The citations of the newest stored revision of a report added by its address."""
    try:
        name = canonical_url(url, app.tracking_rules, app.config.urls.default_scheme)
    except UrlError as exc:
        raise CommandError(str(exc)) from None
    with app.database.session() as session:
        document = latest_revision(session, name)
        if document is None:
            raise CommandError(
                f"{url} is not a stored document: store it with `citewatch add {url}`"
            )
        return [citation_row(c) for c in document.citations], document.title


def citation_row(citation: Citation) -> dict[str, Any]:
    """A stored citation as a JSON/CSV record."""
    return {
        "position": citation.position,
        "footnote": citation.footnote,
        "url": citation.url,
        "canonical_url": citation.canonical_url,
        "context": citation.context,
        "link_text": citation.link_text,
        "refers_to": citation.refers_to,
        "document_id": citation.document_id,
        "target_id": citation.target_id,
    }


def report_fetched(app: App, copy: FetchedCopy) -> None:
    """Where the fetched page is archived: its snapshot and WARC record."""
    again = " (unchanged since the last fetch)" if copy.unchanged else ""
    say(
        app.out,
        f"  fetched as snapshot {copy.snapshot_id}{again}: WARC file {copy.warc_file}, offset "
        f"{copy.warc_offset} (`citewatch warc {copy.snapshot_id}` writes the page as archived)",
    )


def report_added(app: App, summary: DocumentSummary) -> None:
    """One line on what `add` stored, or that the file was already there."""
    what = (
        f"{summary.notes} notes, {summary.citations} citations, "
        f"{summary.targets} unique targets on {summary.hosts} hosts"
    )
    if summary.created:
        say(
            app.out,
            f"Added document {summary.document_id} (revision {summary.revision}): "
            f"{summary.title}\n  {what}",
        )
    else:
        say(
            app.out,
            f"Already stored as document {summary.document_id} (revision {summary.revision}); "
            f"nothing changed.\n  {what}",
        )
