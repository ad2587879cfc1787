"""`citewatch export`: a document's cited sources as one WACZ package, per footnote.

The package holds byte-for-byte copies of the WARC records of every capture of the cited
sources (or of our copy only, with `latest`): each record keeps its WARC-Record-ID, dates and
digests, so it can be matched with the sealed WARC file it was copied from. A capture that
repeated an earlier one (a revisit record) brings its original, a response brings the request
record written with it, and a page rendered in a browser what the browser saw. The checks a
snapshot row stands for beyond its own fetch (health.sightings) are found in the WARC files
by their revisit records (archive.revisits).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from warcio.warcwriter import WARCWriter

from archive.replay import record_headers, request_length
from archive.revisits import revisits_in, written_between
from archive.warc import warc_date
from config import Config
from evidence.keys import SigningKey
from evidence.seal import SealSummary, file_sha256, record_export, seal, stamp_pending
from evidence.timestamps import TimestampError, request_stamp
from evidence.wacz import Member, index_warc, pages_jsonl, write_package
from models import Citation, Database, Document, Snapshot
from models.copies import our_copies
from models.document import Target

NOTE_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class ExportError(Exception):
    """Nothing to export, or a selection that names notes the document does not have."""


@dataclass(frozen=True)
class Selection:
    """Which captures: of which notes (None: all), since when, all or only our copy."""

    notes: frozenset[str] | None = None
    since: datetime | None = None
    latest: bool = False


@dataclass
class ExportSummary:
    """What went into the package, and what it could not get."""

    output: Path
    pages: int = 0
    captures: int = 0
    records: int = 0
    size: int = 0
    sha256: str = ""
    signed_by: str | None = None
    timestamped: bool = False  # the package's WARC data carries a token inside
    without_copy: list[str] = field(default_factory=list)  # notes with no capture to export
    problems: list[str] = field(default_factory=list)  # e.g. the TSA did not answer
    custody: SealSummary = field(default_factory=SealSummary)


@dataclass(frozen=True)
class _Record:
    """A record to copy: where it is in the archive."""

    warc_file: str
    offset: int
    length: int
    whole: bool = False  # a rendered page's records, its request and sub-resources included


def parse_notes(text: str) -> frozenset[str]:
    """ "12,14-20,a" as footnote labels; ValueError for an empty or reversed range."""
    labels: set[str] = set()
    for part in text.split(","):
        if not part.strip():
            continue
        found = NOTE_RANGE.match(part)
        if found:
            first, last = int(found[1]), int(found[2])
            if last < first:
                raise ValueError(f"note range {part.strip()!r} runs backwards")
            labels.update(str(n) for n in range(first, last + 1))
        else:
            labels.add(part.strip())
    if not labels:
        raise ValueError("no notes given")
    return frozenset(labels)


def export_document(
    database: Database,
    config: Config,
    document_id: int,
    selection: Selection,
    output: Path,
    key: SigningKey | None,
    now: datetime,
) -> ExportSummary:
    """Write the package to `output` (whole or not at all), then record it for its token."""
    summary = ExportSummary(output)
    seal(database, config, now)  # the WARC files it copies from are recorded first
    with database.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise ExportError(f"no stored document {document_id} (see `citewatch documents`)")
        title = document.title
        pages, records = _select(session, document, selection, config.warc_directory, summary)
    if not records:
        raise ExportError(
            "nothing to export: no archived capture of the selected notes "
            "(run `citewatch archive` first)"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        warc_name = f"citewatch-document-{document_id}-{now:%Y%m%d%H%M%S}.warc.gz"
        warc = work / warc_name
        uris = _copy_records(config.warc_directory, records, warc, title, now, summary)
        members = [Member(f"archive/{warc_name}", source=warc, deflate=False)]
        members.extend(index_warc(warc))
        members.append(pages_jsonl(title, _page_entries(pages, uris)))
        token = _inner_token(config, warc, summary)
        if token is not None:
            members.append(Member(f"timestamps/{warc_name}.tsr", data=token))
        metadata: dict[str, Any] = {
            "title": title,
            "description": _description(document_id, selection),
        }
        write_package(output, members, metadata, key, now)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    digest, summary.size = file_sha256(output)
    summary.sha256 = digest.hex()
    summary.signed_by = key.public.fingerprint if key is not None else None
    with database.session() as session:
        record_export(session, output, digest, summary.size, key, now)
    with database.session() as session:
        summary.custody = stamp_pending(session, config)
    return summary


@dataclass
class _Page:
    """One cited URL: its notes, and the capture that stands for it in pages.jsonl (its
    snapshot, its record and when it was made)."""

    target_id: int
    cited_url: str
    notes: list[str]
    capture: Snapshot | None = None
    record: _Record | None = None
    at: datetime | None = None
    captures: int = 0


def _select(
    session: Session,
    document: Document,
    selection: Selection,
    directory: Path,
    summary: ExportSummary,
) -> tuple[list[_Page], list[_Record]]:
    rows = session.execute(
        select(Citation.footnote, Citation.url, Target)
        .join(Target)
        .where(Citation.document_id == document.id)
        .order_by(Citation.position)
    ).all()
    if selection.notes is not None:
        present = {row.footnote for row in rows if row.footnote}
        missing = sorted(selection.notes - present, key=_note_order)
        if missing:
            raise ExportError(
                f"document {document.id} has no note {', '.join(missing)} (notes with links: "
                f"{_ranges(present)})"
            )
        rows = [row for row in rows if row.footnote in selection.notes]
    pages: dict[int, _Page] = {}
    targets: dict[int, Target] = {}
    for footnote, url, target in rows:
        page = pages.setdefault(target.id, _Page(target.id, url, []))
        if footnote and footnote not in page.notes:
            page.notes.append(footnote)
        targets[target.id] = target
    chosen = _captures(session, list(targets.values()), selection)
    since = selection.since
    later = {} if selection.latest else _later_checks(directory, chosen, since)
    records: dict[_Record, None] = {}
    for snapshot in chosen:
        page = pages[snapshot.target_id]
        records[_record(snapshot.revisit_of or snapshot)] = None  # the payload, first
        own = (
            []
            if since and snapshot.fetched_at < since
            else [(_record(snapshot), snapshot.fetched_at)]
        )
        for record, at in [*own, *later.get(snapshot.id, [])]:
            records[record] = None
            page.captures += 1
            if page.at is None or _better(snapshot, at, page):
                page.capture, page.record, page.at = snapshot, record, at
    summary.captures = sum(page.captures for page in pages.values())
    summary.pages = sum(1 for page in pages.values() if page.capture is not None)
    for page in pages.values():
        if page.capture is None:
            summary.without_copy.extend(page.notes or ["(body)"])
    return [page for page in pages.values() if page.capture is not None], list(records)


def _record(snapshot: Snapshot) -> _Record:
    """A snapshot's record (a rendered page's, with what the browser saw)."""
    assert snapshot.warc_file is not None
    length = snapshot.capture_length or snapshot.warc_length or 0
    whole = snapshot.capture_length is not None
    return _Record(snapshot.warc_file, snapshot.warc_offset or 0, length, whole)


def _later_checks(
    directory: Path, snapshots: list[Snapshot], since: datetime | None
) -> dict[int, list[tuple[_Record, datetime]]]:
    """The revisit records of the later checks each snapshot stands for (health.sightings),
    since `since`: the database keeps no row of their own, the WARC files keep each."""
    copies: dict[str, list[Snapshot]] = {}  # the record a revisit refers to -> its snapshots
    for snapshot in snapshots:
        held = snapshot.revisit_of or snapshot
        if snapshot.last_seen_at is not None and held.warc_record_id:
            copies.setdefault(held.warc_record_id, []).append(snapshot)
    if not copies:
        return {}
    seen = [snapshot for repeating in copies.values() for snapshot in repeating]
    files = written_between(
        directory,
        min(s.fetched_at for s in seen),
        max(s.last_seen_at for s in seen if s.last_seen_at is not None),
    )
    found: dict[int, list[tuple[_Record, datetime]]] = {}
    for revisit in revisits_in(directory, files, set(copies)):
        for snapshot in copies[revisit.refers_to]:
            own = (revisit.file, revisit.offset) == (snapshot.warc_file, snapshot.warc_offset)
            after = max(snapshot.fetched_at, since) if since else snapshot.fetched_at
            if not own and after <= revisit.date <= snapshot.checked_at:
                record = _Record(revisit.file, revisit.offset, revisit.length)
                found.setdefault(snapshot.id, []).append((record, revisit.date))
    return found


def _captures(session: Session, targets: list[Target], selection: Selection) -> list[Snapshot]:
    """The snapshots to export, each with a WARC record, oldest first (since a time: those
    captured or seen again since then)."""
    if selection.latest:
        copies = our_copies(session, targets)
        found = [copy.cited for copy in copies.values() if copy.cited is not None]
        if selection.since is not None:
            found = [s for s in found if s.fetched_at >= selection.since]
        return sorted(found, key=lambda s: (s.fetched_at, s.id))
    query = (
        select(Snapshot)
        .where(
            Snapshot.target_id.in_([t.id for t in targets]),
            Snapshot.warc_file.is_not(None),
            Snapshot.warc_offset.is_not(None),
        )
        .order_by(Snapshot.fetched_at, Snapshot.id)
    )
    if selection.since is not None:
        query = query.where(Snapshot.checked_at >= selection.since)
    return list(session.scalars(query))


def _better(candidate: Snapshot, at: datetime, page: _Page) -> bool:
    """Which capture stands for the page: a good copy over any other, then the latest."""
    assert page.capture is not None and page.at is not None
    return (candidate.good, at) >= (page.capture.good, page.at)


def _copy_records(
    directory: Path,
    records: Iterable[_Record],
    warc: Path,
    title: str,
    now: datetime,
    summary: ExportSummary,
) -> dict[tuple[str, int], tuple[str, str]]:
    """Copy the records, each with the request record written with it; a warcinfo first.

    Returns each copied record's (WARC-Target-URI, WARC-Date) by its place in the archive."""
    found: dict[tuple[str, int], tuple[str, str]] = {}
    with warc.open("wb") as out:
        out.write(_warcinfo(warc.name, title, now))
        for record in records:
            path = directory / record.warc_file
            with path.open("rb") as source:
                source.seek(record.offset)
                data = source.read(record.length)
                if len(data) != record.length:
                    raise ExportError(f"{path}: the record at {record.offset} is cut short")
                headers = record_headers(data)
                uri = headers.get_header("WARC-Target-URI") or ""
                found[(record.warc_file, record.offset)] = (uri, headers.get_header("WARC-Date"))
                out.write(data)
                summary.records += 1
                if record.whole:
                    continue
                request = request_length(source, headers.get_header("WARC-Record-ID"))
                if request is not None:
                    out.write(source.read(request))
                    summary.records += 1
    return found


