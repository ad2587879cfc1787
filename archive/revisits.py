"""The revisit records that refer to given records, found in the WARC files themselves.

Every check that found a page unchanged wrote one (WarcWriter.write_revisit), also when the
database keeps no row of its own for it (health.sightings folds it into the snapshot it
repeats): the WARC files are the evidence, the database an index of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from archive.warc import SUFFIX

log = logging.getLogger(__name__)
OPENED = re.compile(r"-(\d{20})-\d{5}" + re.escape(SUFFIX) + "$")  # WarcWriter's file names
WRITTEN_AFTER = timedelta(days=1)  # at most this long between a fetch and its record


@dataclass(frozen=True)
class Revisit:
    """A revisit record: where it is, what it refers to, when it was written."""

    file: str
    offset: int
    length: int
    refers_to: str
    date: datetime


def written_between(directory: Path, first: datetime, last: datetime) -> list[str]:
    """The closed WARC files that may hold records dated from `first` to `last`: opened by
    then (the time is in the name; a record is written after its fetch, a rendered page's
    long after: a day's slack) and written to since."""
    names = []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        opened = OPENED.search(path.name)
        when = (
            datetime.strptime(opened[1], "%Y%m%d%H%M%S%f").replace(tzinfo=UTC) if opened else None
        )
        if when is not None and when > last + WRITTEN_AFTER:
            continue
        if path.stat().st_mtime >= first.timestamp():
            names.append(path.name)
    return names


def revisits_in(
    directory: Path, names: Iterable[str], record_ids: Collection[str]
) -> list[Revisit]:
    """Every revisit record of these files that refers to one of these records (a damaged
    file is read up to the damage; `citewatch verify` names it)."""
    found: list[Revisit] = []
    for name in names:
        path = directory / name
        starts: list[int] = []
        wanted: list[tuple[int, str, datetime]] = []
        try:
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream, parse_http=False):
                    starts.append(record.stream_pos)
                    refers_to, date = record.headers.get("WARC-Refers-To"), record.record_date
                    revisit = record.record_type == WarcRecordType.revisit
                    if revisit and refers_to and refers_to in record_ids and date is not None:
                        wanted.append((len(starts) - 1, refers_to, date))
        except Exception as exc:  # a damaged gzip member fails in the reader
            log.warning("%s: read up to a damaged record (%s)", name, exc)
            wanted = [w for w in wanted if w[0] < len(starts) - 1]
        ends = [*starts[1:], path.stat().st_size]
        found.extend(
            Revisit(name, starts[i], ends[i] - starts[i], refers_to, date)
            for i, refers_to, date in wanted
        )
    return found
