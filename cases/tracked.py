"""The tracked cases as stored: every case with its spellings and the citations about it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Case


def tracked_cases(session: Session) -> list[Case]:
    """Every case, its terms and citations loaded, in the order they were added."""
    return list(
        session.scalars(
            select(Case)
            .options(selectinload(Case.terms), selectinload(Case.citations))
            .order_by(Case.id)
        )
    )


def case_names(session: Session) -> list[str]:
    """The names of every case, as stored."""
    return list(session.scalars(select(Case.name)))
