"""`citewatch verify`: recompute what the evidence claims, and name every mismatch.

For the archive (a document's captures, or every WARC file): each record's block and payload
digests against its own headers (warcio's digest checker), each snapshot row's payload SHA-256
and record id against the record at its offset, each sealed file's SHA-256 against the one
recorded when it was sealed, its signature, and its RFC 3161 token. For a WACZ package: every
file against datapackage.json, datapackage.json against datapackage-digest.json, the
signature, the tokens inside and beside it, and every WARC record inside.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from cryptography import x509
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecord, WarcRecordType
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.warc import SUFFIX, hex_to_warc_digest
from config import Config
from evidence.keys import PublicKey, SigningKeyError, load_key
from evidence.seal import TOKEN_SUFFIX, file_path, file_sha256
from evidence.timestamps import TimestampError, check_token, load_certificates
from evidence.wacz import DATAPACKAGE, DIGEST, open_package, signed_message
from models.evidence import WARC, EvidenceFile
from models.snapshot import Snapshot

HTTP_RECORDS = (WarcRecordType.response, WarcRecordType.request)
SEGMENT = 4 * 2**20  # a file is checked in pieces of about this size, side by side
T = TypeVar("T")
# What the index says of a record: snapshot id, payload SHA-256, record id, whether a revisit.
Expected = tuple[int, str | None, str | None, bool]


@dataclass(frozen=True)
class Problem:
    """One mismatch: where (file, offset, record id) and what."""

    file: str
    what: str
    offset: int | None = None
    record_id: str | None = None

    def line(self) -> str:
        where = self.file + (f" @{self.offset}" if self.offset is not None else "")
        record = f" {self.record_id}" if self.record_id else ""
        return f"{where}{record}: {self.what}"


@dataclass
class Report:
    """What was checked and what did not hold."""

    files: int = 0
    records: int = 0
    bytes: int = 0
    signed: int = 0
    stamped: int = 0
    unstamped: int = 0
    notes: list[str] = field(default_factory=list)  # not problems: e.g. a token not checked
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Trust:
    """What signatures and tokens are checked against."""

    our_key: PublicKey | None = None
    tsa_roots: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> tuple[Trust, list[str]]:
        notes = []
        key = None
        if config.signing_key_path.exists():
            try:
                key = load_key(config.signing_key_path).public
            except SigningKeyError as exc:
                notes.append(f"signatures checked against their own public keys only: {exc}")
        roots: list[x509.Certificate] = []
        if config.tsa_ca_path is not None:
            try:
                roots = load_certificates(config.tsa_ca_path)
            except TimestampError as exc:
                notes.append(f"time-stamp tokens not checked against a CA: {exc}")
        return cls(key, tuple(roots)), notes


# -- the archive ---------------------------------------------------------------------------------


def verify_archive(
    session: Session, config: Config, trust: Trust, snapshot_ids: Iterable[int] | None = None
) -> Report:
    """Every WARC file (snapshot_ids None), or the files and records of these snapshots."""
    started = time.monotonic()
    report = Report()
    directory = config.warc_directory
    rows = {
        row.name: row
        for row in session.scalars(select(EvidenceFile).where(EvidenceFile.kind == WARC))
    }
    expected = _snapshot_records(session, snapshot_ids)
    if snapshot_ids is None:
        names = sorted({p.name for p in directory.glob(f"*{SUFFIX}")} | set(rows))
    else:
        names = sorted({name for name, _ in expected})
    present = []
    for name in names:
        report.files += 1
        if (directory / name).is_file():
            present.append(name)
        else:
            report.problems.append(Problem(name, "the file is missing from the WARC directory"))
    by_file: dict[str, dict[int, Expected]] = {name: {} for name in present}
    for (name, offset), known in expected.items():
        if name in by_file:
            by_file[name][offset] = known
    segments = [
        segment
        for name in present
        for segment in _segments(directory / name, name, by_file[name], snapshot_ids is None)
    ]
    # The files' own SHA-256 is computed here while worker processes check the records.
    results, digests = _run(segments, lambda: {n: file_sha256(directory / n)[0] for n in present})
    for result in results:
        report.records += result.records
        report.bytes += result.bytes
        report.problems.extend(result.problems)
    for name in present:
        digest = digests[name]
        row = rows.get(name)
        if row is None:
            report.notes.append(f"{name}: not sealed yet (it is recorded after the next run)")
            continue
        if digest.hex() != row.sha256:
            report.problems.append(
                Problem(
                    name,
                    f"the file changed since it was sealed (SHA-256 {digest.hex()}, "
                    f"recorded {row.sha256})",
                )
            )
        _custody(row, file_path(config, row), trust, report)
    report.seconds = time.monotonic() - started
    return report


def _snapshot_records(
    session: Session, snapshot_ids: Iterable[int] | None
) -> dict[tuple[str, int], Expected]:
    """(file, offset) -> what the index says of the record there."""
    query = select(
        Snapshot.id,
        Snapshot.warc_file,
        Snapshot.warc_offset,
        Snapshot.payload_sha256,
        Snapshot.warc_record_id,
        Snapshot.revisit_of_id,
    ).where(Snapshot.warc_file.is_not(None), Snapshot.warc_offset.is_not(None))
    found: dict[tuple[str, int], Expected] = {}
    wanted = None if snapshot_ids is None else set(snapshot_ids)
    for sid, name, offset, sha, record_id, revisit_of in session.execute(query):
        if (wanted is None or sid in wanted) and name is not None and offset is not None:
            found[(name, offset)] = (sid, sha, record_id, revisit_of is not None)
    return found


@dataclass(frozen=True)
class _Segment:
    """Records to check: a byte range of a file that starts at a record (or only the record
    at `start`, when `single`), with what the index says of the records in it."""

    path: Path
    name: str
    start: int
    end: int
    wanted: dict[int, Expected]
    single: bool = False


@dataclass
class _Checked:
    records: int = 0
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)


def _segments(path: Path, name: str, wanted: dict[int, Expected], whole: bool) -> list[_Segment]:
    """A whole file cut at known record offsets into pieces of about SEGMENT bytes (checked side
    by side), or each wanted record alone."""
    if not whole:
        return [_Segment(path, name, o, o, {o: wanted[o]}, single=True) for o in sorted(wanted)]
    size = path.stat().st_size
    cuts = [0]
    for offset in sorted(wanted):
        if offset - cuts[-1] >= SEGMENT:
            cuts.append(offset)
    bounds = [*cuts, size]
    return [
        _Segment(path, name, start, end, {o: r for o, r in wanted.items() if start <= o < end})
        for start, end in itertools.pairwise(bounds)
    ]


def _run(segments: list[_Segment], meanwhile: Callable[[], T]) -> tuple[list[_Checked], T]:
    """Check the segments, in worker processes when there is enough to share (else here), and
    do `meanwhile` in this process at the same time."""
    workers = min(os.cpu_count() or 1, len(segments))
    total = sum(s.end - s.start for s in segments)
    if workers < 2 or total < 2 * SEGMENT or threading.active_count() > 1:
        # (a fork of a process with threads would copy their locks)
        return [_check_segment(segment) for segment in segments], meanwhile()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_check_segment, segment) for segment in segments]
        done = meanwhile()
        return [future.result() for future in futures], done


def _check_segment(segment: _Segment) -> _Checked:
    checked = _Checked()
    report = Report()
    seen: set[int] = set()
    with segment.path.open("rb") as raw:
        raw.seek(segment.start)
        end = None if segment.single else segment.end
        unreadable = _check_records(
            raw, segment.name, report, segment.wanted, seen, segment.single, segment.start, end
        )
    for offset in sorted(set(segment.wanted) - seen):
        if unreadable is not None and offset >= unreadable:
            break  # already said: unreadable from there on
        sid, _, record_id, _ = segment.wanted[offset]
        report.problems.append(
            Problem(segment.name, f"snapshot {sid}: no record at this offset", offset, record_id)
        )
    checked.records, checked.problems = report.records, report.problems
    checked.bytes = report.bytes if segment.single else segment.end - segment.start
    return checked


def _check_records(
    stream: IO[bytes],
    name: str,
    report: Report,
    wanted: dict[int, Expected],
    seen: set[int],
    first_only: bool,
    base: int,
    end: int | None = None,
) -> int | None:
    """Read and check records from the stream's position (`base` in the file) up to `end`;
    returns the offset where the stream became unreadable."""
    offset = base
    record_id = None
    last = None  # the last record read whole
    try:
        for record in FastArchiveIterator(stream, parse_http=False):
            offset = record.stream_pos  # in the file: the reader counts from its start
            if end is not None and offset >= end:
                break
            record_id = record.record_id
            _check_digests(record, name, offset, report)
            report.records += 1
            if offset in wanted:
                seen.add(offset)
                _compare_row(record, wanted[offset], name, offset, report)
            if first_only:
                report.bytes += record.content_length
                break
            last, record_id = offset, None
    except zipfile.BadZipFile:  # a package member failing its CRC: named once, by the caller
        raise
    except Exception as exc:  # a damaged gzip member fails in the reader: the rest is unreadable
        if record_id is None:  # failed between records: name the next one the index knows
            after = [o for o in wanted if o > (last if last is not None else base - 1)]
            offset = min(after) if after else offset
            record_id = wanted[offset][2] if offset in wanted else None
        since = f"; the last whole record is at @{last}" if last is not None else ""
        report.problems.append(
            Problem(name, f"unreadable from here on ({_short(exc)}{since})", offset, record_id)
        )
        return offset
    return None


def _check_digests(record: WarcRecord, name: str, offset: int, report: Report) -> None:
    """The record's block digest, then its payload digest (not a revisit's: its payload is the
    original's), each against its own header."""
    headers = record.headers
    record_id = record.record_id
    block = headers.get("WARC-Block-Digest")
    if block and not record.verify_block_digest(consume=False):
        report.problems.append(
            Problem(name, f"the record block does not match its WARC-Block-Digest {block}",
                    offset, record_id)
        )  # fmt: skip
    payload = headers.get("WARC-Payload-Digest")
    if not payload or record.record_type not in HTTP_RECORDS:
        return
    record.parse_http()
    if not record.verify_payload_digest(consume=False):
        report.problems.append(
            Problem(name, f"the payload does not match its WARC-Payload-Digest {payload}",
                    offset, record_id)
        )  # fmt: skip


