"""Refuse PDFs whose streams inflate beyond what we are willing to hold in memory.

pdfminer (under pdfplumber) inflates each stream whole in memory and keeps it while the document
is open: a 306 KB file whose one stream inflates to 300 MB took over 700 MB. Before pdfplumber
sees a PDF, every stream is inflated here a chunk at a time (archive/decompress.py), counting
bytes and keeping none.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, LZWDecode, RunLengthDecode
from pypdf.generic import ArrayObject, IndirectObject, StreamObject

from archive.decompress import Buffer, inflate

log = logging.getLogger(__name__)

MB = 2**20
FLATE = ("/FlateDecode", "/Fl")
# Filters that are decoded whole (pypdf caps LZW and RunLength output itself); image codecs
# (DCT, JPX, JBIG2, CCITT) are left encoded by pdfminer, so measuring stops at them.
WHOLE: dict[str, Callable[[bytes], bytes]] = {
    "/ASCIIHexDecode": ASCIIHexDecode.decode,
    "/AHx": ASCIIHexDecode.decode,
    "/ASCII85Decode": ASCII85Decode.decode,
    "/A85": ASCII85Decode.decode,
    "/LZWDecode": LZWDecode.decode,
    "/LZW": LZWDecode.decode,
    "/RunLengthDecode": RunLengthDecode.decode,
    "/RL": RunLengthDecode.decode,
}
STREAM_KEYWORD_RE = re.compile(rb"stream\r?\n")


class PdfTooLargeError(Exception):
    """A PDF whose streams inflate beyond the limits."""


@dataclass(frozen=True)
class PdfLimits:
    """How far a PDF's compressed streams may inflate: one stream, and all of them together."""

    max_stream_bytes: int = 100 * MB  # far beyond any page's text, font or picture
    max_total_bytes: int = 500 * MB  # pictures included, which pdfminer leaves encoded


def check_pdf_streams(data: bytes, limits: PdfLimits | None = None) -> None:
    """Raise PdfTooLargeError if a stream, or all of them, would inflate beyond the limits.

    Two passes: zlib data after every `stream` keyword (cheap, and blind to how a parser
    reads the file), then the streams pypdf finds, decrypted and through every filter.
    """
    limits = limits or PdfLimits()
    with _quiet(logging.getLogger("pypdf")):  # its repairs of damaged files are not news here
        for streams in (_keyword_streams(data), _xref_streams(data)):
            total = 0
            for raw, filters in streams:
                total += _decoded_size(raw, filters, limits.max_stream_bytes)
                if total > limits.max_total_bytes:
                    raise PdfTooLargeError(
                        f"the PDF's streams inflate beyond {limits.max_total_bytes // MB} MB in "
                        "all (a decompression bomb?); not read"
                    )


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """The logger's warnings held back for the duration."""
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _xref_streams(data: bytes) -> Iterator[tuple[Buffer, list[str]]]:
    """Every stream pypdf finds: its raw (decrypted) bytes and filter names."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return  # needs a password: pdfminer will not read it either
        references = [
            IndirectObject(idnum, generation, reader)
            for generation, table in list(reader.xref.items())
            for idnum in list(table)
        ]
    except Exception as exc:  # pypdf fails in many ways on damaged files
        log.debug("pypdf cannot open the PDF (%s); only its stream keywords were scanned", exc)
        return
    for reference in references:
        try:
            found = reference.get_object()
        except Exception:  # a damaged object: pdfminer will fail on it, or skip it
            continue
        if isinstance(found, StreamObject):
            names = found.get("/Filter")
            filters = names if isinstance(names, ArrayObject) else [names] if names else []
            yield found._data, [str(name) for name in filters]


def _keyword_streams(data: bytes) -> Iterator[tuple[Buffer, list[str]]]:
    """What follows each `stream` keyword, taken as zlib data (inflating stops where it ends)."""
    view = memoryview(data)
    for match in STREAM_KEYWORD_RE.finditer(data):
        yield view[match.end() :], [FLATE[0]]


def _decoded_size(raw: Buffer, filters: list[str], limit: int) -> int:
    """How many bytes a stream decodes to, counted without keeping them; raises past `limit`."""
    pieces: Iterable[Buffer] = (raw,)
    try:
        for name in filters:
            if name in FLATE:
                pieces = _inflate(pieces)
            elif name in WHOLE:
                pieces = (WHOLE[name](_join(pieces, limit)),)
            else:
                break
        return _count(pieces, limit)
    except PdfTooLargeError:
        raise
    except LimitReachedError:  # pypdf's own cap on LZW and RunLength output
        raise _too_large(limit) from None
    except Exception as exc:  # a damaged stream: pdfminer keeps what decodes, or nothing
        log.debug("stream does not decode (%s)", exc)
        return 0


def _inflate(pieces: Iterable[Buffer]) -> Iterator[bytes]:
    """zlib data inflated a chunk at a time; a damaged stream ends where it breaks (pdfminer
    keeps what inflated before the damage too)."""
    try:
        yield from inflate(pieces)
    except zlib.error:
        return


def _join(pieces: Iterable[Buffer], limit: int) -> bytes:
    """The pieces joined, if they come to at most `limit` bytes."""
    kept: list[Buffer] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise _too_large(limit)
        kept.append(piece)
    return b"".join(kept)


def _count(pieces: Iterable[Buffer], limit: int) -> int:
    """How many bytes the pieces come to, if at most `limit`; none of them kept."""
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise _too_large(limit)
    return size


def _too_large(limit: int) -> PdfTooLargeError:
    return PdfTooLargeError(
        f"a PDF stream inflates beyond {limit // MB} MB (a decompression bomb?); not read"
    )