def _warcinfo(name: str, title: str, now: datetime) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    info = {
        "software": "citewatch",
        "format": "WARC File Format 1.1",
        "description": f"Records of the sources cited in: {title}",
        "isPartOf": title,
    }
    record = writer.create_warcinfo_record(name, info)
    record.rec_headers.replace_header("WARC-Date", warc_date(now))
    writer.write_record(record)
    return buffer.getvalue()


def _page_entries(
    pages: list[_Page], uris: dict[tuple[str, int], tuple[str, str]]
) -> list[dict[str, Any]]:
    entries = []
    for page in pages:
        capture, record = page.capture, page.record
        assert capture is not None and record is not None
        held = capture.revisit_of or capture
        uri, date = uris[(record.warc_file, record.offset)]
        entries.append(
            {
                "id": f"target-{page.target_id}",
                "url": uri or held.final_url or page.cited_url,
                "ts": date,
                "title": held.title or page.cited_url,
                "notes": page.notes,
                "cited_url": page.cited_url,
                "status": capture.status,
                "sha256": held.payload_sha256,
                "captures": page.captures,
            }
        )
    return entries


def _inner_token(config: Config, warc: Path, summary: ExportSummary) -> bytes | None:
    """A token over the package's WARC data, if a TSA is configured and answers now."""
    if not config.evidence.tsa_url:
        return None
    digest, _ = file_sha256(warc)
    try:
        stamp = request_stamp(config.evidence.tsa_url, digest, timeout=config.evidence.tsa_timeout)
    except TimestampError as exc:
        summary.problems.append(f"the package is not time-stamped inside: {exc}")
        return None
    summary.timestamped = True
    return stamp.token


def _description(document_id: int, selection: Selection) -> str:
    parts = [f"citewatch export of document {document_id}"]
    if selection.notes is not None:
        parts.append(f"notes {_ranges(selection.notes)}")
    if selection.since is not None:
        parts.append(f"captures since {selection.since.isoformat(timespec='seconds')}")
    parts.append("our copy of each source" if selection.latest else "every capture")
    return "; ".join(parts)


def _note_order(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() else (10**9, label)


def _ranges(labels: Iterable[str]) -> str:
    """Labels as "1-3, 5, a"."""
    ordered = sorted(set(labels), key=_note_order)
    parts: list[str] = []
    run: list[int] = []
    for label in ordered:
        if label.isdigit() and run and int(label) == run[-1] + 1:
            run.append(int(label))
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = []
        if label.isdigit():
            run = [int(label)]
        else:
            parts.append(label)
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(parts)
