"""WARC/1.1 evidence files: request, response, revisit and metadata records, written safely.

Each file is written under a temporary name (``.open``), every record in one write call so a
killed process leaves only whole records, and on close it is fsynced and renamed. Files are
named from the time and a sequence number, never from URLs. Digests are SHA-256.

A write that fails (disk full, read-only directory, file size limit) is cut back to the last
whole record and raises WarcWriteError; the writer then refuses every further record, so a
crawl stops with its evidence whole.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import brotlicffi
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive.replay import DEFAULT_MAX_REPLAY, drain, payload_chunks, warc_record

log = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
PREFIX = "citewatch"
# Twisted removes chunked framing; the header is kept under another name so that replay tools
# do not try to de-chunk a body that is no longer chunked.
RENAMED_HEADERS = {"transfer-encoding": "X-Citewatch-Orig-Transfer-Encoding"}
RecordIds = Callable[[], str]


def _brotli_decompressor() -> brotlicffi.Decompressor:
    decompressor = brotlicffi.Decompressor()
    decompressor.unused_data = None  # what warcio's reader expects of a decompressor
    return decompressor


# warcio's brotli support expects the old brotlipy API and fails with current "brotli" releases;
# use brotlicffi, so br-encoded payloads read back in citewatch.
BufferedReader.DECOMPRESSORS["br"] = _brotli_decompressor
Clock = Callable[[], datetime]


class WarcWriteError(Exception):
    """A record could not be written (disk full, read-only directory): the writer has stopped."""


@dataclass(frozen=True)
class WarcMark:
    """A position in the open file: records written after it can be taken back."""

    path: Path
    size: int
    records: int


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and the response as received (body still content-encoded)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    protocol: str = "HTTP/1.1"
    request_body: bytes = b""
    ip_address: str | None = None


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lies: file name (relative to the WARC directory), offset, length, id."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str


@dataclass(frozen=True)
class OriginalRecord:
    """The earlier response record a revisit record refers to."""

    record_id: str
    url: str
    date: str
    payload_digest: str | None = None  # "sha256:BASE32"; computed from the new payload if None


def payload_sha256(body: bytes) -> str:
    """Hex SHA-256 of a payload, as stored in the snapshot table."""
    return hashlib.sha256(body).hexdigest()


def hex_to_warc_digest(hex_digest: str) -> str:
    """Hex SHA-256 (as stored) as a WARC digest header value."""
    return "sha256:" + base64.b32encode(bytes.fromhex(hex_digest)).decode("ascii")


def warc_digest_to_hex(digest: str) -> str:
    """'sha256:BASE32' (a WARC digest header) as hex."""
    algorithm, _, value = digest.partition(":")
    if algorithm.lower() != "sha256":
        raise ValueError(f"not a SHA-256 digest: {digest}")
    return base64.b32decode(value).hex()


class _Sha256Writer(WARCWriter):  # type: ignore[misc]
    """warcio's writer with SHA-256 block and payload digests."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


@dataclass
class _OpenFile:
    final: Path
    temporary: Path
    handle: io.FileIO  # unbuffered: nothing is left in a buffer when a write fails
    size: int = 0
    records: int = 0


