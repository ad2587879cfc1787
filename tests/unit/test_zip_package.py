"""Zip packages: refusals that name what wrote the document, and a cap on the number of entries
counted before zipfile indexes them."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from citations.errors import DocumentError
from citations.readers import package as package_module
from citations.readers.epub import EPUB_WRITERS
from citations.readers.odt import LIBREOFFICE
from citations.readers.package import MAX_ENTRIES, WORD, Producer, ZipPackage

LIMIT = 10 * 2**20
DEEP = "<a>" * 300 + "</a>" * 300
DTD = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>'


def archive(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()


def problem(producer: Producer, member: str, data: str, read: str | None = None) -> str:
    """What the package says when `read` (default: `member`) is parsed as XML."""
    package = ZipPackage(archive({member: data}), "doc", LIMIT, producer)
    with pytest.raises(DocumentError) as raised:
        package.xml(read or member)
    return raised.value.problem


@pytest.mark.parametrize(
    ("producer", "writer", "document"),
    [
        (WORD, "Word", "Word document"),
        (LIBREOFFICE, "LibreOffice", "OpenDocument text"),
        (EPUB_WRITERS, "EPUB software", "EPUB"),
    ],
    ids=["docx", "odt", "epub"],
)
def test_refusals_name_what_wrote_the_package(
    producer: Producer, writer: str, document: str
) -> None:
    assert problem(producer, "part.xml", DEEP) == (
        f"part.xml nests elements more than 256 levels deep, which {writer} never does"
    )
    assert problem(producer, "part.xml", DTD) == (
        f"part.xml declares a DTD, which {writer} never writes: refused (entities)"
    )
    assert problem(producer, "part.xml", "<a/>", read="gone.xml") == (
        f"a damaged {document}: it has no gone.xml"
    )


def test_word_is_the_default() -> None:
    """document.py opens DOCX packages without saying who wrote them."""
    package = ZipPackage(archive({"a.xml": DEEP}), "doc", LIMIT)
    with pytest.raises(DocumentError, match="which Word never does"):
        package.xml("a.xml")


def test_an_archive_of_more_entries_than_the_limit_is_refused_before_it_is_indexed() -> None:
    """The count comes from the central directory's signatures, before zipfile reads it (which
    would say 'not a valid zip archive' of these bytes)."""
    with pytest.raises(DocumentError) as raised:
        ZipPackage(package_module.CENTRAL_DIRECTORY_ENTRY * (MAX_ENTRIES + 1), "many", LIMIT)
    assert raised.value.problem == "the archive holds 100,001 files (limit 100,000): refused"
    with pytest.raises(DocumentError, match="not a valid zip archive"):
        ZipPackage(package_module.CENTRAL_DIRECTORY_ENTRY * MAX_ENTRIES, "many", LIMIT)


def test_an_end_record_that_understates_the_entries_does_not_get_past_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(package_module, "MAX_ENTRIES", 10)
    data = bytearray(archive({f"f{n}.xml": "<a/>" for n in range(11)}))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)  # "1 entry on this disk, 1 in all"
    with pytest.raises(DocumentError, match="holds 11 files"):
        ZipPackage(bytes(data), "lying", LIMIT)
    assert len(ZipPackage(archive({f"f{n}": "" for n in range(10)}), "ten", LIMIT).names) == 10
