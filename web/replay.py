"""Our copies replayed in the browser with ReplayWeb.page, on an origin of their own.

Archived pages are hostile content: their scripts run in the browser of whoever looks at them.
They run on the replay origin (web.security.replay_origin; by default
http://replay.citewatch.localhost:PORT beside the dashboard's http://citewatch.localhost:PORT),
which the same server answers, told apart by the Host header, and which serves nothing but
replay: no dashboard page, no cookie set or read. The
browser keeps cookies, storage and service workers per origin, so a replayed script can
neither read the dashboard's session cookie nor, without CORS, the dashboard's responses.

On the replay origin:
  /replay/{id}                 the page holding <replay-web-page> for snapshot {id}
  /replay/{id}/record.warc.gz  that snapshot's WARC records, sliced from our WARC file as stored
  /replay-sw/sw.js             ReplayWeb.page's service worker (scope /replay-sw/), which reads
                               the records in the browser and serves the archived page from them
  /replay-sw/ui.js             the <replay-web-page> element (web.vendor fetches it at build time)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from archive.replay import request_length, warc_record
from config import Config
from models import Snapshot
from web import vendor
from web.context import Web
from web.security import dashboard_address, replay_origin

log = logging.getLogger(__name__)

ASSETS = vendor.VENDOR_DIRECTORY / "replaywebpage"
SERVICE_WORKER_SCOPE = "/replay-sw/"
STATIC = Path(__file__).parent / "static"
RELOAD_SCRIPT = f"{SERVICE_WORKER_SCOPE}replay.js"  # web/static/replay.js
READ = 64 * 2**10  # bytes read from a WARC file at a time
DEFAULT_PORTS = {"http": 80, "https": 443}
# Served with every response of the replay origin. The replay page runs ui.js only; archived
# pages are answered by the service worker, which sets its own policy on them.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ReplayError(Exception):
    """A snapshot's records cannot be served: no WARC record, or the WARC file is missing."""


@dataclass(frozen=True)
class RecordSlice:
    """Bytes of one WARC record (one gzip member) in one of our WARC files."""

    path: Path
    offset: int
    length: int


@dataclass(frozen=True)
class ReplayCopy:
    """What the replay of one snapshot needs: its URL and time, and the records to send."""

    snapshot_id: int
    url: str
    timestamp: str  # 14 digits, as ReplayWeb.page's `ts`
    records: tuple[RecordSlice, ...]

    @property
    def size(self) -> int:
        return sum(record.length for record in self.records)


# -- origins ----------------------------------------------------------------------------------


def dashboard_origins(config: Config) -> list[str]:
    """The origins the dashboard is reached at, the only pages that may frame a replay."""
    origins = [f"http://127.0.0.1:{config.web.port}", dashboard_address(config)]
    if config.web.host not in ("127.0.0.1", "0.0.0.0", "::", ""):
        origins.append(f"http://{config.web.host}:{config.web.port}")
    if config.web.base_url:
        parts = urlsplit(config.web.base_url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int]:
    """("localhost", 8000) from "LOCALHOST:8000"; the scheme's port when none is written."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme, 80)


def is_replay_host(host_header: str, origin: str) -> bool:
    """Whether a request's Host header names the replay origin."""
    parts = urlsplit(origin)
    return _host_and_port(host_header, parts.scheme) == _host_and_port(parts.netloc, parts.scheme)


def replay_page_url(web: Web, snapshot_id: int) -> str:
    """The absolute URL of a snapshot's replay page (templates: `replay_page_url(id)`)."""
    return f"{replay_origin(web.config)}/replay/{int(snapshot_id)}"


def by_origin(dashboard: ASGIApp, web: Web) -> ASGIApp:
    """The dashboard, with requests for the replay origin answered by the replay app instead.

    Also gives the dashboard's templates `replay_page_url(snapshot_id)`."""
    web.templates.globals["replay_page_url"] = partial(replay_page_url, web)
    replay = replay_app(web)
    origin = replay_origin(web.config)

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if is_replay_host(host, origin):
                await replay(scope, receive, send)
                return
        await dashboard(scope, receive, send)

    return dispatch


# -- records ----------------------------------------------------------------------------------


def _warc_path(directory: Path, name: str) -> Path:
    """A WARC file named in a snapshot row; only a plain name in our WARC directory."""
    if not name or Path(name).name != name or name.startswith("."):
        raise ReplayError(f"not a WARC file name: {name!r}")
    return directory / name


def request_record(
    path: Path, response: RecordSlice, response_id: str | None
) -> RecordSlice | None:
    """The request record written right after a response, if it is the one concurrent to it."""
    offset = response.offset + response.length
    with path.open("rb") as handle:
        handle.seek(offset)
        length = request_length(handle, response_id)
    return None if length is None else RecordSlice(path, offset, length)


def exchange_records(directory: Path, snapshot: Snapshot) -> list[RecordSlice]:
    """The snapshot's own record and, when it is a response, the request that asked for it (and,
    for a rendered page, what the browser saw)."""
    if snapshot.warc_file is None or snapshot.warc_offset is None or not snapshot.warc_length:
        raise ReplayError(f"snapshot {snapshot.id} has no WARC record")
    path = _warc_path(directory, snapshot.warc_file)
    if not path.is_file():
        raise ReplayError(f"{path.name}: WARC file missing")
    # A rendered page: its records, from the response to the last sub-resource, in one piece.
    length = snapshot.capture_length or snapshot.warc_length
    record = RecordSlice(path, snapshot.warc_offset, length)
    if path.stat().st_size < record.offset + record.length:
        raise ReplayError(f"{path.name}: shorter than the record at {record.offset}")
    if snapshot.revisit_of_id is not None or snapshot.capture_length:
        return [record]
    request = request_record(path, record, snapshot.warc_record_id)
    return [record] if request is None else [record, request]