def _compare_row(record: WarcRecord, row: Expected, name: str, offset: int, report: Report) -> None:
    sid, sha256, record_id, revisit = row
    actual_id = record.record_id
    if record_id and actual_id != record_id:
        report.problems.append(
            Problem(name, f"snapshot {sid}: the index names record {record_id}", offset, actual_id)
        )
    digest = record.headers.get("WARC-Payload-Digest")
    if sha256 and digest and digest != hex_to_warc_digest(sha256):
        what = "the revisit's" if revisit else "its"
        report.problems.append(
            Problem(
                name,
                f"snapshot {sid}: the index holds another payload SHA-256 ({sha256}) than "
                f"{what} record header ({digest})",
                offset,
                actual_id,
            )
        )


def _custody(row: EvidenceFile, path: Path, trust: Trust, report: Report) -> None:
    """The sealed file's signature and token."""
    digest = bytes.fromhex(row.sha256)
    if row.signature:
        key = trust.our_key
        if key is None or key.fingerprint != row.signed_by:
            report.notes.append(f"{row.name}: signed by key {str(row.signed_by)[:16]}, not ours")
        elif not key.verify(row.signature, digest):
            report.problems.append(Problem(row.name, "the signature does not verify"))
        else:
            report.signed += 1
    token_path = path.with_name(path.name + TOKEN_SUFFIX)
    if not token_path.exists():
        if row.stamped_at is not None:
            report.problems.append(
                Problem(row.name, f"the time-stamp token {token_path.name} is missing")
            )
        else:
            report.unstamped += 1
        return
    _check_token(token_path.read_bytes(), digest, trust, token_path.name, report)


