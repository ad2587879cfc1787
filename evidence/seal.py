"""Custody of sealed files: record each sealed WARC file's digest, sign it, time-stamp it.

After every crawl run (and before an export or a verification) the WARC directory is read for
files sealed since the last look. Each is recorded with its SHA-256 and size, signed with the
organisation's key when there is one (`F.sig` beside it, DER), and, with `[evidence] tsa_url`,
time-stamped (`F.tsr` beside it). A file the TSA could not stamp stays queued in the index and
is asked for again next time; nothing about the file itself waits on the TSA.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.warc import SUFFIX
from config import Config
from models import Database
from models.evidence import EXPORT, WARC, EvidenceFile

if TYPE_CHECKING:  # cryptography and the TSA client load when a key or a TSA is there to use
    from evidence.keys import SigningKey

log = logging.getLogger(__name__)
SIGNATURE_SUFFIX = ".sig"
TOKEN_SUFFIX = ".tsr"


@dataclass
class SealSummary:
    """What one pass did, and what still waits."""

    recorded: int = 0
    signed: int = 0
    stamped: int = 0
    waiting: int = 0  # files still without a token although a TSA is configured
    problems: list[str] = field(default_factory=list)  # one line each: key, TSA

    def lines(self) -> list[str]:
        """What a user should read: nothing when all went well."""
        lines = list(self.problems)
        if self.waiting:
            lines.append(
                f"{self.waiting} evidence files wait for a time-stamp; they are asked for again "
                "next run (citewatch stamp asks now)"
            )
        return lines


def seal(database: Database, config: Config, now: datetime, stamp: bool = True) -> SealSummary:
    """Record new sealed WARC files; sign what is unsigned; stamp what is not stamped (unless
    `stamp` is false: a verification asks no TSA)."""
    done = SealSummary()
    directory = config.warc_directory
    with database.session() as session:
        known = set(session.scalars(select(EvidenceFile.name).where(EvidenceFile.kind == WARC)))
    for path in _sealed_files(directory):
        if path.name in known:
            continue
        digest, size = file_sha256(path)
        with database.session() as session:
            session.add(
                EvidenceFile(
                    kind=WARC, name=path.name, sha256=digest.hex(), size=size, sealed_at=now
                )
            )
        done.recorded += 1
    key = _signing_key(config, done)
    with database.session() as session:
        if key is not None:
            done.signed = _sign(session, config, key)
        if stamp and config.evidence.tsa_url:
            _stamp(session, config, done)
    for line in done.lines():
        log.warning("%s", line)
    return done


def record_export(
    session: Session, path: Path, sha256: bytes, size: int, key: SigningKey | None, now: datetime
) -> EvidenceFile:
    """An exported package, so that its own token is asked for (now, or next run)."""
    name = str(path.resolve())
    row = session.scalars(
        select(EvidenceFile).where(EvidenceFile.kind == EXPORT, EvidenceFile.name == name)
    ).first()
    if row is None:
        row = EvidenceFile(kind=EXPORT, name=name, sha256="", size=0, sealed_at=now)
        session.add(row)
    row.sha256, row.size, row.sealed_at = sha256.hex(), size, now
    row.signature = key.sign(sha256) if key is not None else None
    row.signed_by = key.public.fingerprint if key is not None else None
    row.stamped_at = row.tsa_url = row.token_file = row.stamp_error = None
    row.stamp_attempts = 0
    return row


def stamp_pending(session: Session, config: Config) -> SealSummary:
    """Ask the TSA for every missing token (exports and WARC files alike)."""
    done = SealSummary()
    _stamp(session, config, done)
    return done


def file_sha256(path: Path) -> tuple[bytes, int]:
    """SHA-256 and size of a file."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest(), os.fstat(handle.fileno()).st_size


def file_path(config: Config, row: EvidenceFile) -> Path:
    """Where the recorded file is."""
    return config.warc_directory / row.name if row.kind == WARC else Path(row.name)


def _sealed_files(directory: Path) -> Iterable[Path]:
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob(f"*{SUFFIX}") if path.is_file())


def _signing_key(config: Config, done: SealSummary) -> SigningKey | None:
    """The key, if the organisation has one; an unusable key is a problem to report."""
    path = config.signing_key_path
    if not path.exists():
        return None
    from evidence.keys import SigningKeyError, load_key

    try:
        return load_key(path)
    except SigningKeyError as exc:
        done.problems.append(f"evidence files are not signed: {exc}")
        return None


def _sign(session: Session, config: Config, key: SigningKey) -> int:
    rows = session.scalars(
        select(EvidenceFile).where(EvidenceFile.kind == WARC, EvidenceFile.signature.is_(None))
    )
    signed = 0
    for row in rows:
        digest = bytes.fromhex(row.sha256)
        row.signature = key.sign(digest)
        row.signed_by = key.public.fingerprint
        beside = file_path(config, row).with_name(row.name + SIGNATURE_SUFFIX)
        _write_beside(beside, base64.b64decode(row.signature))
        signed += 1
    return signed


def _stamp(session: Session, config: Config, done: SealSummary) -> None:
    url = config.evidence.tsa_url
    if not url:
        return
    from evidence.timestamps import TimestampError, request_stamp

    rows = list(
        session.scalars(
            select(EvidenceFile).where(EvidenceFile.stamped_at.is_(None)).order_by(EvidenceFile.id)
        )
    )
    for index, row in enumerate(rows):
        path = file_path(config, row)
        token_path = path.with_name(path.name + TOKEN_SUFFIX)
        try:
            stamp = request_stamp(
                url, bytes.fromhex(row.sha256), timeout=config.evidence.tsa_timeout
            )
            _write_beside(token_path, stamp.token)
        except (TimestampError, OSError) as exc:
            reason = (
                str(exc) if isinstance(exc, TimestampError) else f"cannot write {token_path}: {exc}"
            )
            row.stamp_attempts += 1
            row.stamp_error = reason
            if isinstance(exc, TimestampError):  # the TSA is not answering: ask again next run
                for waiting in rows[index + 1 :]:
                    waiting.stamp_attempts += 1
                    waiting.stamp_error = reason
                done.waiting = len(rows) - index
                done.problems.append(f"time-stamp: {reason}")
                return
            done.waiting += 1
            done.problems.append(f"time-stamp: {reason}")
            continue
        row.stamped_at = stamp.gen_time
        row.tsa_url = url
        row.token_file = str(token_path)
        row.stamp_error = None
        row.stamp_attempts += 1
        done.stamped += 1


def _write_beside(path: Path, data: bytes) -> None:
    """Write a small file whole or not at all (temporary name, fsync, rename)."""
    temporary = path.with_name(path.name + ".part")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
