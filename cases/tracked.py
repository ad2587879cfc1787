"""The tracked cases as stored: every case with its spellings and the citations about it, and
the changes `citewatch case add` and the dashboard make to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cases.names import is_cyrillic, variants, words
from models import Case, CaseTerm, CaseUpdate

MAX_TEXT = 200  # characters of a name, alias or keyword (the columns' size)
# Russian case endings shown in a preview (genitive, dative, instrumental, prepositional) of a
# surname in -ов/-ев/-ин and of one ending in another consonant. The matcher accepts many more
# (cases.matching.RUSSIAN_ENDINGS); these are examples a reader recognises.
SHOWN_DECLENSIONS = {"possessive": ("а", "у", "ым", "е"), "consonant": ("а", "у", "ом", "е")}
POSSESSIVE_SUFFIXES = ("ов", "ев", "ёв", "ин", "ын")
VOWELS = "аеёиоуыэюяь"


def case_named(session: Session, name: str) -> Case | None:
    """A case by id or by name (any letter case), as users name it on the command line."""
    wanted = name.lower().strip()
    for case in session.scalars(select(Case).order_by(Case.id)):
        if (name.isdigit() and case.id == int(name)) or case.name.lower() == wanted:
            return case
    return None


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


def clean_name(text: str) -> str:
    """A name as stored: whitespace collapsed, cut to the column's size."""
    return " ".join(text.split())[:MAX_TEXT]


def ensure_case(session: Session, name: str, now: datetime) -> tuple[Case, bool]:
    """The case with this name (any letter case), created if new (True)."""
    for case in tracked_cases(session):
        if case.name.lower() == name.lower():
            return case, False
    case = Case(name=clean_name(name), created_at=now)
    session.add(case)
    session.flush()
    return case, True


def add_terms(case: Case, kind: str, texts: list[str]) -> None:
    """Add aliases or keywords the case does not have yet (any letter case)."""
    have = {(t.kind, t.text.lower()) for t in case.terms}
    for text in texts:
        clean = clean_name(text)
        if clean and (kind, clean.lower()) not in have:
            case.terms.append(CaseTerm(kind=kind, text=clean))
            have.add((kind, clean.lower()))


def spellings(
    name: str, aliases: tuple[str, ...] = (), keywords: tuple[str, ...] = ()
) -> list[str]:
    """What a case matches: every spelling of its name and aliases in Latin, Russian and Kazakh
    Cyrillic, then its keywords."""
    found = [v for text in (name, *aliases) for v in variants(text)]
    return list(dict.fromkeys([*found, *keywords]))


def case_spellings(case: Case) -> list[str]:
    """A stored case's spellings (`spellings`)."""
    return spellings(case.name, case.texts("alias"), case.texts("keyword"))


def declensions(name: str) -> list[str]:
    """A few Russian forms of the name's Cyrillic surname the matcher also finds (Енсебека,
    Енсебеку...), as examples for a preview."""
    for variant in variants(name):
        parts = words(variant)
        if parts and is_cyrillic(variant):
            surname = parts[-1]
            if surname.lower().endswith(POSSESSIVE_SUFFIXES):
                endings = SHOWN_DECLENSIONS["possessive"]
            elif surname[-1].lower() not in VOWELS:
                endings = SHOWN_DECLENSIONS["consonant"]
            else:  # -ова, -ая...: feminine forms decline otherwise; the matcher knows them
                return []
            return [surname + ending for ending in endings]
    return []


def latest_updates(session: Session) -> dict[int, datetime]:
    """When each case's latest update was found (cases without updates are left out)."""
    rows = session.execute(
        select(CaseUpdate.case_id, func.max(CaseUpdate.found_at)).group_by(CaseUpdate.case_id)
    )
    return dict(rows.all())
