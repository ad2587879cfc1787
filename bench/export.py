"""Evidence speed: exporting 1,000 captures as a WACZ package, and verifying the archive.

Writes 1,000 captures of 50 KB HTML pages (text of varied words, which gzip shrinks about 3x, as it
does real articles) to WARC files through citewatch's own writer, indexed in SQLite as one document
citing 1,000 sources. Then measures, with a signing key and no TSA:

- `export`: seconds and MB/s (WARC bytes packed per second);
- `verify --all`: MB/s of WARC files read, every record's block and payload digests and every
  file's SHA-256 recomputed, against `sha256sum` reading the same files (target: at least half
  its speed);
- `verify FILE.wacz`: MB/s of package read.

    .venv/bin/python bench/export.py [--captures 1000] [--kb 50]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.warc import HttpExchange, WarcWriter  # noqa: E402
from config import Config  # noqa: E402
from evidence.export import Selection, export_document  # noqa: E402
from evidence.keys import create_key  # noqa: E402
from evidence.seal import seal  # noqa: E402
from evidence.verify import Trust, verify_archive, verify_package  # noqa: E402
from models import Citation, Database, Document, Snapshot, Target  # noqa: E402
from models.kinds import LinkState, Outcome, Verdict  # noqa: E402

START = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
REPEAT = 7
SYLLABLE_TEXT = (
    "ка ра ма на та са ла да ба ва за па ко ро мо но то со ло до бо во ки ри ми ни ти си ли ди "
    "ку ру му ну ту су лу ду қа құ ғы ің ес ар ан ет ыр ol an er in at on es de ri ta ma ko"
)
SYLLABLES = SYLLABLE_TEXT.split()


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    """Words of two to four syllables: text that gzip shrinks about 3x, as articles."""
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)]


def page(index: int, size: int, rng: random.Random, words: list[str]) -> bytes:
    """An article page of about `size` bytes."""
    head = f"<html><head><title>Article {index}</title></head><body><article><p>"
    chosen: list[str] = []
    length = len(head)
    while length < size - 30:
        word = rng.choice(words)
        chosen.append(word)
        length += len(word.encode()) + 1
    return (head + " ".join(chosen) + "</p></article></body></html>").encode()[:size]


def build(config: Config, database: Database, captures: int, size: int) -> int:
    """The WARC files and the index: one document citing `captures` sources, one capture each."""
    rng = random.Random(7)
    words = vocabulary(rng)
    database.ensure_schema()
    with database.session() as session:
        document = Document(
            title="Benchmark briefing",
            source_name="bench.txt",
            content_hash=hashlib.sha256(b"bench-export").hexdigest(),
            format="txt",
            size_bytes=1,
            note_count=captures,
            added_at=START,
        )
        session.add(document)
        session.flush()
        writer = WarcWriter(config.warc_directory, max_bytes=200 * 2**20, clock=lambda: START)
        for i in range(captures):
            url = f"https://site{i % 40}.example/news/{i}.html"
            body = page(i, size, rng, words)
            fetched = START + timedelta(seconds=i)
            exchange = HttpExchange(
                url, "GET", [("User-Agent", "citewatch")], 200, "OK",
                [("Content-Type", "text/html; charset=utf-8")], body, fetched,
            )  # fmt: skip
            response, _ = writer.write_exchange(exchange)
            target = Target(
                canonical_url=url,
                url_hash=hashlib.sha256(url.encode()).hexdigest(),
                host=f"site{i % 40}.example",
                first_cited_at=START,
                state=LinkState.ALIVE,
            )
            session.add(target)
            session.flush()
            session.add(
                Citation(
                    document_id=document.id, position=i, footnote=str(i + 1), url=url,
                    canonical_url=url, target_id=target.id, context="",
                )
            )  # fmt: skip
            session.add(
                Snapshot(
                    target_id=target.id, fetched_at=fetched, outcome=Outcome.FETCHED,
                    status=200, final_url=url, content_type="text/html",
                    content_length=len(body), payload_sha256=hashlib.sha256(body).hexdigest(),
                    warc_file=response.filename, warc_offset=response.offset,
                    warc_length=response.length, warc_record_id=response.record_id,
                    verdict=Verdict.OK, title=f"Article {i}",
                )
            )  # fmt: skip
        writer.close()
        return int(document.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=50)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="citewatch-bench-export-"))
    try:
        config = Config(home=home)
        database = Database(config.database_url)
        document_id = build(config, database, args.captures, args.kb * 1000)
        warcs = sorted(config.warc_directory.glob("*.warc.gz"))
        warc_mb = sum(p.stat().st_size for p in warcs) / 2**20
        print(
            f"{args.captures} captures of {args.kb} KB: {len(warcs)} WARC files, {warc_mb:.1f} MB"
        )
        key = create_key(config.signing_key_path)
        seal(database, config, START)
        package = home / "bench.wacz"
        started = time.perf_counter()
        summary = export_document(database, config, document_id, Selection(), package, key, START)
        seconds = time.perf_counter() - started
        package_mb = summary.size / 2**20
        print(
            f"export: {summary.captures} captures, {summary.records} records, {package_mb:.1f} MB "
            f"in {seconds:.2f} s ({warc_mb / seconds:.0f} MB/s of WARC data)"
        )
        trust = Trust(our_key=key.public)
        verify_seconds, sha_seconds = [], []
        for _ in range(REPEAT):  # the median of a few runs: a 17 MB run takes a tenth of a second
            with database.session() as session:
                report = verify_archive(session, config, trust)
            assert report.ok, [p.line() for p in report.problems]
            verify_seconds.append(report.seconds)
            started = time.perf_counter()
            subprocess.run(["sha256sum", *map(str, warcs)], check=True, capture_output=True)
            sha_seconds.append(time.perf_counter() - started)
        verify_rate = report.bytes / 2**20 / statistics.median(verify_seconds)
        sha_rate = warc_mb / statistics.median(sha_seconds)
        print(
            f"verify --all: {report.records} records, {report.bytes / 2**20:.1f} MB, median of "
            f"{REPEAT} runs {statistics.median(verify_seconds):.3f} s = {verify_rate:.0f} MB/s; "
            f"sha256sum of the same files: {sha_rate:.0f} MB/s; ratio "
            f"{verify_rate / sha_rate:.2f} (target >= 0.5)"
        )
        checked = verify_package(package, trust)
        assert checked.ok, [p.line() for p in checked.problems]
        print(
            f"verify FILE.wacz: {checked.records} records, {package_mb:.1f} MB in "
            f"{checked.seconds:.2f} s = {package_mb / checked.seconds:.0f} MB/s"
        )
        database.dispose()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
