"""`citewatch db`: schema upgrades for operators (the CLI also upgrades on first use)."""

from __future__ import annotations

import argparse

from cli.app import App
from cli.output import say
from models import Database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db upgrade` and `db current`."""
    db = commands.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="migrate the schema to this version").set_defaults(
        handler=cmd_upgrade
    )
    actions.add_parser("current", help="show the schema revision").set_defaults(handler=cmd_current)


def cmd_upgrade(app: App, args: argparse.Namespace) -> int:
    """Upgrade the configured database to the newest schema."""
    app.config.home.mkdir(parents=True, exist_ok=True)
    database = Database(app.config.database_url)
    try:
        before, after = database.upgrade()
    finally:
        database.dispose()
    if before == after:
        say(app.out, f"{database.display_url}: already at schema {after}")
    else:
        say(app.out, f"{database.display_url}: upgraded schema {before or '(empty)'} -> {after}")
    return 0


def cmd_current(app: App, args: argparse.Namespace) -> int:
    """Print the database's schema revision and the newest one known."""
    database = Database(app.config.database_url)
    try:
        current, head = database.current_revision(), database.head_revision()
    finally:
        database.dispose()
    state = "up to date" if current == head else f"behind (newest is {head})"
    say(app.out, f"{database.display_url}: schema {current or '(empty)'}, {state}")
    return 0
