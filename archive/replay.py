"""Reading an archived response body back: streamed a chunk at a time, decoded, and capped.

A stored body is kept as received, so a 1 MB gzip bomb stays a 1 MB record; decoding it whole
(as warcio's `content_stream().read()` does) would take gigabytes. Here the body is decoded
a bounded chunk at a time and reading stops, with PayloadTooLargeError, past the caller's cap.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import brotlicffi
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from archive.decompress import decode_content

MB = 2**20
READ = 64 * 2**10  # bytes read from the WARC file at a time
DEFAULT_MAX_REPLAY = 100 * MB
GZIP = 16 + zlib.MAX_WBITS  # each record is one gzip member
HEAD = 16 * 2**10  # enough of a record to hold its WARC headers
MAX_REQUEST_RECORD = MB  # a GET's request record is a few hundred bytes; more is not ours
WARC_HEADERS = StatusAndHeadersParser(["WARC/1.1", "WARC/1.0"])


class PayloadError(Exception):
    """A stored body that cannot be given back decoded: damaged, or too large."""


class PayloadTooLargeError(PayloadError):
    """A stored body that decodes to more bytes than the reader allows."""


@contextmanager
def warc_record(path: Path, offset: int) -> Iterator[ArcWarcRecord]:
    """The record at `offset`, its body still unread (read it inside the with block)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        yield next(iter(ArchiveIterator(handle)))


def payload_chunks(
    record: ArcWarcRecord, decoded: bool = True, max_bytes: int | None = DEFAULT_MAX_REPLAY
) -> Iterator[bytes]:
    """The record's body a chunk at a time: as stored, or with its Content-Encoding removed
    and at most `max_bytes` of it (PayloadTooLargeError past that; None: no cap)."""
    if not decoded:
        yield from _read(record.raw_stream)
        return
    headers = record.http_headers
    encoding = headers.get_header("Content-Encoding") if headers else None
    stream = record.raw_stream
    if headers and (headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)  # archived before the header was renamed
    size = 0
    try:
        for chunk in decode_content(_read(stream), encoding):
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise PayloadTooLargeError(f"the body decodes to over {max_bytes // MB} MB")
            yield chunk
    except (zlib.error, brotlicffi.error) as exc:
        raise PayloadError(f"the body does not decode as {encoding} ({exc})") from None


def decoded_size(record: ArcWarcRecord, max_bytes: int | None = DEFAULT_MAX_REPLAY) -> int:
    """How many bytes the decoded body comes to, counted without keeping them."""
    return sum(len(chunk) for chunk in payload_chunks(record, True, max_bytes))


def write_payload(chunks: Iterable[bytes], target: Path) -> int:
    """Write the chunks to `target` through a temporary file beside it, renamed when complete:
    a body cut short by an error leaves no file (and an older `target` untouched)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    written = 0
    try:
        with partial.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def write_chunks(chunks: Iterable[bytes], output: IO[bytes]) -> int:
    """Write the chunks to an open stream; the number of bytes written."""
    written = 0
    for chunk in chunks:
        output.write(chunk)
        written += len(chunk)
    output.flush()
    return written


def drain(record: ArcWarcRecord) -> None:
    """Read a record's stored bytes to the end without decoding them (as a check that the
    record is whole)."""
    for _ in _read(record.raw_stream):
        pass


def _read(stream: IO[bytes]) -> Iterator[bytes]:
    """A stream's bytes, READ at a time."""
    return iter(lambda: stream.read(READ), b"")


def record_headers(member: bytes) -> StatusAndHeaders:
    """The WARC headers of a record (one gzip member, or its beginning), inflating only them."""
    head = zlib.decompressobj(GZIP).decompress(member, HEAD)
    return WARC_HEADERS.parse(io.BytesIO(head))


def request_length(stream: IO[bytes], response_id: str | None) -> int | None:
    """The length of the record at the stream's position when it is the request written with
    the response `response_id` (WarcWriter.write_exchange: WARC-Concurrent-To), else None; the
    stream is left where it was."""
    start = stream.tell()
    try:
        inflate = zlib.decompressobj(GZIP)
        member = b""
        while not inflate.eof:
            chunk = stream.read(READ)
            if not chunk:
                return None  # the file ends inside it (or right after the response)
            member += chunk
            inflate.decompress(chunk, MAX_REQUEST_RECORD)
            if inflate.unconsumed_tail:  # more than a request record holds: not one
                return None
        length = len(member) - len(inflate.unused_data)
        headers = record_headers(member[:length])
    except (zlib.error, ValueError, EOFError):  # damaged or cut: no request to add
        return None
    finally:
        stream.seek(start)
    if response_id is None or headers.get_header("WARC-Type") != "request":
        return None
    return length if headers.get_header("WARC-Concurrent-To") == response_id else None
