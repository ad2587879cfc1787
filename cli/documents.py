"""Commands about documents: add, citations, documents, and the main job `run`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from citations.document import LoadedDocument
from citations.extract import Extraction
from citations.ingest import DocumentSummary, add_document
from citations.worker import read_within_budget
from cli.app import App
from cli.crawls import crawl_with_progress, report_run
from cli.errors import CommandError
from cli.health import REPORT_FORMATS, check_links, write_report
from cli.output import FORMATS, ONE_LINE, Column, list_rows, say, write_rows
from models import Citation, Document
from models.documents import all_documents, citation_counts

CITATION_COLUMNS = (
    Column("footnote", "Note", {"no_wrap": True}),
    Column("url", "URL as cited"),
    Column("context", "Cited in", {**ONE_LINE, "max_width": 28}),
)
DOCUMENT_COLUMNS = (
    Column("id", "ID"),
    Column("title", "Title", ONE_LINE),
    Column("source_name", "File", ONE_LINE),
    Column("format", "Format"),
    Column("revision", "Rev."),
    Column("notes", "Notes"),
    Column("citations", "Citations"),
    Column("added_at", "Added", {"no_wrap": True}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    add = commands.add_parser("add", help="store a document and the URLs it cites")
    add.add_argument("document", type=Path, help=".txt, .md, .html, .docx or .pdf file")
    add.add_argument("--title", help="title to store instead of the one found in the document")
    add.set_defaults(handler=cmd_add)

    listing = commands.add_parser(
        "citations", help="list the citations of a file or stored document"
    )
    listing.add_argument(
        "document", help="a document file (parsed, not stored) or a stored document id"
    )
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.set_defaults(handler=cmd_citations)

    documents = commands.add_parser("documents", help="list stored documents")
    documents.add_argument("--format", choices=FORMATS, default="table")
    documents.set_defaults(handler=cmd_documents)

    run = commands.add_parser(
        "run", help="the main job: add a document, archive and check its sources, report"
    )
    run.add_argument("document", type=Path)
    run.add_argument("--title")
    run.add_argument("--format", choices=REPORT_FORMATS, default="table")
    run.add_argument(
        "--output", "-o", type=Path, help="file for the report (default: standard output)"
    )
    run.set_defaults(handler=cmd_run)


def cmd_add(app: App, args: argparse.Namespace) -> int:
    """citewatch add DOCUMENT [--title T]"""
    loaded, extraction = parse(app, args.document)
    with app.database.session() as session:
        summary = add_document(session, loaded, extraction, app.clock(), args.title)
    report_added(app, summary)
    return 0


def cmd_citations(app: App, args: argparse.Namespace) -> int:
    """citewatch citations DOCUMENT_OR_ID [--format table|csv|json]"""
    path = Path(args.document)
    if path.exists() or not args.document.isdigit():
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
            }
            for d in all_documents(session)
        ]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        DOCUMENT_COLUMNS,
        "No documents stored yet. Add one with `citewatch add FILE`.",
    )
    return 0


def cmd_run(app: App, args: argparse.Namespace) -> int:
    """The main job: store the document, archive what it cites, check what is due, report."""
    loaded, extraction = parse(app, args.document)
    with app.database.session() as session:
        summary = add_document(session, loaded, extraction, app.clock(), args.title)
    report_added(app, summary)
    scope = {"document": str(summary.document_id)}
    archived = crawl_with_progress(app, "archive", scope)
    if archived is not None:
        report_run(app, archived, "Every source of this document already has an archived copy.")
    check_links(app, scope)
    write_report(app, str(summary.document_id), args.format, args.output)
    return 0


def parse(app: App, path: Path) -> tuple[LoadedDocument, Extraction]:
    """Read and parse a document file, with a progress bar for long ones, and print warnings."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=app.err,
        transient=True,
        disable=not app.err.is_terminal,
    ) as progress:
        task = progress.add_task(f"Reading {path.name}", total=None)
        loaded, extraction = read_within_budget(
            path,
            app.config.documents.max_seconds,
            app.limits,
            app.tracking_rules,
            app.config.urls.default_scheme,
            lambda done, total: progress.update(task, completed=done, total=total),
        )
    for warning in extraction.warnings:
        say(app.err, f"warning: {path}: {warning}")
    return loaded, extraction


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
