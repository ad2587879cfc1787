"""The chain of custody of our copy on the dashboard, after two real archive runs on the local test
web: night 1's WARC file signed and time-stamped, night 2's unsigned and waiting for the TSA.
A link's page shows the capture time, the payload SHA-256 (the digest of the bytes in the WARC
record), the WARC file, offset and record id, the signature and the time-stamp or why it waits;
the document page marks each copy, within one SQL statement of what it took before."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from archive.warc import read_payload
from models import Citation, Document, EvidenceFile, Snapshot, Target
from models.evidence import WARC
from tests.support.pages import YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import Workspace
from tests.web.conftest import Desk, open_desk

NIGHT_1 = "2025-03-01T02:00:13+00:00"
NIGHT_2 = "2025-03-02T02:00:09+00:00"
STAMPED = datetime(2025, 3, 1, 2, 4, 51, tzinfo=UTC)
TSA = "http://127.0.0.1:8318/tsa"
KEY = hashlib.sha256(b"the organisation's public key").hexdigest()
WAITING = "the TSA did not answer within 10 s <timeout>"
# The document page before the chain of custody (bench/dashboard.py: 7 statements, whatever
# the number of rows; 8 with it); the custody may add the one evidence query.
DOCUMENT_PAGE_STATEMENTS = 7 + 1


@dataclass
class Story:
    desk: Desk
    targets: dict[str, int]  # name -> target id
    documents: dict[str, int]  # file name -> document id
    snapshots: dict[str, Snapshot]  # name -> our copy (detached)
    files: dict[str, str]  # night -> WARC file name


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    root = tmp_path_factory.mktemp("custody")
    with TestWeb() as web:
        news, agency, _, _ = web.hosts
        urls = {
            "stamped": news.route("/news/1-stamped.html", Reply.html(article_page(ZHYLANBAEV_RU))),
            "also": news.route("/news/2-also.html", Reply.html(article_page(YENSEBEK_RU))),
            "waiting": agency.route("/a/3-waiting.html", Reply.html(article_page(YENSEBEK_RU))),
        }
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}")
        first = workspace.document([urls["stamped"], urls["also"]], "first.txt")
        assert workspace.cli("--now", NIGHT_1, "add", str(first)).code == 0
        assert workspace.cli("--now", NIGHT_1, "archive").code == 0
        second = workspace.document([urls["waiting"]], "second.txt")
        assert workspace.cli("--now", NIGHT_2, "add", str(second)).code == 0
        assert workspace.cli("--now", NIGHT_2, "archive").code == 0
    desk = open_desk(workspace)
    with desk.database.session() as session:
        by_url = {t.canonical_url: t.id for t in session.scalars(select(Target))}
        targets = {name: by_url[url] for name, url in urls.items()}
        snapshots = {
            name: session.scalars(select(Snapshot).where(Snapshot.target_id == target_id)).one()
            for name, target_id in targets.items()
        }
        for snapshot in snapshots.values():
            session.expunge(snapshot)
        documents: dict[str, int] = dict(
            session.execute(select(Document.source_name, Document.id)).all()
        )
    found = {"1": snapshots["stamped"].warc_file, "2": snapshots["waiting"].warc_file}
    files = {night: name for night, name in found.items() if name}
    assert len(files) == 2 and files["1"] != files["2"]
    assert snapshots["also"].warc_file == files["1"]
    # Record the files as the sealing pass does (evidence/seal.py: by their names in the WARC
    # directory), or complete what it already recorded.
    sealed = {p.name for p in workspace.warc_directory.glob("*.warc.gz")}
    assert set(files.values()) <= sealed
    with desk.database.session() as session:
        for night, name in files.items():
            row = session.scalars(
                select(EvidenceFile).where(EvidenceFile.kind == WARC, EvidenceFile.name == name)
            ).one_or_none()
            if row is None:
                row = EvidenceFile(kind=WARC, name=name, sha256="", size=0, sealed_at=STAMPED)
                session.add(row)
            path = workspace.warc_directory / name
            row.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
            row.size = path.stat().st_size
            if night == "1":
                row.signature, row.signed_by = "MEUCIQDsignature==", KEY
                row.stamped_at, row.tsa_url = STAMPED, TSA
                row.token_file, row.stamp_error = str(path) + ".tsr", None
            else:
                row.signature = row.signed_by = row.stamped_at = row.token_file = None
                row.tsa_url, row.stamp_attempts, row.stamp_error = None, 3, WAITING
    yield Story(desk, targets, documents, snapshots, files)
    desk.client.close()
    desk.database.dispose()


def custody(page: str) -> str:
    """The chain-of-custody part of a link's page."""
    assert 'id="custody-heading"' in page
    return page.split('id="custody-heading"')[1].split("</dl>")[0]


