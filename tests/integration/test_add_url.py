"""`citewatch add URL` against the local test web, as users run it: the report fetched by a crawl
in a subprocess, its exchange archived in a WARC file, its citations read from the main content.

One module fixture per database backend adds a pandoc-style report, a WordPress and a Drupal
post, a news article without notes and a PDF, then the first report again unchanged and once
changed; one more, on SQLite, tries addresses that must store nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from citations.document import read_document
from citations.extract import extract_citations
from citations.ingest import add_document
from cli import main
from models import Citation, CrawlRun, Database, Document, Snapshot, Target
from tests.support.databases import postgres_schema_url
from tests.support.reports import (
    cited,
    drupal_report,
    news_article,
    pandoc_report,
    text_pdf,
    wordpress_report,
)
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import Run, Workspace

PDF = text_pdf(
    [
        "Statement on the arrest of Temirlan Yensebek",
        "The court ordered his arrest, see https://vlast.kz/novosti/63501.html for details.",
    ]
)
NOW = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)
NEW_NOTE = (
    '<p>He was released under house arrest on 14 February.<a href="#fn5" class="footnote-ref" '
    'id="fnref5" role="doc-noteref"><sup>5</sup></a></p>'
)
NEW_NOTE_TEXT = (
    '<li id="fn5"><p>Orda.kz, <a href="https://orda.kz/yensebek-house-arrest/">'
    "https://orda.kz/yensebek-house-arrest/</a>.</p></li>"
)


@dataclass
class Added:
    """The reports added, by name: their addresses and what each `add` printed."""

    workspace: Workspace
    origins: dict[str, str]
    urls: dict[str, str]
    runs: dict[str, Run]
    pages: dict[str, bytes]


def changed_report() -> str:
    """The pandoc report a fortnight later: one more paragraph, one more note."""
    page = pandoc_report()
    page = page.replace('<section id="footnotes"', f'{NEW_NOTE}<section id="footnotes"')
    return page.replace("</ol></section>", f"{NEW_NOTE_TEXT}</ol></section>")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def added(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Added]:
    root = tmp_path_factory.mktemp(f"add-url-{request.param}")
    urls_of = sqlite_url(root) if request.param == "sqlite" else postgres_schema_url()
    database_url = next(urls_of)
    pages = {
        "pandoc": pandoc_report().encode(),
        "wordpress": wordpress_report().encode(),
        "drupal": drupal_report().encode(),
        "article": news_article().encode(),
    }
    current = {"pandoc": pages["pandoc"]}

    def pandoc(seen: Seen) -> Reply:
        return Reply.html(current["pandoc"])

    try:
        with TestWeb() as web:
            ngo, kibhr, monitor, news = web.hosts
            urls = {
                "pandoc": ngo.route("/reports/2025/yensebek/", pandoc),
                "wordpress": kibhr.route(
                    "/2025/01/yensebek-arest/", Reply.html(pages["wordpress"])
                ),
                "drupal": monitor.route("/node/42", Reply.html(pages["drupal"])),
                "article": news.route("/news/2024/12/mubarakov/", Reply.html(pages["article"])),
                "pdf": ngo.route(
                    "/files/statement.pdf", Reply(200, PDF, [("Content-Type", "application/pdf")])
                ),
            }
            origins = {
                "pandoc": ngo.origin,
                "wordpress": kibhr.origin,
                "drupal": monitor.origin,
                "article": news.origin,
            }
            workspace = Workspace(root, database_url)
            runs = {name: workspace.cli("add", url) for name, url in urls.items()}
            runs["unchanged"] = workspace.cli("add", urls["pandoc"])
            current["pandoc"] = changed_report().encode()
            runs["changed"] = workspace.cli("add", urls["pandoc"])
            yield Added(workspace, origins, urls, runs, {**pages, "changed": current["pandoc"]})
    finally:
        urls_of.close()


def sqlite_url(root: Path) -> Iterator[str]:
    yield f"sqlite:///{root / 'citewatch.db'}"


def cli_json(
    added: Added, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> Any:
    """A command's JSON output, run in this process against the fixture's workspace."""
    for name, value in added.workspace.env.items():
        if name.startswith("CITEWATCH_"):
            monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def documents(added: Added) -> list[Document]:
    database = added.workspace.database()
    try:
        with database.session() as session:
            rows = list(session.scalars(select(Document).order_by(Document.id)))
            session.expunge_all()
            return rows
    finally:
        database.dispose()


def test_add_says_what_it_stored_and_where_the_page_is_archived(added: Added) -> None:
    run = added.runs["pandoc"]
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "Added document 1 (revision 1): "
        "Kazakhstan: satirist detained as the crackdown on critics widens",
        "  4 notes, 7 citations, 6 unique targets on 6 hosts",
        f"  fetched as snapshot 1: WARC file {warc_file(added, 1)}, offset "
        f"{warc_offset(added, 1)} (`citewatch warc 1` writes the page as archived)",
    ]
    for name in ("wordpress", "drupal", "article", "pdf"):
        assert added.runs[name].code == 0, added.runs[name].err


@pytest.mark.parametrize("name", ["pandoc", "wordpress", "drupal", "article"])
def test_citations_are_the_main_content_s_notes_and_links(
    added: Added, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = next(d for d in documents(added) if d.source_name == added.urls[name])
    rows = cli_json(added, monkeypatch, capsys, "citations", str(first.id))
    found = [(r["footnote"], r["url"], r["context"], r["link_text"], r["refers_to"]) for r in rows]
    assert found == cited(name, added.origins[name])


def test_documents_are_named_by_their_address(
    added: Added, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = cli_json(added, monkeypatch, capsys, "documents")
    urls = added.urls
    assert [
        (r["id"], r["source_name"], r["format"], r["revision"], r["notes"], r["citations"])
        for r in rows
    ] == [
        (1, urls["pandoc"], "html", 1, 4, 7),
        (2, urls["wordpress"], "html", 1, 3, 3),
        (3, urls["drupal"], "html", 1, 2, 2),
        (4, urls["article"], "html", 1, 0, 3),
        (5, urls["pdf"], "pdf", 1, 0, 1),
        (6, urls["pandoc"], "html", 2, 5, 8),
    ]
    assert [r["snapshot_id"] for r in rows] == [1, 2, 3, 4, 5, 7]  # 6: the unchanged fetch
    assert [r["title"] for r in rows][1:3] == [
        "Казахстан: автор сатирического паблика арестован на два месяца",
        "Kazakhstan: Supreme Court refuses to review Zhylanbayev case",
    ]


def test_the_content_hash_is_the_fetched_body_s(added: Added) -> None:
    stored = {d.id: d for d in documents(added)}
    assert stored[1].content_hash == hashlib.sha256(added.pages["pandoc"]).hexdigest()
    assert stored[6].content_hash == hashlib.sha256(added.pages["changed"]).hexdigest()
    assert stored[5].content_hash == hashlib.sha256(PDF).hexdigest()
    assert stored[1].size_bytes == len(added.pages["pandoc"])


def test_the_page_is_a_valid_warc_record_the_snapshot_points_to(added: Added) -> None:
    directory = added.workspace.warc_directory
    records: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                body = record.content_stream().read()
                records.setdefault(uri, []).append((record.rec_type, body))
    pandoc = records[added.urls["pandoc"]]
    kinds = [kind for kind, _ in pandoc]
    # Fetched, fetched again unchanged (a revisit: its headers only), fetched once changed.
    assert kinds.count("response") == 2 and kinds.count("request") == 2
    assert kinds.count("revisit") == 1 and kinds.count("metadata") == 2
    bodies = [body for kind, body in pandoc if kind == "response"]
    assert bodies == [added.pages["pandoc"], added.pages["changed"]]
    assert [b for k, b in records[added.urls["pdf"]] if k == "response"] == [PDF]
    with (directory / warc_file(added, 1)).open("rb") as handle:
        handle.seek(warc_offset(added, 1))
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == added.urls["pandoc"]


def test_warc_gives_back_the_page_the_citations_were_read_from(
    added: Added, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    for name, value in added.workspace.env.items():
        if name.startswith("CITEWATCH_"):
            monkeypatch.setenv(name, value)
    assert main(["warc", "7"]) == 0
    assert capsysbinary.readouterr().out == added.pages["changed"]


def test_re_adding_an_unchanged_page_stores_no_revision(added: Added) -> None:
    run = added.runs["unchanged"]
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == (
        "Already stored as document 1 (revision 1); nothing changed."
    )
    assert "fetched as snapshot 6 (unchanged since the last fetch)" in run.out


def test_a_changed_page_is_revision_2_and_the_old_citations_stay(
    added: Added, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = added.runs["changed"]
    assert run.code == 0, run.err
    assert run.out.startswith("Added document 6 (revision 2): ")
    stored = {d.id: d for d in documents(added)}
    assert stored[6].previous_id == 1
    newest = cli_json(added, monkeypatch, capsys, "citations", added.urls["pandoc"])
    origin = added.origins["pandoc"]
    assert [(r["footnote"], r["url"]) for r in newest] == [
        (note, url) for note, url, *_ in cited("pandoc", origin)
    ] + [("5", "https://orda.kz/yensebek-house-arrest/")]
    assert newest[-1]["context"] == "He was released under house arrest on 14 February."
    assert len(cli_json(added, monkeypatch, capsys, "citations", "1")) == 7


def test_the_report_page_is_archived_but_not_watched_as_a_cited_link(added: Added) -> None:
    database = added.workspace.database()
    try:
        with database.session() as session:
            target = session.scalar(
                select(Target).where(Target.canonical_url == added.urls["pandoc"])
            )
            assert target is not None
            cited_times = session.scalar(
                select(func.count()).select_from(Citation).where(Citation.target_id == target.id)
            )
            assert cited_times == 0
            snapshots = list(
                session.scalars(select(Snapshot).where(Snapshot.target_id == target.id))
            )
            assert [(s.status, s.revisit_of_id) for s in snapshots] == [
                (200, None),
                (200, snapshots[0].id),
                (200, None),
            ]
            assert snapshots[0].title == (
                "Kazakhstan: satirist detained as the crackdown on critics widens"
            )
            runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            assert {(r.kind, r.status) for r in runs} == {("report", "finished")}
            assert len(runs) == 7 and all(r.evaluated_at is not None for r in runs)
    finally:
        database.dispose()


def warc_file(added: Added, snapshot_id: int) -> str:
    return str(_snapshot(added, snapshot_id).warc_file)


def warc_offset(added: Added, snapshot_id: int) -> int:
    return int(_snapshot(added, snapshot_id).warc_offset or 0)


def _snapshot(added: Added, snapshot_id: int) -> Snapshot:
    database = added.workspace.database()
    try:
        with database.session() as session:
            snapshot = session.get(Snapshot, snapshot_id)
            assert snapshot is not None
            session.expunge(snapshot)
            return snapshot
    finally:
        database.dispose()


# Addresses that must store nothing: (path or URL, what the server answers, the error).
REFUSED = {
    "not_found": ("/reports/withdrawn/", None, "HTTP 404 Not Found; nothing stored"),
    "private_address": (
        "http://127.0.0.1:8/internal/report",
        None,
        "refused by the crawl's safety rules or robots.txt (BlockedByPolicyError: 127.0.0.1 is "
        "a private, loopback, link-local or reserved address); nothing stored",
    ),
    "oversized": (
        "/reports/huge.html",
        Reply.html(b"<html><body><p>" + b"x" * (6 * 2**20) + b"</p></body></html>"),
        "the page is over the size limit (crawl.max_body_mb)",
    ),
    "not_a_report": (
        "/logo.png",
        Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(64), [("Content-Type", "image/png")]),
        "not an HTML page or a PDF (image/png); nothing stored",
    ),
    "dns_failure": ("http://reports.invalid/2025/", None, "the host name does not resolve"),
}


@dataclass
class Refused:
    workspace: Workspace
    runs: dict[str, Run]
    before: dict[str, int]
    after: dict[str, int]
    warc_files: list[Path]


def table_counts(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        with database.session() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Document, Citation, Target, Snapshot, CrawlRun)
            }
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Refused]:
    root = tmp_path_factory.mktemp("add-url-refused")
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}")
    database = workspace.database()
    database.upgrade()
    loaded = read_document(workspace.document(["https://vlast.kz/novosti/63501.html"]))
    with database.session() as session:
        add_document(session, loaded, extract_citations(loaded.parts), NOW)
    database.dispose()
    before = table_counts(workspace.database_url)
    with TestWeb() as web:
        host = web[0]
        runs = {}
        for name, (where, reply, _) in REFUSED.items():
            url = host.route(where, reply) if reply is not None else where
            runs[name] = workspace.cli("add", host.url(url) if url.startswith("/") else url)
    yield Refused(
        workspace,
        runs,
        before,
        table_counts(workspace.database_url),
        sorted(workspace.warc_directory.glob("*")),
    )


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_failed_fetch_says_why_in_one_line_and_stores_nothing(
    refused: Refused, name: str
) -> None:
    run = refused.runs[name]
    assert run.code == 4
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("citewatch: error: http")
    assert REFUSED[name][2] in lines[0]


def test_failed_fetches_leave_the_database_and_the_warc_files_as_they_were(
    refused: Refused,
) -> None:
    assert (
        refused.after
        == refused.before
        == {
            "documents": 1,
            "citations": 1,
            "targets": 1,
            "snapshots": 0,
            "crawl_runs": 0,
        }
    )
    assert refused.warc_files == []
