"""Cases: the tracked people and organisations, a new case with a preview of what it will match,
the cases proposed from a document's names in bold, the spellings their sources use, and each
case's timeline of news."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cases.learn import learn_case
from cases.matching import CaseMatcher, CaseTerms
from cases.suggest import Proposal, accept_proposals, proposed_cases
from cases.tracked import (
    add_terms,
    case_spellings,
    clean_name,
    declensions,
    ensure_case,
    latest_updates,
    spellings,
    tracked_cases,
)
from cases.updates import found_updates, page_text, update_counts
from citations.errors import DocumentError
from citations.parts import DocumentParts
from cli.documents import parse
from cli.errors import CommandError
from health.report import current_documents
from models import Case, Document, Snapshot
from web import auth
from web.context import Web, render, web
from web.jobs import quiet_app

EXCERPT = 240  # characters of article text shown each side of the first mention
MB = 2**20


@dataclass(frozen=True)
class TimelineEntry:
    """One update on a case's timeline, its excerpt already escaped and marked."""

    title: str
    url: str
    source: str
    published: str | None
    found_at: datetime
    kind: str
    target_id: int
    has_copy: bool
    excerpt: Markup


def highlight(text: str, spans: list[tuple[int, int]], width: int = EXCERPT) -> Markup:
    """An excerpt of `text` around the first span, everything escaped, each span in the
    excerpt wrapped in <mark> (the only markup added)."""
    if not spans:
        return Markup(escape(text[: 2 * width])) + (Markup("…") if len(text) > 2 * width else "")
    spans = sorted(spans)
    start = max(0, spans[0][0] - width)
    end = min(len(text), spans[0][1] + width)
    parts: list[Markup] = [Markup("…")] if start else []
    cursor = start
    for begin, finish in spans:
        if begin < cursor or finish > end:
            continue
        parts.append(Markup(escape(text[cursor:begin])))
        parts.append(Markup("<mark>%s</mark>") % text[begin:finish])
        cursor = finish
    parts.append(Markup(escape(text[cursor:end])))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


async def case_list(request: Request) -> Response:
    with web(request).session() as session:
        cases = tracked_cases(session)
        updates, latest = update_counts(session), latest_updates(session)
        rows = [
            {
                "id": case.id,
                "name": case.name,
                "spellings": len(case_spellings(case)),
                "citations": len(case.citations),
                "updates": updates.get(case.id, 0),
                "latest": latest.get(case.id),
            }
            for case in cases
        ]
        documents = [(d.id, d.title) for d in current_documents(session, None)]
    return render(request, "cases.html", cases=rows, documents=documents)


async def case_new(request: Request) -> Response:
    """GET: the form, and with a name the spellings it will match; POST: store it (editors)."""
    if request.method == "POST":
        auth.require(request, "editor")
        form = await request.form()
        name = clean_name(str(form.get("name", "")))
        if not any(c.isalpha() for c in name):
            return _new_form(request, name, "A case needs a name with letters in it.", 400)
        shared = web(request)
        with shared.session() as session:
            case, _ = ensure_case(session, name, shared.now())
            case_id = case.id
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return _new_form(request, clean_name(request.query_params.get("name", "")))


def _new_form(request: Request, name: str, error: str = "", status_code: int = 200) -> Response:
    valid = any(c.isalpha() for c in name)
    return render(
        request,
        "case_new.html",
        status_code=status_code,
        name=name,
        error=error,
        preview=spellings(name) if valid else [],
        declined=declensions(name) if valid else [],
    )


async def case_page(request: Request) -> Response:
    """A case: its spellings, the spellings its sources use, its timeline of news."""
    case_id: int = request.path_params["case_id"]
    with web(request).session() as session:
        case = _case(session, case_id)
        terms = CaseTerms(case.id, case.name, case.texts("alias"), case.texts("keyword"))
        watch = web(request).config.watch
        matcher = CaseMatcher([terms], watch.match_window, watch.fuzzy_min_length)
        updates = found_updates(session, case.id)
        snapshot_ids = [u.snapshot_id for u in updates if u.snapshot_id]
        snapshots = {
            s.id: s for s in session.scalars(select(Snapshot).where(Snapshot.id.in_(snapshot_ids)))
        }
        timeline = []
        for update in reversed(updates):  # newest first
            snapshot = snapshots.get(update.snapshot_id or 0)
            text = page_text(None, snapshot.text) if snapshot else update.matched
            spans = [(m.start, m.end) for m in matcher.find(text)]
            timeline.append(
                TimelineEntry(
                    update.title or update.url,
                    update.url,
                    urlsplit(update.url).hostname or "",
                    update.published,
                    update.found_at,
                    update.kind,
                    update.target_id,
                    snapshot is not None,
                    highlight(text, spans),
                )
            )
        learning = learn_case(session, case) if case.citations else None
        return render(
            request,
            "case.html",
            case=case,
            aliases=case.texts("alias"),
            keywords=case.texts("keyword"),
            spellings=case_spellings(case),
            learned=learning.spellings if learning else [],
            timeline=timeline,
        )