@dataclass
class WarcWriter:
    """Appends records to rotating WARC files in one directory."""

    directory: Path
    max_bytes: int = 1000 * 2**20
    software: str = "citewatch"
    clock: Clock = field(default=lambda: datetime.now(UTC))
    record_ids: RecordIds = field(default=lambda: f"<urn:uuid:{uuid.uuid4()}>")
    info: dict[str, str] = field(default_factory=dict)
    prefix: str = PREFIX  # of the file names: a worker's own, where several share a directory
    _current: _OpenFile | None = None
    _sequence: int = 0
    failure: str | None = None  # why the writer stopped, after a failed write

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writer = _Sha256Writer(None, gzip=True, warc_version="WARC/1.1")

    # -- records --------------------------------------------------------------------------------

    def write_exchange(self, exchange: HttpExchange) -> tuple[RecordLocation, RecordLocation]:
        """A response record and its request record; returns their locations."""
        date = warc_date(exchange.fetched_at)
        response_id = self.record_ids()
        response = self._writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=_response_headers(exchange),
            warc_headers_dict=self._headers(response_id, date, exchange.ip_address),
        )
        request = self._writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=_request_headers(exchange),
            warc_headers_dict={
                **self._headers(self.record_ids(), date),
                "WARC-Concurrent-To": response_id,
            },
        )
        response_location, request_location = self._write(response, request)
        return response_location, request_location

    def write_revisit(self, exchange: HttpExchange, original: OriginalRecord) -> RecordLocation:
        """A revisit record (identical-payload-digest profile) instead of a second copy.

        Only the response headers are kept, and no request record: an unchanged page is the
        common case of a nightly check, and its cost must stay small (the request is the
        original's, plus the validators, which the response headers echo).
        """
        record = self._writer.create_revisit_record(
            exchange.url,
            digest=original.payload_digest or _sha256_digest(exchange.body),
            refers_to_uri=original.url,
            refers_to_date=original.date,
            http_headers=_response_headers(exchange),
            warc_headers_dict={
                **self._headers(
                    self.record_ids(), warc_date(exchange.fetched_at), exchange.ip_address
                ),
                "WARC-Refers-To": original.record_id,
            },
        )
        return self._write(record)[0]

    def write_resource(
        self,
        uri: str,
        content_type: str,
        data: bytes | Path,
        concurrent_to: RecordLocation,
    ) -> RecordLocation:
        """A resource record made by citewatch itself (a rendered page's DOM, a screenshot, a
        downloaded video: bytes, or a file), tied to the response it was made from
        (WARC-Concurrent-To)."""
        with contextlib.ExitStack() as stack:
            if isinstance(data, Path):
                payload: IO[bytes] = stack.enter_context(data.open("rb"))
                length = data.stat().st_size
            else:
                payload, length = io.BytesIO(data), len(data)
            record = self._writer.create_warc_record(
                uri,
                "resource",
                payload=payload,
                length=length,
                warc_content_type=content_type,
                warc_headers_dict={
                    **self._headers(self.record_ids(), concurrent_to.date),
                    "WARC-Concurrent-To": concurrent_to.record_id,
                },
            )
            return self._write(record)[0]

    def write_metadata(
        self, url: str, refers_to: RecordLocation, fields: dict[str, Any]
    ) -> RecordLocation:
        """A metadata record (application/warc-fields) about another record."""
        body = "".join(
            f"{name}: {value}\r\n" for name, value in fields.items() if value is not None
        )
        data = body.encode("utf-8")
        record = self._writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(data),
            length=len(data),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                **self._headers(self.record_ids(), refers_to.date),
                "WARC-Refers-To": refers_to.record_id,
            },
        )
        return self._write(record)[0]

    def mark(self) -> WarcMark | None:
        """The current end of the open file, to take back what follows (see rollback)."""
        current = self._current
        return (
            None if current is None else WarcMark(current.temporary, current.size, current.records)
        )

    def rollback(self, mark: WarcMark | None) -> None:
        """Take back the records written since `mark` (their index rows were not committed).

        Only within the same open file: records in a file closed since then stay (they are
        whole, merely unindexed)."""
        current = self._current
        if current is None or mark is None or current.temporary != mark.path:
            return
        if current.size > mark.size:
            self._truncate(current, mark.size)
            current.records = mark.records

    # -- files ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Finish the current file: fsync, rename to its final name.

        If that fails the file keeps its temporary name; `recover` finishes it next time."""
        current, self._current = self._current, None
        if current is None:
            return
        try:
            os.fsync(current.handle.fileno())
            current.handle.close()
            current.temporary.rename(current.final)
            _fsync_directory(self.directory)
        except OSError as exc:
            current.handle.close()
            raise self._failed(current.temporary, exc) from exc
        log.info(
            "closed %s (%d records, %d bytes)", current.final.name, current.records, current.size
        )

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _headers(self, record_id: str, date: str, ip_address: str | None = None) -> dict[str, str]:
        headers = {"WARC-Record-ID": record_id, "WARC-Date": date}
        if ip_address:
            headers["WARC-IP-Address"] = ip_address
        return headers

    def _write(self, *records: ArcWarcRecord) -> list[RecordLocation]:
        """Serialise records (one gzip member each) and append them with a single write: all of
        them are in the file, or none (a failed write is cut back)."""
        if self.failure is not None:
            raise WarcWriteError(self.failure)
        pieces = []
        for record in records:
            buffer = io.BytesIO()
            self._writer._write_warc_record(buffer, record)
            pieces.append(buffer.getvalue())
        data = b"".join(pieces)
        current = self._file_for(len(data))
        offset = current.size
        self._append(current, data)
        locations = []
        for record, piece in zip(records, pieces, strict=True):
            locations.append(
                RecordLocation(
                    current.final.name,
                    offset,
                    len(piece),
                    record.rec_headers.get_header("WARC-Record-ID"),
                    record.rec_headers.get_header("WARC-Date"),
                )
            )
            offset += len(piece)
        current.records += len(records)
        return locations

    def _append(self, current: _OpenFile, data: bytes) -> None:
        """Write all of `data` at the end of the file, or cut the file back and stop."""
        start = current.size
        try:
            view = memoryview(data)
            while view:
                written = current.handle.write(view)
                view = view[written or 0 :]
        except OSError as exc:
            self._truncate(current, start)
            raise self._failed(current.temporary, exc) from exc
        current.size = start + len(data)

    def _truncate(self, current: _OpenFile, size: int) -> None:
        """Cut the open file back to `size` bytes (freeing space works on a full disk)."""
        try:
            current.handle.truncate(size)
            current.handle.seek(size)
            current.size = size
        except OSError as exc:  # `recover` cuts it back to its last whole record next time
            log.error("%s: cannot cut back to %d bytes (%s)", current.temporary.name, size, exc)

    def _failed(self, path: Path, exc: OSError) -> WarcWriteError:
        """Stop the writer: every later record would be refused the same way."""
        reason = exc.strerror or str(exc)
        self.failure = f"cannot write WARC file {path.name} in {self.directory}: {reason}"
        log.error("%s", self.failure)
        return WarcWriteError(self.failure)

    def _file_for(self, size: int) -> _OpenFile:
        """The open file, rotated first if these records would take it over the limit."""
        current = self._current
        if current is not None and current.records > 1 and current.size + size > self.max_bytes:
            self.close()
            current = None
        if current is None:
            current = self._open()
            self._current = current
        return current

    def _open(self) -> _OpenFile:
        """Create the next file, exclusively, and start it with a warcinfo record."""
        stamp = self.clock().astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
        while True:
            self._sequence += 1
            final = self.directory / f"{self.prefix}-{stamp}-{self._sequence:05d}{SUFFIX}"
            temporary = final.with_name(final.name + OPEN_SUFFIX)
            if final.exists():
                continue
            try:
                handle = io.FileIO(temporary, "xb")
            except FileExistsError:
                continue
            except OSError as exc:
                raise self._failed(temporary, exc) from exc
            break
        opened = _OpenFile(final, temporary, handle)
        info = {
            "software": self.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            **self.info,
        }
        record = self._writer.create_warcinfo_record(final.name, info)
        record.rec_headers.replace_header("WARC-Record-ID", self.record_ids())
        record.rec_headers.replace_header("WARC-Date", warc_date(self.clock()))
        buffer = io.BytesIO()
        self._writer._write_warc_record(buffer, record)
        try:
            self._append(opened, buffer.getvalue())
        except WarcWriteError:
            handle.close()
            with contextlib.suppress(OSError):  # nothing but a cut warcinfo record in it
                temporary.unlink()
            raise
        opened.records = 1
        return opened


def recover(directory: Path, prefix: str = PREFIX) -> list[Path]:
    """Finish the files with this prefix a killed process left open: keep their whole records,
    then rename them (another prefix's open file may be a live worker's: never touched)."""
    finished = []
    for temporary in sorted(directory.glob(f"{prefix}-*{SUFFIX}{OPEN_SUFFIX}")):
        good = _readable_length(temporary)
        with temporary.open("r+b") as handle:
            handle.truncate(good)
            handle.flush()
            os.fsync(handle.fileno())
        final = temporary.with_name(temporary.name[: -len(OPEN_SUFFIX)])
        temporary.rename(final)
        finished.append(final)
        log.warning("recovered %s (%d bytes of whole records)", final.name, good)
    if finished:
        _fsync_directory(directory)
    return finished


def read_payload(
    path: Path, offset: int, decoded: bool = True, max_bytes: int | None = DEFAULT_MAX_REPLAY
) -> tuple[ArcWarcRecord, bytes]:
    """A record and its payload, content encoding removed unless `decoded` is false (then at
    most `max_bytes` of it: PayloadTooLargeError past that). To stream a body, see replay.py."""
    with warc_record(path, offset) as record:
        return record, b"".join(payload_chunks(record, decoded, max_bytes))


def _readable_length(path: Path) -> int:
    """Bytes up to the end of the last whole record."""
    good = 0
    try:
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                drain(record)  # stored bytes only: decoding a gzip bomb body would take GBs
                good = iterator.get_record_offset() + iterator.get_record_length()
    except (
        Exception
    ) as exc:  # a cut gzip member fails in zlib, warcio or the OS: all mean "ends here"
        log.warning("%s: stops being readable after %d bytes (%s)", path.name, good, exc)
    return good


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def warc_date(moment: datetime) -> str:
    """A WARC-Date with microseconds (WARC/1.1)."""
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _sha256_digest(body: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(body).digest()).decode("ascii")


def _response_headers(exchange: HttpExchange) -> StatusAndHeaders:
    headers = [
        (RENAMED_HEADERS.get(name.lower(), name), value)
        for name, value in exchange.response_headers
    ]
    return StatusAndHeaders(
        f"{exchange.status} {exchange.reason}".strip(), headers, protocol=exchange.protocol
    )


def _request_headers(exchange: HttpExchange) -> StatusAndHeaders:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(
        f"{exchange.method} {target} {exchange.protocol}", headers, is_http_request=True
    )
