"""Commands about evidence: export (WACZ packages), keys, verify, stamp."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from cli.app import App
from cli.errors import EXIT_FAILED, CommandError
from cli.health import resolve_document
from cli.output import date_argument, say, start_of
from models import Citation, Snapshot

if TYPE_CHECKING:  # the packaging, TSA and WARC-checking libraries load when a command needs them
    from evidence.verify import Report


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    export = commands.add_parser(
        "export", help="a document's cited sources as a signed WACZ package, per footnote"
    )
    export.add_argument("document", help="document id or file")
    export.add_argument(
        "--output", "-o", type=Path, help="the .wacz file (default: ./document-ID.wacz)"
    )
    export.add_argument("--notes", help="only these footnotes, e.g. 12,14-20")
    export.add_argument(
        "--since", type=date_argument, help="only captures from this date (YYYY-MM-DD) on"
    )
    export.add_argument(
        "--latest", action="store_true", help="only our copy of each source, not every capture"
    )
    export.add_argument(
        "--unsigned", action="store_true", help="do not sign (there is no signing key)"
    )
    export.set_defaults(handler=cmd_export)

    keys = commands.add_parser("keys", help="the organisation's signing key")
    action = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    action.add_parser("create", help="create the key (never replaces one)").set_defaults(
        handler=cmd_keys_create
    )
    action.add_parser("show", help="the public key and its fingerprint").set_defaults(
        handler=cmd_keys_show
    )

    verify = commands.add_parser(
        "verify", help="recompute digests, signatures and time-stamps; name every mismatch"
    )
    target = verify.add_mutually_exclusive_group(required=True)
    target.add_argument("item", nargs="?", help="document id or file, or a .wacz package")
    target.add_argument("--all", action="store_true", help="every WARC file in the archive")
    verify.set_defaults(handler=cmd_verify)

    stamp = commands.add_parser(
        "stamp", help="seal new WARC files and ask the TSA for every missing time-stamp now"
    )
    stamp.set_defaults(handler=cmd_stamp)


def cmd_export(app: App, args: argparse.Namespace) -> int:
    """citewatch export DOCUMENT [-o FILE.wacz] [--notes 12,14-20] [--since DATE] [--latest]"""
    from evidence.export import ExportError, Selection, export_document, parse_notes
    from evidence.keys import SigningKeyError, load_key

    try:
        notes = parse_notes(args.notes) if args.notes else None
    except ValueError as exc:
        raise CommandError(f"--notes {args.notes!r}: {exc}") from None
    since = start_of(args.since) if args.since else None
    key = None
    if not args.unsigned:
        try:
            key = load_key(app.config.signing_key_path)
        except SigningKeyError as exc:
            raise CommandError(f"{exc}; or export with --unsigned") from None
    with app.database.session() as session:
        document_id = resolve_document(session, app, args.document)
    assert document_id is not None
    output = args.output or Path(f"document-{document_id}.wacz")
    if output.suffix != ".wacz":
        raise CommandError(f"{output}: the package's name must end in .wacz")
    selection = Selection(notes, since, args.latest)
    try:
        summary = export_document(
            app.database, app.config, document_id, selection, output, key, app.clock()
        )
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    signed = f"signed with key {summary.signed_by[:16]}" if summary.signed_by else "not signed"
    stamped = "time-stamped" if summary.timestamped else "not time-stamped"
    say(
        app.out,
        f"Wrote {output}: {summary.pages} cited URLs, {summary.captures} captures, "
        f"{summary.records} WARC records, {summary.size:,} bytes; {signed}, {stamped}. "
        f"SHA-256 {summary.sha256}",
    )
    if summary.without_copy:
        say(app.err, f"No capture to export for notes {', '.join(summary.without_copy)}")
    for line in [*summary.problems, *summary.custody.lines()]:
        say(app.err, line)
    return 0


def cmd_keys_create(app: App, args: argparse.Namespace) -> int:
    """citewatch keys create"""
    from evidence.keys import SigningKeyError, create_key

    try:
        key = create_key(app.config.signing_key_path)
    except SigningKeyError as exc:
        raise CommandError(str(exc)) from None
    say(app.out, f"Created the signing key {key.path} (readable by you only).")
    say(app.out, f"Fingerprint (SHA-256 of the public key): {key.public.fingerprint}")
    say(app.out, "Publish the public key (`citewatch keys show`) so others can check signatures.")
    return 0


def cmd_keys_show(app: App, args: argparse.Namespace) -> int:
    """citewatch keys show"""
    from evidence.keys import SigningKeyError, load_key

    try:
        public = load_key(app.config.signing_key_path).public
    except SigningKeyError as exc:
        raise CommandError(str(exc)) from None
    app.out.print(public.pem, end="", markup=False, highlight=False, soft_wrap=True)
    say(app.out, f"Fingerprint: {public.fingerprint}")
    say(app.out, f"WACZ publicKey: {public.base64}")
    return 0


def cmd_verify(app: App, args: argparse.Namespace) -> int:
    """citewatch verify DOCUMENT|FILE.wacz|--all"""
    from evidence.seal import seal
    from evidence.verify import Trust, verify_archive, verify_package

    trust, notes = Trust.from_config(app.config)
    item = args.item
    if item is not None and item.endswith(".wacz"):
        path = Path(item)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        report = verify_package(path, trust)
        subject = str(path)
    else:
        seal(app.database, app.config, app.clock(), stamp=False)
        with app.database.session() as session:
            ids = None
            subject = "the archive"
            if item is not None:
                document_id = resolve_document(session, app, item)
                ids = list(
                    session.scalars(
                        select(Snapshot.id)
                        .join(Citation, Citation.target_id == Snapshot.target_id)
                        .where(Citation.document_id == document_id)
                    )
                )
                subject = f"document {document_id}"
            report = verify_archive(session, app.config, trust, ids)
    return _print_report(app, subject, report, notes)


def cmd_stamp(app: App, args: argparse.Namespace) -> int:
    """citewatch stamp"""
    from evidence.seal import seal, stamp_pending

    if not app.config.evidence.tsa_url:
        raise CommandError("no Time-Stamp Authority configured: set [evidence] tsa_url")
    done = seal(app.database, app.config, app.clock())
    with app.database.session() as session:
        again = stamp_pending(session, app.config)
    stamped = done.stamped + again.stamped
    say(app.out, f"Sealed {done.recorded} new WARC files; {stamped} time-stamps received.")
    problems = again.lines() or done.lines()
    for line in problems:
        say(app.err, line)
    return EXIT_FAILED if again.waiting else 0


def _print_report(app: App, subject: str, report: Report, notes: list[str]) -> int:
    for note in [*notes, *report.notes]:
        say(app.err, note)
    for problem in report.problems:
        say(app.out, f"PROBLEM {problem.line()}")
    rate = report.bytes / 2**20 / report.seconds if report.seconds > 0 else 0.0
    verdict = "all hold" if report.ok else f"{len(report.problems)} problems"
    say(
        app.out,
        f"Verified {subject}: {report.records} records in {report.files} files "
        f"({report.bytes / 2**20:.1f} MB, {rate:.0f} MB/s); {report.signed} signatures, "
        f"{report.stamped} time-stamps checked, {report.unstamped} files not time-stamped: "
        f"{verdict}.",
    )
    return 0 if report.ok else EXIT_FAILED
