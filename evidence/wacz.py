"""WACZ 1.1.1 packages: writing one from WARC files, and reading one back for verification.

Written to the WACZ spec (https://specs.webrecorder.net/wacz/1.1.1/) and its signing addendum
(https://specs.webrecorder.net/wacz-auth/0.1.0/), with Webrecorder's `cdxj_indexer` for the
index, the indexer py-wacz itself uses. py-wacz (`wacz create`) falls short here in four ways:
it packs whole WARC files (we pack the records of the cited sources only), its page entries
cannot carry footnote labels, it signs only through an authsign server (we sign anonymously
with the organisation's key), and it has no place for RFC 3161 tokens. `wacz validate` accepts
what this module writes.

Layout: `archive/*.warc.gz` (stored, not deflated), `indexes/index.cdx.gz` + `index.idx`,
`pages/pages.jsonl`, `timestamps/*.tsr` (a token per WARC file, when a TSA answered),
`datapackage.json` (SHA-256 of every file) and `datapackage-digest.json` (SHA-256 of
datapackage.json, and the signature of that hash: ECDSA P-256, DER, base64).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cdxj_indexer.main import CDXJIndexer

from evidence.keys import SigningKey

WACZ_VERSION = "1.1.1"
DATAPACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
PAGES = "pages/pages.jsonl"
CDX = "indexes/index.cdx.gz"
IDX = "indexes/index.idx"
INDEX_LINES = 1024  # CDXJ lines per compressed block, as py-wacz and ArchiveWeb.page write
CHUNK = 4 * 2**20
SOFTWARE = "citewatch 0.1.0"


@dataclass(frozen=True)
class Member:
    """A file to put in the package: from disk (`source`) or from memory (`data`)."""

    path: str  # inside the package
    source: Path | None = None
    data: bytes | None = None
    deflate: bool = True  # WARC files and the compressed index are stored as they are

    def open(self) -> IO[bytes]:
        return self.source.open("rb") if self.source is not None else io.BytesIO(self.data or b"")

    @property
    def size(self) -> int:
        return self.source.stat().st_size if self.source is not None else len(self.data or b"")


def index_warc(warc: Path) -> tuple[Member, Member]:
    """The compressed CDXJ index of a WARC file (index.cdx.gz) and its block index (index.idx)."""
    blocks = io.BytesIO()
    lines = io.StringIO()
    indexer = CDXJIndexer(
        lines,
        [str(warc)],
        sort=True,
        post_append=True,
        compress=blocks,
        lines=INDEX_LINES,
        digest_records=True,
        fields="referrer,req.http:cookie",
        data_out_name=CDX.rsplit("/", 1)[1],
    )
    # cdxj_indexer closes the output it opened; give it a stream it may close
    with contextlib.suppress(ValueError):
        indexer.process_all()
    return (
        Member(CDX, data=blocks.getvalue(), deflate=False),
        Member(IDX, data=lines.getvalue().encode("utf-8")),
    )


def pages_jsonl(title: str, pages: Sequence[dict[str, Any]]) -> Member:
    """pages/pages.jsonl: a header line, then one JSON object per page."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": title}
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [header, *pages])
    return Member(PAGES, data=text.encode("utf-8"))


def write_package(
    output: Path,
    members: Sequence[Member],
    metadata: dict[str, Any],
    key: SigningKey | None,
    created: datetime,
) -> str:
    """Write the package whole or not at all (a `.part` file renamed at the end).

    Returns the `sha256:` hash of datapackage.json, which the signature covers."""
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resources = [_resource(member) for member in members]
    package = {
        "profile": "data-package",
        "resources": resources,
        **metadata,
        "created": stamp,
        "wacz_version": WACZ_VERSION,
        "software": SOFTWARE,
    }
    package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    digest: dict[str, Any] = {"path": DATAPACKAGE, "hash": package_hash}
    if key is not None:
        digest["signedData"] = {
            "hash": package_hash,
            "created": stamp,
            "software": SOFTWARE,
            "signature": key.sign(signed_message(package_hash)),
            "publicKey": key.public.base64,
        }
    temporary = output.with_name(output.name + ".part")
    try:
        with zipfile.ZipFile(temporary, "w", allowZip64=True) as archive:
            for member in members:
                info = zipfile.ZipInfo(member.path, date_time=_zip_time(created))
                info.compress_type = zipfile.ZIP_DEFLATED if member.deflate else zipfile.ZIP_STORED
                # The size known up front: zipfile then writes a zip64 field only for members
                # past 4 GiB, and in both headers (ReplayWeb.page reads a member's data where
                # the central directory says its local header ends).
                info.file_size = member.size
                with member.open() as source, archive.open(info, "w") as target:
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
            for name, data in ((DATAPACKAGE, package_bytes), (DIGEST, _json(digest))):
                info = zipfile.ZipInfo(name, date_time=_zip_time(created))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return package_hash


def signed_message(package_hash: str) -> bytes:
    """What the signature covers: the SHA-256 of the `hash` string (as ArchiveWeb.page and
    authsign sign it: the UTF-8 text "sha256:..." hashed with SHA-256)."""
    return hashlib.sha256(package_hash.encode("ascii")).digest()


def _resource(member: Member) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with member.open() as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {
        "name": member.path.rsplit("/", 1)[-1].lower(),
        "path": member.path,
        "hash": "sha256:" + digest.hexdigest(),
        "bytes": size,
    }


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC)
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)


@contextlib.contextmanager
def open_package(path: Path) -> Iterator[zipfile.ZipFile]:
    """A package for reading; ValueError in one line if it is not a zip file."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a WACZ file (not a zip archive)") from exc
    with archive:
        yield archive
