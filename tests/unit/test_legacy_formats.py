"""Word 97–2003 and RTF files: told apart by their first bytes, whatever their name says."""

from __future__ import annotations

from pathlib import Path

import pytest

from citations.document import read_document
from citations.errors import DocumentError
from citations.readers.legacy import DOC_PROBLEM, RTF_PROBLEM, refuse_legacy

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def stream(name: str) -> bytes:
    """A directory entry's name as an OLE file stores it."""
    return f"{name}\0".encode("utf-16-le")


ENCRYPTED = (
    "a password-protected Office document: open it, remove the password, save it again and add that"
)
NOT_WORD = (
    "an Excel or PowerPoint 97–2003 file, not a document: save it as DOCX or PDF and add that"
)
CASES: list[tuple[str, bytes, str | None]] = [
    ("doc", OLE + stream("WordDocument") + stream("1Table"), DOC_PROBLEM),
    ("odt", OLE + stream("WordDocument"), DOC_PROBLEM),  # a .doc renamed
    ("txt", OLE, DOC_PROBLEM),  # no directory to read: Word is the likely one
    ("docx", OLE + stream("EncryptionInfo") + stream("EncryptedPackage"), ENCRYPTED),
    ("txt", OLE + stream("Workbook"), NOT_WORD),
    ("pdf", OLE + stream("PowerPoint Document"), NOT_WORD),
    # A Word document whose text mentions a workbook is still a Word document.
    ("doc", OLE + stream("WordDocument") + stream("Workbook"), DOC_PROBLEM),
    ("rtf", rb"{\rtf1\ansi Text}", RTF_PROBLEM),
    ("txt", rb"{\rtf1\ansi Text}", RTF_PROBLEM),
    ("md", b"\xef\xbb\xbf\r\n{\\rtf1 Text}", RTF_PROBLEM),  # a byte-order mark, a blank line
    ("doc", b"<html><body>Word's Save as Web Page</body></html>", DOC_PROBLEM),
    ("rtf", b"plain text named .rtf", RTF_PROBLEM),
    ("txt", b"A note about {\\rtf files}", None),
    ("txt", "Word 97–2003 WordDocument".encode("utf-16-le"), None),
    ("docx", b"PK\x03\x04 a zip", None),
]


@pytest.mark.parametrize(("fmt", "data", "problem"), CASES)
def test_legacy_files_are_refused_with_what_to_do(
    fmt: str, data: bytes, problem: str | None
) -> None:
    if problem is None:
        refuse_legacy("f", fmt, data)
        return
    with pytest.raises(DocumentError) as raised:
        refuse_legacy("f", fmt, data)
    assert raised.value.problem == problem


def test_doc_and_rtf_are_not_listed_as_supported(tmp_path: Path) -> None:
    path = tmp_path / "notes.pages"
    path.write_text("hello")
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    supported = raised.value.problem.split("supported: ")[1]
    assert supported == ".docx, .epub, .htm, .html, .markdown, .md, .odt, .pdf, .text, .txt, .xhtml"