def _check_token(token: bytes, digest: bytes, trust: Trust, label: str, report: Report) -> None:
    try:
        checked = check_token(token, digest, trust.tsa_roots)
    except TimestampError as exc:
        report.problems.append(Problem(label, f"time-stamp: {exc}"))
        return
    report.stamped += 1
    if not checked.trusted:
        report.notes.append(
            f"{label}: token for {checked.gen_time:%Y-%m-%d %H:%M:%S} UTC; its TSA signature "
            "is not checked without [evidence] tsa_ca_file"
        )


def _short(exc: Exception) -> str:
    """An exception in one short printable line (a damaged record's bytes are not text)."""
    text = "".join(c if c.isprintable() else "?" for c in str(exc).split("\n")[0])
    return f"{type(exc).__name__}: {text[:120]}"


# -- a package -----------------------------------------------------------------------------------


def verify_package(path: Path, trust: Trust) -> Report:
    """Every file, hash, signature and token of a WACZ package, and every record in it."""
    started = time.monotonic()
    report = Report()
    label = path.name
    try:
        with open_package(path) as archive:
            _verify_members(archive, label, trust, report)
    except (ValueError, OSError) as exc:
        report.problems.append(Problem(label, str(exc)))
    beside = path.with_name(path.name + TOKEN_SUFFIX)
    if beside.exists():
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").digest()
        _check_token(beside.read_bytes(), digest, trust, beside.name, report)
    report.files = 1
    report.bytes = path.stat().st_size if path.exists() else 0
    report.seconds = time.monotonic() - started
    return report


