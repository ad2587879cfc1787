"""Evidence over three nights, as a researcher preparing a court submission meets it.

Night 1 archives a briefing's sources with a signing key and a Time-Stamp Authority; on night 2
the TSA is down (the run succeeds, its WARC file waits for a token); on night 3 the TSA is back
and the waiting file is stamped. Then the briefing is exported as WACZ packages, which
Webrecorder's own validator accepts and a third party checks with openssl alone.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.evidence import WARC, EvidenceFile
from tests.support.databases import postgres_schema_url
from tests.support.mounts import tmpfs
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_RU, article_page
from tests.support.tsa import LocalTsa
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Run, Workspace

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
WACZ = str(Path(sys.executable).with_name("wacz"))
ARTICLE_TEXT = "Медеуский районный суд Алматы санкционировал арест"


def night(n: int) -> str:
    """Each night a few seconds earlier than a whole day after the one before."""
    return (FIRST_NIGHT + timedelta(days=n - 1) - timedelta(seconds=5 * (n - 1))).isoformat()


@dataclass
class Story:
    workspace: Workspace
    tsa: LocalTsa
    urls: dict[str, str]
    runs: dict[str, Run]
    not_modified: list[int]

    def cli(self, *args: str) -> Run:
        return self.workspace.cli("--now", night(3), *args)

    def evidence_files(self) -> list[EvidenceFile]:
        database = self.workspace.database()
        try:
            with database.session() as session:
                rows = list(session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
                session.expunge_all()
                return rows
        finally:
            database.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def story(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    session_tsa: LocalTsa,
) -> Iterator[Story]:
    root = tmp_path_factory.mktemp(f"evidence-{request.param}")
    urls = (
        iter([f"sqlite:///{root / 'citewatch.db'}"])
        if request.param == "sqlite"
        else postgres_schema_url()
    )
    try:
        yield from _play(root, next(urls), session_tsa)
    finally:
        close = getattr(urls, "close", None)
        if close is not None:
            close()  # drops the PostgreSQL schema


def _play(root: Path, database_url: str, session_tsa: LocalTsa) -> Iterator[Story]:
    current = {"night": 1}
    not_modified: list[int] = []
    etag = '"yensebek-1"'

    def validated(seen: Seen) -> Reply:
        if seen.headers.get("If-None-Match") == etag:
            not_modified.append(current["night"])
            return Reply(304, b"", [("ETag", etag)])
        return Reply.html(article_page(YENSEBEK_RU), headers=[("ETag", etag)])

    session_tsa.reset()
    with TestWeb() as web:
        news, agency, *_ = web.hosts
        urls = {
            "ru": news.route("/novosti/1.html", validated),
            "en": agency.route("/a/2.html", Reply.html(article_page(MUBARAKOV_EN))),
            "gone": news.route("/novosti/404.html", Reply.html("<h1>Не найдено</h1>", status=404)),
        }
        config = TEST_CONFIG + (
            "\n[check]\nmemento = false\n"
            f'\n[evidence]\ntsa_url = "{session_tsa.url}"\ntsa_ca_file = "{session_tsa.ca_file}"\n'
            "tsa_timeout = 2\n"
        )
        workspace = Workspace(root, database_url, config)
        # Note 4 cites the English article again.
        document = workspace.document([urls["ru"], urls["en"], urls["gone"], urls["en"]])
        runs = {"keys": workspace.cli("keys", "create")}
        assert workspace.cli("--now", night(1), "add", str(document)).code == 0
        runs["night 1"] = workspace.cli("--now", night(1), "archive")
        current["night"] = 2
        session_tsa.stop()
        runs["night 2"] = workspace.cli("--now", night(2), "check", "--all")
        runs["night 2 verify"] = workspace.cli("--now", night(2), "verify", "--all")
        session_tsa.start()
        current["night"] = 3
        runs["night 3"] = workspace.cli("--now", night(3), "check", "--all")
        yield Story(workspace, session_tsa, urls, runs, not_modified)
    session_tsa.reset()


def test_each_night_succeeds_and_a_tsa_outage_only_delays_the_token(story: Story) -> None:
    assert story.runs["keys"].code == 0, story.runs["keys"].err
    for name in ("night 1", "night 2", "night 3"):
        assert story.runs[name].code == 0, story.runs[name].err
    assert story.not_modified == [2, 3]
    night_2 = story.runs["night 2"].err
    assert "1 evidence files wait for a time-stamp" in night_2
    assert f"{story.tsa.url} unreachable" in night_2
    # While the TSA was down: the archive holds, the night-2 file is simply not stamped yet.
    verify = story.runs["night 2 verify"]
    assert verify.code == 0, verify.out
    assert "1 files not time-stamped: all hold" in verify.out
    assert "wait for a time-stamp" not in story.runs["night 3"].err
    files = story.evidence_files()
    assert len(files) == 3  # one WARC file per night
    assert all(f.stamped_at is not None and f.signature for f in files)
    stamped_at = [f.stamped_at for f in files]
    assert stamped_at[1] is not None and stamped_at[1] > datetime(2025, 12, 1, tzinfo=UTC), (
        "the TSA's own clock, not the run's: a late token says when it was really given"
    )
    assert files[1].stamp_attempts == 2


def test_a_third_party_checks_each_warc_file_with_openssl(story: Story) -> None:
    public_key = story.workspace.root / "public.pem"
    shown = story.cli("keys", "show")
    assert shown.code == 0
    public_key.write_text(shown.out.split("Fingerprint")[0], encoding="ascii")
    assert "PRIVATE" not in shown.out
    for row in story.evidence_files():
        warc = story.workspace.warc_directory / row.name
        stamped = subprocess.run(
            ["openssl", "ts", "-verify", "-data", str(warc), "-in", f"{warc}.tsr",
             "-CAfile", str(story.tsa.ca_file)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert "Verification: OK" in stamped.stdout, stamped.stderr
        signed = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", str(public_key), "-signature",
             f"{warc}.sig", str(warc)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert signed.stdout.strip() == "Verified OK", signed.stderr


def test_the_export_is_a_valid_signed_wacz_with_every_capture_per_footnote(
    story: Story, tmp_path: Path
) -> None:
    package = tmp_path / "briefing.wacz"
    run = story.cli("export", "1", "--output", str(package))
    assert run.code == 0, run.err
    assert "3 cited URLs, 9 captures" in run.out and "signed with key" in run.out
    assert "time-stamped" in run.out and "not time-stamped" not in run.out
    validated = subprocess.run(
        [WACZ, "validate", "-f", str(package)], capture_output=True, text=True, check=False
    )
    assert validated.returncode == 0, validated.stdout
    assert "the passed WACZ is valid" in validated.stdout
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        lines = archive.read("pages/pages.jsonl").decode().splitlines()
        datapackage = json.loads(archive.read("datapackage.json"))
    assert {n.split("/")[0] for n in names} == {
        "archive", "indexes", "pages", "timestamps", "datapackage.json",
        "datapackage-digest.json",
    }  # fmt: skip
    header, *pages = (json.loads(line) for line in lines)
    assert header["format"] == "json-pages-1.0" and header["title"] == "Test briefing"
    by_url = {page["cited_url"]: page for page in pages}
    assert by_url[story.urls["en"]]["notes"] == ["2", "4"]
    assert by_url[story.urls["ru"]]["notes"] == ["1"]
    assert by_url[story.urls["ru"]]["captures"] == 3  # a copy, then two nights of 304
    assert by_url[story.urls["ru"]]["title"] == YENSEBEK_RU.title
    assert by_url[story.urls["gone"]]["status"] == 404  # a dead source's evidence is kept too
    assert by_url[story.urls["ru"]]["ts"].startswith("2025-03-03")  # the latest capture
    assert datapackage["wacz_version"] == "1.1.1"
    verify = story.cli("verify", str(package))
    assert verify.code == 0, verify.out
    assert "1 signatures, 2 time-stamps checked" in verify.out  # inside, and beside it
    assert "signed with this organisation's key" in verify.err


def test_the_timestamp_inside_a_package_checks_with_unzip_and_openssl(
    story: Story, tmp_path: Path
) -> None:
    package = tmp_path / "briefing.wacz"
    assert story.cli("export", "1", "--output", str(package), "--latest").code == 0
    with zipfile.ZipFile(package) as archive:
        (token,) = [n for n in archive.namelist() if n.startswith("timestamps/")]
        archive.extractall(tmp_path / "unpacked")
    data = "archive/" + token.removeprefix("timestamps/").removesuffix(".tsr")
    checked = subprocess.run(
        ["openssl", "ts", "-verify", "-data", data, "-in", token,
         "-CAfile", str(story.tsa.ca_file)],
        cwd=tmp_path / "unpacked", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Verification: OK" in checked.stdout, checked.stderr
    beside = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(package), "-in", f"{package}.tsr",
         "-CAfile", str(story.tsa.ca_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Verification: OK" in beside.stdout, beside.stderr


def test_the_signature_checks_with_openssl_against_the_published_key(
    story: Story, tmp_path: Path
) -> None:
    package = tmp_path / "briefing.wacz"
    assert story.cli("export", "1", "--output", str(package), "--notes", "1").code == 0
    with zipfile.ZipFile(package) as archive:
        signed = json.loads(archive.read("datapackage-digest.json"))["signedData"]
    (tmp_path / "signature.der").write_bytes(base64.b64decode(signed["signature"]))
    (tmp_path / "message").write_bytes(signed["hash"].encode("ascii"))
    public = tmp_path / "public.pem"
    public.write_text(story.cli("keys", "show").out.split("Fingerprint")[0], encoding="ascii")
    checked = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(public), "-signature", "signature.der",
         "message"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.stdout.strip() == "Verified OK", checked.stderr


def test_a_selection_of_notes_and_only_our_copy(story: Story, tmp_path: Path) -> None:
    package = tmp_path / "note-1.wacz"
    run = story.cli("export", "1", "--output", str(package), "--notes", "1", "--latest")
    assert run.code == 0, run.err
    assert "1 cited URLs, 1 captures" in run.out
    with zipfile.ZipFile(package) as archive:
        pages = archive.read("pages/pages.jsonl").decode().splitlines()[1:]
        (warc,) = [n for n in archive.namelist() if n.startswith("archive/")]
        records = archive.read(warc)
    assert [json.loads(p)["notes"] for p in pages] == [["1"]]
    assert ARTICLE_TEXT.encode() in _payloads(records)
    since = story.cli(
        "export", "1", "--output", str(tmp_path / "since.wacz"), "--since", night(3)[:10]
    )
    assert since.code == 0, since.err
    assert "3 cited URLs, 3 captures" in since.out  # night 3 only
    unknown = story.cli("export", "1", "--output", str(tmp_path / "x.wacz"), "--notes", "1,9-12")
    assert unknown.code == 1
    assert "document 1 has no note 9, 10, 11, 12 (notes with links: 1-4)" in unknown.err
    assert not (tmp_path / "x.wacz").exists()


def test_a_tsa_down_at_export_queues_the_package_token(story: Story, tmp_path: Path) -> None:
    package = tmp_path / "offline.wacz"
    story.tsa.stop()
    try:
        run = story.cli("export", "1", "--output", str(package), "--latest")
    finally:
        story.tsa.start()
    assert run.code == 0, run.err
    assert "not time-stamped" in run.out
    assert "the package is not time-stamped inside" in run.err
    assert "1 evidence files wait for a time-stamp" in run.err
    assert not package.with_name("offline.wacz.tsr").exists()
    stamped = story.cli("stamp")
    assert stamped.code == 0, stamped.err
    assert package.with_name("offline.wacz.tsr").exists()
    verify = story.cli("verify", str(package))
    assert verify.code == 0 and "1 time-stamps checked" in verify.out


def _payloads(warc: bytes) -> bytes:
    import io

    from warcio.archiveiterator import ArchiveIterator

    return b"".join(
        record.content_stream().read()
        for record in ArchiveIterator(io.BytesIO(warc))
        if record.rec_type == "response"
    )


def test_a_night_that_cannot_write_fails_loudly_and_the_evidence_holds(story: Story) -> None:
    """Night 4: the WARC directory is a read-only filesystem. The check fails in one line and
    nothing recorded, signed or stamped changes; night 5 seals its file as every night did.
    (Last in this module: it adds two nights to the story.)"""
    before = [(f.name, f.sha256, f.signature, f.stamped_at) for f in story.evidence_files()]
    with tmpfs(story.workspace.warc_directory, "1m", read_only=True):
        failed = story.workspace.cli("--now", night(4), "check", "--all")
    assert failed.code != 0
    assert str(story.workspace.warc_directory) in failed.err and "Traceback" not in failed.err
    after = [(f.name, f.sha256, f.signature, f.stamped_at) for f in story.evidence_files()]
    assert after == before
    verify = story.workspace.cli("--now", night(4), "verify", "--all")
    assert verify.code == 0 and "all hold" in verify.out, verify.out
    recovered = story.workspace.cli("--now", night(5), "check", "--all")
    assert recovered.code == 0, recovered.err
    files = story.evidence_files()
    assert len(files) == len(before) + 1
    assert files[-1].kind == WARC and files[-1].signature and files[-1].stamped_at is not None
    warcs = sum(1 for f in files if f.kind == WARC)
    verify = story.workspace.cli("--now", night(5), "verify", "--all")
    assert verify.code == 0 and "all hold" in verify.out, verify.out
    assert f"in {warcs} files" in verify.out and f"{warcs} time-stamps checked" in verify.out
