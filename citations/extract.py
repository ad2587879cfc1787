"""From document parts to citations: each URL with its note, its sentence and its canonical form."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from citations.canonical import DEFAULT_RULES, TrackingRules, UrlError, canonical_url
from citations.context import Sentences, clean_text, merge_broken_paragraphs
from citations.parts import REF_RE, DocumentParts, Note
from citations.urls import FoundUrl, find_urls

# Notes that cite nothing themselves but point back: "See the previous endnote", "Ibid.",
# "Там же" (Russian), "Сонда" (Kazakh), or to a numbered note: "See note 12", "supra note 12".
PREVIOUS_NOTE_RE = re.compile(
    r"^(?:see\s+)?(?:the\s+)?(?:previous|preceding|above|last)\s+(?:end|foot)?note"
    r"|^ibid(?:em)?\b|^id\.(?:\s|,|$)"
    r"|^там\s+же\b|^см\.\s+(?:предыдущ|выше)|^сонда\b",
    re.IGNORECASE,
)
NUMBERED_NOTE_RE = re.compile(
    r"^(?:see\s+)?(?:supra\s+)?(?:(?:end|foot)?note|n\.)\s*(?P<label>\d+)"
    r"|^supra\s+(?P<supra>\d+)"
    r"|^см\.\s+(?:сноску|примечание)\s+(?P<ru>\d+)",
    re.IGNORECASE,
)

# Longer than any address a browser or server accepts (RFC 9110 asks for at least 8,000): a
# run of text that merely looks like a URL, which would otherwise be stored once per citation.
MAX_URL_LENGTH = 8000
POINTER_PREFIX = 300  # "See the previous endnote", "supra note 12" open the note


@dataclass(frozen=True)
class Citation:
    """One cited URL as found in a document, before it is stored."""

    position: int
    footnote: str | None
    url: str
    canonical_url: str
    context: str
    link_text: str | None = None
    refers_to: str | None = None


@dataclass
class Extraction:
    """Everything a document yields: its parts, citations, and what could not be used."""

    parts: DocumentParts
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def note_count(self) -> int:
        """How many footnotes and endnotes the document has."""
        return len(self.parts.notes)


def extract_citations(
    parts: DocumentParts, rules: TrackingRules = DEFAULT_RULES, default_scheme: str = "https"
) -> Extraction:
    """Every URL in the body and the notes, notes resolved, with the sentence that cites it."""
    result = Extraction(parts)
    body = merge_broken_paragraphs(parts.body)
    contexts = _note_contexts(body)

    def add(found: FoundUrl, footnote: str | None, context: str, refers_to: str | None) -> bool:
        where = f"note {footnote}" if footnote else "body"
        if len(found.url) > MAX_URL_LENGTH:
            result.warnings.append(
                f"{where}: skipped a URL of {len(found.url):,} characters "
                f"(longer than {MAX_URL_LENGTH:,}): {found.url[:60]}…"
            )
            return False
        try:
            canonical = canonical_url(found.url, rules, default_scheme)
        except UrlError as exc:
            result.warnings.append(f"{where}: skipped {exc}")
            return False
        result.citations.append(
            Citation(
                len(result.citations),
                footnote,
                found.url,
                canonical,
                context,
                found.link_text,
                refers_to,
            )
        )
        return True

    for paragraph in body:
        found_urls = find_urls(paragraph)
        sentences = Sentences(paragraph) if found_urls else None
        for found in found_urls:
            assert sentences is not None
            add(found, None, sentences.around(found.start, found.end), None)

    sources: dict[str, list[FoundUrl]] = {}  # what each note cites, after resolving pointers
    previous: str | None = None
    for note in parts.notes:
        waiting = contexts.get(note.label)
        context = waiting.popleft() if waiting else ""
        found_urls = find_urls(note.text)
        refers_to = None
        if not found_urls:
            refers_to = _pointer(note, previous, sources)
            found_urls = sources.get(refers_to, []) if refers_to else []
        kept = [f for f in found_urls if add(f, note.label, context, refers_to)]
        sources[note.label] = kept
        previous = note.label
    return result


def _note_contexts(body: list[str]) -> dict[str, deque[str]]:
    """For each note label, the sentences that reference it, in body order."""
    contexts: dict[str, deque[str]] = {}
    for paragraph in body:
        sentences = Sentences(paragraph)
        for match in REF_RE.finditer(paragraph):
            sentence = sentences.around(match.start(), match.end())
            contexts.setdefault(match.group(1), deque()).append(sentence)
    return contexts


def _pointer(note: Note, previous: str | None, sources: dict[str, list[FoundUrl]]) -> str | None:
    """The label of the earlier note this URL-less note points to, if it points anywhere."""
    text = clean_text(note.text[:POINTER_PREFIX])  # the pointer words come first
    if PREVIOUS_NOTE_RE.match(text):
        return previous
    match = NUMBERED_NOTE_RE.match(text)
    if match:
        label = match.group("label") or match.group("supra") or match.group("ru")
        return label if label in sources else None
    return None
