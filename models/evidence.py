"""Files held as evidence: sealed WARC files and exported packages, with their custody.

A WARC file is recorded once it is sealed (closed and renamed): its SHA-256 then, the
organisation's signature of that digest, and the RFC 3161 time-stamp token a Time-Stamp
Authority gave for it. An export is recorded the same way. A file whose token is still
missing (no TSA configured, or the TSA could not be reached) waits in this table, and the
next run asks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, batches

WARC = "warc"
EXPORT = "export"


class EvidenceFile(Base):
    """One sealed WARC file or exported package."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_evidence_files_kind_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # WARC or EXPORT
    # A WARC file's name in the WARC directory; an export's absolute path.
    name: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))  # of the whole file, when it was sealed
    size: Mapped[int] = mapped_column(BigInteger)
    sealed_at: Mapped[datetime]
    # The organisation's ECDSA P-256 signature of the SHA-256 (base64 DER) and whose key.
    signature: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str | None] = mapped_column(String(64))  # the key's SHA-256 fingerprint
    # The time-stamp: the TSA's own time (genTime), which TSA, and the token file (.tsr).
    stamped_at: Mapped[datetime | None]
    tsa_url: Mapped[str | None] = mapped_column(Text)
    token_file: Mapped[str | None] = mapped_column(Text)
    stamp_attempts: Mapped[int] = mapped_column(default=0)
    stamp_error: Mapped[str | None] = mapped_column(Text)  # why the last request failed


def sealed_warc_files(session: Session, names: Iterable[str]) -> dict[str, EvidenceFile]:
    """The evidence records of these WARC files, by file name (one query per 5,000 names, none
    for no names); a file not sealed yet has none."""
    records: dict[str, EvidenceFile] = {}
    for chunk in batches(sorted(set(names))):
        rows = session.scalars(
            select(EvidenceFile).where(EvidenceFile.kind == WARC, EvidenceFile.name.in_(chunk))
        )
        records.update((row.name, row) for row in rows)
    return records
