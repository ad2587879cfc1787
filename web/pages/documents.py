"""Documents: the list with a health bar each and the upload form; a document's footnote table,
its exports, and the archive and check runs started from it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from citations.document import FORMATS
from citations.errors import DocumentError
from citations.ingest import DocumentSummary
from cli.documents import store
from cli.errors import CommandError
from evidence.export import ExportError, Selection, export_document
from evidence.keys import SigningKeyError, load_key
from health.exports import render_report
from health.report import ReportRow, report_rows
from health.report import current_documents as latest_documents
from models import Document
from models.documents import document_health
from models.kinds import LinkState
from web import auth
from web.context import Web, render, web
from web.jobs import KINDS, JobBusyError, quiet_app, server_jobs
from web.security import error_page

MB = 2**20
# What the upload form takes: every format `citewatch add` reads (not the legacy .doc/.rtf).
ACCEPTED = tuple(sorted(s for s, f in FORMATS.items() if f not in ("doc", "rtf")))
SORTS = ("note", "state", "since", "url")
PAGE_ROWS = 200  # footnotes per page of a document's table: quick on a phone and a server
# Trouble first: what a researcher has to look at before what is fine.
STATE_ORDER: dict[str, int] = {
    s: i
    for i, s in enumerate(
        (
            LinkState.DEAD,
            LinkState.DRIFTED,
            LinkState.SUSPECT,
            LinkState.BLOCKED,
            LinkState.UNKNOWN,
            LinkState.ALIVE,
        )
    )
}
STATES = tuple(STATE_ORDER)
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Footnote:
    """A row of the footnote table: the report row and the target it links to."""

    position: int
    target_id: int
    row: ReportRow


async def document_list(request: Request) -> Response:
    """GET /documents: every document's latest revision with its health, and the upload form."""
    return _list_page(request)


def _list_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    with web(request).session() as session:
        documents = latest_documents(session, None)
        health = document_health(session)
        return render(
            request,
            "documents.html",
            status_code=status_code,
            documents=documents,
            health=health,
            states=STATES,
            accepted=ACCEPTED,
            max_upload_mb=web(request).config.web.max_upload_mb,
            error=error,
        )


