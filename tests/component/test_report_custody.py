"""The report carries the chain of custody of each footnote's copy: the payload digest and WARC
record of our copy, and whether the WARC file holding it was signed and time-stamped. On SQLite
and PostgreSQL, with the rows as the archive and the sealing pass store them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from health.exports import render_csv, render_json
from health.report import current_documents, render_html, report_rows
from models import Citation, Database, Document, EvidenceFile, Snapshot, Target
from models.evidence import EXPORT, WARC

CITED = datetime(2025, 3, 1, 2, 0, 13, tzinfo=UTC)
STAMPED = datetime(2025, 3, 1, 2, 4, 51, tzinfo=UTC)
NOW = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
SIGNED_FILE = "citewatch-20250301020013-00001.warc.gz"
PLAIN_FILE = "citewatch-20250302020009-00002.warc.gz"
OPEN_FILE = "citewatch-20250303020011-00003.warc.gz"  # written, not sealed yet
TOKEN = f"/srv/citewatch/warcs/{SIGNED_FILE}.tsr"
KEY = hashlib.sha256(b"the organisation's public key").hexdigest()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_document(session: Any, name: str, urls: list[str]) -> dict[str, Target]:
    """A document citing each URL once, and its targets (alive, checked), by URL."""
    document = Document(
        title=f"Briefing {name}",
        source_name=f"{name}.txt",
        content_hash=digest(name),
        format="txt",
        size_bytes=1000,
        note_count=len(urls),
        added_at=CITED,
    )
    session.add(document)
    targets: dict[str, Target] = {}
    for position, url in enumerate(urls):
        target = session.query(Target).filter_by(canonical_url=url).one_or_none()
        if target is None:
            target = Target(
                canonical_url=url,
                url_hash=digest(url),
                host=url.split("/")[2],
                first_cited_at=CITED,
                state="alive",
                last_verdict="ok",
                last_checked_at=NOW,
            )
            session.add(target)
        session.add(
            Citation(
                document=document,
                position=position,
                footnote=str(position + 1),
                url=url,
                canonical_url=url,
                target=target,
                context=f"Claim {position + 1}.",
            )
        )
        targets[url] = target
    session.flush()
    return targets


def copy(
    target: Target, fetched_at: datetime, warc_file: str, offset: int, **values: Any
) -> Snapshot:
    """A good copy of the target's page, archived in `warc_file` at `offset`."""
    return Snapshot(
        target=target,
        fetched_at=fetched_at,
        outcome="fetched",
        status=values.pop("status", 200),
        final_url=target.canonical_url,
        content_type="text/html",
        payload_sha256=values.pop("payload_sha256", digest(f"{target.canonical_url} page")),
        warc_file=warc_file,
        warc_offset=offset,
        warc_length=900,
        warc_record_id=f"<urn:uuid:00000000-0000-4000-8000-{offset:012d}>",
        verdict="ok",
        text="The page as cited.",
        **values,
    )


URLS = {
    "signed": "https://vlast.kz/novosti/1-signed.html",
    "plain": "https://orda.kz/a/2-plain.html",
    "none": "https://x.kz/3-never-archived",
    "revisit": "https://kz.kursiv.media/4-revisit/",
    "open": "https://vlast.kz/novosti/5-open.html",
}


def build(database: Database) -> dict[str, int]:
    """One briefing citing five sources, and another citing one of them; their copies lie in
    a signed and time-stamped WARC file, an unsigned one whose TSA failed, a file not sealed
    yet, or nowhere. The ids of the targets, by name."""
    with database.session() as session:
        targets = add_document(session, "first", list(URLS.values()))
        add_document(session, "second", [URLS["plain"]])
        by_name = {name: targets[url] for name, url in URLS.items()}
        original = copy(by_name["revisit"], CITED, SIGNED_FILE, 5000)
        session.add_all(
            [
                copy(by_name["signed"], CITED, SIGNED_FILE, 1234),
                copy(by_name["plain"], CITED + timedelta(days=1), PLAIN_FILE, 77),
                copy(by_name["open"], CITED + timedelta(days=2), OPEN_FILE, 0),
                original,
                # The next night answered 304: a revisit record in another file; the bytes
                # (and so the custody) are the original's.
                copy(
                    by_name["revisit"],
                    CITED + timedelta(days=1),
                    PLAIN_FILE,
                    4242,
                    status=304,
                    payload_sha256=None,
                    revisit_of=original,
                ),
            ]
        )
        session.add_all(
            [
                EvidenceFile(
                    kind=WARC,
                    name=SIGNED_FILE,
                    sha256=digest("whole file 1"),
                    size=10_000,
                    sealed_at=CITED + timedelta(minutes=3),
                    signature="MEUCIQDsignature==",
                    signed_by=KEY,
                    stamped_at=STAMPED,
                    tsa_url="http://127.0.0.1:8318/tsa",
                    token_file=TOKEN,
                    stamp_attempts=1,
                ),
                EvidenceFile(
                    kind=WARC,
                    name=PLAIN_FILE,
                    sha256=digest("whole file 2"),
                    size=20_000,
                    sealed_at=CITED + timedelta(days=1, minutes=3),
                    stamp_attempts=2,
                    stamp_error="the TSA did not answer within 10 s",
                ),
                # An export is no WARC file, even under the same name.
                EvidenceFile(
                    kind=EXPORT,
                    name=OPEN_FILE,
                    sha256=digest("an export"),
                    size=1,
                    sealed_at=NOW,
                    signature="MEUCIQDexport==",
                    signed_by=KEY,
                    stamped_at=NOW,
                    token_file="/tmp/export.tsr",
                ),
            ]
        )
        session.flush()
        return {name: target.id for name, target in by_name.items()}


