"""What changed between two texts of a page: paragraph by paragraph, with the changed words marked.

Pages change in ways that say nothing about what they say: whitespace, the date and time a page
was rendered, view and comment counters. Those are noise, compared as equal, so that a reader
of the diff sees only what the source no longer (or newly) says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["same", "changed", "removed", "added"]
NOISE = "\x00noise\x00"  # the comparison key of every noise span: one equals another

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"январ[яь]|феврал[яь]|март[а]?|апрел[яь]|ма[йя]|июн[яь]|июл[яь]|август[а]?|"
    r"сентябр[яь]|октябр[яь]|ноябр[яь]|декабр[яь]"
)
# Counters pages show beside the text: views, comments, likes, shares, reads (en, ru, kk).
_COUNTED = (
    r"views?|comments?|likes?|shares?|reads?|"
    r"просмотр\w*|комментари\w*|прочтени\w*|лайк\w*|"
    r"қаралым\w*|пікір\w*"
)
_NOISE_RE = re.compile(
    "|".join(
        (
            r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?",  # ISO
            r"\d{1,2}[./]\d{1,2}[./]\d{2,4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?",  # 01.03.2025 12:30
            rf"\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{4}}(?:\s*(?:г\.|года))?(?:,?\s+\d{{1,2}}:\d{{2}})?",
            rf"(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}(?:,?\s+\d{{1,2}}:\d{{2}})?",
            r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?",  # a time alone
            rf"(?:\d[\d\s,.]*\d|\d)\s*[kKкК]?\s+(?:{_COUNTED})",  # 1,234 views
            rf"(?:{_COUNTED})\s*:?\s*(?:\d[\d\s,.]*\d|\d)",  # Просмотров: 123
        )
    ),
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(rf"(?:{_NOISE_RE.pattern})|\S+", re.IGNORECASE)
PAIRED = 0.3  # replaced paragraphs this alike are shown as one changed paragraph


@dataclass(frozen=True)
class Span:
    """A run of words in one paragraph, marked if it differs from the other side."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class Row:
    """One line of a side-by-side diff: a paragraph before (left) and after (right)."""

    kind: Kind
    left: tuple[Span, ...]
    right: tuple[Span, ...]


@dataclass(frozen=True)
class _Paragraph:
    words: tuple[str, ...]  # as written
    keys: tuple[str, ...]  # as compared: noise spans are all NOISE

    @property
    def key(self) -> str:
        return " ".join(self.keys)


def paragraphs(text: str) -> list[str]:
    """The text's non-empty paragraphs (lines), whitespace collapsed."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def text_diff(before: str, after: str) -> list[Row]:
    """The side-by-side diff of two texts; noise-only differences are shown as unchanged."""
    old = [_paragraph(p) for p in paragraphs(before)]
    new = [_paragraph(p) for p in paragraphs(after)]
    matcher = SequenceMatcher(None, [p.key for p in old], [p.key for p in new], autojunk=False)
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(
                Row("same", _plain(a), _plain(b))
                for a, b in zip(old[i1:i2], new[j1:j2], strict=True)
            )
        else:
            rows.extend(_replaced(old[i1:i2], new[j1:j2]))
    return rows


def changed(rows: list[Row]) -> bool:
    """Whether a diff shows any change."""
    return any(row.kind != "same" for row in rows)


def _paragraph(text: str) -> _Paragraph:
    """A paragraph's words and their keys; neighbouring noise spans are one ("2 March 2025
    10:00" and "02.03.2025" are both one stamp)."""
    words: list[str] = []
    keys: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        word = match.group(0)
        key = NOISE if _NOISE_RE.fullmatch(word) else word
        if key == NOISE and keys and keys[-1] == NOISE:
            words[-1] += " " + word
        else:
            words.append(word)
            keys.append(key)
    return _Paragraph(tuple(words), tuple(keys))


def _plain(paragraph: _Paragraph) -> tuple[Span, ...]:
    return (Span(" ".join(paragraph.words)),)


def _replaced(old: list[_Paragraph], new: list[_Paragraph]) -> list[Row]:
    """Removed and added paragraphs, each old one paired in order with the most alike new one."""
    rows: list[Row] = []
    start = 0
    for paragraph in old:
        best, score = None, PAIRED
        for index in range(start, len(new)):
            ratio = SequenceMatcher(None, paragraph.keys, new[index].keys).ratio()
            if ratio >= score:
                best, score = index, ratio
        if best is None:
            rows.append(Row("removed", _marked(paragraph), ()))
            continue
        rows.extend(Row("added", (), _marked(p)) for p in new[start:best])
        rows.append(Row("changed", *_words(paragraph, new[best])))
        start = best + 1
    rows.extend(Row("added", (), _marked(p)) for p in new[start:])
    return rows


def _marked(paragraph: _Paragraph) -> tuple[Span, ...]:
    return (Span(" ".join(paragraph.words), changed=True),)


def _words(old: _Paragraph, new: _Paragraph) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Both paragraphs as spans, the words that differ (noise aside) marked."""
    left: list[Span] = []
    right: list[Span] = []
    matcher = SequenceMatcher(None, old.keys, new.keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        marked = op != "equal"
        if i2 > i1:
            left.append(Span(" ".join(old.words[i1:i2]), marked))
        if j2 > j1:
            right.append(Span(" ".join(new.words[j1:j2]), marked))
    return tuple(left), tuple(right)
