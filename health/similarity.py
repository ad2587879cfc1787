"""How alike two texts are, measured on word shingles with numbers blanked.

Word 4-grams catch rewritten sentences while ignoring line breaks and spacing; blanking digits
means a changed view counter, date widget or "updated 5 minutes ago" is no change at all.
"""

from __future__ import annotations

import re
import zlib

WORD_RE = re.compile(r"\w+", re.UNICODE)
DIGITS_RE = re.compile(r"\d+")
SHINGLE_WORDS = 4


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """Hashes of every run of `size` consecutive normalised words."""
    words = WORD_RE.findall(DIGITS_RE.sub("0", text.lower()))  # digits are word characters
    if len(words) < size:
        return {zlib.crc32(w.encode()) for w in words}
    return {
        zlib.crc32(" ".join(words[i : i + size]).encode()) for i in range(len(words) - size + 1)
    }


def retained(cited: str, current: str) -> float:
    """The share of the cited text's shingles the page still has (additions do not count).

    Drift is what the page no longer says: a removed quote or paragraph lowers this; a "read
    also" box or a correction appended below does not.
    """
    if cited == current:  # an unchanged page: no need to count
        return 1.0
    before = shingles(cited)
    if not before:
        return 1.0
    return len(before & shingles(current)) / len(before)


def similarity(first: str, second: str) -> float:
    """Jaccard: 1.0 for the same words in the same order, 0.0 for nothing in common."""
    a, b = shingles(first), shingles(second)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
