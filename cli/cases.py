"""Commands about tracked cases: case add/list/suggest/learn/match, and updates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cases.learn import learn_case
from cases.matching import CaseMatcher
from cases.suggest import accept_proposals, proposed_cases
from cases.tracked import add_terms, case_named, case_spellings, ensure_case, tracked_cases
from cases.updates import case_terms, found_updates, update_counts
from citations.ingest import add_document
from cli.app import App
from cli.documents import parse, report_added
from cli.errors import CommandError
from cli.output import (
    FORMATS,
    ONE_LINE,
    Column,
    date_argument,
    list_rows,
    say,
    start_of,
    write_rows,
)
from models import Case, Document, Session

CASE_COLUMNS = (
    Column("id", "ID"),
    Column("name", "Case"),
    Column("spellings", "Spellings matched", {"max_width": 60}),
    Column("citations", "Citations"),
    Column("updates", "Updates"),
)
SUGGESTION_COLUMNS = (
    Column("name", "Name in bold"),
    Column("footnotes", "Notes about it", {"max_width": 40}),
    Column("stored", "Stored"),
)
MATCH_COLUMNS = (
    Column("case", "Case"),
    Column("matched", "Matched text"),
    Column("start", "Start"),
    Column("end", "End"),
)
UPDATE_COLUMNS = (
    Column("found_at", "Found (UTC)", {"no_wrap": True}),
    Column("case", "Case"),
    Column("title", "Title", ONE_LINE),
    Column("published", "Published", {"no_wrap": True}),
    Column("matched", "Matched", {**ONE_LINE, "max_width": 30}),
    Column("url", "URL", {"min_width": 20}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    case = commands.add_parser("case", help="tracked cases: people and organisations")
    sub = case.add_subparsers(dest="case_command", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="track a person or organisation")
    add.add_argument("name", help='the name as the document writes it, e.g. "Temirlan Yensebek"')
    add.add_argument("--alias", action="append", default=[], help="another spelling (repeatable)")
    add.add_argument(
        "--keyword", action="append", default=[], help="a term that alone means the case"
    )
    add.set_defaults(handler=cmd_case_add)

    listing = sub.add_parser("list", help="list the tracked cases and their spellings")
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.set_defaults(handler=cmd_case_list)

    suggest = sub.add_parser("suggest", help="propose cases from the names in bold in a document")
    suggest.add_argument("document", type=Path)
    suggest.add_argument("--accept", action="store_true", help="store the proposed cases")
    suggest.add_argument("--format", choices=FORMATS, default="table")
    suggest.set_defaults(handler=cmd_case_suggest)

    learn = sub.add_parser("learn", help="propose spellings the case's cited sources use")
    learn.add_argument("name", help="the case's name or id")
    learn.add_argument("--accept", action="store_true", help="store them as aliases")
    learn.set_defaults(handler=cmd_case_learn)

    match = sub.add_parser("match", help="which cases a text mentions, and where")
    match.add_argument("file", nargs="?", default="-", help="a text file, or - for standard input")
    match.add_argument("--format", choices=("table", "json"), default="table")
    match.set_defaults(handler=cmd_case_match)

    updates = commands.add_parser("updates", help="news on the tracked cases")
    updates.add_argument("--case", help="only this case (name or id)")
    updates.add_argument(
        "--since", type=date_argument, help="found on or after this date (YYYY-MM-DD)"
    )
    updates.add_argument("--format", choices=FORMATS, default="table")
    updates.set_defaults(handler=cmd_updates)


def cmd_case_add(app: App, args: argparse.Namespace) -> int:
    """citewatch case add NAME [--alias TEXT ...] [--keyword TEXT ...]"""
    name = " ".join(args.name.split())
    if not any(c.isalpha() for c in name):
        raise CommandError("a case needs a name with letters in it")
    with app.database.session() as session:
        case, created = ensure_case(session, name, app.clock())
        add_terms(case, "alias", args.alias)
        add_terms(case, "keyword", args.keyword)
        spellings = "; ".join(case_spellings(case))
    verb = "Added" if created else "Updated"
    say(app.out, f"{verb} case {case.id}: {name}\n  matches {spellings}")
    return 0


def cmd_case_list(app: App, args: argparse.Namespace) -> int:
    """citewatch case list [--format table|csv|json]"""
    with app.database.session() as session:
        updates = update_counts(session)
        rows = [_case_row(case, updates.get(case.id, 0)) for case in tracked_cases(session)]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        CASE_COLUMNS,
        "No cases yet. Add one with `citewatch case add NAME`, or propose them with "
        "`citewatch case suggest DOCUMENT`.",
    )
    return 0


def cmd_case_suggest(app: App, args: argparse.Namespace) -> int:
    """citewatch case suggest DOCUMENT [--accept]"""
    loaded, extraction = parse(app, args.document)
    with app.database.session() as session:
        proposals = proposed_cases(session, extraction.parts)
        if not proposals:
            say(app.err, f"{args.document}: no names in bold, nothing to propose.")
            return 0
        rows: list[dict[str, Any]] = [
            {"name": p.name, "footnotes": ", ".join(p.footnotes), "stored": p.stored}
            for p in proposals
        ]
        if args.accept:
            summary = add_document(session, loaded, extraction, app.clock())
            document = session.get(Document, summary.document_id)
            assert document is not None
            accept_proposals(
                session, document, [(p.name, p.footnotes) for p in proposals], app.clock()
            )
            for row in rows:
                row["stored"] = True
    if args.accept and args.format == "table":
        report_added(app, summary)
    write_rows(app.out, rows, args.format, SUGGESTION_COLUMNS, title="Cases named in bold")
    if not args.accept and args.format == "table":
        say(app.err, "Store them with --accept; then `citewatch case learn NAME` proposes the "
            "spellings their sources use.")  # fmt: skip
    return 0


def cmd_case_learn(app: App, args: argparse.Namespace) -> int:
    """citewatch case learn NAME [--accept]"""
    with app.database.session() as session:
        case = _find_case(session, args.name)
        learning = learn_case(session, case)
        if not learning.sources:
            raise CommandError(
                f"case {case.name!r} is linked to no citations; "
                "`citewatch case suggest DOCUMENT --accept` links cases to the notes about them"
            )
        learned, texts = learning.spellings, learning.texts
        if args.accept:
            add_terms(case, "alias", [spelling.alias for spelling in learned])
    if not learning.archived:
        raise CommandError(
            f"none of the {learning.sources} sources of {case.name!r} is archived yet; "
            "run `citewatch archive` first"
        )
    if not learned:
        say(app.out, f"{case.name}: its {texts} archived sources use no other spelling.")
        return 0
    say(app.out, f"{case.name}: spellings in its {texts} archived sources")
    for spelling in learned:
        say(app.out, f"  {spelling.alias}  (seen {spelling.seen} times)")
    if args.accept:
        say(app.out, "Stored as aliases.")
    else:
        say(app.err, "Store them as aliases with --accept.")
    return 0


def cmd_case_match(app: App, args: argparse.Namespace) -> int:
    """citewatch case match [FILE|-] [--format table|json]"""
    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(f"{args.file}: cannot read: {exc.strerror or exc}") from None
    with app.database.session() as session:
        terms = case_terms(session)
    if not terms:
        raise CommandError("no cases to match; add one with `citewatch case add NAME`")
    watch = app.config.watch
    matches = CaseMatcher(terms, watch.match_window, watch.fuzzy_min_length).find(text)
    rows = [match.as_dict() for match in matches]
    list_rows(app.out, app.err, rows, args.format, MATCH_COLUMNS, "No case is mentioned.")
    return 0


def cmd_updates(app: App, args: argparse.Namespace) -> int:
    """citewatch updates [--case NAME] [--since DATE] [--format table|csv|json]"""
    with app.database.session() as session:
        case_id = _find_case(session, args.case).id if args.case else None
        since = start_of(args.since) if args.since else None
        rows = [
            {
                "case": u.case.name,
                "url": u.url,
                "title": u.title,
                "published": u.published,
                "matched": u.matched,
                "found_at": u.found_at.isoformat(timespec="seconds"),
                "kind": u.kind,
                "snapshot": u.snapshot_id,
            }
            for u in found_updates(session, case_id, since)
        ]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        UPDATE_COLUMNS,
        "No case updates yet.",
        title="Case updates",
    )
    return 0


def _find_case(session: Session, name: str) -> Case:
    """A case by id or name (any letter case)."""
    case = case_named(session, name)
    if case is None:
        raise CommandError(f"no case named {name!r} (see `citewatch case list`)")
    return case


def _case_row(case: Case, updates: int) -> dict[str, Any]:
    return {
        "id": case.id,
        "name": case.name,
        "aliases": list(case.texts("alias")),
        "keywords": list(case.texts("keyword")),
        "spellings": "; ".join(case_spellings(case)),
        "citations": len(case.citations),
        "updates": updates,
    }