def test_a_link_page_shows_the_custody_of_a_stamped_copy(story: Story) -> None:
    copy = story.snapshots["stamped"]
    assert copy.warc_offset is not None and copy.payload_sha256
    record, payload = read_payload(
        story.desk.config.warc_directory / story.files["1"], copy.warc_offset, decoded=False
    )
    assert hashlib.sha256(payload).hexdigest() == copy.payload_sha256  # the digest shown is
    page = story.desk.client.get(f"/links/{story.targets['stamped']}")
    assert page.status_code == 200
    shown = custody(page.text)
    assert f">{copy.payload_sha256}</code>" in shown  # in full
    assert f">{story.files['1']}</code>" in shown
    assert f'<code class="warc-offset">{copy.warc_offset}</code>' in shown
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    assert record_id == copy.warc_record_id and html.escape(record_id) in shown
    assert ">2025-03-01 02:00:13</time>" in shown  # captured
    assert f'signed by key <code title="{KEY}">{KEY[:16]}</code>' in shown
    assert "time-stamped at" in shown and "2025-03-01 02:04:51 UTC" in shown and TSA in shown
    assert "waiting" not in shown and "not signed" not in shown


def test_a_link_page_says_why_the_time_stamp_waits(story: Story) -> None:
    copy = story.snapshots["waiting"]
    page = story.desk.client.get(f"/links/{story.targets['waiting']}")
    shown = custody(page.text)
    assert f">{copy.payload_sha256}</code>" in shown and f">{story.files['2']}</code>" in shown
    assert "not signed" in shown
    assert "waiting for a time-stamp: the TSA did not answer within 10 s &lt;timeout&gt;" in shown
    assert "time-stamped at" not in shown


def test_the_custody_is_translated(story: Story) -> None:
    story.desk.client.cookies.set("lang", "ru")
    try:
        page = story.desk.client.get(f"/links/{story.targets['waiting']}").text
    finally:
        story.desk.client.cookies.delete("lang")
    shown = custody(page)
    assert "Цепочка хранения" in page and "не подписано" in shown
    assert "ожидает метки времени: the TSA did not answer" in shown


def test_the_document_page_marks_each_copy(story: Story) -> None:
    first = story.desk.client.get(f"/documents/{story.documents['first.txt']}").text
    marks = re.findall(r'<small class="hint custody">(.*?)</small>', first, re.S)
    assert len(marks) == 2 and all(m.startswith("signed · ") for m in marks)
    assert all('title="2025-03-01 02:04:51 UTC">time-stamped<' in m for m in marks)
    second = story.desk.client.get(f"/documents/{story.documents['second.txt']}").text
    marks = re.findall(r'<small class="hint custody">(.*?)</small>', second, re.S)
    assert marks == ["not signed · not time-stamped"]


def test_the_json_export_carries_the_custody(story: Story) -> None:
    records = story.desk.client.get(f"/documents/{story.documents['first.txt']}/report.json")
    stamped = next(r for r in records.json() if r["target_id"] == story.targets["stamped"])
    copy = story.snapshots["stamped"]
    assert (stamped["sha256"], stamped["warc_file"], stamped["warc_offset"]) == (
        copy.payload_sha256,
        story.files["1"],
        copy.warc_offset,
    )
    assert stamped["signed"] is True and stamped["timestamped_at"] == "2025-03-01T02:04:51+00:00"
    assert (
        stamped["timestamp_token"]
        == str(story.desk.config.warc_directory / story.files["1"]) + ".tsr"
    )


def test_the_document_page_takes_at_most_one_statement_more(story: Story) -> None:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = story.desk.database.engine
    pages: dict[str, list[str]] = {}
    event.listen(engine, "before_cursor_execute", record)
    try:
        for name, document_id in story.documents.items():
            story.desk.client.get(f"/documents/{document_id}")  # warm
            sent.clear()
            assert story.desk.client.get(f"/documents/{document_id}").status_code == 200
            pages[name] = list(sent)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with story.desk.database.session() as session:
        citations = {
            d: len(session.scalars(select(Citation).where(Citation.document_id == i)).all())
            for d, i in story.documents.items()
        }
    assert citations == {"first.txt": 2, "second.txt": 1}
    # The custody is one query, not one per row; the page's other statements are as before.
    for statements in pages.values():
        assert sum("evidence_files" in statement for statement in statements) == 1
        assert len(statements) <= DOCUMENT_PAGE_STATEMENTS
    assert len(pages["first.txt"]) == len(pages["second.txt"])
