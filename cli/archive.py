"""Commands about archived copies: archive, show, text, warc."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archive.replay import (
    PayloadError,
    PayloadTooLargeError,
    decoded_size,
    payload_chunks,
    warc_record,
    write_chunks,
    write_payload,
)
from citations.canonical import UrlError, canonical_url
from cli.app import App
from cli.crawls import crawl_with_progress, describe, report_run
from cli.errors import CommandError
from cli.output import FORMATS, ONE_LINE, Column, say, write_rows
from models import Document, Session, Snapshot, Target
from models.targets import citation_count, target_by_url, target_snapshots

SNAPSHOT_COLUMNS = (
    Column("id", "ID"),
    Column("fetched", "Fetched (UTC)", {"no_wrap": True}),
    Column("result", "Result", {"no_wrap": True}),
    Column("final_url", "Final URL", {"min_width": 16}),
    Column("text", "Text", {**ONE_LINE, "max_width": 18}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    archive = commands.add_parser(
        "archive", help="fetch and archive cited sources (WARC, text, snapshots)"
    )
    archive.add_argument("--refresh", action="store_true", help="fetch every target again")
    archive.add_argument("--document", type=int, metavar="ID", help="only this document's targets")
    archive.set_defaults(handler=cmd_archive)

    show = commands.add_parser("show", help="a target's snapshot history")
    show.add_argument("target", help="target id or URL (any spelling of it)")
    show.add_argument("--format", choices=FORMATS, default="table")
    show.set_defaults(handler=cmd_show)

    text = commands.add_parser("text", help="print the text extracted from a snapshot")
    text.add_argument("snapshot", type=int)
    text.set_defaults(handler=cmd_text)

    warc = commands.add_parser("warc", help="write a snapshot's archived response body")
    warc.add_argument("snapshot", type=int)
    warc.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    warc.add_argument(
        "--raw", action="store_true", help="the body as received, content-encoding kept"
    )
    warc.set_defaults(handler=cmd_warc)


def cmd_archive(app: App, args: argparse.Namespace) -> int:
    """citewatch archive [--refresh] [--document ID]"""
    database = app.database  # the schema is current before the crawl process starts
    if args.document is not None:
        with database.session() as session:
            if session.get(Document, args.document) is None:
                raise CommandError(f"no stored document with id {args.document}")
    run_id = crawl_with_progress(
        app, "archive", {"refresh": str(args.refresh).lower(), **_scope(args)}
    )
    if run_id is None:
        return 0
    report_run(
        app,
        run_id,
        "Nothing to archive: every target already has an archived copy "
        "(--refresh fetches them again).",
    )
    return 0


def cmd_show(app: App, args: argparse.Namespace) -> int:
    """citewatch show TARGET_OR_URL"""
    with app.database.session() as session:
        target = find_target(session, args.target)
        rows = [snapshot_row(s) for s in target_snapshots(session, target.id)]
        cited = citation_count(session, target.id)
        header = f"Target {target.id}: {target.canonical_url}  (cited {cited} times)"
    if args.format != "table":
        write_rows(app.out, rows, args.format, SNAPSHOT_COLUMNS)
        return 0
    say(app.out, header)
    if not rows:
        say(app.out, "No snapshots yet: run `citewatch archive`.")
        return 0
    write_rows(app.out, rows, "table", SNAPSHOT_COLUMNS)
    return 0


def find_target(session: Session, reference: str) -> Target:
    """A target by id, or by any spelling of its URL."""
    if reference.isdigit():
        target = session.get(Target, int(reference))
    else:
        try:
            url = canonical_url(reference)
        except UrlError as exc:
            raise CommandError(str(exc)) from exc
        target = target_by_url(session, url)
    if target is None:
        raise CommandError(
            f"no target {reference!r} (targets come from documents: `citewatch add`)"
        )
    return target


def snapshot_row(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as a JSON/CSV record: when it was first and last seen, and how many times."""
    fetched = f"{snapshot.fetched_at:%Y-%m-%d %H:%M}"
    if snapshot.times_seen > 1:
        fetched += f"\nto {snapshot.checked_at:%Y-%m-%d %H:%M}\n({snapshot.times_seen} times)"
    return {
        "id": snapshot.id,
        "target_id": snapshot.target_id,
        "fetched_at": snapshot.fetched_at.isoformat(timespec="seconds"),
        "last_seen_at": snapshot.checked_at.isoformat(timespec="seconds"),
        "times_seen": snapshot.times_seen,
        "fetched": fetched,
        "result": describe(snapshot),
        "outcome": snapshot.outcome,
        "status": snapshot.status,
        "final_url": snapshot.final_url,
        "redirect_chain": snapshot.redirect_chain,
        "content_type": snapshot.content_type,
        "content_length": snapshot.content_length,
        "sha256": (snapshot.payload_sha256 or "")[:12],
        "payload_sha256": snapshot.payload_sha256,
        "warc_file": snapshot.warc_file,
        "warc_offset": snapshot.warc_offset,
        "warc_length": snapshot.warc_length,
        "revisit_of": snapshot.revisit_of_id,
        "extraction": snapshot.extraction,
        "title": snapshot.title,
        "text": snapshot.title or (snapshot.text or "")[:80] or snapshot.extraction,
        "language": snapshot.language,
        "error": snapshot.error,
    }