def first_report(database: Database, fmt: str) -> str:
    with database.session() as session:
        document = session.query(Document).filter_by(source_name="first.txt").one()
        rows = report_rows(session, [document], with_text=fmt == "html")
    if fmt == "json":
        return render_json(rows)
    if fmt == "csv":
        return render_csv(rows)
    return render_html(rows, NOW)


def by_url(report: str) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in json.loads(report)}


CUSTODY = ("sha256", "warc_file", "warc_offset", "timestamp_token", "signed", "timestamped_at")


def custody(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[key] for key in CUSTODY)


def test_a_copy_in_a_signed_time_stamped_file_carries_its_custody(database: Database) -> None:
    build(database)
    record = by_url(first_report(database, "json"))[URLS["signed"]]
    assert custody(record) == (
        digest(f"{URLS['signed']} page"),
        SIGNED_FILE,
        1234,
        TOKEN,
        True,
        "2025-03-01T02:04:51+00:00",
    )
    assert record["warc_record_id"] == "<urn:uuid:00000000-0000-4000-8000-000000001234>"
    assert record["snapshot_at"] == "2025-03-01T02:00:13+00:00"


def test_an_unsigned_unstamped_file_gives_false_and_nulls(database: Database) -> None:
    build(database)
    records = by_url(first_report(database, "json"))
    plain = records[URLS["plain"]]
    assert custody(plain) == (
        digest(f"{URLS['plain']} page"),
        PLAIN_FILE,
        77,
        None,
        False,
        None,
    )
    # A file not sealed yet vouches for nothing either (and an export of the same name is
    # not taken for it).
    assert custody(records[URLS["open"]])[2:] == (0, None, False, None)


def test_a_link_without_a_copy_gives_nulls(database: Database) -> None:
    build(database)
    record = by_url(first_report(database, "json"))[URLS["none"]]
    assert record["snapshot_id"] is None
    assert custody(record) == (None, None, None, None, False, None)
    assert record["warc_record_id"] is None


def test_a_revisit_offers_the_custody_of_the_original(database: Database) -> None:
    build(database)
    record = by_url(first_report(database, "json"))[URLS["revisit"]]
    assert custody(record) == (
        digest(f"{URLS['revisit']} page"),
        SIGNED_FILE,
        5000,
        TOKEN,
        True,
        "2025-03-01T02:04:51+00:00",
    )


def test_the_csv_has_the_same_columns(database: Database) -> None:
    build(database)
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(first_report(database, "csv")))}
    signed, none = rows[URLS["signed"]], rows[URLS["none"]]
    assert {key: signed[key] for key in CUSTODY} == {
        "sha256": digest(f"{URLS['signed']} page"),
        "warc_file": SIGNED_FILE,
        "warc_offset": "1234",
        "timestamp_token": TOKEN,
        "signed": "True",
        "timestamped_at": "2025-03-01T02:04:51+00:00",
    }
    assert none["sha256"] == none["timestamp_token"] == "" and none["signed"] == "False"
    header = next(csv.reader(io.StringIO(first_report(database, "csv"))))
    assert header[:19] == list(json.loads(first_report(database, "json"))[0])[:19]
    assert header[-7:] == [
        "sha256", "warc_file", "warc_offset", "warc_record_id", "signed", "timestamped_at",
        "timestamp_token",
    ]  # fmt: skip


def test_the_html_report_shows_digest_capture_and_statuses(database: Database) -> None:
    build(database)
    page = first_report(database, "html")
    signed_digest = digest(f"{URLS['signed']} page")
    row = page.split(URLS["signed"] + "</a>")[1].split("</tr>")[0]
    assert "captured 2025-03-01 02:00 UTC" in row
    assert (
        f'payload SHA-256 <code class="full">{signed_digest}</code>' in row
    )  # whole, in print too
    assert ">signed<" in row and "time-stamped 2025-03-01 02:04:51 UTC" in row
    assert SIGNED_FILE in row and "offset 1234" in row
    plain = page.split(URLS["plain"] + "</a>")[1].split("</tr>")[0]
    assert ">not signed<" in plain and ">not time-stamped<" in plain
    assert digest(f"{URLS['plain']} page") in plain
    none = page.split(URLS["none"] + "</a>")[1].split("</tr>")[0]
    assert "none yet" in none and "SHA-256" not in none and "time-stamped" not in none


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_the_evidence_records_are_read_once_per_report(database: Database) -> None:
    build(database)
    with database.session() as session:
        documents = current_documents(session, None)
        with statements(database) as sent:
            rows = report_rows(session, documents)
    assert len({row.document_id for row in rows}) == 2
    assert sum("evidence_files" in statement for statement in sent) == 1
    plain = [row for row in rows if row.url == URLS["plain"]]
    assert len(plain) == 2 and all(row.warc_file == PLAIN_FILE for row in plain)
