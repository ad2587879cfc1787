"""What every document reader produces: body paragraphs with note references, and the notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A note reference inside body text is written REF_OPEN + label + REF_CLOSE (private-use
# characters, so they never collide with the document's own text).
REF_OPEN = "\ue000"
REF_CLOSE = "\ue001"
# A label is short; bounding it keeps a stray REF_OPEN in a hostile document from costing a scan
# to the end of the text (a million of them would make that quadratic).
REF_LABEL = f"[^{REF_OPEN}{REF_CLOSE}]{{0,200}}"
REF_RE = re.compile(f"{REF_OPEN}({REF_LABEL}){REF_CLOSE}")
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
TO_SUPERSCRIPT = str.maketrans("0123456789", SUPERSCRIPT_DIGITS)
FROM_SUPERSCRIPT = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")


@dataclass
class Note:
    """A footnote or endnote: its label as printed and its text (links as Markdown)."""

    label: str
    text: str


@dataclass
class DocumentParts:
    """A document reduced to what citation extraction needs."""

    format: str
    title: str | None = None
    body: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def note_ref(label: str) -> str:
    """The inline marker for a reference to the note with this label."""
    return f"{REF_OPEN}{label}{REF_CLOSE}"


def markdown_link(text: str, target: str) -> str:
    """A link written the way the URL finder reads it, whatever characters the text holds."""
    clean = " ".join(text.split())
    if not clean or clean.replace(" ", "") == target:
        return f"<{target}>"
    escaped = re.sub(r"([\\\[\]])", r"\\\1", clean)
    return f"[{escaped}](<{target}>)"
