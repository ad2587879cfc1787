"""Zip-based documents (DOCX, ODT, EPUB), opened with limits so a zip bomb cannot exhaust memory.

The refusals name what wrote the document ("which LibreOffice never writes"): a `Producer`
the ODT and EPUB readers give; Word is the default, for the DOCX packages document.py opens.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from citations.errors import DocumentError

# Parse XML without fetching or expanding anything the document declares (no XXE, no entity
# bombs), within libxml2's default limits (256 levels deep, 10 MB text nodes).
XML_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
XML_PARSER = etree.XMLParser(**XML_OPTIONS)
DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)
# Real documents hold dozens of parts (an illustrated EPUB a few thousand). zipfile indexes every
# entry before anything is read, at about 500 bytes each: a 50 MB archive of empty entries
# would cost 300 MB; 100,000 of them cost 50 MB and 1.5 seconds.
MAX_ENTRIES = 100_000
# Each central directory entry starts with this; zipfile reads no entry that does not, so
# counting it bounds the entries before zipfile indexes them (whatever the end record claims).
CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"


@dataclass(frozen=True)
class Producer:
    """What writes a kind of package, and what the package is called, as refusals say them."""

    writer: str  # "... which Word never writes"
    document: str  # "a damaged Word document: ..."


WORD = Producer("Word", "Word document")


class ZipPackage:
    """Read parts of a zip archive, refusing archives that would inflate beyond a limit."""

    def __init__(
        self, data: bytes, name: str, max_unpacked: int, producer: Producer = WORD
    ) -> None:
        self.name = name
        self.max_unpacked = max_unpacked
        self.producer = producer
        self.unpacked = 0
        entries = data.count(CENTRAL_DIRECTORY_ENTRY)
        if entries > MAX_ENTRIES:
            raise DocumentError(
                name, f"the archive holds {entries:,} files (limit {MAX_ENTRIES:,}): refused"
            )
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
            raise DocumentError(name, f"not a valid zip archive ({exc})") from exc
        declared = sum(info.file_size for info in self.zip.infolist())
        if declared > max_unpacked:
            raise DocumentError(
                name,
                f"archive would unpack to {declared // 2**20} MB "
                f"(limit {max_unpacked // 2**20} MB)",
            )
        self.names = set(self.zip.namelist())

    def has(self, path: str) -> bool:
        """Whether the archive holds this part."""
        return path in self.names

    def read(self, path: str) -> bytes:
        """A part's bytes, never more than the remaining unpacking budget."""
        self._require(path)
        budget = self.max_unpacked - self.unpacked
        try:
            with self.zip.open(path) as member:
                data = member.read(budget + 1)
        except DAMAGED as exc:
            raise DocumentError(self.name, f"damaged archive member {path} ({exc})") from exc
        self.unpacked += len(data)
        if len(data) > budget:
            raise DocumentError(self.name, f"archive member {path} inflates beyond the size limit")
        self.refuse_dtd(path, data)
        return data

    def _require(self, path: str) -> None:
        """Say which part is missing, rather than fail on it."""
        if path not in self.names:
            raise DocumentError(self.name, f"a damaged {self.producer.document}: it has no {path}")

    def refuse_dtd(self, path: str, head: bytes) -> None:
        """Refuse a part that declares a DTD: Word and LibreOffice never write one, and entity
        bombs and external entities live there. (The parser would expand and fetch nothing
        anyway: this makes the answer a clear one.)"""
        if b"<!DOCTYPE" in head[:4096]:
            raise DocumentError(
                self.name,
                f"{path} declares a DTD, which {self.producer.writer} never writes: "
                "refused (entities)",
            )

    def xml(self, path: str) -> etree._Element:
        """A part parsed as XML."""
        try:
            return etree.fromstring(self.read(path), XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise DocumentError(self.name, _xml_problem(path, exc, self.producer)) from exc

    def xml_or_none(self, path: str) -> etree._Element | None:
        """A part parsed as XML, or None when the archive does not have it."""
        return self.xml(path) if self.has(path) else None

    def iterparse(self, path: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
        """Stream a part: each element with one of these tags as it ends. The caller releases
        what it has read (see `release`), so a 190 MB part never sits in memory as a tree."""
        self._require(path)
        try:
            with self.zip.open(path) as member:
                source = _BudgetedReader(self, path, member)
                yield from (
                    element
                    for _, element in etree.iterparse(source, ("end",), tag=tags, **XML_OPTIONS)
                )
        except etree.XMLSyntaxError as exc:
            raise DocumentError(self.name, _xml_problem(path, exc, self.producer)) from exc
        except DAMAGED as exc:
            raise DocumentError(self.name, f"damaged archive member {path} ({exc})") from exc


class _BudgetedReader:
    """A zip member read in chunks, counted against the package's unpacking budget."""

    def __init__(self, package: ZipPackage, path: str, member: IO[bytes]) -> None:
        self.package = package
        self.path = path
        self.member = member
        self.first = True

    def read(self, size: int = -1) -> bytes:
        """The next chunk (lxml asks for 32 KB at a time)."""
        data = self.member.read(size if size >= 0 else 2**16)
        if self.first:
            self.package.refuse_dtd(self.path, data)
            self.first = False
        self.package.unpacked += len(data)
        if self.package.unpacked > self.package.max_unpacked:
            raise DocumentError(
                self.package.name, f"archive member {self.path} inflates beyond the size limit"
            )
        return data


def _xml_problem(path: str, exc: etree.XMLSyntaxError, producer: Producer) -> str:
    """What is wrong with a part, in words rather than libxml2's (its limits are ours too)."""
    message = str(exc.msg or exc)
    if "Excessive depth" in message:
        return (
            f"{path} nests elements more than 256 levels deep, which {producer.writer} never does"
        )
    if "huge text node" in message or "Resource limit" in message:
        return f"{path} holds a text run over 10 MB, which {producer.writer} never writes"
    return f"{path} is not well-formed XML ({message})"


def release(element: etree._Element) -> None:
    """Free what a stream has been read up to: the element's content and all that came before
    it, at every level up to the root (the tree stays as small as one paragraph)."""
    element.clear(keep_tail=True)
    node = element
    while (parent := node.getparent()) is not None:
        while node.getprevious() is not None:
            del parent[0]
        node = parent