def cmd_text(app: App, args: argparse.Namespace) -> int:
    """citewatch text SNAPSHOT_ID"""
    with app.database.session() as session:
        snapshot = _snapshot(session, args.snapshot)
        text = snapshot.archived_text
        if not text:
            raise CommandError(
                f"snapshot {snapshot.id} has no extracted text "
                f"(extraction: {snapshot.extraction or 'none'}"
                f"{'; ' + snapshot.error if snapshot.error else ''})"
            )
        details = [snapshot.title, snapshot.final_url, _byline(snapshot)]
    sys.stdout.write("\n".join(d for d in details if d) + "\n\n" + text + "\n")
    return 0


def cmd_warc(app: App, args: argparse.Namespace) -> int:
    """citewatch warc SNAPSHOT_ID [--output FILE] [--raw]"""
    with app.database.session() as session:
        snapshot = _snapshot(session, args.snapshot)
        source = snapshot.revisit_of or snapshot  # a revisit's payload lives in its original
        if source.warc_file is None or source.warc_offset is None:
            raise CommandError(
                f"snapshot {snapshot.id} has no archived response ({snapshot.outcome})"
            )
        path = app.config.warc_directory / source.warc_file
        offset = source.warc_offset
    if not path.is_file():
        raise CommandError(f"{path}: WARC file missing")
    cap = None if args.raw else app.config.warc.max_replay_mb * 2**20
    try:
        if cap is not None and not args.output:
            with warc_record(path, offset) as record:
                decoded_size(record, cap)  # counted first: nothing cut short reaches stdout
        with warc_record(path, offset) as record:
            chunks = payload_chunks(record, not args.raw, cap)
            if args.output:  # under a temporary name beside it until whole
                written = write_payload(chunks, args.output)
            else:
                write_chunks(chunks, sys.stdout.buffer)
    except PayloadError as exc:
        hint = " (warc.max_replay_mb)" if isinstance(exc, PayloadTooLargeError) else ""
        raise CommandError(
            f"snapshot {args.snapshot}: {exc}{hint}; nothing written "
            "(--raw gives the body as received, still encoded)"
        ) from None
    except OSError as exc:
        raise CommandError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    if args.output:
        say(app.err, f"wrote {written} bytes to {args.output}")
    return 0


def _snapshot(session: Session, snapshot_id: int) -> Snapshot:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise CommandError(f"no snapshot with id {snapshot_id} (see `citewatch show URL`)")
    return snapshot


def _byline(snapshot: Snapshot) -> str:
    parts = [snapshot.author, snapshot.published, snapshot.language]
    return " · ".join(p for p in parts if p)


def _scope(args: argparse.Namespace) -> dict[str, str]:
    return {"document": str(args.document)} if args.document is not None else {}
