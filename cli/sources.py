"""Commands about watched sources: source add/list/discover, and watch."""

from __future__ import annotations

import argparse
from typing import Any

from archive.telegram import TELEGRAM_HOSTS
from cases.updates import run_updates
from cli.app import App
from cli.crawls import crawl_with_progress
from cli.errors import CommandError
from cli.output import FORMATS, ONE_LINE, Column, say, write_rows
from config import child_environment
from crawler.launch import Event, run_crawl
from models import Source
from models.cases import SOURCE_KINDS
from watch.sources import (
    SourceError,
    add_source,
    all_sources,
    archived_any_article,
    cited_channels,
    cited_hosts,
    default_kind,
    source_state,
    watched_sources,
)

MAX_OFFERED_SHOWN = 15
SOURCE_COLUMNS = (
    Column("id", "ID"),
    Column("kind", "Kind"),
    Column("url", "URL", {"min_width": 24}),
    Column("last_polled_at", "Last poll (UTC)", {"no_wrap": True}),
    Column("state", "State", {**ONE_LINE, "max_width": 30}),
)
OFFERED_COLUMNS = (Column("host", "Host"), Column("citations", "Citations"))
CHANNEL_COLUMNS = (Column("url", "Channel"), Column("citations", "Citations"))
FOUND_COLUMNS = (Column("kind", "Kind"), Column("url", "URL"), Column("via", "Via"))
POLL_COLUMNS = (
    Column("url", "Source", {"min_width": 24}),
    Column("new", "New articles"),
    Column("state", "State", {**ONE_LINE, "max_width": 40}),
)
NEWS_COLUMNS = (
    Column("case", "Case"),
    Column("matched", "Matched", ONE_LINE),
    Column("url", "URL", {"min_width": 24}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    source = commands.add_parser("source", help="sites watched for news on the cases")
    sub = source.add_subparsers(dest="source_command", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="watch a feed, sitemap, listing page or Telegram channel")
    add.add_argument("url")
    add.add_argument(
        "--kind",
        choices=SOURCE_KINDS,
        help="what the URL lists articles in (default: telegram for a t.me URL, else feed)",
    )
    add.set_defaults(handler=cmd_source_add)

    listing = sub.add_parser(
        "list", help="watched sources, and cited hosts and channels not watched yet"
    )
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.set_defaults(handler=cmd_source_list)

    discover = sub.add_parser(
        "discover", help="find a site's feeds, sitemaps and Telegram channels"
    )
    discover.add_argument(
        "host", help="a host (vlast.kz), a site URL or a Telegram channel (t.me/CHANNEL)"
    )
    discover.add_argument("--add", action="store_true", help="watch what is found")
    discover.add_argument("--format", choices=FORMATS, default="table")
    discover.set_defaults(handler=cmd_source_discover)

    watch = commands.add_parser(
        "watch", help="poll the sources, archive new articles, match them to the cases"
    )
    watch.add_argument("--source", type=int, metavar="ID", help="only this source")
    watch.set_defaults(handler=cmd_watch)


def cmd_source_add(app: App, args: argparse.Namespace) -> int:
    """citewatch source add URL [--kind feed|sitemap|page|telegram]"""
    kind = args.kind or default_kind(args.url)
    with app.database.session() as session:
        try:
            source, created = add_source(session, args.url, kind, app.clock(), app.tracking_rules)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        what = f"source {source.id}: {source.kind} {source.url}"
    say(app.out, f"{'Watching' if created else 'Already watching'} {what}")
    return 0


def cmd_source_list(app: App, args: argparse.Namespace) -> int:
    """citewatch source list [--format table|csv|json]"""
    with app.database.session() as session:
        rows = [_source_row(s) for s in all_sources(session)]
        offered = [
            {"host": host, "citations": n}
            for host, n in cited_hosts(session)
            if host not in TELEGRAM_HOSTS  # a channel is offered, not t.me itself
        ]
        channels = [
            {"url": url, "kind": "telegram", "citations": n} for url, n in cited_channels(session)
        ]
    if args.format != "table":
        extra = [{"status": "offered", **row} for row in [*offered, *channels]]
        write_rows(app.out, [*rows, *extra], args.format, SOURCE_COLUMNS)
        return 0
    if rows:
        write_rows(app.out, rows, "table", SOURCE_COLUMNS, title="Watched sources")
    else:
        say(app.err, "No sources watched yet. Add one with `citewatch source add URL`.")
    if offered:
        shown = offered[:MAX_OFFERED_SHOWN]
        title = f"Cited hosts not watched ({len(shown)} of {len(offered)})"
        write_rows(app.out, shown, "table", OFFERED_COLUMNS, title=title)
        say(app.err, "Find their feeds with `citewatch source discover HOST --add`.")
    if channels:
        shown = channels[:MAX_OFFERED_SHOWN]
        title = f"Cited Telegram channels not watched ({len(shown)} of {len(channels)})"
        write_rows(app.out, shown, "table", CHANNEL_COLUMNS, title=title)
        say(app.err, "Watch one with `citewatch source add URL`.")
    return 0


def cmd_source_discover(app: App, args: argparse.Namespace) -> int:
    """citewatch source discover HOST|t.me/CHANNEL [--add]"""
    found: list[dict[str, Any]] = []

    def on_event(event: Event) -> None:
        if event.get("event") == "found":
            found.append({k: event[k] for k in ("url", "kind", "via")})

    app.database  # noqa: B018  (the schema is current before the crawl process starts)
    result = run_crawl(
        "discover", {"site": args.host}, child_environment(app.config), on_event, now=app.now
    )
    if result.code != 0:
        raise CommandError(
            f"discovery on {args.host} stopped (exit code {result.code}); "
            f"its log is in {app.config.home / 'logs'}"
        )
    if not found:
        say(
            app.err,
            f"{args.host}: no feed or sitemap found, nor a public Telegram channel; a listing "
            "page can still be watched with `citewatch source add URL --kind page`.",
        )
        return 1
    if args.add:
        with app.database.session() as session:
            for row in found:
                source, _ = add_source(
                    session, row["url"], row["kind"], app.clock(), app.tracking_rules
                )
                row["source"] = source.id
    write_rows(
        app.out, found, args.format, FOUND_COLUMNS, title=f"Feeds and sitemaps of {args.host}"
    )
    return 0


def cmd_watch(app: App, args: argparse.Namespace) -> int:
    """citewatch watch [--source ID]"""
    with app.database.session() as session:
        if args.source is not None and session.get(Source, args.source) is None:
            raise CommandError(f"no source with id {args.source} (see `citewatch source list`)")
        if not watched_sources(session, args.source):
            raise CommandError(
                "no sources to watch; add one with `citewatch source add URL` or find a cited "
                "site's feeds with `citewatch source discover HOST --add`"
            )
    arguments = {"source": str(args.source)} if args.source is not None else {}
    run_id = crawl_with_progress(app, "watch", arguments)
    if run_id is not None:
        report_watch(app, run_id, args.source)
    return 0


def report_watch(app: App, run_id: int, source_id: int | None) -> None:
    """What each source gave and the case news found in this run."""
    with app.database.session() as session:
        polls = [
            {"url": s.url, "new": s.last_new, "state": source_state(s)}
            for s in watched_sources(session, source_id)
        ]
        news = [
            {"case": u.case.name, "matched": u.matched, "url": u.url}
            for u in run_updates(session, run_id)
        ]
        archived = archived_any_article(session, run_id)
    write_rows(app.out, polls, "table", POLL_COLUMNS, title=f"Watch run {run_id}")
    if news:
        write_rows(app.out, news, "table", NEWS_COLUMNS, title="News on the cases")
    elif archived:
        say(app.out, "No new article mentions a tracked case.")


def _source_row(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "kind": source.kind,
        "url": source.url,
        "status": "watched" if source.active else "inactive",
        "last_polled_at": source.last_polled_at.isoformat(timespec="seconds")
        if source.last_polled_at
        else None,
        "state": source_state(source),
        "last_new": source.last_new,
    }
