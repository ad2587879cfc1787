"""The document commands as users run them, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from citations.canonical import canonical_url
from citations.document import read_document
from citations.extract import Citation as Found
from citations.extract import extract_citations
from citations.ingest import add_document
from cli import main
from models import Citation, Database, DatabaseError, Document, Snapshot, Target
from tests.support import EXAMPLE, ROOT
from tests.support.intercept import EveryHost
from tests.support.offline import with_guard
from tests.support.pages import ARTICLES, article_page
from tests.support.web import NOT_FOUND_PAGE, Reply

NOW = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_add_stores_the_briefing_and_says_what_it_found(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Added document 1 (revision 1): BRIEFING PAPER FOR EU-KAZAKHSTAN" in out
    # 131 written note-URL pairs, note 83's pointer, the two addresses on the cover page.
    assert "116 notes, 134 citations, 112 unique targets on 42 hosts" in out

    documents = run_json(capsys, "documents")
    assert [
        (d["id"], d["format"], d["revision"], d["notes"], d["citations"]) for d in documents
    ] == [(1, "txt", 1, 116, 134)]


def test_re_adding_the_same_file_changes_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = tmp_path / "renamed.txt"
    shutil.copy(EXAMPLE, copy)
    assert main(["add", str(EXAMPLE)]) == 0
    assert main(["add", str(EXAMPLE)]) == 0
    assert main(["add", str(copy)]) == 0
    out = capsys.readouterr().out
    assert out.count("Already stored as document 1 (revision 1); nothing changed.") == 2
    assert len(run_json(capsys, "documents")) == 1


def test_a_changed_file_is_a_new_revision_and_the_old_citations_stay(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "briefing.txt"
    path.write_text("Arrested.¹\n\n¹ https://vlast.kz/novosti/1.html\n", encoding="utf-8")
    assert main(["add", str(path), "--title", "Draft"]) == 0
    path.write_text(
        "Arrested.¹ Released.²\n\n¹ https://vlast.kz/novosti/1.html\n² https://orda.kz/2/\n",
        encoding="utf-8",
    )
    assert main(["add", str(path)]) == 0
    assert "Added document 2 (revision 2)" in capsys.readouterr().out

    documents = run_json(capsys, "documents")
    assert [(d["id"], d["title"], d["revision"], d["citations"]) for d in documents] == [
        (1, "Draft", 1, 1),
        (2, "Arrested.¹ Released.²", 2, 2),
    ]
    old = run_json(capsys, "citations", "1")
    new = run_json(capsys, "citations", "2")
    assert [c["url"] for c in old] == ["https://vlast.kz/novosti/1.html"]
    assert [c["url"] for c in new] == ["https://vlast.kz/novosti/1.html", "https://orda.kz/2/"]
    assert old[0]["target_id"] == new[0]["target_id"]  # one target shared by both revisions


def test_citations_of_a_file_are_listed_without_storing_it(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = run_json(capsys, "citations", str(EXAMPLE))
    by_note = {row["footnote"]: row for row in rows if row["footnote"]}
    assert by_note["14"] == {
        "position": 15,
        "footnote": "14",
        "url": "https://rus.azattyk.org/a/v-kazahstane-politseyskih-osudili-na-3-goda-za-primenenii-v-yanvare-2022-go-pytok-k-zaderzhannym-v-chisle-kotoryh---muzykant-iz-kr-ruzahunov/33279291.html",
        "canonical_url": "https://rus.azattyk.org/a/v-kazahstane-politseyskih-osudili-na-3-goda-za-primenenii-v-yanvare-2022-go-pytok-k-zaderzhannym-v-chisle-kotoryh---muzykant-iz-kr-ruzahunov/33279291.html",
        "context": "The court partially satisfied claims for moral damages filed by several victims.",
        "link_text": None,
        "refers_to": None,
    }
    assert (
        by_note["27"]["canonical_url"]
        == "https://www.facebook.com/toregozhina/posts/8717174274961747"
    )
    assert (
        by_note["10"]["url"]
        == "https://iphronline.org/countries/kazakhstan/?mark[]=civicus-monitor"
    )
    assert by_note["83"]["refers_to"] == "82"
    assert main(["documents", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_csv_and_table_output(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that no URL wraps
    assert main(["citations", str(EXAMPLE), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 134
    assert (
        rows[2]["footnote"] == "1"
        and rows[2]["url"] == "https://monitor.civicus.org/country/kazakhstan/"
    )
    assert main(["citations", str(EXAMPLE)]) == 0
    table = capsys.readouterr().out
    assert "│ 10   │ https://iphronline.org/countries/kazakhstan/?mark[]=civicus-monitor " in table
    assert (
        "│ 83   │ https://iphronline.org/wp-content/uploads/2024/04/briefing-paper-for-eu-kazakhstan-hr-dialogue-april-2024.pdf"
        in table
    )


def test_unknown_document_id(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citations", "42"]) == 1
    assert "no stored document with id 42" in capsys.readouterr().err


def test_one_transaction_per_document(database: Database) -> None:
    """A failure while storing leaves no document, citation or target behind."""
    loaded = read_document(EXAMPLE)
    extraction = extract_citations(loaded.parts)
    last = extraction.citations[-1]
    # A second citation at the same position violates a unique constraint at the very end.
    extraction.citations.append(
        Found(last.position, "117", "https://new.kz/a", "https://new.kz/a", "")
    )
    with pytest.raises(DatabaseError), database.session() as session:
        add_document(session, loaded, extraction, NOW)
    with database.session() as session:
        for model in (Document, Citation, Target):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def run_main_job(home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """The installed `citewatch` command, as the README's Quick start runs it, in a clean
    environment (the network guard added): politeness off, no public-archive lookups."""
    script = Path(sys.executable).with_name("citewatch")
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "COLUMNS": "300",
        "CITEWATCH_CRAWL_DELAY": "0",  # the polite default takes a minute here
        "CITEWATCH_CRAWL_AUTOTHROTTLE": "false",
        "CITEWATCH_CHECK_MEMENTO": "false",
        **settings,
    }
    return subprocess.run(
        [str(script), "--home", str(home / "data"), "run", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
        env=with_guard(environment),
    )


def test_console_script_runs_the_main_job(tmp_path: Path) -> None:
    """The Quick start's job with every host the briefing cites served locally: a proxy that
    is all 42 sites at once (HTTPS tunnels included) answers each cited page with an article,
    note 85's page with 410 Gone, anything else with 404."""
    cited = {c.canonical_url for c in extract_citations(read_document(EXAMPLE).parts).citations}
    gone = "https://exclusive.kz/verhovnyj-sud-otkazal-v-rassmotrenii-zhaloby-marata-zhylanbaeva/"
    assert gone in cited and len(cited) == 112

    def answer(url: str) -> Reply:
        canonical = canonical_url(url)
        if canonical == gone:
            return Reply.html(NOT_FOUND_PAGE, status=410)
        if canonical in cited:
            return Reply.html(article_page(ARTICLES[sorted(cited).index(canonical) % 4]))
        return Reply.html(NOT_FOUND_PAGE, status=404)  # probes of random sibling URLs

    with EveryHost(answer) as web:
        result = run_main_job(tmp_path, CITEWATCH_CRAWL_PROXY=web.url)

    assert result.returncode == 0, result.stderr
    assert "116 notes, 134 citations, 112 unique targets on 42 hosts" in result.stdout
    assert "Crawl run 1" in result.stdout
    assert re.search(r"│ archived 200 +│ 111 +│", result.stdout)
    assert "degraded" not in result.stderr
    assert cited <= {canonical_url(url) for url in web.seen}  # every target asked for, here
    report = result.stdout[result.stdout.index("┃ Note ┃ URL as cited") :]
    for note in ("1", "14", "83", "116"):  # one row per note, alive with our copy
        assert re.search(rf"│ {note} +│ https://\S+ +│ alive +│ ok +│ #\d+ +│", report), note
    assert re.search(r"│ 85 +│ exclusive\.kz/verhovnyj-sud\S+ +│ \w+ +│ gone +│", report)

    database = Database(f"sqlite:///{tmp_path / 'data' / 'citewatch.db'}")
    try:
        with database.session() as session:
            query = select(Target.canonical_url, Snapshot.status).join(Target)
            statuses = dict(session.execute(query).all())
    finally:
        database.dispose()
    assert statuses == {url: 410 if url == gone else 200 for url in cited}
    responses = [
        record.rec_headers.get_header("WARC-Target-URI")
        for path in sorted((tmp_path / "data" / "warcs").glob("*.warc.gz"))
        for record in ArchiveIterator(path.open("rb"))
        if record.rec_type == "response"
    ]
    assert cited <= {canonical_url(url) for url in responses}


def test_without_the_internet_the_main_job_is_an_outage(tmp_path: Path) -> None:
    """With no way out (the network guard refuses every name), every source fails to
    resolve: the run is recognised as an outage, and none of it counts against the links."""
    result = run_main_job(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "116 notes, 134 citations" in result.stdout
    assert "Crawl run 1" in result.stdout  # archived (or tried to)
    assert "was degraded" in result.stderr  # offline: an outage, not 112 dead links
    report = result.stdout[result.stdout.index("┃ Note ┃ URL as cited") :]
    row = r"│ 85 +│ exclusive\.kz/verhovnyj-sud-otkazal-v-rassmotrenii-zhaloby-marata-zhylanbaeva/ +│ unknown +│ unreachable +│"
    assert re.search(row, report)
    assert (tmp_path / "data" / "citewatch.db").is_file()
