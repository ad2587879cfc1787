"""Evidence that was changed is caught and named: a WARC payload edited, a byte flipped in a
WARC file or in a package, a signature altered, the index disagreeing with a record. And a
package is never written half: a missing or unreadable key stops the export before it starts."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, update

from models import Snapshot
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

CONFIG = TEST_CONFIG + "\n[check]\nmemento = false\n"


@dataclass
class Archived:
    root: Path
    urls: list[str]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    """Two articles archived once, with a signing key; copied for each test to tamper with."""
    root = tmp_path_factory.mktemp("archived")
    with TestWeb() as web:
        news, agency, *_ = web.hosts
        urls = [
            news.route("/novosti/1.html", Reply.html(article_page(YENSEBEK_RU))),
            agency.route("/a/2.html", Reply.html(article_page(MUBARAKOV_EN))),
        ]
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", CONFIG)
        assert workspace.cli("keys", "create").code == 0
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        run = workspace.cli("archive")
        assert run.code == 0, run.err
    yield Archived(root, urls)


@pytest.fixture
def workspace(archived: Archived, tmp_path: Path) -> Workspace:
    """A copy of the archived workspace, to change at will."""
    root = tmp_path / "copy"
    shutil.copytree(archived.root, root)
    return Workspace(root, f"sqlite:///{root / 'citewatch.db'}", CONFIG)


def _response(workspace: Workspace, url: str) -> Snapshot:
    database = workspace.database()
    try:
        with database.session() as session:
            snapshot = session.scalars(
                select(Snapshot).where(Snapshot.final_url == url, Snapshot.status == 200)
            ).one()
            session.expunge(snapshot)
            return snapshot
    finally:
        database.dispose()


def test_an_untouched_archive_verifies(workspace: Workspace) -> None:
    run = workspace.cli("verify", "--all")
    assert run.code == 0, run.out
    assert "1 signatures" in run.out and "all hold" in run.out


def test_an_edited_payload_is_named_by_file_offset_and_record(
    workspace: Workspace, archived: Archived
) -> None:
    snapshot = _response(workspace, archived.urls[0])
    path = workspace.warc_directory / str(snapshot.warc_file)
    data = path.read_bytes()
    start, end = (
        snapshot.warc_offset or 0,
        (snapshot.warc_offset or 0) + (snapshot.warc_length or 0),
    )
    record = gzip.decompress(data[start:end])
    edited = record.replace("до семи лет".encode(), "до пяти лет".encode())  # same length
    assert edited != record
    path.write_bytes(data[:start] + gzip.compress(edited) + data[end:])
    run = workspace.cli("verify", "--all")
    assert run.code == 1
    where = f"PROBLEM {snapshot.warc_file} @{start} {snapshot.warc_record_id}:"
    assert f"{where} the payload does not match its WARC-Payload-Digest" in run.out
    assert f"PROBLEM {snapshot.warc_file}: the file changed since it was sealed" in run.out
    document = workspace.cli("verify", "1")
    assert document.code == 1 and where in document.out


def test_a_flipped_byte_in_a_warc_file_is_named(workspace: Workspace, archived: Archived) -> None:
    snapshot = _response(workspace, archived.urls[1])
    path = workspace.warc_directory / str(snapshot.warc_file)
    data = bytearray(path.read_bytes())
    middle = (snapshot.warc_offset or 0) + (snapshot.warc_length or 0) // 2
    data[middle] ^= 0x01
    path.write_bytes(bytes(data))
    run = workspace.cli("verify", "--all")
    assert run.code == 1
    assert f"PROBLEM {snapshot.warc_file} @{snapshot.warc_offset}" in run.out
    assert (
        f"PROBLEM {snapshot.warc_file} @{snapshot.warc_offset} {snapshot.warc_record_id}: "
        "unreadable from here on"
    ) in run.out
    assert "changed since it was sealed" in run.out


def test_an_index_that_disagrees_with_its_record_is_named(
    workspace: Workspace, archived: Archived
) -> None:
    snapshot = _response(workspace, archived.urls[0])
    database = workspace.database()
    with database.session() as session:
        session.execute(
            update(Snapshot).where(Snapshot.id == snapshot.id).values(payload_sha256="0" * 64)
        )
    database.dispose()
    run = workspace.cli("verify", "1")
    assert run.code == 1
    assert (
        f"PROBLEM {snapshot.warc_file} @{snapshot.warc_offset} {snapshot.warc_record_id}: "
        f"snapshot {snapshot.id}: the index holds another payload SHA-256 ({'0' * 64})"
    ) in run.out


def _export(workspace: Workspace) -> Path:
    package = workspace.root / "evidence.wacz"
    run = workspace.cli("export", "1", "--output", str(package))
    assert run.code == 0, run.err
    return package


def _rewrite(package: Path, member: str, change: object) -> None:
    """The package with one member's bytes changed (a valid zip, so only hashes can tell)."""
    copy = package.with_name("rewritten.wacz")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(copy, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)  # type: ignore[operator]
    copy.replace(package)