def load_copy(session: Session, directory: Path, snapshot_id: int) -> ReplayCopy | None:
    """A snapshot's replay, with the original's records first when it is a revisit; None when
    there is no such snapshot or it holds no record."""
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        return None
    try:
        own = exchange_records(directory, snapshot)
        records = own
        if snapshot.revisit_of is not None:  # the revisit record refers to the original's
            records = exchange_records(directory, snapshot.revisit_of) + own
    except ReplayError as exc:
        log.info("no replay of snapshot %d: %s", snapshot_id, exc)
        return None
    url = _target_uri(own[0]) or snapshot.final_url or snapshot.target.canonical_url
    timestamp = snapshot.fetched_at.strftime("%Y%m%d%H%M%S")
    return ReplayCopy(snapshot.id, url, timestamp, tuple(records))


def _target_uri(record: RecordSlice) -> str | None:
    """The URL a record says was fetched: the one ReplayWeb.page finds the page under."""
    try:
        with warc_record(record.path, record.offset) as parsed:
            uri: str | None = parsed.rec_headers.get_header("WARC-Target-URI")
            return uri
    except Exception as exc:  # a damaged record: the row's URL will do
        log.warning("%s at %d: unreadable (%s)", record.path, record.offset, exc)
        return None


def record_bytes(records: tuple[RecordSlice, ...]) -> Iterator[bytes]:
    """The records' stored bytes (whole gzip members: together, a valid .warc.gz)."""
    for record in records:
        with record.path.open("rb") as handle:
            handle.seek(record.offset)
            left = record.length
            while left > 0:
                chunk = handle.read(min(READ, left))
                if not chunk:
                    raise ReplayError(f"{record.path.name}: ends inside a record")
                left -= len(chunk)
                yield chunk


# -- the replay app ---------------------------------------------------------------------------


def replay_app(web: Web) -> ASGIApp:
    """The replay origin's application: replay pages, their records, ReplayWeb.page's files."""

    def copy_of(request: Request) -> ReplayCopy | None:
        with web.session() as session:
            return load_copy(session, web.config.warc_directory, request.path_params["id"])

    def page(request: Request) -> Response:
        copy = copy_of(request)
        if copy is None:
            return _not_found("No archived copy with this number.")
        if not (ASSETS / "ui.js").is_file():
            return PlainTextResponse(
                "The replay viewer is not installed: run `python -m web.vendor`.",
                status_code=503,
                headers=HEADERS,
            )
        html = web.templates.get_template("replay.html").render(
            copy=copy,
            source=f"/replay/{copy.snapshot_id}/record.warc.gz",
            scope=SERVICE_WORKER_SCOPE,
        )
        return HTMLResponse(html, headers={**HEADERS, "Content-Security-Policy": _policy(web)})

    def records(request: Request) -> Response:
        copy = copy_of(request)
        if copy is None:
            return _not_found("No archived copy with this number.")
        return StreamingResponse(
            record_bytes(copy.records),
            media_type="application/warc",
            headers={**HEADERS, "Content-Length": str(copy.size)},
        )

    def service_worker(request: Request) -> Response:
        # Registered as /replay-sw/sw.js, so its scope is its own directory without any
        # Service-Worker-Allowed header: it can control nothing outside /replay-sw/.
        return _asset("sw.js", "text/javascript")

    def placeholder(request: Request) -> Response:
        # ReplayWeb.page frames /replay-sw/?..., which its service worker answers. On a first
        # visit the frame loads before the worker controls it, so the server answers this
        # page, whose script (web/static/replay.js) reloads it once the worker is ready.
        page = f'<!doctype html><title>Loading</title><script src="{RELOAD_SCRIPT}"></script>'
        return HTMLResponse(page, headers=HEADERS)

    def reload_script(request: Request) -> Response:
        return FileResponse(STATIC / "replay.js", media_type="text/javascript", headers=HEADERS)

    def ui(request: Request) -> Response:
        return _asset("ui.js", "text/javascript")

    def license_text(request: Request) -> Response:
        return _asset("LICENSE", "text/plain")

    def root(request: Request) -> Response:
        return _not_found("This is citewatch's replay origin: it serves archived copies only.")

    routes = [
        Route("/replay/{id:int}", page),
        Route("/replay/{id:int}/record.warc.gz", records),
        Route(f"{SERVICE_WORKER_SCOPE}sw.js", service_worker),
        Route(SERVICE_WORKER_SCOPE, placeholder),
        Route(f"{SERVICE_WORKER_SCOPE}index.html", placeholder),
        Route(RELOAD_SCRIPT, reload_script),
        Route(f"{SERVICE_WORKER_SCOPE}ui.js", ui),
        Route(f"{SERVICE_WORKER_SCOPE}LICENSE", license_text),
        Route("/", root),
    ]
    return Starlette(routes=routes, exception_handlers={404: _handle_404})


def _policy(web: Web) -> str:
    """The replay page's Content-Security-Policy: its own scripts only, framed by the
    dashboard alone."""
    ancestors = " ".join(["'self'", *dashboard_origins(web.config)])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


def _asset(name: str, media_type: str) -> Response:
    path = ASSETS / name
    if not path.is_file():
        return _not_found("The replay viewer is not installed.")
    # Pinned files: revalidated (ETag) rather than never stored, as they are large.
    return FileResponse(
        path, media_type=media_type, headers={**HEADERS, "Cache-Control": "no-cache"}
    )


def _not_found(message: str) -> Response:
    return PlainTextResponse(message, status_code=404, headers=HEADERS)


async def _handle_404(request: Request, exc: Exception) -> Response:
    return _not_found("Not found on the replay origin.")
