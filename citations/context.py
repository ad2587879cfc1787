"""The sentence that cites a note or a URL, cleaned for people to read."""

from __future__ import annotations

import bisect
import re

from citations.parts import REF_CLOSE, REF_LABEL, REF_OPEN, REF_RE

UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІЎ"
# A sentence ends at . ! ? or …, after closing quotes/brackets and any note markers that follow,
# when the next sentence starts with a capital, a digit, an opening quote or bracket. A run of
# dots is taken whole from its first dot (possessive, and never from inside the run), so a line
# of a million dots costs one pass, not a million.
SENTENCE_END_RE = re.compile(
    rf"(?<![.!?…])[.!?…]++[\"”’»)\]]*+(?:{REF_OPEN}{REF_LABEL}{REF_CLOSE})*+"
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
REF_BEFORE_PUNCTUATION_RE = re.compile(rf"(?<!\s)\s+{REF_RE.pattern}(?=[.,;:!?)])")
LAST_WORD_RE = re.compile(r"([\w.]+)\.?$")
# Possessive target: an unclosed "(" followed by a long token is read once, not split every way.
MARKDOWN_LINK_RE = re.compile(
    r"\[((?:\\.|[^\\\[\]])*)\]\((?:<[^<>]*>|[^()\s]*+(?:\([^()\s]*+\))?+[^()\s]*+)\)"
)
EMPHASIS_RE = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
ANGLE_RE = re.compile(r"<((?:https?://|www\.)[^<>]*)>")
BULLET_RE = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
# Possessive: the whitespace after a full stop is split between the two \s* one way only.
ENDS_SENTENCE_RE = re.compile(rf"[.!?…:;\"”»)]\s*+(?:{REF_OPEN}{REF_LABEL}{REF_CLOSE}\s*+)*+$")
STARTS_LOWER_RE = re.compile(r"^[\"“«(]*[a-zа-яёәғқңөұүһі]")
MAX_CONTEXT = 600  # characters each side of a citation kept from an overlong "sentence"


def merge_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Rejoin a sentence that a page break split into two paragraphs.

    Linear: only the last piece of a growing paragraph is looked at (a merged piece starts with
    a lower-case letter, so a sentence end at the very end lies inside it), and each merged
    paragraph is joined once.
    """
    merged: list[list[str]] = []
    for paragraph in paragraphs:
        if (
            merged
            and not ENDS_SENTENCE_RE.search(merged[-1][-1])
            and STARTS_LOWER_RE.match(paragraph)
        ):
            merged[-1].append(paragraph)
        else:
            merged.append([paragraph])
    return [" ".join(pieces) for pieces in merged]


class Sentences:
    """A paragraph's sentence boundaries, found once, for any number of lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = [
            match.end()
            for match in SENTENCE_END_RE.finditer(text)
            if not _is_abbreviation(text, match.start())
        ]
        self._cleaned: dict[tuple[int, int], str] = {}

    def around(self, start: int, end: int | None = None) -> str:
        """The cleaned sentence that contains the span start..end.

        A "sentence" longer than 2 * MAX_CONTEXT characters (a text without full stops) is cut
        to MAX_CONTEXT characters each side of the span: the context stays readable, and a
        thousand notes cited in it cost a thousand short windows, not a thousand copies of it.
        """
        end = start if end is None else end
        index = bisect.bisect_right(self.ends, start)  # the first boundary after `start`
        # A span reaching past a boundary belongs to the later sentence.
        index = bisect.bisect_left(self.ends, end, lo=index)
        sentence_start = self.ends[index - 1] if index > 0 else 0
        sentence_end = self.ends[index] if index < len(self.ends) else len(self.text)
        if sentence_end - sentence_start > 2 * MAX_CONTEXT:
            return _window(self.text, sentence_start, sentence_end, start, end)
        key = (sentence_start, sentence_end)
        if key not in self._cleaned:
            self._cleaned[key] = clean_text(self.text[sentence_start:sentence_end])
        return self._cleaned[key]


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


def _window(text: str, first: int, last: int, start: int, end: int) -> str:
    """MAX_CONTEXT characters each side of start..end inside first..last, cut at spaces."""
    low, high = max(first, start - MAX_CONTEXT), min(last, end + MAX_CONTEXT)
    if low > first:
        space = text.find(" ", low, start)
        low = space + 1 if space >= 0 else low
    if high < last:
        space = text.rfind(" ", end, high)
        high = space if space >= 0 else high
    before = "… " if low > first else ""
    after = " …" if high < last else ""
    return f"{before}{clean_text(text[low:high])}{after}"


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    word = LAST_WORD_RE.search(text[max(0, dot - 24) : dot])
    if word is None:
        return False
    token = word.group(1).lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())
