"""WARC files: records read back, digests, revisits, rotation, names, and recovery after a kill."""

from __future__ import annotations

import gzip
import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc import (
    HttpExchange,
    OriginalRecord,
    WarcWriter,
    read_payload,
    recover,
    warc_digest_to_hex,
)

MOMENT = datetime(2025, 2, 20, 9, 30, 0, 123456, tzinfo=UTC)
PAGE = "<html><body>Суд арестовал блогера</body></html>".encode()


def exchange(body: bytes = PAGE, **changes: object) -> HttpExchange:
    values: dict[str, object] = {
        "url": "https://vlast.kz/novosti/63501.html",
        "method": "GET",
        "request_headers": [("User-Agent", "citewatch-test"), ("Accept-Encoding", "gzip")],
        "status": 200,
        "reason": "OK",
        "response_headers": [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Transfer-Encoding", "chunked"),
        ],
        "body": body,
        "fetched_at": MOMENT,
        "ip_address": "93.184.216.34",
    }
    values.update(changes)
    return HttpExchange(**values)  # type: ignore[arg-type]


def writer(directory: Path, **options: object) -> WarcWriter:
    counter = itertools.count(1)
    return WarcWriter(
        directory,
        clock=lambda: MOMENT,
        record_ids=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>",
        **options,  # type: ignore[arg-type]
    )


def read_all(path: Path) -> list:  # type: ignore[type-arg]
    with path.open("rb") as handle:
        out = []
        for record in ArchiveIterator(handle):
            out.append((record, record.content_stream().read()))
        return out


def test_exchange_round_trips_through_warcio(tmp_path: Path) -> None:
    body = gzip.compress(PAGE)
    with writer(tmp_path) as warc:
        response, request = warc.write_exchange(
            exchange(
                body, response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
            )
        )
    (path,) = tmp_path.iterdir()
    assert (
        path.name == "citewatch-20250220093000123456-00001.warc.gz"
    )  # date and sequence, never the URL
    records = read_all(path)
    assert [r.rec_type for r, _ in records] == ["warcinfo", "response", "request"]
    info, (resp, decoded), (req, _) = records
    assert info[0].rec_headers.get_header("WARC-Filename") == path.name
    assert resp.rec_headers.get_header("WARC-Date") == "2025-02-20T09:30:00.123456Z"
    assert resp.rec_headers.get_header("WARC-IP-Address") == "93.184.216.34"
    assert (
        warc_digest_to_hex(resp.rec_headers.get_header("WARC-Payload-Digest"))
        == hashlib.sha256(body).hexdigest()
    )
    assert resp.rec_headers.get_header("WARC-Block-Digest").startswith("sha256:")
    assert decoded == PAGE  # content-encoding removed on reading, stored as received
    assert req.rec_headers.get_header("WARC-Concurrent-To") == response.record_id
    assert req.http_headers.protocol == "GET" and req.http_headers.get_header("Host") == "vlast.kz"
    assert request.offset == response.offset + response.length
    _, payload = read_payload(path, response.offset)
    assert payload == PAGE


def test_repeated_headers_are_kept_and_chunking_is_renamed(tmp_path: Path) -> None:
    with writer(tmp_path) as warc:
        location, _ = warc.write_exchange(exchange())
    record, _ = read_payload(tmp_path / location.filename, location.offset)
    headers = record.http_headers.headers
    assert [v for k, v in headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-Citewatch-Orig-Transfer-Encoding", "chunked") in headers
    assert record.http_headers.get_header("Transfer-Encoding") is None


def incompressible(size: int) -> bytes:
    """Bytes gzip cannot shrink (a stand-in for a PDF or an image)."""
    return b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(size // 32 + 1))[:size]


def test_revisit_and_metadata_records(tmp_path: Path) -> None:
    body = incompressible(5000)
    with writer(tmp_path) as warc:
        original, _ = warc.write_exchange(exchange(body))
        again = warc.write_revisit(
            exchange(body, fetched_at=datetime(2025, 3, 1, tzinfo=UTC)),
            OriginalRecord(
                original.record_id, "https://vlast.kz/novosti/63501.html", original.date
            ),
        )
        meta = warc.write_metadata(
            "https://vlast.kz/novosti/63501.html", again, {"citewatch-snapshot-id": 7}
        )
    records = read_all(tmp_path / again.filename)
    revisit = next(r for r, _ in records if r.rec_type == "revisit")
    assert revisit.rec_headers.get_header("WARC-Refers-To") == original.record_id
    assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == "2025-02-20T09:30:00.123456Z"
    assert (
        revisit.rec_headers.get_header("WARC-Profile")
        == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert (
        warc_digest_to_hex(revisit.rec_headers.get_header("WARC-Payload-Digest"))
        == hashlib.sha256(body).hexdigest()
    )
    assert again.length < original.length  # headers only
    metadata, fields = next((r, b) for r, b in records if r.rec_type == "metadata")
    assert metadata.rec_headers.get_header("WARC-Refers-To") == again.record_id
    assert metadata.rec_headers.get_header("Content-Type") == "application/warc-fields"
    assert fields == b"citewatch-snapshot-id: 7\r\n"
    assert meta.offset > again.offset


def test_files_rotate_at_the_size_limit(tmp_path: Path) -> None:
    with writer(tmp_path, max_bytes=20_000) as warc:
        for _ in range(6):
            warc.write_exchange(exchange(incompressible(9000)))
    files = sorted(tmp_path.iterdir())
    assert [f.name[-14:] for f in files] == [f"-{n:05d}.warc.gz" for n in range(1, len(files) + 1)]
    assert len(files) >= 3
    for path in files:
        records = read_all(path)
        assert records[0][0].rec_type == "warcinfo" and len(records) > 1


def test_an_open_file_is_temporary_until_closed(tmp_path: Path) -> None:
    warc = writer(tmp_path)
    location, _ = warc.write_exchange(exchange())
    assert [p.name for p in tmp_path.iterdir()] == [location.filename + ".open"]
    warc.close()
    assert [p.name for p in tmp_path.iterdir()] == [location.filename]


def test_recovery_keeps_whole_records_of_a_killed_writer(tmp_path: Path) -> None:
    warc = writer(tmp_path)
    first, _ = warc.write_exchange(exchange())
    _, second_request = warc.write_exchange(exchange())
    name = first.filename
    # The process dies in the middle of writing the last record.
    temporary = tmp_path / f"{name}.open"
    cut = second_request.offset + second_request.length // 2
    temporary.write_bytes(temporary.read_bytes()[:cut])
    warc._current = None  # the dead process never closes it

    recovered = recover(tmp_path)
    assert recovered == [tmp_path / name]
    records = read_all(tmp_path / name)
    assert [r.rec_type for r, _ in records] == ["warcinfo", "response", "request", "response"]
    assert (tmp_path / name).stat().st_size == second_request.offset
    assert recover(tmp_path) == []