async def accept_spellings(request: Request) -> Response:
    """Store the learned spellings the editor ticked as the case's aliases."""
    auth.require(request, "editor")
    case_id: int = request.path_params["case_id"]
    form = await request.form()
    chosen = [str(value) for value in form.getlist("alias")]
    with web(request).session() as session:
        case = _case(session, case_id)
        offered = {s.alias for s in learn_case(session, case).spellings}
        add_terms(case, "alias", [alias for alias in chosen if alias in offered])
    query = urlencode({"accepted": len([a for a in chosen if a in offered])})
    return RedirectResponse(f"/cases/{case_id}?{query}", status_code=303)


async def suggestions(request: Request) -> Response:
    """GET /cases/suggestions?document=ID: the form that reads a stored document's names in bold.

    A stored document keeps its citations, not its text: the file is chosen again, checked
    against the stored one's SHA-256, and read as `citewatch case suggest FILE` reads it."""
    document_id = request.query_params.get("document", "")
    if not document_id.isdigit():
        raise HTTPException(404, "Choose a stored document on the cases page.")
    with web(request).session() as session:
        document = _document(session, int(document_id))
        return _suggestions_page(request, document)


async def read_suggestions(request: Request) -> Response:
    """POST /cases/suggestions/read (editors): the proposals from the chosen file, which must be
    the stored document's."""
    auth.require(request, "editor")
    shared = web(request)
    limit = shared.config.web.max_upload_mb * MB
    async with request.form(max_files=1, max_fields=5) as form:
        document_id = str(form.get("document", ""))
        upload = form.get("file")
        name = upload.filename if isinstance(upload, UploadFile) else None
        data = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
    with shared.session() as session:
        document = _document(session, int(document_id) if document_id.isdigit() else 0)
        if not name or not data:
            return _suggestions_page(request, document, "Choose the document's file.", 400)
        if len(data) > limit or hashlib.sha256(data).hexdigest() != document.content_hash:
            return _suggestions_page(
                request, document, "This file is not the stored document: choose its file.", 400
            )
        file_name = Path(name.replace("\\", "/")).name
        try:
            parts = await run_in_threadpool(_read, shared, file_name, data)
        except DocumentError as exc:
            return _suggestions_page(request, document, exc.problem, 400)
        except CommandError as exc:
            return _suggestions_page(request, document, str(exc), 400)
        proposals = proposed_cases(session, parts)
        return _suggestions_page(request, document, proposals=proposals)


async def accept_suggestions(request: Request) -> Response:
    """POST /cases/suggestions (editors): the ticked proposals as cases (`ensure_case`, as
    `citewatch case add` stores them), linked to the document's citations in their notes."""
    auth.require(request, "editor")
    form = await request.form()
    document_id = str(form.get("document", ""))
    names = [clean_name(str(value)) for value in form.getlist("name")]
    notes = [str(value) for value in form.getlist("notes")]
    ticked = {int(str(v)) for v in form.getlist("accept") if str(v).isdigit()}
    accepted = [
        (name, [note for note in notes[i].split(",") if note] if i < len(notes) else [])
        for i, name in enumerate(names)
        if i in ticked and any(c.isalpha() for c in name)
    ]
    shared = web(request)
    with shared.session() as session:
        document = _document(session, int(document_id) if document_id.isdigit() else 0)
        stored = accept_proposals(session, document, accepted, shared.now())
    query = urlencode({"added": sum(created for _, created in stored)})
    return RedirectResponse(f"/cases?{query}", status_code=303)


def _read(shared: Web, name: str, data: bytes) -> DocumentParts:
    """The file's parts, read as `citewatch case suggest` reads a file (`cli.documents.parse`)."""
    with tempfile.TemporaryDirectory(prefix="citewatch-suggest-") as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        _, extraction = parse(quiet_app(shared), path)
    return extraction.parts


def _suggestions_page(
    request: Request,
    document: Document,
    error: str = "",
    status_code: int = 200,
    proposals: list[Proposal] | None = None,
) -> Response:
    """The file form, or the proposals: untracked names to tick, each with its spellings;
    tracked ones named, not proposed again."""
    return render(
        request,
        "case_suggestions.html",
        status_code=status_code,
        document=document,
        error=error,
        read=proposals is not None,
        proposals=[(p, spellings(p.name)) for p in proposals or [] if not p.stored],
        tracked=[p.name for p in proposals or [] if p.stored],
    )


def _document(session: Session, document_id: int) -> Document:
    """The stored document with this id, or a 404 page."""
    document = session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, f"No document {document_id}.")
    return document


def _case(session: Session, case_id: int) -> Case:
    """The case with this id, or a 404 page."""
    case = session.get(Case, case_id)
    if case is None:
        raise HTTPException(404, f"No case {case_id}.")
    return case


routes: list[BaseRoute] = [
    Route("/cases", case_list, name="cases"),
    Route("/cases/new", case_new, methods=["GET", "POST"], name="case_new"),
    Route("/cases/suggestions", suggestions, name="case_suggestions"),
    Route("/cases/suggestions", accept_suggestions, methods=["POST"], name="accept_suggestions"),
    Route("/cases/suggestions/read", read_suggestions, methods=["POST"], name="read_suggestions"),
    Route("/cases/{case_id:int}", case_page, name="case"),
    Route("/cases/{case_id:int}/spellings", accept_spellings, methods=["POST"]),
]
