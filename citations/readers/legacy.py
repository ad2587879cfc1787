"""Word 97–2003 and RTF files: recognised by name or by their first bytes, and refused with
what to do instead (their text is not read, rather than read as garbage)."""

from __future__ import annotations

from citations.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Office 97–2003
RTF_MAGIC = b"{\\rtf"
# Stream names in an OLE directory, UTF-16 and ended by a zero: the one a password-protected
# DOCX or XLSX is wrapped in, Word's own, and those of Excel and PowerPoint.
ENCRYPTED_STREAM = "EncryptedPackage\0".encode("utf-16-le")
WORD_STREAM = "WordDocument\0".encode("utf-16-le")
OTHER_OFFICE_STREAMS = tuple(
    f"{name}\0".encode("utf-16-le") for name in ("Workbook", "Book", "PowerPoint Document")
)
SAVE_AS = "save it as DOCX or PDF and add that"
DOC_PROBLEM = f"a Word 97–2003 .doc file: {SAVE_AS}"
RTF_PROBLEM = f"an RTF file: {SAVE_AS}"
LEGACY_FORMATS = frozenset({"doc", "rtf"})


def refuse_legacy(name: str, fmt: str, data: bytes) -> None:
    """Raise the DocumentError for a .doc, an RTF or another Office 97–2003 file, whatever its
    extension says; return for anything else."""
    if data.startswith(OLE_MAGIC):
        raise DocumentError(name, _ole_problem(data))
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(RTF_MAGIC):  # a BOM, blank lines
        raise DocumentError(name, RTF_PROBLEM)
    if fmt == "doc":
        raise DocumentError(name, DOC_PROBLEM)
    if fmt == "rtf":
        raise DocumentError(name, RTF_PROBLEM)


def _ole_problem(data: bytes) -> str:
    """What an OLE compound file holds, from the stream names in its directory."""
    if ENCRYPTED_STREAM in data:
        return (
            "a password-protected Office document: open it, remove the password, "
            "save it again and add that"
        )
    if WORD_STREAM not in data and any(stream in data for stream in OTHER_OFFICE_STREAMS):
        return f"an Excel or PowerPoint 97–2003 file, not a document: {SAVE_AS}"
    return DOC_PROBLEM
