"""Commands about dashboard users: user add/list/remove/passwd."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli.app import App
from cli.errors import CommandError
from cli.output import Column, list_rows, say
from web.auth import ROLES, UserError, add_user, change_password, check_password, list_users
from web.auth import remove_user as remove_user_row

USER_COLUMNS = (
    Column("name", "Name"),
    Column("role", "Role"),
    Column("created", "Created (UTC)", {"no_wrap": True}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    user = commands.add_parser("user", help="who may sign in to the dashboard (citewatch serve)")
    sub = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="add a user (asks for the password twice)")
    add.add_argument("name")
    add.add_argument("--role", default="viewer", help=f"one of {', '.join(ROLES)} (default viewer)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=cmd_user_add)

    listing = sub.add_parser("list", help="list the users: name, role, created")
    listing.set_defaults(handler=cmd_user_list)

    remove = sub.add_parser("remove", help="remove a user (their sessions end)")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_user_remove)

    passwd = sub.add_parser("passwd", help="set a user's password (their other sessions end)")
    passwd.add_argument("name")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    passwd.set_defaults(handler=cmd_user_passwd)


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    check_password(first)
    if getpass.getpass("Password again: ") != first:
        raise CommandError("the passwords differ")
    return first


def cmd_user_add(app: App, args: argparse.Namespace) -> int:
    """citewatch user add NAME [--role viewer|editor|admin] [--password-stdin]"""
    if args.role not in ROLES:
        raise CommandError(f"unknown role {args.role!r}; choose one of {', '.join(ROLES)}")
    try:
        password = read_password(args.password_stdin)
        with app.database.session() as session:
            account = add_user(session, args.name, password, args.role, app.clock())
    except UserError as exc:
        raise CommandError(str(exc)) from None
    say(app.out, f"Added user {account.name} ({account.role})")
    return 0


def cmd_user_list(app: App, args: argparse.Namespace) -> int:
    """citewatch user list"""
    with app.database.session() as session:
        rows = [
            {
                "name": account.name,
                "role": account.role,
                "created": account.created_at.strftime("%Y-%m-%d %H:%M"),
            }
            for account in list_users(session)
        ]
    list_rows(
        app.out,
        app.err,
        rows,
        "table",
        USER_COLUMNS,
        "No users yet: `citewatch serve` on 127.0.0.1 needs no login. "
        "Add one with `citewatch user add NAME --role admin`.",
    )
    return 0


def cmd_user_remove(app: App, args: argparse.Namespace) -> int:
    """citewatch user remove NAME"""
    try:
        with app.database.session() as session:
            remove_user_row(session, args.name)
    except UserError as exc:
        raise CommandError(str(exc)) from None
    say(app.out, f"Removed user {args.name}")
    return 0


def cmd_user_passwd(app: App, args: argparse.Namespace) -> int:
    """citewatch user passwd NAME [--password-stdin]"""
    try:
        with app.database.session() as session:
            list_names = {account.name for account in list_users(session)}
        if args.name not in list_names:
            raise UserError(f"no user named {args.name!r} (see `citewatch user list`)")
        password = read_password(args.password_stdin)
        with app.database.session() as session:
            change_password(session, args.name, password, app.clock())
    except UserError as exc:
        raise CommandError(str(exc)) from None
    say(app.out, f"Changed the password of {args.name}")
    return 0