def test_a_flipped_byte_in_a_package_is_named(workspace: Workspace) -> None:
    package = _export(workspace)
    with zipfile.ZipFile(package) as archive:
        (warc,) = [n for n in archive.namelist() if n.startswith("archive/")]
        info = archive.getinfo(warc)
    data = bytearray(package.read_bytes())
    data[info.header_offset + 100 + len(warc) + info.compress_size // 2] ^= 0x01
    package.write_bytes(bytes(data))
    run = workspace.cli("verify", str(package))
    assert run.code == 1
    assert f"PROBLEM evidence.wacz:{warc}: unreadable: Bad CRC-32" in run.out
    assert "1 problems" in run.out


def test_a_changed_file_in_a_package_is_named(workspace: Workspace) -> None:
    package = _export(workspace)
    _rewrite(package, "pages/pages.jsonl", lambda data: data.replace(b'"1"', b'"7"'))
    run = workspace.cli("verify", str(package))
    assert run.code == 1
    assert "PROBLEM evidence.wacz:pages/pages.jsonl: SHA-256" in run.out
    assert "does not match datapackage.json" in run.out


def test_an_altered_signature_is_named(workspace: Workspace) -> None:
    package = _export(workspace)

    def flip_signature(data: bytes) -> bytes:
        digest = json.loads(data)
        signature = bytearray(base64.b64decode(digest["signedData"]["signature"]))
        signature[-1] ^= 0x01
        digest["signedData"]["signature"] = base64.b64encode(bytes(signature)).decode()
        return json.dumps(digest).encode()

    _rewrite(package, "datapackage-digest.json", flip_signature)
    run = workspace.cli("verify", str(package))
    assert run.code == 1
    assert "PROBLEM evidence.wacz:datapackage-digest.json: the signature does not verify" in run.out


def test_a_package_re_signed_after_editing_is_not_ours(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Someone edits a package and signs it again with their own key: it holds together, but
    verify says whose key it is."""
    package = _export(workspace)
    other = Workspace(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}", CONFIG)
    assert other.cli("keys", "create").code == 0
    run = other.cli("verify", str(package))
    assert run.code == 0
    assert "(not this installation's)" in run.err


def test_no_signing_key_stops_the_export_before_it_writes(workspace: Workspace) -> None:
    (workspace.home / "keys" / "signing-key.pem").unlink()
    package = workspace.root / "evidence.wacz"
    run = workspace.cli("export", "1", "--output", str(package))
    assert run.code == 1
    assert "no signing key at" in run.err and "citewatch keys create" in run.err
    assert "--unsigned" in run.err
    assert not list(workspace.root.glob("evidence.wacz*")) and not list(
        workspace.root.glob(".evidence*")
    )
    unsigned = workspace.cli("export", "1", "--output", str(package), "--unsigned")
    assert unsigned.code == 0 and "not signed" in unsigned.out


def test_an_unreadable_key_stops_the_export_and_never_shows_the_key(workspace: Workspace) -> None:
    key = workspace.home / "keys" / "signing-key.pem"
    secret = key.read_text()
    key.write_text(secret[: len(secret) // 2])  # cut short
    run = workspace.cli("export", "1", "--output", str(workspace.root / "evidence.wacz"))
    assert run.code == 1
    assert "is not an unencrypted PEM private key" in run.err
    assert secret.splitlines()[1][:20] not in run.err + run.out
    assert not list(workspace.root.glob("evidence.wacz*"))


def test_a_key_is_created_once_readable_by_its_owner_only(workspace: Workspace) -> None:
    key = workspace.home / "keys" / "signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    before = key.read_bytes()
    again = workspace.cli("keys", "create")
    assert again.code == 1 and "already exists: a signing key is never replaced" in again.err
    assert key.read_bytes() == before
    shown = workspace.cli("keys", "show")
    assert "BEGIN PUBLIC KEY" in shown.out and "PRIVATE" not in shown.out


def test_an_export_that_cannot_be_written_leaves_nothing(workspace: Workspace) -> None:
    blocker = workspace.root / "not-a-directory"
    blocker.write_text("")
    run = workspace.cli("export", "1", "--output", str(blocker / "evidence.wacz"))
    assert run.code == 1 and len(run.err.strip().splitlines()) == 1
    assert "not-a-directory" in run.err


def test_a_missing_warc_file_stops_the_export_and_verify_names_it(workspace: Workspace) -> None:
    (warc,) = workspace.warc_directory.glob("*.warc.gz")
    warc.rename(warc.with_name("moved-away"))
    package = workspace.root / "evidence.wacz"
    run = workspace.cli("export", "1", "--output", str(package))
    assert run.code == 1 and len(run.err.strip().splitlines()) == 1
    assert warc.name in run.err
    assert not list(workspace.root.glob("evidence.wacz*")) and not list(
        workspace.root.glob(".evidence*")
    )
    verify = workspace.cli("verify", "--all")
    assert verify.code == 1
    assert f"PROBLEM {warc.name}: the file is missing from the WARC directory" in verify.out
