"""One row per citation: where its source stands and where our copy is; as data or one HTML file."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Citation, Document, Target
from models.copies import our_copies
from models.kinds import LinkState

TROUBLE = (LinkState.DEAD, LinkState.DRIFTED, LinkState.SUSPECT, LinkState.BLOCKED)


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
    archived_text: str | None = None

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
    """Every citation of the documents, in document order, with its source's health."""
    rows: list[ReportRow] = []
    for document in documents:
        citations = session.execute(
            select(Citation, Target)
            .join(Target)
            .where(Citation.document_id == document.id)
            .order_by(Citation.position)
        ).all()
        copies = our_copies(session, [t for _, t in citations])
        for citation, target in citations:
            found = copies.get(target.id)
            copy, current = (found.cited, found.current) if found else (None, None)
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
                )
            )
    return rows


def render_html(rows: list[ReportRow], generated_at: datetime) -> str:
    """A self-contained HTML report: no script, no external resource; links as Robust Links."""
    environment = Environment(
        loader=PackageLoader("health", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    documents: dict[int, list[ReportRow]] = {}
    for row in rows:
        documents.setdefault(row.document_id, []).append(row)
    summary: dict[str, int] = {}
    for row in rows:
        summary[row.state] = summary.get(row.state, 0) + 1
    return environment.get_template("report.html").render(
        documents=documents, summary=summary, generated_at=generated_at, trouble=TROUBLE
    )
