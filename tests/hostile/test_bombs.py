"""Small hostile files that inflate to hundreds of megabytes, run through the real CLI.

Every file is built here at run time: PDFs whose streams inflate to 300 MB or more (one stream;
deflated twice; ASCII85-wrapped; encrypted; six streams together), a 1 GB gzip bomb served as
a web page, a gzipped sitemap and feed that unpack to 1 GB, and a 37 MB sitemap of 300,000
entries. Each CLI run has MEMORY_MB of address space per process (RLIMIT_AS); before
these limits the same runs took 724 MB (PDF), 2.2 GB (replay) and 556 MB (sitemap).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import brotlicffi
import pytest
from pypdf import PdfWriter

from archive.decompress import CHUNK, decode_content
from archive.text import ExtractedText
from archive.workers import ExtractionPool
from models.kinds import Extraction
from tests.hostile.conftest import limited_cli, table_rows
from tests.support import FIXTURES
from tests.support.pages import YENSEBEK_RU, article_page
from tests.support.pdf_file import pdf_file
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

MB = 2**20
MEMORY_MB = 600  # per process; a CLI run needs about 150 MB resident, a crawl about 200 MB
PEAK_MB = 350  # the most any process of a run may have used
STREAM_REFUSED = "a PDF stream inflates beyond 100 MB (a decompression bomb?); not read"


def deflated(size: int, level: int = 9) -> bytes:
    """`size` spaces, deflated a megabyte at a time (never held inflated)."""
    packer = zlib.compressobj(level)
    parts = [packer.compress(b" " * MB) for _ in range(size // MB)]
    return b"".join([*parts, packer.flush()])


def gzipped(head: bytes, filler: int, tail: bytes) -> bytes:
    """head, `filler` spaces and tail, gzipped a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(head), *(packer.compress(b" " * MB) for _ in range(filler // MB))]
    return b"".join([*parts, packer.compress(tail), packer.flush()])


def pdf(streams: list[bytes], filters: str = "/FlateDecode") -> bytes:
    """A one-page PDF whose content is these streams, each with these filters."""
    font = len(streams) + 4
    contents = " ".join(f"{4 + n} 0 R" for n in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [{contents}] "
        f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode(),
        *(
            f"<< /Length {len(data)} /Filter {filters} >>\nstream\n".encode()
            + data
            + b"\nendstream"
            for data in streams
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def encrypted(document: bytes) -> bytes:
    """The PDF encrypted (AES-128) with an empty user password, as pdfminer opens unasked."""
    writer = PdfWriter(clone_from=io.BytesIO(document))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BOMBS: dict[str, Callable[[], bytes]] = {
    "one stream of 300 MB (306 KB)": lambda: pdf([deflated(300 * MB)]),
    "deflated twice (under 1 KB)": lambda: pdf(
        [zlib.compress(deflated(300 * MB), 9)], "[/FlateDecode /FlateDecode]"
    ),
    "ASCII85 around deflate": lambda: pdf(
        [base64.a85encode(deflated(300 * MB)) + b"~>"], "[/ASCII85Decode /FlateDecode]"
    ),
    "encrypted, empty password": lambda: encrypted(pdf([deflated(300 * MB)])),
}


@pytest.mark.parametrize("build", PDF_BOMBS.values(), ids=list(PDF_BOMBS))
def test_a_pdf_document_whose_stream_inflates_to_300_mb_is_refused(
    workspace: Workspace, build: Callable[[], bytes]
) -> None:
    path = workspace.root / "bomb.pdf"
    path.write_bytes(build())
    before = table_rows(workspace.database_url)
    run = limited_cli(workspace, "add", str(path), memory_mb=MEMORY_MB)
    assert run.code == 4, run.err
    assert run.err.strip() == f"citewatch: error: {path}: {STREAM_REFUSED}"
    assert run.peak_mb < PEAK_MB
    assert table_rows(workspace.database_url) == before


def test_a_pdf_whose_streams_together_inflate_beyond_500_mb_is_refused(
    workspace: Workspace,
) -> None:
    path = workspace.root / "many.pdf"
    path.write_bytes(pdf([deflated(90 * MB)] * 6))  # each under the limit for one stream
    run = limited_cli(workspace, "add", str(path), memory_mb=MEMORY_MB)
    assert run.code == 4
    assert "the PDF's streams inflate beyond 500 MB in all" in run.err
    assert run.peak_mb < PEAK_MB


def test_a_real_report_still_reads_under_the_same_memory_limit(workspace: Workspace) -> None:
    run = limited_cli(
        workspace, "add", str(FIXTURES / "documents" / "briefing.pdf"), memory_mb=MEMORY_MB
    )
    assert run.code == 0, run.err
    assert "116 notes" in run.out


def test_an_archived_pdf_bomb_fails_extraction_and_the_crawl_goes_on(
    web: TestWeb, workspace: Workspace
) -> None:
    bomb = web[3].route(
        "/report.pdf", Reply(200, pdf([deflated(300 * MB)]), [("Content-Type", "application/pdf")])
    )
    page = web[3].route("/news.html", Reply.html(article_page(YENSEBEK_RU)))
    assert workspace.cli("add", str(workspace.document([bomb, page]))).code == 0
    run = limited_cli(workspace, "archive", memory_mb=MEMORY_MB)
    assert run.code == 0, run.err
    assert run.peak_mb < PEAK_MB
    snapshots = workspace.snapshots_by_url()
    (refused,), (fine,) = snapshots[bomb], snapshots[page]
    assert (refused.outcome, refused.status, refused.extraction) == ("fetched", 200, "failed")
    assert refused.error == f"extraction: {STREAM_REFUSED}"
    assert fine.extraction == "ok" and fine.title == YENSEBEK_RU.title


@pytest.fixture
def gzip_bomb_snapshot(web: TestWeb, workspace: Workspace) -> tuple[int, bytes]:
    """An archived answer whose 1 MB gzip body inflates to 1 GB: refused by the crawl (over
    crawl.max_body_mb) and kept in the WARC as received."""
    body = gzipped(b"<html><body>", 1024 * MB, b"</body></html>")
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    url = web[3].route("/bomb.html", Reply(200, body, headers))
    assert workspace.cli("add", str(workspace.document([url]))).code == 0
    assert workspace.cli("archive").code == 0
    (snapshot,) = workspace.snapshots_by_url()[url]
    assert snapshot.outcome == "too_large" and snapshot.warc_file
    return snapshot.id, body


def test_warc_replay_of_a_gzip_bomb_stops_at_the_cap_and_writes_nothing(
    workspace: Workspace, gzip_bomb_snapshot: tuple[int, bytes]
) -> None:
    snapshot, _ = gzip_bomb_snapshot
    before = table_rows(workspace.database_url)
    output = workspace.root / "out" / "body.html"
    output.parent.mkdir()
    for destination in (["--output", str(output)], []):
        run = limited_cli(workspace, "warc", str(snapshot), *destination, memory_mb=MEMORY_MB)
        assert run.code == 1
        assert run.err.strip() == (
            f"citewatch: error: snapshot {snapshot}: the body decodes to over 100 MB "
            "(warc.max_replay_mb); nothing written (--raw gives the body as received, still "
            "encoded)"
        )
        assert run.out == ""
        assert run.peak_mb < PEAK_MB
    assert list(output.parent.iterdir()) == []  # no file, no temporary left behind
    assert table_rows(workspace.database_url) == before


def test_warc_raw_streams_the_body_as_received(
    workspace: Workspace, gzip_bomb_snapshot: tuple[int, bytes]
) -> None:
    snapshot, body = gzip_bomb_snapshot
    output = workspace.root / "body.html.gz"
    run = limited_cli(
        workspace, "warc", str(snapshot), "--raw", "--output", str(output), memory_mb=MEMORY_MB
    )
    assert run.code == 0, run.err
    assert run.err.strip() == f"wrote {len(body)} bytes to {output}"
    assert output.read_bytes() == body


SITEMAP_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def long_sitemap(origin: str, entries: int) -> bytes:
    """A sitemap of 125 bytes an entry (over the protocol's 50,000 entries, as some sites' are);
    entry N last modified 15 s after entry N - 1."""
    rows = [SITEMAP_HEAD, b"\n"]
    for n in range(entries):
        day, seconds = divmod(n * 15, 86400)
        hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
        rows.append(
            f"<url><loc>{origin}/news/{n}-sud-vynes-prigovor-zhurnalistu</loc><lastmod>2024-"
            f"{1 + day // 28:02d}-{day % 28 + 1:02d}T{hour:02d}:{minute:02d}:{second:02d}+05:00"
            "</lastmod></url>\n".encode()
        )
    return b"".join([*rows, b"</urlset>\n"])


def test_a_37_mb_sitemap_is_read_in_bounded_memory_newest_first(
    web: TestWeb, tmp_path: Path
) -> None:
    config = TEST_CONFIG + "\n[watch]\nmax_new_per_source = 3\n"
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
    site = web[1]
    body = long_sitemap(site.origin, 300_000)
    assert 36 * MB < len(body) < 40 * MB
    url = site.route(
        "/sitemap.xml.gz",
        Reply(200, gzip.compress(body, 6), [("Content-Type", "application/gzip")]),
    )
    del body
    assert workspace.cli("source", "add", url, "--kind", "sitemap").code == 0
    run = limited_cli(workspace, "watch", memory_mb=MEMORY_MB)
    assert run.code == 0, run.err
    assert run.peak_mb < PEAK_MB
    [source] = json.loads(workspace.cli("source", "list", "--format", "json").out)
    assert (source["state"], source["last_new"]) == ("ok", 3)
    assert len(table_rows(workspace.database_url)["articles"]) == 3
    fetched = sorted(seen.path for seen in site.seen if seen.path.startswith("/news/"))
    assert fetched == [
        f"/news/{n}-sud-vynes-prigovor-zhurnalistu" for n in (299997, 299998, 299999)
    ]


def test_gzipped_sitemap_and_feed_bombs_are_refused_and_recorded(
    web: TestWeb, workspace: Workspace
) -> None:
    site = web[2]
    packed = [("Content-Type", "application/gzip")]
    sitemap = site.route(
        "/sitemap.xml.gz", Reply(200, gzipped(SITEMAP_HEAD, 1024 * MB, b"</urlset>"), packed)
    )
    feed = site.route(
        "/rss.xml.gz",
        Reply(
            200,
            gzipped(
                b'<?xml version="1.0"?><rss version="2.0"><channel>', 1024 * MB, b"</channel></rss>"
            ),
            packed,
        ),
    )
    for url, kind in ((sitemap, "sitemap"), (feed, "feed")):
        assert workspace.cli("source", "add", url, "--kind", kind).code == 0
    before = table_rows(workspace.database_url)
    run = limited_cli(workspace, "watch", memory_mb=MEMORY_MB)
    assert run.code == 0, run.err
    assert run.peak_mb < PEAK_MB
    sources = workspace.cli("source", "list", "--format", "json")
    states = {row["url"]: row["state"] for row in json.loads(sources.out)}
    assert states == {
        sitemap: "failing (1x): sitemap unpacks to over 50 MB; not read",
        feed: "failing (1x): feed unpacks to over 10 MB; not read",
    }
    after = table_rows(workspace.database_url)
    assert after["articles"] == [] and after["targets"] == before["targets"]


def test_decoders_hand_out_bounded_chunks_whatever_the_ratio() -> None:
    packer = brotlicffi.Compressor(quality=5)
    bomb = b"".join([*(packer.process(b"\0" * MB) for _ in range(256)), packer.finish()])
    assert len(bomb) < 10_000
    sizes = [len(chunk) for chunk in decode_content([bomb], "br")]
    assert sum(sizes) == 256 * MB and max(sizes) <= CHUNK
    sizes = [len(chunk) for chunk in decode_content([gzip.compress(b"\0" * 64 * MB)], "gzip")]
    assert sum(sizes) == 64 * MB and max(sizes) <= CHUNK


def hog(body: bytes, content_type: str | None, url: str) -> ExtractedText:
    """Text extraction that allocates as many MB as the payload says (a library gone wrong)."""
    return ExtractedText(Extraction.OK, text=str(len(bytearray(int(body) * MB))))


def test_an_extraction_worker_past_its_memory_limit_fails_that_payload_only() -> None:
    async def run() -> list[ExtractedText]:
        pool = ExtractionPool(workers=1, timeout=30, function=hog, memory_limit=512 * MB)
        try:
            return [
                await pool.extract(size, "text/html", "https://x.kz/") for size in (b"1024", b"10")
            ]
        finally:
            pool.close()

    greedy, modest = asyncio.run(run())
    assert (greedy.status, greedy.error) == (Extraction.FAILED, "extraction ran out of memory")
    assert (modest.status, modest.text) == (Extraction.OK, str(10 * MB))