def _verify_members(archive: zipfile.ZipFile, label: str, trust: Trust, report: Report) -> None:
    names = set(archive.namelist())
    for required in (DATAPACKAGE, DIGEST):
        if required not in names:
            report.problems.append(Problem(label, f"{required} is missing"))
            return
    package_bytes = archive.read(DATAPACKAGE)
    package = _json(package_bytes, f"{label}:{DATAPACKAGE}", report)
    digest_file = _json(archive.read(DIGEST), f"{label}:{DIGEST}", report)
    if package is None or digest_file is None:
        return
    hashes: dict[str, str] = {}
    listed = {str(resource.get("path", "")) for resource in package.get("resources", [])}
    for resource in package.get("resources", []):
        member = str(resource.get("path", ""))
        where = f"{label}:{member}"
        if member not in names:
            report.problems.append(Problem(where, "listed in datapackage.json but missing"))
            continue
        try:
            actual, size = _member_sha256(archive, member, report, where)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a flipped byte fails the CRC
            report.problems.append(Problem(where, f"unreadable: {exc}"))
            continue
        hashes[member] = actual
        if f"sha256:{actual}" != resource.get("hash"):
            report.problems.append(
                Problem(
                    where,
                    f"SHA-256 {actual} does not match datapackage.json ({resource.get('hash')})",
                )
            )
        elif size != resource.get("bytes"):
            report.problems.append(
                Problem(where, f"{size} bytes, datapackage.json says {resource.get('bytes')}")
            )
    for extra in sorted(names - listed - {DATAPACKAGE, DIGEST}):
        if not extra.endswith("/"):
            report.problems.append(Problem(f"{label}:{extra}", "not listed in datapackage.json"))
    package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    if digest_file.get("hash") != package_hash:
        report.problems.append(
            Problem(
                f"{label}:{DIGEST}",
                f"datapackage.json's hash is {package_hash}, not {digest_file.get('hash')}",
            )
        )
    _verify_signature(digest_file.get("signedData"), package, package_hash, label, trust, report)
    for member in sorted(hashes):
        if member.startswith("timestamps/") and member.endswith(TOKEN_SUFFIX):
            data_member = "archive/" + member[len("timestamps/") : -len(TOKEN_SUFFIX)]
            if data_member not in hashes:
                report.problems.append(
                    Problem(f"{label}:{member}", f"stamps {data_member}, which is missing")
                )
                continue
            _check_token(
                archive.read(member),
                bytes.fromhex(hashes[data_member]),
                trust,
                f"{label}:{member}",
                report,
            )


def _verify_signature(
    signed: Any,
    package: dict[str, Any],
    package_hash: str,
    label: str,
    trust: Trust,
    report: Report,
) -> None:
    where = f"{label}:{DIGEST}"
    if not signed:
        report.notes.append(f"{label}: not signed")
        return
    if signed.get("hash") != package_hash:
        report.problems.append(Problem(where, "the signature is for another datapackage.json"))
        return
    if signed.get("created") != package.get("created"):
        report.problems.append(Problem(where, "the signature's date is not the package's"))
    try:
        key = PublicKey.from_base64(str(signed.get("publicKey", "")))
    except ValueError as exc:
        report.problems.append(Problem(where, f"publicKey: {exc}"))
        return
    if not key.verify(str(signed.get("signature", "")), signed_message(package_hash)):
        report.problems.append(Problem(where, "the signature does not verify"))
        return
    report.signed += 1
    if trust.our_key is not None and key.fingerprint == trust.our_key.fingerprint:
        report.notes.append(f"{label}: signed with this organisation's key {key.fingerprint[:16]}")
    else:
        report.notes.append(
            f"{label}: signed with key {key.fingerprint[:16]} (not this installation's)"
        )


def _member_sha256(
    archive: zipfile.ZipFile, member: str, records: Report, where: str
) -> tuple[str, int]:
    """A member's SHA-256 and size; a WARC file's records are checked too."""
    with archive.open(member) as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()  # type: ignore[arg-type]
    if member.startswith("archive/") and member.endswith((".warc", ".warc.gz")):
        with archive.open(member) as handle:  # seekable, as the WARC reader wants
            _check_records(handle, where, records, {}, set(), first_only=False, base=0)
    return digest, archive.getinfo(member).file_size


def _json(data: bytes, where: str, report: Report) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError as exc:
        report.problems.append(Problem(where, f"not JSON: {exc}"))
        return None
    if not isinstance(value, dict):
        report.problems.append(Problem(where, "not a JSON object"))
        return None
    return value
