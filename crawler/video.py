"""Cited videos kept as evidence: downloaded with yt-dlp when `[crawl] video` is on.

Off by default (a video can be hundreds of megabytes). For a page of a video host
(`[crawl] video_hosts`), yt-dlp finds the media file; its address is judged by the crawl's
address policy before anything is downloaded; a file over `video_max_mb` is not kept (the
snapshot says so). The file lands in a temporary directory beside the WARC files, and the WARC
pipeline stores it as a `resource` record at the media file's URL (what a player asks for, so
replay finds it), then deletes it.
"""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.hosts import covering

VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "mkv": "video/x-matroska"}


class VideoError(Exception):
    """No video could be kept: none found, too large, or the download failed; one line."""


@dataclass(frozen=True)
class Video:
    """A downloaded video, waiting to be written to the WARC file."""

    url: str  # the media file's address
    path: Path
    content_type: str
    size: int
    title: str | None = None

    def note(self) -> str:
        return f"video kept ({self.size / 2**20:.1f} MB, {self.content_type})"


def wants_video(host: str, hosts: tuple[str, ...]) -> bool:
    """Whether a page of this host is a video host's (a rule covers subdomains)."""
    return covering(host, hosts) is not None


def find(page_url: str, proxy: str, timeout: float) -> dict[str, Any]:
    """What yt-dlp knows of the page's video (no download): its `url`, `ext`, size if known."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import YoutubeDLError

    try:
        with YoutubeDL(_options(proxy, timeout)) as downloader:
            info = downloader.extract_info(page_url, download=False)
    except YoutubeDLError as exc:
        raise VideoError(f"no video found: {_plain(exc)}") from None
    if info is None:
        raise VideoError("no video found")
    if info.get("_type") == "playlist":
        entries = [entry for entry in info.get("entries") or [] if entry]
        if not entries:
            raise VideoError("no video found")
        info = entries[0]
    if not info.get("url"):
        raise VideoError("no single video file (streaming formats only)")
    return dict(info)


def download(
    page_url: str, info: dict[str, Any], directory: Path, max_bytes: int, proxy: str, timeout: float
) -> Video:
    """Download the video `find` found, at most `max_bytes` of it."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import YoutubeDLError

    known = info.get("filesize") or info.get("filesize_approx")
    if known and known > max_bytes:
        raise VideoError(f"video of {known / 2**20:.0f} MB is over {max_bytes / 2**20:.0f} MB")
    directory.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=".video-", dir=directory))
    options = {
        **_options(proxy, timeout),
        "outtmpl": str(target / "video.%(ext)s"),
        "max_filesize": max_bytes,
    }
    try:
        with YoutubeDL(options) as downloader:
            result = downloader.extract_info(page_url, download=True)
        files = [p for p in target.iterdir() if p.is_file() and not p.name.endswith(".part")]
        if not files:
            raise VideoError(f"video over {max_bytes / 2**20:.0f} MB: not kept")
    except (YoutubeDLError, VideoError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, VideoError):
            raise
        raise VideoError(f"download failed: {_plain(exc)}") from None
    path = files[0]
    ext = path.suffix.lstrip(".")
    content_type = VIDEO_TYPES.get(ext) or mimetypes.guess_type(path.name)[0] or "video/mp4"
    title = (result or {}).get("title")
    return Video(str(info["url"]), path, content_type, path.stat().st_size, title)


def discard(video: Video) -> None:
    """Delete the downloaded file and its directory."""
    shutil.rmtree(video.path.parent, ignore_errors=True)


def _options(proxy: str, timeout: float) -> dict[str, Any]:
    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "playlist_items": "1",
        "format": "best[vcodec!=none][acodec!=none]/best",
        "socket_timeout": timeout,
        "retries": 1,
        "nocheckcertificate": False,
        "cachedir": False,
    }
    if proxy:
        options["proxy"] = proxy
    return options


def _plain(exc: Exception) -> str:
    text = " ".join(str(exc).split()).removeprefix("ERROR: ")
    return text[:200]
