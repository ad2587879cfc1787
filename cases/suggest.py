"""Cases proposed from the names in bold in a document, and storing the ones accepted: what
`citewatch case suggest [--accept]` and the dashboard's suggestions page both do.

A rejected name is not remembered (the cases table has no status for it): a name stays proposed
until it is tracked, and a tracked one is marked stored (`Proposal.stored`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cases.learn import bold_names
from cases.tracked import case_names, ensure_case
from citations.parts import DocumentParts
from models import Case, Citation, Document


@dataclass(frozen=True)
class Proposal:
    """A name in bold, the notes of the paragraphs that mention it, whether it is a case."""

    name: str
    footnotes: tuple[str, ...]
    stored: bool


def proposed_cases(session: Session, parts: DocumentParts) -> list[Proposal]:
    """One proposal per name in bold (`bold_names`), marked stored when a case has the name
    (any letter case)."""
    stored = {name.lower() for name in case_names(session)}
    return [
        Proposal(s.name, tuple(s.footnotes), s.name.lower() in stored) for s in bold_names(parts)
    ]


def accept_proposals(
    session: Session,
    document: Document,
    accepted: Iterable[tuple[str, Sequence[str]]],
    now: datetime,
) -> list[tuple[Case, bool]]:
    """Each accepted (name, notes) as a case (`ensure_case`, True when new), linked to the
    document's citations in those notes."""
    by_note: dict[str, list[Citation]] = {}
    for citation in document.citations:
        by_note.setdefault(citation.footnote or "", []).append(citation)
    stored = []
    for name, notes in accepted:
        case, created = ensure_case(session, name, now)
        linked = {c.id for c in case.citations}
        for note in notes:
            fresh = [c for c in by_note.get(note, []) if c.id not in linked]
            case.citations.extend(fresh)
            linked.update(c.id for c in fresh)
        stored.append((case, created))
    return stored