async def upload(request: Request) -> Response:
    """POST /documents: store an uploaded file as `citewatch add FILE` does, then show it."""
    auth.require(request, "editor")
    shared = web(request)
    limit = shared.config.web.max_upload_mb * MB
    too_large = (
        f"The file is larger than the {shared.config.web.max_upload_mb} MB upload limit "
        "(web.max_upload_mb)."
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MB:  # a form's fields are a few bytes more
        return _list_page(request, too_large, 413)
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("document")
        title = form.get("title")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _list_page(request, "Choose a file to upload.", 400)
        name = Path(upload.filename.replace("\\", "/")).name
        if Path(name).suffix.lower() not in ACCEPTED:
            return _list_page(
                request,
                f"{name}: this file type cannot be read; upload one of {', '.join(ACCEPTED)}.",
                400,
            )
        if upload.size is not None and upload.size > limit:
            return _list_page(request, too_large, 413)
        data = await upload.read()
    if len(data) > limit:
        return _list_page(request, too_large, 413)
    wanted = title.strip() if isinstance(title, str) and title.strip() else None
    try:
        summary = await run_in_threadpool(_store, shared, name, data, wanted)
    except DocumentError as exc:
        return _list_page(request, f"{name}: {exc.problem}", 400)
    except CommandError as exc:
        return _list_page(request, f"{name}: {exc}", 400)
    return RedirectResponse(f"/documents/{summary.document_id}", status_code=303)


def _store(shared: Web, name: str, data: bytes, title: str | None) -> DocumentSummary:
    """The uploaded bytes stored under their own file name, through `citewatch add`'s code."""
    with tempfile.TemporaryDirectory(prefix="citewatch-upload-") as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        return store(quiet_app(shared), str(path), title)


async def document_page(request: Request) -> Response:
    """GET /documents/{id}: the footnote table, filtered (?state=), searched (?q=) and sorted
    (?sort=) on the server, and the progress of a run started from the dashboard."""
    shared = web(request)
    state = request.query_params.get("state", "")
    query = request.query_params.get("q", "").strip()
    sort = request.query_params.get("sort", "note")
    sort = sort if sort in SORTS else "note"
    with shared.session() as session:
        document = _document(session, request)
        rows = report_rows(session, [document])
        footnotes = [Footnote(i, row.target_id, row) for i, row in enumerate(rows)]  # in order
        counts: dict[str, int] = {}
        for footnote in footnotes:
            counts[footnote.row.state] = counts.get(footnote.row.state, 0) + 1
        shown = _sorted(_searched(_filtered(footnotes, state), query), sort)
        pages = max(1, -(-len(shown) // PAGE_ROWS))
        page = _page_number(request.query_params.get("page", ""), pages)
        first = (page - 1) * PAGE_ROWS
        job = server_jobs(request.app.state).progress(shared)
        return render(
            request,
            "document.html",
            document=document,
            footnotes=shown[first : first + PAGE_ROWS],
            matching=len(shown),
            first=first,
            page=page,
            pages=pages,
            total=len(footnotes),
            counts=counts,
            states=STATES,
            state=state,
            q=query,
            sort=sort,
            sorts=SORTS,
            job=job if job is not None and job.document_id == document.id else None,
            other_job=job if job is not None and job.document_id != document.id else None,
        )


def _document(session: Session, request: Request) -> Document:
    """The document of the path, or 404."""
    document = session.get(Document, request.path_params["document_id"])
    if document is None:
        raise HTTPException(404, "No such document.")
    return document


def _page_number(text: str, pages: int) -> int:
    """The page asked for, kept within the pages there are."""
    return min(max(int(text), 1), pages) if text.isdigit() else 1


def _filtered(footnotes: list[Footnote], state: str) -> list[Footnote]:
    return [f for f in footnotes if f.row.state == state] if state else footnotes


def _searched(footnotes: list[Footnote], query: str) -> list[Footnote]:
    """The footnotes whose note, URL, citing sentence or hint contain the query (any case)."""
    if not query:
        return footnotes
    needle = query.casefold()
    return [
        f
        for f in footnotes
        if any(
            needle in (text or "").casefold()
            for text in (f.row.footnote, f.row.url, f.row.context, f.row.hint)
        )
    ]


def _sorted(footnotes: list[Footnote], sort: str) -> list[Footnote]:
    """Document order for notes (by number), trouble first for state, newest change first for
    since, alphabetical for URLs."""
    if sort == "state":
        return sorted(footnotes, key=lambda f: (STATE_ORDER.get(f.row.state, 99), f.position))
    if sort == "since":
        return sorted(footnotes, key=_since_key, reverse=True)
    if sort == "url":
        return sorted(footnotes, key=lambda f: (f.row.url.casefold(), f.position))
    return sorted(footnotes, key=_note_key)


def _since_key(footnote: Footnote) -> tuple[bool, float, int]:
    since = footnote.row.since
    return (since is not None, since.timestamp() if since else 0.0, -footnote.position)


def _note_key(footnote: Footnote) -> tuple[int, int]:
    note = footnote.row.footnote or ""
    return (int(note) if note.isdigit() else 10**9, footnote.position)


async def export(request: Request) -> Response:
    """GET /documents/{id}/report.{csv,json,html}: the report `citewatch report ID` writes."""
    fmt = request.path_params["format"]
    if fmt not in EXPORTS:
        raise HTTPException(404, "Reports come as CSV, JSON or HTML.")
    shared = web(request)
    with shared.session() as session:
        document = _document(session, request)
        rows = report_rows(session, [document], with_text=fmt == "html")
    text = render_report(rows, fmt, shared.now(), shared.config.web.base_url)
    filename = f"citewatch-document-{document.id}-report.{fmt}"
    return Response(
        text,
        media_type=EXPORTS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def evidence_package(request: Request) -> Response:
    """POST /documents/{id}/evidence.wacz: the document's cited sources as a signed WACZ
    package (what `citewatch export ID` writes), kept in <home>/exports and downloaded."""
    auth.require(request, "viewer")
    shared = web(request)
    with shared.session() as session:
        document_id = _document(session, request).id
    config = shared.config
    try:
        key = load_key(config.signing_key_path)
    except SigningKeyError as exc:
        return error_page(request, 409, str(exc))
    now = shared.now()
    name = f"citewatch-document-{document_id}-{now:%Y%m%dT%H%M%SZ}.wacz"
    output = config.home / "exports" / name
    try:
        await run_in_threadpool(
            export_document, shared.database, config, document_id, Selection(), output, key, now
        )
    except ExportError as exc:
        return error_page(request, 409, str(exc))
    return FileResponse(output, media_type="application/wacz", filename=name)


async def start_job(request: Request) -> Response:
    """POST /documents/{id}/archive and /documents/{id}/check: start the run in the background."""
    user = auth.require(request, "editor")
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise HTTPException(404, "No such action.")
    shared = web(request)
    with shared.session() as session:
        document_id = _document(session, request).id
    try:
        server_jobs(request.app.state).start(shared, kind, document_id, user.name)
    except JobBusyError as exc:
        return error_page(request, 409, str(exc))
    return RedirectResponse(f"/documents/{document_id}", status_code=303)


async def current_job(request: Request) -> Response:
    """GET /jobs/current: the running job (or the last one) as JSON, for the progress line."""
    job = server_jobs(request.app.state).progress(web(request))
    return JSONResponse(job.record() if job is not None else {"status": "idle"})


routes: list[BaseRoute] = [
    Route("/documents", document_list, name="documents"),
    Route("/documents", upload, methods=["POST"], name="upload"),
    Route("/documents/{document_id:int}", document_page, name="document"),
    Route("/documents/{document_id:int}/report.{format}", export, name="export"),
    Route(  # before start_job, whose /{kind} would take it
        "/documents/{document_id:int}/evidence.wacz",
        evidence_package,
        methods=["POST"],
        name="evidence_package",
    ),
    Route("/documents/{document_id:int}/{kind}", start_job, methods=["POST"], name="start_job"),
    Route("/jobs/current", current_job, name="current_job"),
]
