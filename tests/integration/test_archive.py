"""`citewatch archive` against the local test web, as users run it: a crawl in a subprocess.

One crawl per database backend archives a briefing whose notes cite well-behaved and
misbehaving pages; the tests then read the database rows and the WARC records back.
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import warc_digest_to_hex
from models import Snapshot
from tests.support import FIXTURES
from tests.support.databases import postgres_schema_url
from tests.support.pages import (
    MUBARAKOV_EN,
    YENSEBEK_KK,
    YENSEBEK_RU,
    ZHYLANBAEV_RU,
    article_page,
    home_page,
)
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import Workspace

WARCIO = str(Path(sys.executable).with_name("warcio"))
PDF = (FIXTURES / "documents" / "briefing.pdf").read_bytes()


@dataclass
class Site:
    """The pages one test crawl cites, by name, and the hosts that serve them."""

    web: TestWeb
    secret: TestWeb
    urls: dict[str, str]
    bodies: dict[str, bytes]


def build_site(web: TestWeb, secret: TestWeb) -> Site:
    vlast, azattyq, orda, misc = web.hosts
    secret_port = secret[0].port
    ru_page = gzip.compress(article_page(YENSEBEK_RU).encode("utf-8"))
    cp1251 = article_page(ZHYLANBAEV_RU).encode("cp1251")
    busy_calls: list[Seen] = []

    def busy(seen: Seen) -> Reply:
        busy_calls.append(seen)
        if len(busy_calls) == 1:
            return Reply.html(
                "<h1>Too many requests</h1>", status=429, headers=[("Retry-After", "1")]
            )
        return Reply.html(article_page(MUBARAKOV_EN))

    urls = {
        "ru_gzip": vlast.route(
            "/novosti/63501.html",
            Reply(
                200,
                ru_page,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            ),
        ),
        "kk": azattyq.route("/kk/a/33280376.html", Reply.html(article_page(YENSEBEK_KK))),
        "en_chunked": azattyq.route(
            "/a/33143196.html", Reply.html(article_page(MUBARAKOV_EN), chunked=True)
        ),
        "cp1251_undeclared": orda.route("/zhylanbaev/", Reply.html(cp1251, charset=None)),
        "cp1251_lying": orda.route("/zhylanbaev-2/", Reply.html(cp1251, charset="utf-8")),
        "pdf": misc.route(
            "/files/briefing.pdf", Reply(200, PDF, [("Content-Type", "application/pdf")])
        ),
        "chain": vlast.route("/old/1", Reply.redirect(vlast.url("/old/2"), 301)),
        "loop": vlast.route("/loop/a", Reply.redirect(vlast.url("/loop/b"))),
        "to_home": orda.route("/deleted-article/", Reply.redirect(orda.url("/"), 301)),
        "internal_ip": misc.route("/go", Reply.redirect(f"http://127.0.0.1:{secret_port}/admin")),
        "internal_name": misc.route(
            "/go-name", Reply.redirect(f"http://localhost:{secret_port}/admin")
        ),
        "not_found": vlast.route(
            "/novosti/404.html", Reply.html("<h1>Не найдено</h1>", status=404)
        ),
        "gone": vlast.route("/novosti/410.html", Reply.html("<h1>Удалено</h1>", status=410)),
        "server_error": azattyq.route(
            "/a/500.html", Reply.html("<h1>Internal error</h1>", status=500)
        ),
        "busy": orda.route("/busy/", busy),
        "maintenance": orda.route(
            "/maintenance/", Reply.html("down", status=503, headers=[("Retry-After", "3600")])
        ),
        "slow": misc.route("/slow", Reply.html(article_page(YENSEBEK_RU), delay=4)),
        "reset": misc.route("/reset", Reply(action="reset")),
        "oversized": misc.route(
            "/huge", Reply(200, b"x" * (6 * 2**20), [("Content-Type", "text/plain")])
        ),
        "gzip_bomb": misc.route(
            "/bomb.gz",
            Reply(
                200,
                gzip.compress(b"\0" * (40 * 2**20), 1),
                [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            ),
        ),
        "dns": "http://nonexistent.invalid/novosti/1.html",
    }
    vlast.route("/old/2", Reply.redirect(azattyq.url("/a/33143196.html"), 302))
    vlast.route("/loop/b", Reply.redirect(vlast.url("/loop/a")))
    orda.route("/", Reply.html(home_page("Orda.kz")))
    bodies = {"ru_gzip": ru_page, "cp1251_undeclared": cp1251, "pdf": PDF}
    return Site(web, secret, urls, bodies)


@dataclass
class Crawl:
    workspace: Workspace
    site: Site
    first: dict[str, Snapshot]
    out: str


def sqlite_url(root: Path) -> Iterator[str]:
    yield f"sqlite:///{root / 'citewatch.db'}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def crawl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawl]:
    root = tmp_path_factory.mktemp(f"archive-{request.param}")
    urls = sqlite_url(root) if request.param == "sqlite" else postgres_schema_url()
    database_url = next(urls)
    try:
        with TestWeb() as web, TestWeb(["127.0.0.1"]) as secret:
            site = build_site(web, secret)
            workspace = Workspace(root, database_url)
            assert workspace.cli("add", str(workspace.document(site.urls.values()))).code == 0
            run = workspace.cli("archive")
            assert run.code == 0, run.err
            snapshots = workspace.snapshots_by_url()
            first = {name: snapshots[url][0] for name, url in site.urls.items()}
            yield Crawl(workspace, site, first, run.out)
    finally:
        urls.close()  # drops the PostgreSQL schema


def test_every_cited_page_gets_one_snapshot_with_its_outcome(crawl: Crawl) -> None:
    results = {name: (s.outcome, s.status) for name, s in crawl.first.items()}
    assert results == {
        "ru_gzip": ("fetched", 200),
        "kk": ("fetched", 200),
        "en_chunked": ("fetched", 200),
        "cp1251_undeclared": ("fetched", 200),
        "cp1251_lying": ("fetched", 200),
        "pdf": ("fetched", 200),
        "chain": ("fetched", 200),
        "loop": ("redirect_loop", 302),
        "to_home": ("fetched", 200),
        "internal_ip": ("policy", 302),
        "internal_name": ("policy", 302),
        "not_found": ("fetched", 404),
        "gone": ("fetched", 410),
        "server_error": ("fetched", 500),
        "busy": ("fetched", 200),
        "maintenance": ("fetched", 503),
        "slow": ("timeout", None),
        "reset": ("reset", None),
        "oversized": ("too_large", None),
        "gzip_bomb": ("too_large", 200),
        "dns": ("dns_failure", None),
    }
    summary = crawl.out
    assert (
        "archived 200" in summary
        and "dns_failure" in summary
        and "Not archived as cited" in summary
    )


def test_main_text_and_metadata_are_extracted(crawl: Crawl) -> None:
    ru, kk, en, pdf = (crawl.first[n] for n in ("ru_gzip", "kk", "en_chunked", "pdf"))
    assert ru.extraction == "ok" and ru.language == "ru"
    assert ru.title == YENSEBEK_RU.title
    assert ru.author == YENSEBEK_RU.author and ru.published == YENSEBEK_RU.date
    assert "Медеуский районный суд Алматы санкционировал арест" in (ru.text or "")
    for boilerplate in ("Курс тенге", "Все права", "Подписка", "Просмотров"):
        assert boilerplate not in (ru.text or "")
    assert kk.language == "kk" and "Темірлан Еңсебек" in (kk.text or "")
    assert en.language == "en" and "Aidar Mubarakov" in (en.text or "")
    assert pdf.content_type == "application/pdf" and "BRIEFING PAPER FOR EU-KAZAKHSTAN" in (
        pdf.text or ""
    )
    for name in ("slow", "not_found", "dns"):
        assert crawl.first[name].extraction == "skipped"


def test_pages_with_missing_or_lying_charsets_decode_correctly(crawl: Crawl) -> None:
    for name in ("cp1251_undeclared", "cp1251_lying"):
        snapshot = crawl.first[name]
        assert "Верховный суд Казахстана отказал" in (snapshot.text or ""), name
        assert snapshot.title == ZHYLANBAEV_RU.title


def test_redirect_chains_are_recorded_hop_by_hop(crawl: Crawl) -> None:
    chain = crawl.first["chain"]
    assert [(hop["url"], hop["status"]) for hop in chain.redirect_chain] == [
        (crawl.site.urls["chain"], 301),
        (crawl.site.web[0].url("/old/2"), 302),
        (crawl.site.urls["en_chunked"], 200),
    ]
    assert chain.final_url == crawl.site.urls["en_chunked"]
    home = crawl.first["to_home"]
    assert home.final_url == crawl.site.web[2].url("/")
    assert len(crawl.first["loop"].redirect_chain) == 11  # ten redirects followed, then given up


def test_no_hop_reaches_an_internal_address(crawl: Crawl) -> None:
    assert crawl.site.secret[0].seen == []
    assert "127.0.0.1 is a private, loopback" in (crawl.first["internal_ip"].error or "")
    assert "localhost resolves to 127.0.0.1" in (crawl.first["internal_name"].error or "")


def test_politeness_retries_and_limits(crawl: Crawl) -> None:
    orda, azattyq, misc = crawl.site.web[2], crawl.site.web[1], crawl.site.web[3]
    busy = orda.requests_to("/busy/")
    assert len(busy) == 2 and busy[1].at - busy[0].at >= 0.95  # Retry-After: 1 honoured
    assert len(orda.requests_to("/maintenance/")) == 1  # Retry-After: 3600 is beyond the limit
    assert len(azattyq.requests_to("/a/500.html")) == 2  # one retry for a transient 500
    assert len(crawl.site.web[0].requests_to("/novosti/404.html")) == 1  # a 404 is not retried
    assert len(misc.requests_to("/slow")) == 2  # a timeout is retried once
    assert len(misc.requests_to("/reset")) >= 2  # so is a reset (Twisted may add a try of its own)
    agent = crawl.site.web[0].requests_to("/novosti/63501.html")[0].headers["User-Agent"]
    assert agent.startswith("Mozilla/5.0") and "citewatch" in agent
    accepted = crawl.site.web[0].requests_to("/novosti/63501.html")[0].headers["Accept-Encoding"]
    assert accepted == "gzip, deflate"  # what standard WARC tools can decode
    for name in ("oversized", "gzip_bomb"):
        assert "max size" in (crawl.first[name].error or "").lower().replace("maxsize", "max size")


def warc_records(directory: Path) -> list[tuple[Path, int, object]]:
    found = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                record.content_stream().read()
                found.append((path, iterator.get_record_offset(), record))
    return found


def test_warc_records_are_the_evidence(crawl: Crawl) -> None:
    directory = crawl.workspace.warc_directory
    files = sorted(directory.glob("*"))
    assert files and all(
        f.name.startswith("citewatch-") and f.name.endswith(".warc.gz") for f in files
    )
    for path in files:
        assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0
    records = warc_records(directory)
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for _, _, r in records}  # type: ignore[attr-defined]
    first_types = {path: None for path, _, _ in records}
    for path, _, record in records:
        if first_types[path] is None:
            first_types[path] = record.rec_type  # type: ignore[attr-defined]
    assert set(first_types.values()) == {"warcinfo"}

    for name, snapshot in crawl.first.items():
        if snapshot.warc_file is None:
            assert name in ("slow", "reset", "oversized", "dns"), name
            continue
        with (directory / snapshot.warc_file).open("rb") as handle:
            handle.seek(snapshot.warc_offset or 0)
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Record-ID") == snapshot.warc_record_id
            assert (
                warc_digest_to_hex(record.rec_headers.get_header("WARC-Payload-Digest"))
                == snapshot.payload_sha256
            )
            raw = record.raw_stream.read()
        assert hashlib.sha256(raw).hexdigest() == snapshot.payload_sha256
        assert len(raw) == snapshot.content_length
        if name in crawl.site.bodies:
            assert (
                raw == crawl.site.bodies[name]
            )  # the bytes as sent, still gzip-encoded for ru_gzip
        requests = [
            r
            for r in by_id.values()
            if r.rec_headers.get_header("WARC-Concurrent-To") == snapshot.warc_record_id
        ]  # type: ignore[attr-defined]
        assert len(requests) == 1 and requests[0].rec_type == "request"  # type: ignore[attr-defined]
        metadata = [
            r
            for r in by_id.values()
            if r.rec_type == "metadata"
            and r.rec_headers.get_header("WARC-Refers-To") == snapshot.warc_record_id
        ]  # type: ignore[attr-defined]
        assert len(metadata) == 1


def test_metadata_records_name_the_snapshot(crawl: Crawl) -> None:
    snapshot = crawl.first["kk"]
    for _, _, record in warc_records(crawl.workspace.warc_directory):
        if (
            record.rec_type == "metadata"
            and record.rec_headers.get_header("WARC-Refers-To") == snapshot.warc_record_id
        ):  # type: ignore[attr-defined]
            break
    else:
        raise AssertionError("no metadata record for the snapshot")
    with (crawl.workspace.warc_directory / snapshot.warc_file).open("rb") as handle:  # type: ignore[operator]
        for candidate in ArchiveIterator(handle):
            if (
                candidate.rec_type == "metadata"
                and candidate.rec_headers.get_header("WARC-Refers-To") == snapshot.warc_record_id
            ):
                fields = candidate.content_stream().read().decode()
                break
    assert f"citewatch-snapshot-id: {snapshot.id}" in fields
    assert f"citewatch-target-id: {snapshot.target_id}" in fields


def test_show_text_and_warc_commands(crawl: Crawl, tmp_path: Path) -> None:
    workspace, ru = crawl.workspace, crawl.first["ru_gzip"]
    cited_differently = (
        crawl.site.urls["ru_gzip"].replace("http://", "HTTP://") + "?utm_source=tg#top"
    )
    shown = workspace.cli("show", cited_differently)
    assert shown.code == 0 and "archived 200" in shown.out and f"│ {ru.id} " in shown.out
    text = workspace.cli("text", str(ru.id))
    assert (
        text.code == 0
        and text.out.startswith(YENSEBEK_RU.title)
        and "Айгерим Тулешова · 2025-01-18 · ru" in text.out
    )
    output = tmp_path / "page.html"
    assert workspace.cli("warc", str(ru.id), "--output", str(output)).code == 0
    assert output.read_text(encoding="utf-8") == article_page(YENSEBEK_RU)
    raw = workspace.cli("warc", str(ru.id), "--raw", "--output", str(tmp_path / "raw.gz"))
    assert raw.code == 0 and (tmp_path / "raw.gz").read_bytes() == crawl.site.bodies["ru_gzip"]
    missing = workspace.cli("text", str(crawl.first["dns"].id))
    assert missing.code == 1 and "has no extracted text (extraction: skipped" in missing.err
