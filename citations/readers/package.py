"""Zip-based documents (DOCX), opened with limits so a zip bomb cannot exhaust memory."""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from citations.errors import DocumentError

# Parse XML without fetching or expanding anything the document declares (no XXE).
XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class ZipPackage:
    """Read parts of a zip archive, refusing archives that would inflate beyond a limit."""

    def __init__(self, data: bytes, name: str, max_unpacked: int) -> None:
        self.name = name
        self.max_unpacked = max_unpacked
        self.unpacked = 0
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
        budget = self.max_unpacked - self.unpacked
        try:
            with self.zip.open(path) as member:
                data = member.read(budget + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise DocumentError(self.name, f"damaged archive member {path} ({exc})") from exc
        self.unpacked += len(data)
        if len(data) > budget:
            raise DocumentError(self.name, f"archive member {path} inflates beyond the size limit")
        return data

    def xml(self, path: str) -> etree._Element:
        """A part parsed as XML."""
        try:
            return etree.fromstring(self.read(path), XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise DocumentError(self.name, f"{path} is not well-formed XML ({exc})") from exc

    def xml_or_none(self, path: str) -> etree._Element | None:
        """A part parsed as XML, or None when the archive does not have it."""
        return self.xml(path) if self.has(path) else None
