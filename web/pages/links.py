"""A link: its state, who cites it, its snapshot timeline with the WARC records, our copy's text
and chain of custody, what changed since it was cited, and the operator's override."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from archive.replay import PayloadError
from archive.warc import read_payload
from cli.crawls import describe
from health.diff import Row, changed, text_diff
from health.overrides import override_state
from models import Snapshot, Target
from models.copies import our_copies
from models.evidence import sealed_warc_files
from models.kinds import LinkState
from models.targets import target_snapshots
from web import auth
from web.context import render, web

MB = 2**20
READ = 64 * 2**10  # bytes of a WARC file read at a time
GZIP_MAGIC = b"\x1f\x8b"
OVERRIDES = {"alive": LinkState.ALIVE, "dead": LinkState.DEAD, "clear": None}


async def link_page(request: Request) -> Response:
    """GET /links/{id}: everything we know of one cited link."""
    shared = web(request)
    with shared.session() as session:
        target = _target(session, request)
        snapshots = target_snapshots(session, target.id)
        copies = our_copies(session, [target]).get(target.id)
        cited = copies.cited if copies else None
        # The custody of the WARC file holding our copy: its signature and time-stamp.
        sealed = (
            sealed_warc_files(session, [cited.warc_file]).get(cited.warc_file)
            if cited and cited.warc_file
            else None
        )
        latest = (copies.current if copies else None) or _latest_with_text(snapshots)
        diff: list[Row] = []
        if cited is not None and latest is not None and latest.id != cited.id:
            diff = text_diff(cited.archived_text or "", latest.archived_text or "")
        citations = sorted(target.citations, key=lambda c: (c.document_id, c.position))
        return render(
            request,
            "link.html",
            target=target,
            citations=citations,
            snapshots=list(reversed(snapshots)),
            describe=describe,
            cited=cited,
            sealed=sealed,
            latest=latest,
            diff=diff,
            diff_changed=changed(diff),
            is_pdf=cited is not None and _is_pdf(cited),
            replay_snapshot=cited,
            replay_url=cited.final_url or target.canonical_url if cited else None,
        )


def _target(session: Session, request: Request) -> Target:
    target = session.get(Target, request.path_params["target_id"])
    if target is None:
        raise HTTPException(404, "No such link.")
    return target


def _latest_with_text(snapshots: list[Snapshot]) -> Snapshot | None:
    """The newest snapshot that holds a page's text (a revisit: its original)."""
    for snapshot in reversed(snapshots):
        held = snapshot.revisit_of or snapshot
        if held.preserved and held.text:
            return held
    return None


def _is_pdf(snapshot: Snapshot) -> bool:
    return (snapshot.content_type or "").split(";")[0].strip().lower() == "application/pdf"


async def override(request: Request) -> Response:
    """POST /links/{id}/override: mark the link alive or dead, or clear the mark."""
    user = auth.require(request, "editor")
    async with request.form(max_files=0, max_fields=5) as form:
        choice = form.get("state")
    if not isinstance(choice, str) or choice not in OVERRIDES:
        raise HTTPException(400, "Choose alive, dead or clear.")
    shared = web(request)
    with shared.session() as session:
        target = _target(session, request)
        override_state(
            session, target, OVERRIDES[choice], user.name, shared.now(), shared.config.check
        )
        target_id = target.id
    return RedirectResponse(f"/links/{target_id}", status_code=303)


async def warc_download(request: Request) -> Response:
    """GET /snapshots/{id}/warc: the snapshot's WARC record as stored (sent gzip-encoded as it
    is kept, so what is saved is the record itself)."""
    shared = web(request)
    with shared.session() as session:
        snapshot = _snapshot(session, request)
        if snapshot.warc_file is None or snapshot.warc_offset is None or not snapshot.warc_length:
            raise HTTPException(404, "This fetch stored no WARC record (it failed).")
        path = shared.config.warc_directory / snapshot.warc_file
        offset, length, snapshot_id = snapshot.warc_offset, snapshot.warc_length, snapshot.id
    if not path.is_file():
        raise HTTPException(404, f"The WARC file {path.name} is missing.")
    with path.open("rb") as handle:
        handle.seek(offset)
        compressed = handle.read(2) == GZIP_MAGIC
    headers = {
        "Content-Disposition": f'attachment; filename="citewatch-snapshot-{snapshot_id}.warc"',
        "Content-Length": str(length),
    }
    if compressed:
        headers["Content-Encoding"] = "gzip"
    return StreamingResponse(
        _stored_bytes(path, offset, length), media_type="application/warc", headers=headers
    )


def _stored_bytes(path: Path, offset: int, length: int) -> Iterator[bytes]:
    """`length` bytes of a file from `offset`, a chunk at a time."""
    with path.open("rb") as handle:
        handle.seek(offset)
        left = length
        while left > 0:
            chunk = handle.read(min(READ, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


async def pdf_body(request: Request) -> Response:
    """GET /snapshots/{id}/body: an archived PDF for the browser's viewer, sandboxed; any other
    kind of page is only ever shown as text."""
    shared = web(request)
    with shared.session() as session:
        snapshot = _snapshot(session, request)
        source = snapshot.revisit_of or snapshot
        if not _is_pdf(source) or source.warc_file is None or source.warc_offset is None:
            raise HTTPException(404, "Only archived PDFs are served; other pages show as text.")
        path = shared.config.warc_directory / source.warc_file
        offset, snapshot_id = source.warc_offset, snapshot.id
    try:
        _, body = read_payload(path, offset, max_bytes=shared.config.warc.max_replay_mb * MB)
    except (PayloadError, OSError) as exc:
        raise HTTPException(404, f"The archived PDF cannot be read: {exc}") from None
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Security-Policy": "sandbox",
            "Content-Disposition": f'inline; filename="citewatch-snapshot-{snapshot_id}.pdf"',
        },
    )


def _snapshot(session: Session, request: Request) -> Snapshot:
    snapshot = session.get(Snapshot, request.path_params["snapshot_id"])
    if snapshot is None:
        raise HTTPException(404, "No such snapshot.")
    return snapshot


routes: list[BaseRoute] = [
    Route("/links/{target_id:int}", link_page, name="link"),
    Route("/links/{target_id:int}/override", override, methods=["POST"], name="override"),
    Route("/snapshots/{snapshot_id:int}/warc", warc_download, name="warc"),
    Route("/snapshots/{snapshot_id:int}/body", pdf_body, name="pdf_body"),
]
