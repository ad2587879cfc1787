"""Cases from a document's bold names, and spellings learned from the sources a case cites.

A briefing names the people it is about in bold; the notes in the paragraphs that mention them
cite the sources about them. Those sources show how the press spells the names ("Aidar
Mubatakov" in the briefing is "Айдар Мубараков" in the news): the spellings found there, near
the first name, are proposed as aliases.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein
from sqlalchemy.orm import Session

from cases.matching import KAZAKH_ENDINGS, MIN_STEM, RUSSIAN_ENDINGS, CaseMatcher, CaseTerms
from cases.names import is_cyrillic, skeleton, variants, words
from cases.updates import page_text
from citations.parts import REF_RE, DocumentParts
from models import Case
from models.copies import our_copies

BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
NAME_WORD_RE = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*$")
MAX_NAME_WORDS = 4
NOT_NAMES = {"the", "a", "an", "of", "and", "in", "on", "for", "to", "with", "by", "at"}


@dataclass
class Suggestion:
    """A case proposed from a document: a name in bold and the notes about it."""

    name: str
    footnotes: list[str] = field(default_factory=list)


def bold_names(parts: DocumentParts) -> list[Suggestion]:
    """One suggestion per person or organisation named in bold, with the notes of every
    paragraph that mentions it (by full name or surname)."""
    found: dict[str, Suggestion] = {}
    for paragraph in parts.body:
        for bold in BOLD_RE.finditer(paragraph):
            name = " ".join((bold.group(1) or bold.group(2)).split()).strip(" ,.;:")
            if _looks_like_name(name) and name.lower() not in (n.lower() for n in found):
                found[name] = Suggestion(name)
    for suggestion in found.values():
        surname = words(suggestion.name)[-1]
        mention = re.compile(rf"(?<!\w){re.escape(surname)}(?!\w)")
        notes: list[str] = []
        for paragraph in parts.body:
            if mention.search(paragraph):
                notes.extend(m.group(1) for m in REF_RE.finditer(paragraph))
        suggestion.footnotes = list(dict.fromkeys(notes))
    return list(found.values())


def _looks_like_name(text: str) -> bool:
    parts = text.split()
    if not 1 <= len(parts) <= MAX_NAME_WORDS:
        return False
    if any(not NAME_WORD_RE.match(p) or not p[0].isupper() for p in parts):
        return False
    return not any(p.lower() in NOT_NAMES for p in parts)


@dataclass(frozen=True)
class LearnedSpelling:
    """A spelling of a case's name seen in its sources, and how often."""

    alias: str
    seen: int


def learn_spellings(case: CaseTerms, texts: Iterable[str]) -> list[LearnedSpelling]:
    """Spellings of the case's name its sources use that are neither its name nor a known
    alias or generated variant, most frequent first."""
    matcher = CaseMatcher([case])
    spellings = [case.name, *case.aliases]
    surname_keys = {skeleton(words(v)[-1]) for s in spellings for v in (s, *variants(s))}
    counts: Counter[str] = Counter()
    for text in texts:
        for match in matcher.find(text):
            counts[_base_form(match.surname, surname_keys)] += 1
    known = {w.lower() for s in spellings for v in (s, *variants(s)) for w in words(v)}
    learned = []
    for surname, seen in counts.most_common():
        if surname.lower() in known:
            continue
        first = _first_name_in_script(spellings, is_cyrillic(surname))
        learned.append(LearnedSpelling(f"{first} {surname}" if first else surname, seen))
    return learned


def _base_form(surname: str, keys: set[str]) -> str:
    """The uninflected form of a surname as written (Мубаракова → Мубараков): the form, with or
    without an inflection ending, nearest to the case's own spellings."""
    candidates = [surname] + [
        surname[: -len(ending)]
        for ending in (*RUSSIAN_ENDINGS, *KAZAKH_ENDINGS, "'s", "’s")
        if surname.lower().endswith(ending) and len(surname) - len(ending) >= MIN_STEM
    ]
    return min(
        candidates,
        key=lambda c: (min(Levenshtein.distance(skeleton(c), key) for key in keys), -len(c)),
    )


def _first_name_in_script(spellings: list[str], cyrillic: bool) -> str | None:
    """The first name, written in the script of the learned surname."""
    for spelling in spellings:
        for variant in (spelling, *variants(spelling)):
            parts = words(variant)
            if len(parts) > 1 and is_cyrillic(variant) == cyrillic:
                return parts[0]
    return None


@dataclass(frozen=True)
class CaseLearning:
    """What a case's cited sources say about its spellings."""

    sources: int  # distinct targets the case's citations point to
    archived: int  # of them, with our copy
    texts: int  # of those, with text to read
    spellings: list[LearnedSpelling]


def learn_case(session: Session, case: Case) -> CaseLearning:
    """The spellings the archived copies of a case's cited sources use (`learn_spellings`)."""
    targets = list({c.target_id: c.target for c in case.citations}.values())
    copies = our_copies(session, targets) if targets else {}
    texts = [
        page_text(c.cited.title, c.cited.text)
        for c in copies.values()
        if c.cited is not None and c.cited.text
    ]
    terms = CaseTerms(case.id, case.name, case.texts("alias"), case.texts("keyword"))
    learned = learn_spellings(terms, texts) if texts else []
    return CaseLearning(len(targets), len(copies), len(texts), learned)
