"""The sentence that cites a note or a URL, cleaned for people to read."""

from __future__ import annotations

import bisect
import re

from citations.parts import REF_CLOSE, REF_OPEN, REF_RE

UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІЎ"
# A sentence ends at . ! ? or …, after closing quotes/brackets and any note markers that follow,
# when the next sentence starts with a capital, a digit, an opening quote or bracket.
SENTENCE_END_RE = re.compile(
    rf"[.!?…]+[\"”’»)\]]*(?:{REF_OPEN}[^{REF_CLOSE}]*{REF_CLOSE})*"
    rf"(?=\s+[\"“«(\[*]*[{UPPER}0-9])"
)
# Words after which a full stop does not end the sentence.
ABBREVIATIONS = frozenset(
    (
        "e.g",
        "i.e",
        "etc",
        "al",
        "cf",
        "vs",
        "no",
        "nos",
        "art",
        "para",
        "pp",
        "p",
        "fig",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "т.е",
        "т.д",
        "т.п",
        "т.к",
        "см",
        "им",
        "ст",
        "г",
        "гг",
        "ул",
        "пр",
    )
)
REF_BEFORE_PUNCTUATION_RE = re.compile(rf"\s+{REF_RE.pattern}(?=[.,;:!?)])")
LAST_WORD_RE = re.compile(r"([\w.]+)\.?$")
MARKDOWN_LINK_RE = re.compile(
    r"\[((?:\\.|[^\\\[\]])*)\]\((?:<[^<>]*>|[^()\s]*(?:\([^()\s]*\))?[^()\s]*)\)"
)
EMPHASIS_RE = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
ANGLE_RE = re.compile(r"<((?:https?://|www\.)[^<>]*)>")
BULLET_RE = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
ENDS_SENTENCE_RE = re.compile(rf"[.!?…:;\"”»)]\s*(?:{REF_OPEN}[^{REF_CLOSE}]*{REF_CLOSE})*\s*$")
STARTS_LOWER_RE = re.compile(r"^[\"“«(]*[a-zа-яёәғқңөұүһі]")


def merge_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Rejoin a sentence that a page break split into two paragraphs."""
    merged: list[str] = []
    for paragraph in paragraphs:
        if merged and not ENDS_SENTENCE_RE.search(merged[-1]) and STARTS_LOWER_RE.match(paragraph):
            merged[-1] = f"{merged[-1]} {paragraph}"
        else:
            merged.append(paragraph)
    return merged


class Sentences:
    """A paragraph's sentence boundaries, found once, for any number of lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = [
            match.end()
            for match in SENTENCE_END_RE.finditer(text)
            if not _is_abbreviation(text, match.start())
        ]

    def around(self, start: int, end: int | None = None) -> str:
        """The cleaned sentence that contains the span start..end."""
        end = start if end is None else end
        index = bisect.bisect_right(self.ends, start)  # the first boundary after `start`
        while index < len(self.ends) and self.ends[index] < end:
            index += 1  # a span reaching past a boundary belongs to the later sentence
        sentence_start = self.ends[index - 1] if index > 0 else 0
        sentence_end = self.ends[index] if index < len(self.ends) else len(self.text)
        return clean_text(self.text[sentence_start:sentence_end])


def sentence_at(text: str, start: int, end: int | None = None) -> str:
    """The cleaned sentence of `text` that contains the span start..end."""
    return Sentences(text).around(start, end)


def clean_text(text: str) -> str:
    """Plain words: no note markers, Markdown emphasis, link syntax or bullets."""
    text = REF_BEFORE_PUNCTUATION_RE.sub("", text)  # "Almaty [1]." reads "Almaty."
    text = REF_RE.sub("", text)
    text = MARKDOWN_LINK_RE.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), text)
    text = ANGLE_RE.sub(r"\1", text)
    text = EMPHASIS_RE.sub(r"\2", text)
    text = BULLET_RE.sub("", text)
    return " ".join(text.split())


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    word = LAST_WORD_RE.search(text[max(0, dot - 24) : dot])
    if word is None:
        return False
    token = word.group(1).lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())
