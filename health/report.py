"""One row per citation: where its source stands and where our copy is; as data or one HTML file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models import Citation, Document, Target
from models.copies import Copies, our_copies, sightings
from models.evidence import sealed_warc_files
from models.kinds import LinkState

TROUBLE = (LinkState.DEAD, LinkState.DRIFTED, LinkState.SUSPECT, LinkState.BLOCKED)
CitationRow = Row[str | None, str, str, Target]  # footnote, url, context, target


@dataclass(frozen=True)
class ReportRow:
    """A citation and the health of its source."""

    document_id: int
    document: str
    footnote: str | None
    url: str
    canonical_url: str
    context: str
    state: str
    verdict: str | None
    since: datetime | None
    checked_at: datetime | None
    last_ok_at: datetime | None
    snapshot_id: int | None  # our copy: the source as cited (models.copies)
    snapshot_at: datetime | None
    current_snapshot_id: int | None  # for a drifted link: the page as it is now
    current_at: datetime | None
    memento_url: str | None
    memento_at: datetime | None
    hint: str | None
    overridden: bool
    # Added last (records keep every earlier key, in order): the cited target, for the
    # dashboard's link page, and the title of our copy (the source as cited).
    target_id: int
    archived_text: str | None = None  # not in records
    title: str | None = None
    # Added after the title (the custody block ends the records): how many fetches found our
    # copy as archived, its capture included (models.copies.sightings), and the last of them.
    seen_at: datetime | None = None
    times_seen: int = 0
    # Added last: the chain of custody of our copy. Its payload digest and WARC record, and
    # whether the WARC file holding it was signed and time-stamped (models.evidence).
    sha256: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    signed: bool = False
    timestamped_at: datetime | None = None  # the Time-Stamp Authority's time
    timestamp_token: str | None = None  # the RFC 3161 token file (.tsr)

    @property
    def in_trouble(self) -> bool:
        """Whether the source is dead, drifted, blocked or suspect (TROUBLE)."""
        return self.state in TROUBLE

    def record(self) -> dict[str, Any]:
        """The row as JSON/CSV data (times in ISO 8601, no archived text)."""
        data = asdict(self)
        data.pop("archived_text")
        return {
            k: v.isoformat(timespec="seconds") if isinstance(v, datetime) else v
            for k, v in data.items()
        }


def current_documents(session: Session, document_id: int | None) -> list[Document]:
    """One document, or the latest revision of every stored document."""
    if document_id is not None:
        document = session.get(Document, document_id)
        return [document] if document is not None else []
    latest = (
        select(Document.source_name, func.max(Document.revision).label("revision"))
        .group_by(Document.source_name)
        .subquery()
    )
    return list(
        session.scalars(
            select(Document)
            .join(
                latest,
                (Document.source_name == latest.c.source_name)
                & (Document.revision == latest.c.revision),
            )
            .order_by(Document.id)
        )
    )


def report_rows(
    session: Session, documents: list[Document], with_text: bool = False
) -> list[ReportRow]:
    """Every citation of the documents, in document order, with its source's health and the
    custody of our copy (the evidence records of its WARC files, and the fetches that found
    it: a query each for the report)."""
    found: list[tuple[Document, Sequence[CitationRow], dict[int, Copies]]] = []
    for document in documents:
        # The citation's own columns only (no entity to build per row), with its target.
        citations = session.execute(
            select(Citation.footnote, Citation.url, Citation.context, Target)
            .join(Target)
            .where(Citation.document_id == document.id)
            .order_by(Citation.position)
        ).all()
        copies = our_copies(
            session, list({row.Target.id: row.Target for row in citations}.values())
        )
        found.append((document, citations, copies))
    cited = [pair.cited for _, _, copies in found for pair in copies.values() if pair.cited]
    files = sealed_warc_files(session, [copy.warc_file for copy in cited if copy.warc_file])
    seen = sightings(session, [copy.id for copy in cited])
    rows: list[ReportRow] = []
    for document, citations, copies in found:
        for citation in citations:
            target = citation.Target
            pair = copies.get(target.id)
            copy, current = (pair.cited, pair.current) if pair else (None, None)
            sealed = files.get(copy.warc_file) if copy and copy.warc_file else None
            seen_at, times_seen = seen.get(copy.id, (None, 0)) if copy else (None, 0)
            rows.append(
                ReportRow(
                    document_id=document.id,
                    document=document.title,
                    footnote=citation.footnote,
                    url=citation.url,
                    canonical_url=target.canonical_url,
                    context=citation.context,
                    state=target.state,
                    verdict=target.last_verdict,
                    since=target.state_since,
                    checked_at=target.last_checked_at,
                    last_ok_at=target.last_ok_at,
                    snapshot_id=copy.id if copy else None,
                    snapshot_at=copy.fetched_at if copy else None,
                    current_snapshot_id=current.id if current else None,
                    current_at=current.fetched_at if current else None,
                    memento_url=target.memento_url,
                    memento_at=target.memento_at,
                    hint=target.hint,
                    overridden=target.override is not None,
                    archived_text=(copy.archived_text if copy and with_text else None),
                    target_id=target.id,
                    title=copy.title if copy else None,
                    seen_at=seen_at,
                    times_seen=times_seen,
                    sha256=copy.payload_sha256 if copy else None,
                    warc_file=copy.warc_file if copy else None,
                    warc_offset=copy.warc_offset if copy else None,
                    warc_record_id=copy.warc_record_id if copy else None,
                    signed=sealed is not None and sealed.signature is not None,
                    timestamped_at=sealed.stamped_at if sealed else None,
                    timestamp_token=sealed.token_file if sealed else None,
                )
            )
    return rows


def render_html(rows: list[ReportRow], generated_at: datetime, base_url: str = "") -> str:
    """A self-contained HTML report: no script, no external resource; links as Robust Links.

    Each document's sources in trouble come first, then the others, each part in note order.
    With `base_url` (config [web] base_url), "our copy" links to the dashboard's page of the
    link, where the copy is replayed."""
    environment = Environment(
        loader=PackageLoader("health", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    documents: dict[int, list[ReportRow]] = {}
    for row in rows:
        documents.setdefault(row.document_id, []).append(row)
    parts = {
        document_id: (
            [r for r in group if r.in_trouble],
            [r for r in group if not r.in_trouble],
        )
        for document_id, group in documents.items()
    }
    summary: dict[str, int] = {}
    for row in rows:
        summary[row.state] = summary.get(row.state, 0) + 1
    return environment.get_template("report.html").render(
        parts=parts,
        summary=summary,
        generated_at=generated_at,
        trouble=TROUBLE,
        base_url=base_url.rstrip("/"),
    )


def link_page(base_url: str, target_id: int | None) -> str | None:
    """The dashboard's page of a cited link (`{base_url}/links/{target_id}`), if configured."""
    if not base_url or target_id is None:
        return None
    return f"{base_url.rstrip('/')}/links/{target_id}"
